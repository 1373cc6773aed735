"""The session and queue forms as typed: raw strings in, the API's models out (SessionIn,
SessionUpdate, QueueIn), or the problems beside the fields they concern. A form that fails
keeps what was typed: the page renders these same fields back."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel, Field, ValidationError

from playlists.builder.recurrence import Recurrence, Repeat
from playlists.sessions.models import QueueIn, SessionIn, SessionPublic, SessionUpdate
from web.i18n import gettext as _
from web.problems import GENERAL, FormProblems, problems_of, translate_refusal

MAX_MINUTES = 24 * 60
RECURRENCE_FIELDS = ("start_date", "end_date", "weekdays", "day_of_month", "exceptions")
Short = Field(default="", max_length=200)
M = TypeVar("M", bound=BaseModel)


class SessionFields(BaseModel):
    """The session form, as typed. `enabled` is a checkbox: absent when unticked."""

    name: str = Short
    area_id: str = Short
    start: str = Short
    length_min: str = Short
    repeat: str = Field(default=Repeat.weekdays.value, max_length=20)
    weekdays: list[str] = Field(default_factory=list, max_length=7)
    day_of_month: str = Short
    start_date: str = Short
    end_date: str = Short
    exceptions: str = Field(default="", max_length=4000)
    target_area_ids: list[str] = Field(default_factory=list, max_length=200)
    target_group_ids: list[str] = Field(default_factory=list, max_length=200)
    volume: str = Short
    enabled: str = Field(default="", max_length=10)
    after_cut: str = Field(default="resume", max_length=10)


class QueueFields(BaseModel):
    """The form that queues approved content into a session."""

    content_id: str = Short
    timing: str = Field(default="soft", max_length=10)  # soft | hard | relay
    at: str = Short
    relay_length_min: str = Short
    when: str = Field(default="always", max_length=10)  # always | date
    on_date: str = Short


def new_session_fields(area_id: int | None, volume: int = 80) -> SessionFields:
    return SessionFields(
        area_id=str(area_id or ""), volume=str(volume), enabled="1", length_min="15"
    )


def fields_of(found: SessionPublic) -> SessionFields:
    """A stored session as its form shows it."""
    rec = found.recurrence
    return SessionFields(
        name=found.name,
        area_id=str(found.area_id),
        start=f"{found.start:%H:%M}",
        length_min=f"{found.max_length_s / 60:g}",  # not whole minutes: asked again
        repeat=rec.repeat.value,
        weekdays=[str(d) for d in sorted(rec.weekdays)],
        day_of_month=str(rec.day_of_month or ""),
        start_date=rec.start_date.isoformat() if rec.start_date else "",
        end_date=rec.end_date.isoformat() if rec.end_date else "",
        exceptions=", ".join(f"{d:%d/%m/%Y}" for d in sorted(rec.exceptions)),
        target_area_ids=[str(i) for i in found.target_area_ids],
        target_group_ids=[str(i) for i in found.target_group_ids],
        volume=str(found.volume),
        enabled="1" if found.enabled else "",
        after_cut=found.after_cut.value,
    )


_CLOCK = re.compile(r"^(\d{1,2})\s*[:hH.]\s*(\d{2})?$")
_DAY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def local_time(typed: str) -> str:
    """ "5:30", "5h30", "05.30" and "17h" as HH:MM; anything else as typed, for the model
    to refuse with its own message."""
    found = _CLOCK.match(typed.strip())
    if not found:
        return typed.strip()
    return f"{int(found.group(1)):02d}:{found.group(2) or '00'}"


def _day(typed: str) -> str:
    found = _DAY.match(typed)
    if not found:
        return typed
    day, month, year = (int(g) for g in found.groups())
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return typed


def _present(data: Mapping[str, Any]) -> dict[str, Any]:
    """Empty fields left out: the model then says what is required."""
    return {k: v for k, v in data.items() if v not in ("", None)}


def _minutes(typed: str) -> int | str:
    text = typed.strip()
    return int(text) * 60 if text.isdigit() else text


def _recurrence_data(f: SessionFields) -> dict[str, Any]:
    repeat = f.repeat
    return _present(
        {
            "repeat": repeat,
            "start_date": f.start_date,
            "end_date": f.end_date,
            "weekdays": list(f.weekdays) if repeat == Repeat.weekdays.value else None,
            "day_of_month": f.day_of_month if repeat == Repeat.monthly.value else None,
            "exceptions": [_day(d) for d in re.split(r"[,;\s]+", f.exceptions) if d] or None,
        }
    )


def _first_named(message: str, names: tuple[str, ...], default: str) -> str:
    """The field a model-wide message is about: the first of `names` it mentions."""
    at = {name: message.find(name.rstrip("s")) for name in names}
    mentioned = [(i, n) for n, i in at.items() if i >= 0]
    return min(mentioned)[1] if mentioned else default


def _problems(
    exc: ValidationError, renamed: Mapping[str, str], locate: Callable[[str], str]
) -> FormProblems:
    """problems_of, with the models' own checks (value errors) translated and put beside
    the field they are about, and a length in minutes told in minutes."""
    found = problems_of(exc, fields=renamed)
    first: dict[str, Any] = {}
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        first.setdefault(renamed.get(loc[0], loc[0]) if loc else GENERAL, error)
    for key, error in first.items():
        if error["type"] == "value_error":
            message = str(error["ctx"]["error"])
            del found.fields[key]
            found.add(locate(message) if key == GENERAL else key, translate_refusal(message))
        elif key == "length_min" and error["type"] == "less_than_equal":
            found.fields[key] = _("Enter %(le)s or less.") % {"le": MAX_MINUTES}
    return found


SESSION_FIELDS = {
    "max_length_s": "length_min",
    "target_area_ids": "targets",
    "target_group_ids": "targets",
    "recurrence": "repeat",
}


def _session_data(f: SessionFields) -> tuple[dict[str, Any], FormProblems]:
    problems = FormProblems()
    try:
        recurrence = Recurrence.model_validate(_recurrence_data(f))
    except ValidationError as exc:
        problems = _problems(exc, {}, lambda m: _first_named(m, RECURRENCE_FIELDS, "repeat"))
        recurrence = Recurrence(repeat=Repeat.daily)  # a stand-in: its problems are known
    data = {
        "name": f.name.strip(),
        "start": local_time(f.start),
        "max_length_s": _minutes(f.length_min),
        "recurrence": recurrence,
        "target_area_ids": f.target_area_ids,
        "target_group_ids": f.target_group_ids,
        "volume": f.volume.strip(),
        "enabled": f.enabled == "1",
        "after_cut": f.after_cut,
    }
    return data, problems


def _checked(model: type[M], data: dict[str, Any], problems: FormProblems) -> M | FormProblems:
    try:
        built = model.model_validate(_present(data))
    except ValidationError as exc:
        more = _problems(exc, SESSION_FIELDS, lambda m: "targets")
        for name, message in more.fields.items():
            problems.add(name, message)
    return problems if problems else built


def session_in(f: SessionFields) -> SessionIn | FormProblems:
    data, problems = _session_data(f)
    data["area_id"] = f.area_id
    return _checked(SessionIn, data, problems)


def session_update(f: SessionFields) -> SessionUpdate | FormProblems:
    # Every field is sent: none ticked is "no targets", which the data function refuses.
    data, problems = _session_data(f)
    return _checked(SessionUpdate, data, problems)


QUEUE_FIELDS = {
    "relay_length_s": "relay_length_min",
    "recurrence": "on_date",
    "session_id": GENERAL,
}


def queue_in(f: QueueFields, *, session_id: int, order: int) -> QueueIn | FormProblems:
    fixed = f.timing in ("hard", "relay")
    when = (
        {"repeat": Repeat.once.value, "start_date": f.on_date or None}
        if f.when == "date"
        else {"repeat": Repeat.daily.value}
    )
    data = {
        "content_id": f.content_id or None,
        "session_id": session_id,
        "recurrence": when,
        "at": local_time(f.at) if fixed else None,
        "relay_length_s": _minutes(f.relay_length_min) if f.timing == "relay" else None,
        "order": order,
    }
    if f.timing == "relay" and not f.relay_length_min.strip():
        data["relay_length_s"] = ""  # a relay needs its length: the model says so
    try:
        return QueueIn.model_validate({k: v for k, v in data.items() if v is not None})
    except ValidationError as exc:
        return _problems(exc, QUEUE_FIELDS, lambda m: "at")
