"""A day's playlist laid out for the preview pages: each session's window with its entries, the
builder's warnings beside the session they concern, in the page's language."""

from __future__ import annotations

import re
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from core.errors import NotFound
from playlists.content.crud import get_item
from playlists.sessions.crud import get_broadcast_session
from playlists.sessions.queue import get_entry
from playlists.timelines.models import (
    PlaylistItemPublic,
    PlaylistPublic,
    PlaylistWarningPublic,
)
from stations.models import Station
from web.i18n import gettext as _
from web.problems import N_

TIERS = {
    "emergency": N_("emergency"),
    "priority": N_("priority"),
    "normal": N_("normal"),
}
TIMINGS = {
    "soft": N_("follows on"),
    "hard": N_("fixed time"),
    "relay": N_("relay"),
}


# What the builder says (playlists/builder/day.py), by its code, in the page's language;
# the values the English message carries are kept.
@dataclass(frozen=True)
class _Said:
    pattern: re.Pattern[str]
    shown: str


def _said(pattern: str, shown: str) -> _Said:
    return _Said(re.compile(pattern), shown)


_WARNINGS: dict[str, tuple[_Said, ...]] = {
    "day_off": (
        _said(r"^no sessions on ", N_("A day off by the area's policy: no session plays.")),
        _said(
            r"^nothing but emergencies on ",
            N_("A day off by the area's policy: only emergency bulletins play."),
        ),
    ),
    "too_many_sessions": (
        _said(
            r"^policy allows (?P<count>\d+) session",
            N_("The policy allows %(count)s session(s) a day: this one does not play."),
        ),
    ),
    "session_capped": (
        _said(
            r"^cut to the policy's (?P<minutes>\d+) minutes",
            N_("Cut to %(minutes)s minutes, the longest session the policy allows."),
        ),
    ),
    "session_overlap": (
        _said(r"", N_("It overlaps the session before it: it starts when that one ends.")),
    ),
    "session_in_quiet_hours": (_said(r"", N_("It starts in quiet hours: it does not play.")),),
    "session_cut_by_quiet_hours": (_said(r"", N_("It ends early, where quiet hours begin.")),),
    "content_unavailable": (_said(r"", N_("The content is not approved, or no longer exists.")),),
    "no_length": (_said(r"", N_("A relay needs a fixed start time and a length.")),),
    "outside_validity": (
        _said(r"", N_("The content is not valid at that time: check its valid dates.")),
    ),
    "session_disabled": (
        _said(r"", N_("Its broadcast session is switched off: it stays off the air.")),
    ),
    "in_quiet_hours": (
        _said(r"", N_("Its fixed time falls in quiet hours: only emergencies play then.")),
    ),
    "clash": (
        _said(
            r"#(?P<queue_id>\d+)",
            N_("Its fixed time overlaps another fixed-time item placed before it."),
        ),
    ),
    "does_not_fit": (
        _said(
            r"^(?P<seconds>\d+) s does not fit",
            N_("Does not fit: it lasts %(length)s, more than what is left of the session."),
        ),
    ),
    "no_room_to_replay": (
        _said(
            r"^no room to replay: (?P<left>\d+) s left after its last item, "
            r"(?P<seconds>\d+) s needed",
            N_(
                "A bulletin cut by an alert is replayed at the end of this session, but only "
                "%(left)s s are left there, less than its longest bulletin (%(length)s)."
            ),
        ),
    ),
    "session_not_on_air": (
        _said(r"not on air that day", N_("Its broadcast session does not play that day.")),
        _said(r"does not apply", N_("Its broadcast session does not reach this station.")),
    ),
}


def length(seconds: float) -> str:
    """A length as the page shows it: 1:30, or 1:02:05 from an hour."""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@dataclass(frozen=True)
class Problem:
    """A builder's warning with the names it refers to."""

    warning: PlaylistWarningPublic
    title: str | None  # the content's title, when the warning is about a queued item

    def text(self) -> str:
        """In the page's language (call while rendering)."""
        for said in _WARNINGS.get(self.warning.code, ()):
            found = said.pattern.search(self.warning.message)
            if found is None:
                continue
            values = found.groupdict()
            if "seconds" in values:
                values["length"] = length(int(values["seconds"]))
            return _(said.shown) % values if "%(" in said.shown else _(said.shown)
        return _("The playlist builder says: %(detail)s") % {"detail": self.warning.message}


@dataclass
class Block:
    """A stretch of the day: a session's window with its items and the warnings about it,
    a fixed-time item outside every session, or (start None) a session that is not on the
    air that day, with why."""

    session_id: int | None
    name: str | None
    start: datetime | None
    end: datetime | None
    volume: int | None
    items: list[PlaylistItemPublic] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass
class DayPlan:
    """One distinct timeline of the day, laid out: what plays, then what does not."""

    playlist: PlaylistPublic
    on_air: list[Block]
    off_air: list[Block]
    stations: list[Station] = field(default_factory=list)
    recorded: bool = True  # False: a past day with no plan of record

    @property
    def empty(self) -> bool:
        return not self.on_air and not self.off_air

    @property
    def problem_count(self) -> int:
        return sum(len(b.problems) for b in (*self.on_air, *self.off_air))


def _names(session: Session, playlist: PlaylistPublic) -> tuple[dict[int, str], dict[int, int]]:
    """The titles of the content the warnings name, and the session each warned queue
    entry was queued in (a fixed-time entry's warning names none)."""
    titles: dict[int, str] = {}
    owners: dict[int, int] = {}
    for warning in playlist.warnings:
        if warning.content_id is not None and warning.content_id not in titles:
            with suppress(NotFound):  # deleted since: the warning keeps its id
                titles[warning.content_id] = get_item(
                    session=session, item_id=warning.content_id
                ).title
        if warning.session_id is None and warning.queue_id is not None:
            with suppress(NotFound):
                owners[warning.queue_id] = get_entry(
                    session=session, entry_id=warning.queue_id
                ).session_id
    return titles, owners


def _session_name(session: Session, session_id: int) -> str | None:
    try:
        return get_broadcast_session(session=session, session_id=session_id).name
    except NotFound:
        return None


def lay_out(session: Session, playlist: PlaylistPublic) -> DayPlan:
    """The day in the order it plays: each session's window with its items and its
    warnings, fixed-time items outside sessions at their time; then the sessions that do
    not play, with why, and what belongs to no session."""
    titles, owners = _names(session, playlist)
    windows = {
        w.session_id: Block(w.session_id, w.name, w.start_utc, w.end_utc, w.volume)
        for w in playlist.sessions
    }
    on_air = list(windows.values())
    for item in playlist.items:
        block = windows.get(item.session_id) if item.session_id is not None else None
        if block is None:
            block = Block(None, None, item.start_utc, item.end_utc, item.volume)
            on_air.append(block)
        block.items.append(item)
    off: dict[int | None, Block] = {}
    for warning in playlist.warnings:
        problem = Problem(warning, titles.get(warning.content_id or 0))
        session_id = warning.session_id
        if session_id is None and warning.queue_id is not None:
            session_id = owners.get(warning.queue_id)
        if session_id in windows:
            windows[session_id].problems.append(problem)
            continue
        if session_id not in off:
            name = _session_name(session, session_id) if session_id is not None else None
            off[session_id] = Block(session_id, name, None, None, None)
        off[session_id].problems.append(problem)
    on_air.sort(key=lambda b: (b.start.timestamp() if b.start else 0.0, b.session_id is None))
    off_air = sorted(off.values(), key=lambda b: (b.session_id is None, b.name or ""))
    return DayPlan(playlist, on_air, off_air)
