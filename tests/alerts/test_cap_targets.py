"""What a CAP document may target: only codes of the official schemes, the whole country
only for a sender allowed it; and the words of real feeds read aloud without their markup."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerts.cap import parse_cap
from alerts.cap_import import CapImport, CapRules, alert_from_cap
from alerts.models import AlertCreate
from core.areas.models import Area
from core.errors import Invalid
from tests.alerts.cap_documents import CAP_REAL, CODES, cap_alert, give_code
from tests.world import World, now

OURS = "<geocode><valueName>MA_XA</valueName><value>{code}</value></geocode>"


def _with_geocodes(*geocodes: tuple[str, str]) -> bytes:
    """The test document, its one geocode replaced by these (valueName, value) pairs."""
    document = cap_alert(codes=(CODES["A"],)).decode()
    replaced = "".join(
        f"<geocode><valueName>{name}</valueName><value>{value}</value></geocode>"
        for name, value in geocodes
    )
    return document.replace(OURS.format(code=CODES["A"]), replaced).encode()


def _mapped(world: World, document: bytes, rules: CapRules | None = None) -> AlertCreate:
    with world.database.session() as session:
        cap = parse_cap(document)
        found = alert_from_cap(
            cap=cap, session=session, now=now(), **({"rules": rules} if rules else {})
        )
    assert isinstance(found, CapImport)
    return found.alert_in


@pytest.fixture
def coded(world: World) -> World:
    for area in CODES:
        give_code(world, area)
    with world.database.session(write=True) as session:
        root = session.get(Area, world.areas["Việt Nam"])
        assert root is not None
        root.code = "VN"
        session.add(root)
        session.commit()
    return world


def test_a_country_code_of_another_scheme_targets_nothing(coded: World) -> None:
    with pytest.raises(Invalid) as refused:
        _mapped(coded, _with_geocodes(("ISO 3166-1", "VN")))
    assert "official scheme" in str(refused.value) and "ISO 3166-1" in str(refused.value)
    assert refused.value.field == "alert/info/area/geocode"


def test_a_communes_code_under_another_scheme_does_not_target_it(coded: World) -> None:
    alert = _mapped(coded, _with_geocodes(("SAME", CODES["A"]), ("MA_XA", CODES["B"])))
    assert alert.target_area_ids == [coded.areas["B"]]


def test_the_whole_country_only_from_a_sender_allowed_it(coded: World) -> None:
    country = _with_geocodes(("MA_TINH", "VN"))
    with pytest.raises(Invalid) as refused:
        _mapped(coded, country)
    assert "whole country" in str(refused.value) and "cap_country_senders" in str(refused.value)
    sender = parse_cap(country).sender
    allowed = _mapped(coded, country, CapRules(country_senders=(sender,)))
    assert allowed.target_area_ids == [coded.areas["Việt Nam"]]
    # beside a province, the country is left out for a sender not allowed it
    both = _mapped(coded, _with_geocodes(("MA_TINH", "VN"), ("MA_TINH", CODES["P"])))
    assert both.target_area_ids == [coded.areas["P"]]


def test_a_real_feeds_html_description_is_read_without_its_markup(coded: World) -> None:
    """NSW Rural Fire Service: the description is HTML (`<br />` between its lines)."""
    document = (CAP_REAL / "nsw-rfs-structure-fire.adapted.xml").read_bytes()
    cap = parse_cap(document)
    with coded.database.session(write=True) as session:
        commune = session.get(Area, coded.areas["A"])
        assert commune is not None
        commune.code = "99001"  # the adapted document's commune
        session.add(commune)
        session.commit()
    with coded.database.session() as session:
        found = alert_from_cap(cap=cap, session=session, now=cap.sent + timedelta(minutes=1))
    assert isinstance(found, CapImport)
    alert = found.alert_in
    assert alert.target_area_ids == [coded.areas["A"]]  # its ISO AU-NSW geocode ignored
    assert alert.text is not None and "LOCATION: 12 Cox Street, Yerong Creek." in alert.text
    for markup in ("<", ">", "br /", "&lt;", "&gt;"):
        assert markup not in alert.text and markup not in (alert.description or "")


def test_the_eight_language_document_is_read_in_the_configured_language() -> None:
    """DWD's heavy-rain Update in eight languages, none of them Vietnamese: the first block
    (German) by default, English when the settings prefer it, never English by itself."""
    cap = parse_cap((CAP_REAL / "dwd-heavy-rain-update-8-languages.adapted.xml").read_bytes())
    assert [i.language for i in cap.infos][:3] == ["de-DE", "en", "fr"]
    assert cap.info_for(CapRules().languages).language == "de-DE"
    assert cap.info_for(CapRules(languages=("fr", "en")).languages).language == "fr"
    assert cap.info_for(("vi", "en")).language == "en"
