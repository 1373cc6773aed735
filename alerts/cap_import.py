"""A CAP 1.2 alert mapped onto the alert Loaxa stores (`AlertCreate`), or refused with an
`Invalid` naming the CAP element at fault. Nothing is written here: the caller creates the
alert through the same path as `POST /api/v1/alerts`.

What is taken, and how:
- status Actual, Exercise, Test as they are; System and Draft are not for broadcast.
- msgType Alert, Update, Cancel as they are; Ack and Error are replies, not broadcasts.
- references: the identifiers of the referenced alerts (sender and sent are CAP's
  bookkeeping; identifiers are unique here).
- the info block in the first preferred language the document has (`CapRules.languages`,
  settings `cap_languages`: Vietnamese), else its first block (`CapAlert.info_for`);
  urgency, severity and certainty carry CAP's own values, which Loaxa's enums share one for
  one.
- the spoken text: headline (or event), description and instruction as sentences, read by
  TTS in the block's language, markup taken out (`alerts/cap_text.py`: a sender's `<br />`
  is a pause, not "b r slash"); unless the block has an audio <resource>, which is played
  instead (alerts/cap_media.py; a <uri> only from the hosts in cap_resource_hosts).
- starts: <effective> if given, else when the alert is stored. Not <onset>: that is when
  the hazard arrives, and a warning must air before it.
- expires: <expires>, required for an Alert or Update (a broadcast must end). A Cancel
  without one lasts as long as the latest alert it cancels.
- targets: the values of the <geocode>s in the block's <area>s whose valueName is an
  official scheme (`CapRules.geocode_schemes`: MA_TINH, MA_HUYEN, MA_XA by default), matched
  against the official administrative unit codes of the area tree (`Area.code`); a value of
  any other scheme is ignored, and the country's root area is a target only for a sender
  the settings allow (`CapRules.country_senders`). Codes unknown here are left out (a
  national feed names provinces this server may not hold). A Cancel may name
  no area: it then reaches the areas of the alerts it cancels.
- and the stations whose location lies inside any <polygon> or <circle> of the block's
  <area>s (alerts/cap_stations.py), in the importer's scope: those beyond it are left out.
  With neither a known geocode nor a station inside a shape, the alert is refused naming
  both.
- the managing area (`area_id`): given by the caller, else the single target, else the
  lowest area containing every target and every target station's area (for a Cancel
  without areas: containing the cancelled alerts' managing areas).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pydantic import ValidationError
from sqlmodel import Session, col, select

from alerts import crud
from alerts.cap_models import PREFERRED_LANGUAGES, CapAlert, CapInfo, CapReference
from alerts.cap_stations import StationsInShapes, stations_in_shapes
from alerts.cap_text import plain_text
from alerts.models import (
    TARGETS_STATIONS,
    Alert,
    AlertCreate,
    AlertStatus,
    AlertType,
    CapOrigin,
    Certainty,
    Severity,
    Urgency,
)
from core.areas.models import Area
from core.config import Settings
from core.db import chunks
from core.errors import Conflict, Invalid

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CapRules:
    """What a CAP document may target and how it is read (settings: cap_*)."""

    # The <valueName>s whose values are this server's official administrative unit codes.
    geocode_schemes: tuple[str, ...] = ("MA_TINH", "MA_HUYEN", "MA_XA")
    # Senders (CAP <sender>) that may target the country's root area.
    country_senders: tuple[str, ...] = ()
    # The <info> block read: the first of these languages the document has, else its first.
    languages: tuple[str, ...] = PREFERRED_LANGUAGES
    # Hours an alert lasts without <expires>, by its first <category> (absent: refused).
    default_expiry_h: Mapping[str, float] = field(default_factory=dict)
    # The most stations an alert may reach and be issued at once, per sender, else for all.
    station_ceilings: Mapping[str, int] = field(default_factory=dict)
    station_ceiling: int | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> CapRules:
        return cls(
            geocode_schemes=settings.cap_geocode_schemes,
            country_senders=settings.cap_country_senders,
            languages=settings.cap_languages,
            default_expiry_h=settings.cap_default_expiry_h,
            station_ceilings=settings.cap_station_ceilings,
            station_ceiling=settings.cap_station_ceiling,
        )

    def ceiling_for(self, sender: str) -> int | None:
        return self.station_ceilings.get(sender, self.station_ceiling)


DEFAULT_RULES = CapRules()


@dataclass(frozen=True, kw_only=True)
class CapImport:
    """The alert a document asks for, and what the document adds to it."""

    alert_in: AlertCreate
    origin: CapOrigin


@dataclass(frozen=True, kw_only=True)
class CapNotice:
    """A Cancel (or a cancelling Update) of alerts this server never held: kept and
    acknowledged, acting on nothing (crud.record_notice)."""

    identifier: str
    status: AlertStatus
    headline: str
    area_id: int | None  # None: the caller's own area, if they have one
    origin: CapOrigin


STATUSES = {s.value: s for s in AlertStatus}
MSG_TYPES = {t.value: t for t in AlertType}
SENTENCE_ENDS = (".", "!", "?", "…")
# CAP sets no length; Loaxa's alert does (models.AlertCreate): a longer one is cut at a word.
EVENT_CHARS, HEADLINE_CHARS = 200, 300
# Where each AlertCreate field came from, so a value too long or out of range is reported
# under the name the CAP sender knows.
SOURCES = {
    "identifier": "alert/identifier",
    "references": "alert/references",
    "event": "alert/info/event",
    "headline": "alert/info/headline",
    "description": "alert/info/description",
    "text": "alert/info/headline, description and instruction (read by TTS)",
    "language": "alert/info/language",
    "target_area_ids": "alert/info/area/geocode",
    "starts": "alert/info/effective",
    "expires": "alert/info/expires",
}


def alert_from_cap(
    *,
    cap: CapAlert,
    session: Session,
    now: datetime,
    area_id: int | None = None,
    issue_now: bool = False,
    rules: CapRules = DEFAULT_RULES,
    scope: Sequence[str] | None = None,
) -> CapImport | CapNotice:
    """The alert `cap` describes, or the notice of a Cancel that acts on nothing held here;
    raises Invalid, naming the CAP element, when it cannot be broadcast as it stands.
    `scope`: the importer's area subtrees (paths); stations inside the document's shapes
    but outside them are left out (None: none is left out here, and creating the alert
    refuses any beyond the caller's scope)."""
    status = _status(cap)
    sent_type = _msg_type(cap)
    info = _info(cap, sent_type, rules.languages)
    references = _references(cap, sent_type)
    held = crud.held_references(session=session, references=references)
    # NOAA's last word on a tsunami is an Update already expired when sent: it cancels.
    cancelling = sent_type == AlertType.cancel or (
        sent_type == AlertType.update and info is not None and _ends_at_once(cap, info)
    )
    if not cancelling:
        _require_not_cancelled(session, cap)
    shapes = stations_in_shapes(session, info.areas if info else [], scope=scope)
    targets = _area_targets(session, cap, info, rules, shapes, required=not cancelling)
    origin = CapOrigin(
        sender=cap.sender,
        language=info.language if info else "und",
        cap_references=tuple(_as_sent(reference) for reference in cap.references),
        unheld_references=tuple(r for r in references if r not in held),
        expires_default=_default_category(info) if info and not cancelling else None,
        station_ceiling=rules.ceiling_for(cap.sender),
        target_station_ids=shapes.station_ids,
    )
    # The stations' areas count for the managing area as the areas targeted do.
    managed = [*targets, *shapes.area_ids]
    if cancelling and not held:
        headline = (_content(info) if info else _cancel_content(cap, references))["headline"]
        return CapNotice(
            identifier=cap.identifier,
            status=status,
            headline=str(headline),
            area_id=area_id or _managing_area(session, managed),
            origin=origin,
        )
    # An Update of alerts never held here is a new alert, its references kept in `origin`.
    msg_type = AlertType.cancel if cancelling else (sent_type if held else AlertType.alert)
    referenced = crud.referenced_alerts(session, held)
    fields = {
        "identifier": cap.identifier,
        "status": status,
        "msg_type": msg_type,
        "references": held,
        "area_id": area_id or _managing_area(session, managed or [a.area_id for a in referenced]),
        "target_area_ids": targets,
        "starts": info.effective if info else None,
        "expires": _expires(cap, info, cancelling, referenced, now, rules),
        "issue_now": issue_now,
        **(_content(info) if info else _cancel_content(cap, references)),
    }
    if cancelling:
        fields["text"] = None  # a Cancel stops sound; it makes none
    return CapImport(
        alert_in=_validated(fields, targets_stations=bool(shapes.station_ids)), origin=origin
    )


def _status(cap: CapAlert) -> AlertStatus:
    if cap.status not in STATUSES:
        raise Invalid(
            f"{cap.status} messages are not broadcast; Loaxa takes Actual, Exercise or Test",
            field="alert/status",
        )
    return STATUSES[cap.status]


def _msg_type(cap: CapAlert) -> AlertType:
    if cap.msg_type not in MSG_TYPES:
        raise Invalid(
            f"an {cap.msg_type} is a reply, not broadcast; Loaxa takes Alert, Update or Cancel",
            field="alert/msgType",
        )
    return MSG_TYPES[cap.msg_type]


def _info(cap: CapAlert, msg_type: AlertType, languages: tuple[str, ...]) -> CapInfo | None:
    try:
        return cap.info_for(languages)
    except LookupError:
        if msg_type == AlertType.cancel:
            return None  # CAP lets a Cancel say no more than what it cancels
        raise Invalid(
            f"an {msg_type.value} needs an <info> block: what to say, where and until when",
            field="alert/info",
        ) from None


def _references(cap: CapAlert, msg_type: AlertType) -> list[str]:
    """The alerts it acts on, as "sender,identifier": identifiers are unique per sender."""
    if msg_type != AlertType.alert and not cap.references:
        raise Invalid(
            f"an {msg_type.value} needs <references>: the alerts it acts on",
            field="alert/references",
        )
    return list(dict.fromkeys(f"{r.sender},{r.identifier}" for r in cap.references))


def _require_not_cancelled(session: Session, cap: CapAlert) -> None:
    cancel = crud.cancelled_before(session=session, sender=cap.sender, identifier=cap.identifier)
    if cancel is not None:
        raise Conflict(
            f"{cap.sender} cancelled {cap.identifier} already (alert {cancel.identifier}, "
            "received first): it is not broadcast"
        )


def _as_sent(reference: CapReference) -> str:
    return f"{reference.sender},{reference.identifier},{reference.sent.isoformat()}"


def _ends_at_once(cap: CapAlert, info: CapInfo) -> bool:
    return info.expires is not None and info.expires <= cap.sent


def _default_category(info: CapInfo) -> str | None:
    return info.categories[0] if info.expires is None else None


def _area_targets(
    session: Session,
    cap: CapAlert,
    info: CapInfo | None,
    rules: CapRules,
    shapes: StationsInShapes,
    *,
    required: bool,
) -> list[int]:
    """The areas the geocodes target. When they target none, the stations inside the
    document's shapes may stand alone; without those either, it is refused saying why
    neither targets anything."""
    try:
        return _targets(session, cap, info, rules, required=required)
    except Invalid as no_area:
        if shapes.station_ids:
            log.info("CAP import: no area targeted (%s); stations by their location only", no_area)
            return []
        raise _no_target(no_area, shapes) from None


def _no_target(no_area: Invalid, shapes: StationsInShapes) -> Invalid:
    if not shapes.shapes:
        why = "and no <area> has a <polygon> or <circle> holding a station's location"
        return Invalid(f"{no_area}; {why}", field=no_area.field)
    why = "and no station with a location lies inside its <polygon>s and <circle>s"
    if shapes.outside_scope:
        why = (
            f"and the {shapes.outside_scope} station(s) with a location inside its <polygon>s "
            "and <circle>s lie outside your roles' scope"
        )
    return Invalid(f"{no_area}; {why}", field="alert/info/area")


def _targets(
    session: Session, cap: CapAlert, info: CapInfo | None, rules: CapRules, *, required: bool
) -> list[int]:
    """The areas the block's geocodes name, under the official schemes only: a value of
    another scheme (an ISO country code, a weather service's cell) that happens to equal an
    area's code never targets it."""
    areas = info.areas if info else []
    schemes = set(rules.geocode_schemes)
    codes = list(
        dict.fromkeys(
            v for a in areas for name, vs in a.geocodes.items() if name in schemes for v in vs
        )
    )
    if not codes:
        if required:
            others = sorted({name for a in areas for name in a.geocodes})
            raise Invalid(
                "no <geocode> of an official scheme in any <area> "
                f"({', '.join(rules.geocode_schemes)}"
                + (f"; the document has {', '.join(others)}" if others else "")
                + "): Loaxa targets areas by their official administrative unit codes",
                field="alert/info/area/geocode",
            )
        return []
    known: dict[str, int] = {}
    country: list[str] = []
    for batch in chunks(codes):
        query = select(Area.code, Area.id, Area.level).where(col(Area.code).in_(batch))
        for code, area_id, level in session.exec(query).all():
            if not code or not area_id:
                continue
            if level == "country" and cap.sender not in rules.country_senders:
                country.append(code)  # the whole country: only from a sender allowed it
                continue
            known[code] = area_id
    unknown = [code for code in codes if code not in known and code not in country]
    if country and not known:
        raise Invalid(
            f"{', '.join(country)} is the whole country: sender {cap.sender!r} may not "
            "target it (settings: cap_country_senders)",
            field="alert/info/area/geocode",
        )
    if not known:
        raise Invalid(
            f"no area here has the code {', '.join(unknown)}: the geocodes must be official "
            "administrative unit codes of areas on this server",
            field="alert/info/area/geocode",
        )
    if country:
        log.info("CAP import: country-wide geocodes left out (sender %s): %s", cap.sender, country)
    if unknown:
        log.info("CAP import: geocodes not on this server left out: %s", ", ".join(unknown))
    return sorted(set(known.values()))


def _managing_area(session: Session, area_ids: list[int]) -> int | None:
    """The lowest area whose subtree holds every one of `area_ids` (None if there are none;
    AlertCreate then says an area is needed)."""
    if len(set(area_ids)) <= 1:
        return area_ids[0] if area_ids else None
    paths = session.exec(select(Area.path).where(col(Area.id).in_(area_ids))).all()
    # Paths are "/1/5/23/": the common ancestors are the leading ids all of them share.
    common: list[str] = []
    for ids in zip(*(path.strip("/").split("/") for path in paths), strict=False):
        if len(set(ids)) > 1:
            break
        common.append(ids[0])
    return int(common[-1]) if common else None


def _expires(
    cap: CapAlert,
    info: CapInfo | None,
    cancelling: bool,
    referenced: list[Alert],
    now: datetime,
    rules: CapRules,
) -> datetime | None:
    expires = info.expires if info else None
    if cancelling:  # kept as long as the latest alert it ends would have lasted
        latest = max((a.expires for a in referenced), default=now)
        return expires if expires is not None and expires > now else latest
    assert info is not None  # only a Cancel may come without one
    if expires is None:
        category = info.categories[0]
        hours = rules.default_expiry_h.get(category)
        if hours is None:
            raise Invalid(
                f"<expires> is required for a {category} alert here: this server sets no "
                "default duration for that category (settings: cap_default_expiry_h)",
                field="alert/info/expires",
            )
        expires = (info.effective or cap.sent) + timedelta(hours=hours)
    if expires <= now:
        raise Invalid(
            f"the alert expired at {expires.isoformat()}: an expired alert is never broadcast",
            field="alert/info/expires",
        )
    return expires


def _content(info: CapInfo) -> dict[str, object]:
    headline = plain_text(info.headline or info.event)
    description, instruction = plain_text(info.description), plain_text(info.instruction)
    paragraphs = [p for p in (description, instruction) if p]
    return {
        # Shown cut at a word (AirNow sends its forecast as the event); read out whole.
        "event": _clipped(" ".join(info.event.split()), EVENT_CHARS),
        "headline": _clipped(" ".join((headline or "").split()), HEADLINE_CHARS),
        "description": "\n\n".join(paragraphs),
        "urgency": Urgency(info.urgency),
        "severity": Severity(info.severity),
        "certainty": Certainty(info.certainty),
        "text": _sentences(headline, *_lines(description), *_lines(instruction)),
        # Voices are chosen by the primary language subtag: "vi-VN" is read as "vi".
        "language": info.language.split("-")[0].lower(),
    }


def _cancel_content(cap: CapAlert, references: list[str]) -> dict[str, object]:
    headline = cap.note or f"Cancel {', '.join(references)}"
    return {"headline": _clipped(" ".join(headline.split()), HEADLINE_CHARS)}


def _clipped(text: str, limit: int) -> str:
    """`text` at most `limit` characters, cut at the last space before it, with "…"."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip(" ,;:") + "…"


def _lines(text: str | None) -> list[str]:
    """A block's lines (the sender's breaks), each to be a sentence of its own."""
    return text.splitlines() if text else []


def _sentences(*parts: str | None) -> str:
    """Each part as one sentence (whitespace folded, a full stop added where none ends it),
    so TTS pauses between them instead of running the headline into the description."""
    sentences = (" ".join(part.split()) for part in parts if part and part.strip())
    return " ".join(s if s.endswith(SENTENCE_ENDS) else f"{s}." for s in sentences)


def _validated(fields: dict[str, object], *, targets_stations: bool) -> AlertCreate:
    try:
        return AlertCreate.model_validate(fields, context={TARGETS_STATIONS: targets_stations})
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = error.get("loc", ())
        source = SOURCES.get(str(loc[0]), "alert") if loc else "alert/info"
        message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
        raise Invalid(message, field=source) from exc
