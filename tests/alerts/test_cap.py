"""The CAP 1.2 parser: a Vietnamese typhoon alert read in full, Updates and Cancels, languages,
and every kind of input it must refuse (unsafe, oversized, malformed, not CAP 1.2, incomplete)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from alerts.cap import CAP_NAMESPACE, MAX_BYTES, CapAlert, CapError, parse_cap
from alerts.cap_geometry import Point
from alerts.cap_models import CapArea, CapInfo, CapPolygon, CapReference, CapResource

ICT = timezone(timedelta(hours=7))  # Indochina Time, Vietnam's

TYPHOON = f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="{CAP_NAMESPACE}">
  <identifier>VN-NCHMF-2026-BAO03-001</identifier>
  <sender>canhbao@nchmf.gov.vn</sender>
  <sent>2026-11-29T07:00:00+07:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <note>Tin bão khẩn cấp</note>
  <info>
    <language>vi-VN</language>
    <category>Met</category>
    <category>Safety</category>
    <event>Bão số 3</event>
    <responseType>Evacuate</responseType>
    <urgency>Immediate</urgency>
    <severity>Extreme</severity>
    <certainty>Observed</certainty>
    <senderName>Trung tâm Dự báo khí tượng thủy văn quốc gia</senderName>
    <headline>Bão số 3 đổ bộ vào Quảng Ninh – Hải Phòng</headline>
    <description>Hồi 07 giờ, vị trí tâm bão ở vào khoảng 20,5 độ Vĩ Bắc; 108,2 độ Kinh Đông.
Sức gió mạnh nhất vùng gần tâm bão mạnh cấp 12, giật cấp 15.</description>
    <instruction>Người dân vùng ven biển sơ tán đến nơi an toàn trước 12 giờ.</instruction>
    <effective>2026-11-29T07:00:00+07:00</effective>
    <onset>2026-11-29T12:00:00+07:00</onset>
    <expires>2026-11-30T00:00:00-00:00</expires>
    <resource>
      <resourceDesc>Bản tin bão (âm thanh)</resourceDesc>
      <mimeType>audio/mpeg</mimeType>
      <uri>https://nchmf.gov.vn/bao-so-3.mp3</uri>
    </resource>
    <area>
      <areaDesc>Tỉnh Quảng Ninh</areaDesc>
      <polygon>21.0,107.0 21.5,107.5 21.0,108.0 21.0,107.0</polygon>
      <geocode><valueName>MA_TINH</valueName><value>22</value></geocode>
      <geocode><valueName>MA_XA</valueName><value>06652</value></geocode>
      <geocode><valueName>MA_XA</valueName><value>06655</value></geocode>
    </area>
    <area>
      <areaDesc>Thành phố Hải Phòng</areaDesc>
      <geocode><valueName>MA_TINH</valueName><value>31</value></geocode>
    </area>
  </info>
</alert>
"""


def cap(body: str, *, namespace: str = CAP_NAMESPACE) -> bytes:
    """A CAP document around `body`, the alert's children."""
    return f'<alert xmlns="{namespace}">{body}</alert>'.encode()


HEADER = """<identifier>VN-2026-002</identifier><sender>canhbao@nchmf.gov.vn</sender>
<sent>2026-11-29T09:00:00+07:00</sent><status>Actual</status><msgType>{msg_type}</msgType>
<scope>Public</scope>"""

INFO = """<info><language>{language}</language><category>Met</category><event>{event}</event>
<urgency>Immediate</urgency><severity>Extreme</severity><certainty>Observed</certainty></info>"""


def alert(*infos: str, msg_type: str = "Alert", extra: str = "") -> bytes:
    return cap(HEADER.format(msg_type=msg_type) + extra + "".join(infos))


def info(language: str = "vi-VN", event: str = "Bão số 3") -> str:
    return INFO.format(language=language, event=event)


def refusal(data: bytes, **kwargs: int) -> str:
    with pytest.raises(CapError) as refused:
        parse_cap(data, **kwargs)
    return refused.value.message


# Read in full


