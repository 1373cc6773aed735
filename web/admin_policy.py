"""An area's broadcast rules (Quản trị › Địa bàn › Quy định phát): its own quiet hours,
longest session, sessions a day, days and dates off and default volume, each field with
the value it would inherit shown beside it and the area that value comes from. A field
left empty inherits. The API's data functions (playlists/sessions/policy.py) and check
(policy.write in the area)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field, ValidationError
from sqlmodel import Session

from core.areas.crud import get_area
from core.areas.models import Area
from core.auth.permissions import Action
from core.deps import SessionDep
from core.models import PathId
from playlists.sessions import policy
from playlists.sessions.models import PolicyIn
from web.admin_common import access, area_in_scope, crumbs
from web.context import CsrfPageDep, PageDep, PageView
from web.i18n import gettext as _
from web.problems import REFUSALS, FormProblems, problems_of, status_of
from web.sessions_view import weekday_names

router = APIRouter(include_in_schema=False)
FIELDS = (
    "quiet_hours",
    "max_session_length_s",
    "max_sessions_per_day",
    "days_off",
    "dates_off",
    "default_volume",
)
# The form's names where they differ from PolicyIn's.
FORM_NAMES = {"max_session_length_s": "max_session_minutes"}
Short = Field(default="", max_length=400)


class PolicyFields(BaseModel):
    """The form, as typed. Empty inherits; days off inherit unless `days_off_own`."""

    quiet_hours: str = Short
    max_session_minutes: str = Field(default="", max_length=10)
    max_sessions_per_day: str = Field(default="", max_length=10)
    days_off_own: str = Field(default="", max_length=1)
    days_off: list[str] = Field(default_factory=list, max_length=7)
    dates_off: str = Field(default="", max_length=4000)
    default_volume: str = Field(default="", max_length=10)


def _hhmm(moment: Any) -> str:
    return str(moment.strftime("%H:%M"))


def fields_of(own: PolicyIn) -> PolicyFields:
    return PolicyFields(
        quiet_hours=", ".join(f"{_hhmm(q.start)}–{_hhmm(q.end)}" for q in own.quiet_hours or []),
        max_session_minutes=str(own.max_session_length_s // 60) if own.max_session_length_s else "",
        max_sessions_per_day=_text(own.max_sessions_per_day),
        days_off_own="1" if own.days_off is not None else "",
        days_off=[str(d) for d in own.days_off or []],
        dates_off=", ".join(d.strftime("%d/%m/%Y") for d in own.dates_off or []),
        default_volume=_text(own.default_volume),
    )


def _text(value: int | None) -> str:
    return "" if value is None else str(value)


def _shown(name: str, value: Any, locale: str) -> str:
    """A policy value as the page says it."""
    if value is None:
        return _("no limit") if name.startswith("max_") else _("none")
    if name == "quiet_hours":
        return ", ".join(f"{_hhmm(q.start)}–{_hhmm(q.end)}" for q in value) or _("none")
    if name == "max_session_length_s":
        return _("%(minutes)d min") % {"minutes": value // 60}
    if name == "days_off":
        names = weekday_names(locale)
        return ", ".join(names[d] for d in value) or _("none")
    if name == "dates_off":
        return ", ".join(d.strftime("%d/%m/%Y") for d in value) or _("none")
    if name == "default_volume":
        return f"{value}%"
    return str(value)


def inherited_here(session: Session, area: Area, locale: str) -> dict[str, dict[str, str]]:
    """For each field: what the area gets when it sets nothing itself, and from where
    (the nearest area above that sets it, else the division type's default)."""
    ids = policy.path_ids(area.path)
    above = [get_area(session=session, area_id=i) for i in ids[:-1]]
    owns = {a.id: policy.own_policy(session=session, area_id=a.id or 0) for a in above}
    divisions = {a.id: a.division_type for a in [*above, area] if a.id is not None}
    value = policy.inherited(ids, divisions, {i: p for i, p in owns.items() if i is not None})
    division = next(
        (divisions[i] for i in reversed(ids) if divisions.get(i) in policy.DIVISION_DEFAULTS), None
    )
    found: dict[str, dict[str, str]] = {}
    for name in FIELDS:
        setter = next((a for a in reversed(above) if getattr(owns[a.id], name) is not None), None)
        given = getattr(value, name)
        if setter is not None:
            source = setter.name
        elif given is not None and division is not None:
            source = _("the default for a %(division)s") % {"division": division}
        else:
            source = ""  # nothing above sets it: the page says so
        found[name] = {"value": _shown(name, given, locale), "source": source}
    return found


_TIME = re.compile(r"^\s*(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})\s*$")


def policy_in(fields: PolicyFields, problems: FormProblems) -> dict[str, Any]:
    """The form as PolicyIn's data; what cannot even be read is added to `problems`."""
    data: dict[str, Any] = {}
    if fields.quiet_hours.strip():
        spans = []
        for part in fields.quiet_hours.split(","):
            found = _TIME.match(part)
            if found is None:
                problems.add("quiet_hours", _("Write each as HH:MM–HH:MM, e.g. 22:00–05:00."))
                break
            spans.append({"start": found[1].zfill(5), "end": found[2].zfill(5)})
        data["quiet_hours"] = spans
    minutes = fields.max_session_minutes.strip()
    if minutes:
        data["max_session_length_s"] = int(minutes) * 60 if minutes.isdigit() else minutes
    for name in ("max_sessions_per_day", "default_volume"):
        if getattr(fields, name).strip():
            data[name] = getattr(fields, name).strip()
    if fields.days_off_own:
        data["days_off"] = fields.days_off
    if fields.dates_off.strip():
        days = []
        for part in fields.dates_off.split(","):
            try:
                days.append(datetime.strptime(part.strip(), "%d/%m/%Y").date())
            except ValueError:
                problems.add("dates_off", _("Write each date as DD/MM/YYYY, separated by commas."))
                break
        data["dates_off"] = sorted(set(days))
    return data


def _page(
    session: Session,
    view: PageView,
    area: Area,
    fields: PolicyFields,
    problems: FormProblems | None = None,
    *,
    saved: bool = False,
    status_code: int = 200,
) -> Response:
    context = {
        "area": area,
        "crumbs": crumbs(session, view.user.principal, Action.area_write, area),
        "fields": fields,
        "problems": problems or FormProblems(),
        "inherited": inherited_here(session, area, view.locale),
        "in_force": policy.effective_policy(session=session, area=area),
        "weekdays": list(enumerate(weekday_names(view.locale))),
        "weekday_names": weekday_names(view.locale),
        "saved": saved,
        "today": date.today(),
    }
    return view.render("admin/policy.html", context, status_code=status_code)


@router.get("/admin/areas/{area_id}/policy")
def policy_page(session: SessionDep, view: PageDep, area_id: PathId, saved: str = "") -> Response:
    area = area_in_scope(session, access(session, view, Action.policy_write), area_id)
    own = policy.own_policy(session=session, area_id=area_id)
    return _page(session, view, area, fields_of(own), saved=saved == "1")


@router.post("/admin/areas/{area_id}/policy")
def save_policy(
    session: SessionDep,
    view: CsrfPageDep,
    area_id: PathId,
    fields: Annotated[PolicyFields, Form()],
) -> Response:
    control = access(session, view, Action.policy_write)
    area = area_in_scope(session, control, area_id)
    problems = FormProblems()
    data = policy_in(fields, problems)
    try:
        built = PolicyIn.model_validate(data)
    except ValidationError as exc:
        for name, message in problems_of(exc, fields=FORM_NAMES).fields.items():
            problems.add(name, message)
        return _page(session, view, area, fields, problems, status_code=422)
    if problems:
        return _page(session, view, area, fields, problems, status_code=422)
    try:
        policy.set_policy(
            session=session, area_id=area_id, policy_in=built, actor=control.actor, now=view.now
        )
        session.commit()
    except REFUSALS as exc:
        session.rollback()
        return _page(session, view, area, fields, problems_of(exc), status_code=status_of(exc))
    return RedirectResponse(f"/admin/areas/{area_id}/policy?saved=1", status_code=303)
