"""CAP 1.2 mapped onto Loaxa's alerts: what is taken from where, and what is refused naming
the CAP element at fault. On SQLite and PostgreSQL, since geocodes are looked up."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerts.cap import parse_cap
from alerts.cap_import import CapImport, CapNotice, CapRules, alert_from_cap
from alerts.models import AlertCreate, AlertStatus, AlertType, Certainty, Severity, Urgency
from core.areas.models import Area
from core.errors import Invalid
from tests.alerts.cap_documents import (
    CODES,
    DESCRIPTION,
    HEADLINE,
    INSTRUCTION,
    UNKNOWN_CODE,
    cap_alert,
    give_code,
)
from tests.alerts.factories import CAP_SENDER, make_alert
from tests.alerts.test_cap import TYPHOON
from tests.world import World, now


def imported(world: World, document: bytes, **options: object) -> CapImport | CapNotice:
    with world.database.session() as session:
        return alert_from_cap(
            cap=parse_cap(document),
            session=session,
            now=now(),
            **options,  # type: ignore[arg-type]
        )


def mapped(world: World, document: bytes, **options: object) -> AlertCreate:
    found = imported(world, document, **options)
    assert isinstance(found, CapImport)
    return found.alert_in


def refused(world: World, document: bytes, **options: object) -> Invalid:
    with pytest.raises(Invalid) as caught:
        mapped(world, document, **options)
    return caught.value


@pytest.fixture
def coded(world: World) -> World:
    for area in CODES:
        give_code(world, area)
    return world


def test_an_alert_is_mapped_field_by_field(coded: World) -> None:
    effective = now().replace(microsecond=0) + timedelta(minutes=5)
    alert = mapped(coded, cap_alert(effective=effective), issue_now=True)
    assert alert.identifier == "VN-TEST-001"
    assert (alert.status, alert.msg_type, alert.references) == (
        AlertStatus.actual,
        AlertType.alert,
        [],
    )
    assert (alert.event, alert.headline) == ("Bão", HEADLINE)
    assert alert.description == f"{DESCRIPTION}\n\n{INSTRUCTION}"
    # Read as sentences: a full stop where the sender left none, theirs kept otherwise.
    assert alert.text == f"{HEADLINE}. {DESCRIPTION}. {INSTRUCTION}"
    assert alert.language == "vi"  # vi-VN, by its primary subtag
    assert (alert.urgency, alert.severity, alert.certainty) == (
        Urgency.immediate,
        Severity.extreme,
        Certainty.observed,
    )
    assert alert.starts == effective
    assert alert.expires > now()
    assert alert.target_area_ids == [coded.areas["A"]]
    assert alert.area_id == coded.areas["A"]  # the single target manages it
    assert alert.content_id is None and alert.volume == 100 and alert.issue_now


def test_a_real_typhoon_warning_starts_when_effective_not_at_the_storms_onset(
    world: World,
) -> None:
    # Quảng Ninh's code in the document (22) is the province on this server.
    with world.database.session(write=True) as session:
        province = session.get(Area, world.areas["P"])
        assert province is not None
        province.code = "22"
        session.add(province)
        session.commit()
    document = TYPHOON.replace("2026-11-30T00:00:00-00:00", (now() + timedelta(days=1)).isoformat())
    alert = mapped(world, document.encode())
    info = parse_cap(document.encode()).info_for()
    assert alert.starts == info.effective and alert.starts != info.onset
    assert alert.target_area_ids == [world.areas["P"]]  # 06652, 06655 and 31 are not here
    assert alert.headline == "Bão số 3 đổ bộ vào Quảng Ninh – Hải Phòng"


def test_without_effective_the_alert_starts_when_stored(coded: World) -> None:
    assert mapped(coded, cap_alert()).starts is None  # crud: now


@pytest.mark.parametrize("status", ["Exercise", "Test"])
def test_exercise_and_test_keep_their_status(coded: World, status: str) -> None:
    assert mapped(coded, cap_alert(status=status)).status == AlertStatus(status)


@pytest.mark.parametrize("status", ["System", "Draft"])
def test_system_and_draft_messages_are_not_broadcast(coded: World, status: str) -> None:
    error = refused(coded, cap_alert(status=status))
    assert error.field == "alert/status" and "not broadcast" in str(error)


@pytest.mark.parametrize("msg_type", ["Ack", "Error"])
def test_acks_and_errors_are_not_broadcast(coded: World, msg_type: str) -> None:
    error = refused(coded, cap_alert(msg_type=msg_type))
    assert error.field == "alert/msgType" and msg_type in str(error)


def test_an_update_names_the_alerts_it_replaces(coded: World) -> None:
    earlier = make_alert(coded, "A", issued=True, sender=CAP_SENDER)
    update = mapped(
        coded, cap_alert("VN-TEST-002", msg_type="Update", references=(earlier.identifier,))
    )
    assert update.msg_type == AlertType.update
    assert update.references == [f"{CAP_SENDER},{earlier.identifier}"]
    assert update.target_area_ids == [coded.areas["A"]]


def test_an_update_refers_to_its_own_senders_alerts_only(coded: World) -> None:
    # The same identifier from the operator here (another sender) is another alert.
    earlier = make_alert(coded, "A", issued=True)
    found = imported(
        coded, cap_alert("VN-TEST-002", msg_type="Update", references=(earlier.identifier,))
    )
    assert found.alert_in.msg_type == AlertType.alert and found.alert_in.references == []
    assert found.origin.unheld_references == (f"{CAP_SENDER},{earlier.identifier}",)


def test_an_update_without_references_is_refused(coded: World) -> None:
    error = refused(coded, cap_alert(msg_type="Update"))
    assert error.field == "alert/references"


def test_an_update_of_alerts_never_held_here_is_a_new_alert_keeping_its_references(
    coded: World,
) -> None:
    found = imported(coded, cap_alert("VN-TEST-002", msg_type="Update", references=("VN-0",)))
    assert found.alert_in.msg_type == AlertType.alert and found.alert_in.references == []
    assert found.alert_in.text and found.alert_in.target_area_ids == [coded.areas["A"]]
    assert found.origin.unheld_references == (f"{CAP_SENDER},VN-0",)
    (sent,) = found.origin.cap_references
    assert sent.startswith(f"{CAP_SENDER},VN-0,")  # as sent, with its time


def test_a_cancel_of_alerts_never_held_here_is_a_notice(coded: World) -> None:
    found = imported(
        coded, cap_alert("VN-TEST-003", msg_type="Cancel", references=("VN-0",), info=False)
    )
    assert isinstance(found, CapNotice)
    assert found.area_id is None  # no area named: the caller's own (cap_routes)
    assert found.origin.unheld_references == (f"{CAP_SENDER},VN-0",)


def test_an_update_expiring_when_sent_cancels_what_it_references(coded: World) -> None:
    earlier = make_alert(coded, "A", issued=True, sender=CAP_SENDER)
    sent = now().replace(microsecond=0)
    update = mapped(
        coded,
        cap_alert("VN-TEST-004", msg_type="Update", references=(earlier.identifier,), expires=sent),
    )
    assert update.msg_type == AlertType.cancel and update.text is None
    assert update.expires == earlier.expires


def test_without_expires_the_categorys_default_applies_and_is_stated(coded: World) -> None:
    rules = CapRules(default_expiry_h={"Met": 3.0})
    found = imported(coded, cap_alert(no_expires=True), rules=rules)
    assert isinstance(found, CapImport)
    assert found.alert_in.expires == now().replace(microsecond=0) + timedelta(hours=3)
    assert found.origin.expires_default == "Met"


def test_without_expires_a_category_with_no_default_is_refused(coded: World) -> None:
    error = refused(coded, cap_alert(no_expires=True), rules=CapRules(default_expiry_h={}))
    assert error.field == "alert/info/expires" and "cap_default_expiry_h" in str(error)


def test_a_bare_cancel_reaches_what_it_cancels_until_that_would_have_expired(
    world: World,
) -> None:
    earlier = make_alert(world, "A1", issued=True, sender=CAP_SENDER)
    cancel = mapped(
        world,
        cap_alert(
            "VN-TEST-003",
            msg_type="Cancel",
            references=(earlier.identifier,),
            info=False,
            note="Bão đã suy yếu",
        ),
    )
    assert cancel.msg_type == AlertType.cancel and cancel.text is None
    assert cancel.target_area_ids == []  # crud.targets_of takes the cancelled alert's
    assert cancel.area_id == world.areas["A1"]
    assert cancel.headline == "Bão đã suy yếu"
    assert cancel.expires == earlier.expires


def test_codes_not_on_this_server_are_left_out(coded: World) -> None:
    alert = mapped(coded, cap_alert(codes=(UNKNOWN_CODE, CODES["B"])))
    assert alert.target_area_ids == [coded.areas["B"]]


def test_when_no_code_is_known_the_codes_are_named(coded: World) -> None:
    error = refused(coded, cap_alert(codes=(UNKNOWN_CODE, "88888")))
    assert error.field == "alert/info/area/geocode"
    assert UNKNOWN_CODE in str(error) and "88888" in str(error)


def test_an_alert_without_geocodes_is_refused(coded: World) -> None:
    error = refused(coded, cap_alert(codes=()))
    assert error.field == "alert/info/area/geocode"


@pytest.mark.parametrize(
    ("targets", "manager"),
    [(("A", "A1"), "A"), (("A", "B"), "P"), (("A1", "B"), "P")],
)
def test_several_targets_are_managed_by_the_lowest_area_holding_them_all(
    coded: World, targets: tuple[str, ...], manager: str
) -> None:
    alert = mapped(coded, cap_alert(codes=tuple(CODES[t] for t in targets)))
    assert alert.area_id == coded.areas[manager]


def test_the_callers_area_id_wins(coded: World) -> None:
    alert = mapped(coded, cap_alert(codes=(CODES["A1"],)), area_id=coded.areas["A"])
    assert alert.area_id == coded.areas["A"]


def test_an_expired_alert_is_refused(coded: World) -> None:
    error = refused(coded, cap_alert(expires=now().replace(microsecond=0) - timedelta(minutes=1)))
    assert error.field == "alert/info/expires" and "expired" in str(error)


def test_expires_before_effective_is_refused(coded: World) -> None:
    soon = now().replace(microsecond=0) + timedelta(hours=1)
    error = refused(coded, cap_alert(effective=soon + timedelta(hours=1), expires=soon))
    assert "expires must be after starts" in str(error)


def test_a_value_loaxa_cannot_hold_is_named_by_its_cap_element(coded: World) -> None:
    error = refused(coded, cap_alert("V" * 201))
    assert error.field == "alert/identifier" and "200" in str(error)


def test_a_long_headline_is_shown_cut_at_a_word_and_read_out_whole(coded: World) -> None:
    long = "Bão số 3 " * 40
    alert = mapped(coded, cap_alert(headline=long))
    assert len(alert.headline) <= 300 and alert.headline.endswith("3…")
    assert alert.text and alert.text.startswith(" ".join(long.split()))