def test_a_vietnamese_typhoon_alert_is_read_in_full() -> None:
    typhoon = parse_cap(TYPHOON.encode())

    assert typhoon == CapAlert(
        identifier="VN-NCHMF-2026-BAO03-001",
        sender="canhbao@nchmf.gov.vn",
        sent=datetime(2026, 11, 29, 7, tzinfo=ICT),
        status="Actual",
        msg_type="Alert",
        scope="Public",
        note="Tin bão khẩn cấp",
        infos=[
            CapInfo(
                language="vi-VN",
                categories=["Met", "Safety"],
                event="Bão số 3",
                urgency="Immediate",
                severity="Extreme",
                certainty="Observed",
                headline="Bão số 3 đổ bộ vào Quảng Ninh – Hải Phòng",
                description=(
                    "Hồi 07 giờ, vị trí tâm bão ở vào khoảng 20,5 độ Vĩ Bắc; 108,2 độ Kinh Đông.\n"
                    "Sức gió mạnh nhất vùng gần tâm bão mạnh cấp 12, giật cấp 15."
                ),
                instruction="Người dân vùng ven biển sơ tán đến nơi an toàn trước 12 giờ.",
                effective=datetime(2026, 11, 29, 7, tzinfo=ICT),
                onset=datetime(2026, 11, 29, 12, tzinfo=ICT),
                expires=datetime(2026, 11, 30, tzinfo=UTC),
                areas=[
                    CapArea(
                        area_desc="Tỉnh Quảng Ninh",
                        geocodes={"MA_TINH": ["22"], "MA_XA": ["06652", "06655"]},
                        polygons=[
                            CapPolygon(
                                points=(
                                    Point(21.0, 107.0),
                                    Point(21.5, 107.5),
                                    Point(21.0, 108.0),
                                    Point(21.0, 107.0),
                                )
                            )
                        ],
                    ),
                    CapArea(area_desc="Thành phố Hải Phòng", geocodes={"MA_TINH": ["31"]}),
                ],
                resources=[
                    CapResource(
                        description="Bản tin bão (âm thanh)",
                        mime_type="audio/mpeg",
                        uri="https://nchmf.gov.vn/bao-so-3.mp3",
                    )
                ],
            )
        ],
    )


def test_minus_zero_offset_is_utc_and_times_keep_their_offset() -> None:
    typhoon = parse_cap(TYPHOON.encode())
    expires = typhoon.infos[0].expires

    assert expires is not None and expires.utcoffset() == timedelta(0)
    assert typhoon.sent.utcoffset() == timedelta(hours=7)
    assert typhoon.sent == datetime(2026, 11, 29, 0, tzinfo=UTC)


def test_optional_parts_default_when_absent_or_empty() -> None:
    bare = "<info><category>Met</category><event>Bão</event><urgency>Expected</urgency>"
    bare += "<severity>Severe</severity><certainty>Likely</certainty></info>"

    parsed = parse_cap(alert(bare, extra="<note/>"))

    assert parsed.note is None and parsed.references == []
    only = parsed.infos[0]
    assert only.language == "en-US"
    assert (only.headline, only.description, only.instruction) == (None, None, None)
    assert (only.effective, only.onset, only.expires) == (None, None, None)
    assert only.areas == [] and only.resources == []


def test_the_parsed_alert_is_frozen() -> None:
    typhoon = parse_cap(TYPHOON.encode())

    with pytest.raises(ValueError, match="frozen"):
        typhoon.identifier = "other"  # type: ignore[misc]


# Updates and Cancels


@pytest.mark.parametrize("msg_type", ["Update", "Cancel"])
def test_update_and_cancel_name_what_they_replace(msg_type: str) -> None:
    references = (
        "<references>canhbao@nchmf.gov.vn,VN-2026-001,2026-11-29T07:00:00+07:00 "
        "canhbao@nchmf.gov.vn,VN-2026-001b,2026-11-29T08:00:00-00:00</references>"
    )

    parsed = parse_cap(alert(info(), msg_type=msg_type, extra=references))

    assert parsed.msg_type == msg_type
    assert parsed.references == [
        CapReference(
            sender="canhbao@nchmf.gov.vn",
            identifier="VN-2026-001",
            sent=datetime(2026, 11, 29, 7, tzinfo=ICT),
        ),
        CapReference(
            sender="canhbao@nchmf.gov.vn",
            identifier="VN-2026-001b",
            sent=datetime(2026, 11, 29, 8, tzinfo=UTC),
        ),
    ]


def test_a_cancel_needs_no_info_block() -> None:
    references = "<references>a@b.vn,VN-2026-001,2026-11-29T07:00:00+07:00</references>"

    cancel = parse_cap(alert(msg_type="Cancel", extra=references))

    assert cancel.infos == []
    with pytest.raises(LookupError, match="no info block"):
        cancel.info_for()


