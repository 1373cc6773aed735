"""Times as operators read them, in the area's zone and in Vietnamese form."""

from __future__ import annotations

from datetime import UTC, datetime

from web import i18n
from web.formatting import local_datetime, zone_name


def test_vietnamese_form_in_the_areas_zone() -> None:
    moment = datetime(2026, 11, 2, 0, 30, tzinfo=UTC)  # 07:30 in Hanoi, a Monday
    assert local_datetime(moment, "Asia/Ho_Chi_Minh", "vi") == "07:30, Thứ Hai 02/11/2026"
    assert local_datetime(moment, "Asia/Ho_Chi_Minh", "en") == "07:30, Monday 02/11/2026"
    # The zone decides the day, not UTC: 23:30 UTC on Sunday is Monday in Hanoi.
    late = datetime(2026, 11, 1, 23, 30, tzinfo=UTC)
    assert local_datetime(late, "Asia/Ho_Chi_Minh", "vi") == "06:30, Thứ Hai 02/11/2026"


def test_the_page_names_the_zone() -> None:
    i18n.use("vi")
    assert zone_name("Asia/Ho_Chi_Minh") == "giờ Việt Nam"
    assert zone_name("Asia/Phnom_Penh") == "giờ Asia/Phnom_Penh"
    i18n.use("en")
    assert zone_name("Asia/Ho_Chi_Minh") == "Vietnam time"
