from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from demo.timing import seconds_until, session_start

HCM = "Asia/Ho_Chi_Minh"  # UTC+7, no daylight saving


def test_start_is_now_plus_lead_in_local_time() -> None:
    now = datetime(2026, 11, 29, 4, 59, 10, tzinfo=UTC)
    start = session_start(now=now, timezone=HCM, lead=timedelta(seconds=35))
    assert (start.day, start.at) == (date(2026, 11, 29), time(11, 59, 45))
    assert start.utc == datetime(2026, 11, 29, 4, 59, 45, tzinfo=UTC)


def test_a_fraction_of_a_second_rounds_up_never_early() -> None:
    now = datetime(2026, 11, 29, 4, 59, 10, 1, tzinfo=UTC)
    start = session_start(now=now, timezone=HCM, lead=timedelta(seconds=35))
    assert start.at == time(11, 59, 46)
    assert start.at.microsecond == 0


def test_across_local_midnight_the_day_is_tomorrow() -> None:
    # 23:59:50 in Hồ Chí Minh City is 16:59:50 UTC.
    now = datetime(2026, 11, 29, 16, 59, 50, tzinfo=UTC)
    start = session_start(now=now, timezone=HCM, lead=timedelta(seconds=35))
    assert (start.day, start.at) == (date(2026, 11, 30), time(0, 0, 25))


def test_local_midnight_differs_from_utc_midnight() -> None:
    # 00:00:10 UTC is 07:00:45 local: the same local day, although UTC's day has turned.
    now = datetime(2026, 11, 29, 23, 59, 50, tzinfo=UTC)
    start = session_start(now=now, timezone=HCM, lead=timedelta(seconds=55))
    assert (start.day, start.at) == (date(2026, 11, 30), time(7, 0, 45))
    assert start.utc.date() == date(2026, 11, 30)


def test_start_time_is_naive_local_as_the_session_api_takes_it() -> None:
    start = session_start(now=datetime(2026, 1, 1, tzinfo=UTC), timezone=HCM)
    assert start.at.tzinfo is None


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        session_start(now=datetime(2026, 1, 1), timezone=HCM)


def test_seconds_until_rounds_up_and_never_goes_negative() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert seconds_until(moment=now + timedelta(seconds=34.2), now=now) == 35
    assert seconds_until(moment=now - timedelta(seconds=3), now=now) == 0