@pytest.mark.parametrize(
    "references",
    ["a@b.vn,VN-1", "a@b.vn,VN-1,2026-11-29T07:00:00+07:00,extra", "a@b.vn,,2026-11-29T07:00:00Z"],
)
def test_a_reference_must_be_a_sender_identifier_sent_triple(references: str) -> None:
    data = alert(msg_type="Cancel", extra=f"<references>{references}</references>")

    assert "alert/references" in refusal(data)
    assert "is not sender,identifier,sent" in refusal(data)


def test_a_reference_time_needs_its_time_zone() -> None:
    data = alert(
        msg_type="Cancel", extra="<references>a@b.vn,VN-1,2026-11-29T07:00:00</references>"
    )

    assert "alert/references: '2026-11-29T07:00:00'" in refusal(data)


# Languages


def test_several_languages_are_read_in_order() -> None:
    parsed = parse_cap(alert(info("en-US", "Typhoon No. 3"), info("vi-VN", "Bão số 3")))

    assert [i.language for i in parsed.infos] == ["en-US", "vi-VN"]
    assert [i.event for i in parsed.infos] == ["Typhoon No. 3", "Bão số 3"]


@pytest.mark.parametrize(
    ("languages", "preferences", "chosen"),
    [
        (["en-US", "vi-VN"], None, "vi-VN"),  # Vietnamese first by default
        (["en-US", "vi"], None, "vi"),
        (["fr-FR", "EN-us"], None, "fr-FR"),  # no Vietnamese: the first, not English
        (["fr-FR", "EN-us"], ("vi", "en"), "EN-us"),  # case does not matter
        (["fr-FR", "en-GB"], ("en",), "en-GB"),  # "en" matches any English
        (["fr-FR", "de-DE"], ("en",), "fr-FR"),  # nothing preferred: the first
        (["vi-VN", "en-US"], ("en",), "en-US"),
        (["vi-VN", "km-KH"], ("km", "vi"), "km-KH"),
        (["vietnamese", "en"], ("vi", "en"), "en"),  # "vi" is not a prefix of "vietnamese"
    ],
)
def test_info_for_chooses_by_language_preference(
    languages: list[str], preferences: tuple[str, ...] | None, chosen: str
) -> None:
    parsed = parse_cap(alert(*(info(language) for language in languages)))

    picked = parsed.info_for() if preferences is None else parsed.info_for(preferences)

    assert picked.language == chosen


# Unsafe XML

XXE = f"""<?xml version="1.0"?>
<!DOCTYPE alert [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<alert xmlns="{CAP_NAMESPACE}"><identifier>VN-1</identifier><sender>a@b.vn</sender>
<sent>2026-11-29T07:00:00+07:00</sent><status>Actual</status><msgType>Alert</msgType>
<scope>Public</scope><note>&xxe;</note></alert>""".encode()

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>"""

PLAIN_DOCTYPE = TYPHOON.replace("?>\n", "?>\n<!DOCTYPE alert>\n", 1).encode()
PUBLIC_DTD = TYPHOON.replace(
    "?>\n", '?>\n<!DOCTYPE alert SYSTEM "http://attacker.example/cap.dtd">\n', 1
).encode()


@pytest.mark.parametrize(
    "data",
    [XXE, BILLION_LAUGHS, PLAIN_DOCTYPE, PUBLIC_DTD],
    ids=["external-entity", "billion-laughs", "plain-doctype", "external-dtd"],
)
def test_any_doctype_is_refused_as_unsafe(data: bytes) -> None:
    assert refusal(data) == "unsafe XML: a DOCTYPE is not allowed"


def test_an_external_entity_never_reads_the_file() -> None:
    message = refusal(XXE)

    assert "root:" not in message and "/bin/" not in message
    assert "passwd" not in message  # not even the path: the DOCTYPE is refused before it


# Size, encoding, well-formedness


def test_input_larger_than_the_limit_is_refused_before_parsing() -> None:
    data = TYPHOON.encode()

    assert refusal(data, max_bytes=len(data) - 1) == (
        f"too large: {len(data)} bytes, at most {len(data) - 1}"
    )
    assert parse_cap(data, max_bytes=len(data)).identifier == "VN-NCHMF-2026-BAO03-001"
    # Even garbage is only measured: the size check comes first.
    assert refusal(b"<" * (MAX_BYTES + 1)).startswith("too large")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<alert><note></alert>", "not well-formed XML at line 1, column 16: mismatched tag"),
        (b"", "not well-formed XML at line 1, column 1: no element found"),
        (b"<a/>\n<b/>", "not well-formed XML at line 2, column 1: junk after document element"),
        (b"<a>&nbsp;</a>", "not well-formed XML at line 1, column 4: undefined entity"),
    ],
    ids=["mismatched-tag", "empty", "two-roots", "undefined-entity"],
)
def test_malformed_xml_is_refused_with_its_position(data: bytes, message: str) -> None:
    assert refusal(data) == message


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("<alert>Bà</alert>".encode("cp1258"), "not UTF-8: byte 0xe0 at offset 8"),
        ("<alert/>".encode("utf-16"), "not UTF-8: byte 0xff at offset 0"),
        (
            b'<?xml version="1.0" encoding="ISO-8859-1"?><alert/>',
            "not UTF-8: the XML declaration says encoding='ISO-8859-1'",
        ),
    ],
    ids=["windows-1258", "utf-16", "declared-latin-1"],
)
def test_input_that_is_not_utf8_is_refused(data: bytes, message: str) -> None:
    assert refusal(data) == message


def test_a_utf8_byte_order_mark_is_fine() -> None:
    assert parse_cap(b"\xef\xbb\xbf" + TYPHOON.encode()).infos[0].event == "Bão số 3"


# Not CAP 1.2


@pytest.mark.parametrize(
    ("namespace", "message"),
    [
        ("urn:oasis:names:tc:emergency:cap:1.1", "not CAP 1.2: this is CAP 1.1"),
        ("http://www.incident.com/cap/1.0", "not CAP 1.2: this is CAP 1.0"),
        ("", "not CAP 1.2: <alert> has no namespace"),
        ("urn:example:other", "not CAP 1.2: the root is <alert> in namespace urn:example:other"),
    ],
    ids=["cap-1.1", "cap-1.0", "no-namespace", "other-namespace"],
)
def test_only_the_cap_12_namespace_is_taken(namespace: str, message: str) -> None:
    refused = refusal(TYPHOON.replace(CAP_NAMESPACE, namespace).encode())

    assert refused == f"{message}; expected <alert> in namespace {CAP_NAMESPACE}"


def test_a_root_other_than_alert_is_refused() -> None:
    data = f'<feed xmlns="{CAP_NAMESPACE}"/>'.encode()

    assert refusal(data).startswith(f"not CAP 1.2: the root is <feed> in namespace {CAP_NAMESPACE}")


# Incomplete or misstated


def without(element: str, source: str = TYPHOON) -> bytes:
    """The typhoon alert with the first `element` removed."""
    start = source.index(f"<{element}>")
    end = source.index(f"</{element}>", start) + len(f"</{element}>")
    return (source[:start] + source[end:]).encode()


@pytest.mark.parametrize(
    ("element", "path"),
    [
        ("identifier", "alert/identifier"),
        ("sender", "alert/sender"),
        ("sent", "alert/sent"),
        ("status", "alert/status"),
        ("msgType", "alert/msgType"),
        ("scope", "alert/scope"),
        ("event", "alert/info/event"),
        ("urgency", "alert/info/urgency"),
        ("severity", "alert/info/severity"),
        ("certainty", "alert/info/certainty"),
        ("areaDesc", "alert/info/area[1]/areaDesc"),
        ("resourceDesc", "alert/info/resource/resourceDesc"),
        ("mimeType", "alert/info/resource/mimeType"),
        ("valueName", "alert/info/area[1]/geocode[1]/valueName"),
        ("value", "alert/info/area[1]/geocode[1]/value"),
    ],
)
def test_a_missing_required_element_is_named(element: str, path: str) -> None:
    assert refusal(without(element)) == f"{path} is required"


def test_an_info_needs_a_category() -> None:
    no_category = TYPHOON.replace("<category>Met</category>", "").replace(
        "<category>Safety</category>", ""
    )

    assert refusal(no_category.encode()) == "alert/info/category is required"


def test_a_second_info_is_named_by_its_position() -> None:
    second = info().replace("<urgency>Immediate</urgency>", "")

    assert refusal(alert(info(), second)) == "alert/info[2]/urgency is required"


def test_an_empty_required_element_is_refused() -> None:
    data = TYPHOON.replace("<event>Bão số 3</event>", "<event>  </event>").encode()

    assert refusal(data) == "alert/info/event is empty"


def test_a_repeated_single_element_is_refused() -> None:
    data = TYPHOON.replace("<scope>Public</scope>", "<scope>Public</scope><scope>Private</scope>")

    assert refusal(data.encode()) == "alert/scope appears 2 times; CAP allows one"


@pytest.mark.parametrize(
    ("good", "bad", "message"),
    [
        (
            "<status>Actual</status>",
            "<status>Live</status>",
            "alert/status: 'Live' is not one of Actual, Exercise, System, Test, Draft",
        ),
        (
            "<msgType>Alert</msgType>",
            "<msgType>alert</msgType>",
            "alert/msgType: 'alert' is not one of Alert, Update, Cancel, Ack, Error",
        ),
        (
            "<scope>Public</scope>",
            "<scope>Everyone</scope>",
            "alert/scope: 'Everyone' is not one of Public, Restricted, Private",
        ),
        (
            "<category>Safety</category>",
            "<category>Weather</category>",
            "alert/info/category[2]: 'Weather' is not one of Geo, Met, Safety, Security, "
            "Rescue, Fire, Health, Env, Transport, Infra, CBRNE, Other",
        ),
        (
            "<urgency>Immediate</urgency>",
            "<urgency>Now</urgency>",
            "alert/info/urgency: 'Now' is not one of Immediate, Expected, Future, Past, Unknown",
        ),
        (
            "<severity>Extreme</severity>",
            "<severity>Catastrophic</severity>",
            "alert/info/severity: 'Catastrophic' is not one of "
            "Extreme, Severe, Moderate, Minor, Unknown",
        ),
        (
            "<certainty>Observed</certainty>",
            "<certainty>Very Likely</certainty>",
            "alert/info/certainty: 'Very Likely' is not one of "
            "Observed, Likely, Possible, Unlikely, Unknown",
        ),
    ],
    ids=["status", "msgType", "scope", "category", "urgency", "severity", "certainty"],
)
def test_a_bad_value_names_the_element_and_the_allowed_values(
    good: str, bad: str, message: str
) -> None:
    assert refusal(TYPHOON.replace(good, bad).encode()) == message


@pytest.mark.parametrize(
    ("element", "value"),
    [
        ("sent", "2026-11-29T07:00:00"),  # no time zone
        ("onset", "2026-11-29T12:00:00"),
        ("expires", "2026-11-30"),
        ("sent", "2026-11-29 07:00:00+07:00"),
        ("effective", "29/11/2026 07:00"),
    ],
)
def test_a_datetime_without_its_time_zone_or_cap_form_is_refused(element: str, value: str) -> None:
    data = TYPHOON.replace(f"<{element}>", f"<{element}>{value}<!--", 1)
    data = data.replace(f"</{element}>", f"--></{element}>", 1)

    path = f"alert/{element}" if element == "sent" else f"alert/info/{element}"
    assert refusal(data.encode()) == (
        f"{path}: {value!r} is not a CAP date and time with its time zone, "
        "like 2026-11-29T07:00:00+07:00"
    )


def test_an_impossible_datetime_is_refused() -> None:
    data = TYPHOON.replace("2026-11-29T07:00:00+07:00", "2026-13-29T07:00:00+07:00", 1)

    assert (
        refusal(data.encode())
        == "alert/sent: '2026-13-29T07:00:00+07:00' is not a valid date and time"
    )


@pytest.mark.parametrize("value", ["2026-11-29T00:00:00Z", "2026-11-29T07:00:00.250+07:00"])
def test_z_and_fractional_seconds_are_read(value: str) -> None:
    data = TYPHOON.replace("2026-11-29T07:00:00+07:00", value, 1)

    assert parse_cap(data.encode()).sent.astimezone(UTC).replace(microsecond=0) == datetime(
        2026, 11, 29, tzinfo=UTC
    )


def test_a_long_value_is_cut_short_in_the_message() -> None:
    data = TYPHOON.replace("<status>Actual</status>", f"<status>{'X' * 10_000}</status>")

    message = refusal(data.encode())

    assert message.startswith(f"alert/status: '{'X' * 60}…' is not one of")
    assert len(message) < 200


@pytest.mark.parametrize("identifier", ["VN 2026 001", "VN,2026", "VN&amp;001"])
def test_an_identifier_may_not_hold_spaces_commas_or_ampersands(identifier: str) -> None:
    data = TYPHOON.replace("VN-NCHMF-2026-BAO03-001", identifier)

    assert "may not contain spaces, commas, < or &" in refusal(data.encode())
