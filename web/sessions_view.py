"""The session form page (new or existing, with its queue), rendered from what the
routes hand over: the fields as typed, their problems, and what sessions_data reads."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi.responses import HTMLResponse
from sqlmodel import Session

from core.areas.crud import get_area
from core.auth.deps import AccessControl
from core.auth.permissions import Action
from core.errors import Conflict, Forbidden, NotFound
from playlists.builder.recurrence import Repeat
from playlists.sessions.models import SessionPublic
from web import sessions_data
from web.context import PageView
from web.formatting import WEEKDAYS_EN, WEEKDAYS_VI
from web.i18n import gettext as _
from web.problems import FormProblems, translate_refusal
from web.sessions_forms import QueueFields, SessionFields


def refused(view: PageView, exc: Exception) -> HTMLResponse:
    """A page that cannot be shown at all: the refusal in the page's language."""
    status = 404 if isinstance(exc, NotFound) else 409 if isinstance(exc, Conflict) else 403
    message = translate_refusal(str(exc))
    return view.render("refused.html", {"message": message}, status_code=status)


def status_of(exc: Exception) -> int:
    """The status a page answers a refused form with, as the API would."""
    if isinstance(exc, Forbidden):
        return 403
    if isinstance(exc, Conflict):
        return 409
    return 404 if isinstance(exc, NotFound) else 422


def page_access(view: PageView, session: Session, action: Action) -> AccessControl:
    """The caller's access for an action, as the API's Permission gives it (or Forbidden)."""
    return view.access(session, action)


def writer(view: PageView, session: Session) -> AccessControl | None:
    """The caller's access to change schedules, or None when no role of theirs allows it."""
    try:
        return page_access(view, session, Action.schedule_write)
    except Forbidden:
        return None


@dataclass
class QueueForm:
    fields: QueueFields = field(default_factory=QueueFields)
    problems: FormProblems = field(default_factory=FormProblems)
    q: str = ""


def weekday_names(locale: str) -> tuple[str, ...]:
    return WEEKDAYS_VI if locale == "vi" else WEEKDAYS_EN


def repeat_options() -> list[tuple[str, str]]:
    return [
        (Repeat.weekdays.value, _("On the weekdays ticked below")),
        (Repeat.daily.value, _("Every day")),
        (Repeat.once.value, _("Once, on the first day below")),
        (Repeat.monthly.value, _("Once a month, on the day below")),
        (Repeat.date_range.value, _("Every day from the first to the last day below")),
    ]


def _area_id(fields: SessionFields) -> int | None:
    return int(fields.area_id) if fields.area_id.isdigit() else None


def session_page(
    view: PageView,
    session: Session,
    *,
    fields: SessionFields,
    problems: FormProblems | None = None,
    found: SessionPublic | None = None,
    queue_form: QueueForm | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The form of a new session (`found` None) or of an existing one with its queue."""
    access = writer(view, session)
    choices = (
        sessions_data.choices_for(session=session, access=access)
        if access
        else sessions_data.Choices()
    )
    area_id = found.area_id if found else _area_id(fields)
    context: dict[str, object] = {
        "fields": fields,
        "problems": problems or FormProblems(),
        "found": found,
        "can_write": access is not None,
        "choices": choices,
        "area_options": [
            (t.area.id, "\u00a0\u00a0" * t.depth + t.area.name) for t in choices.areas
        ],
        "policy": sessions_data.policy_in_force(session=session, area_id=area_id),
        "weekday_names": weekday_names(view.locale),
        "repeat_options": repeat_options(),
        "area": get_area(session=session, area_id=found.area_id) if found else None,
    }
    if found is not None:
        read = page_access(view, session, Action.schedule_read)
        queue_form = queue_form or QueueForm()
        picker, picker_total = (
            sessions_data.queueable(session=session, access=access, q=queue_form.q)
            if access
            else ([], 0)
        )
        context |= {
            "queue": sessions_data.queue_of(session=session, access=read, session_id=found.id),
            "queue_form": queue_form,
            "picker": picker,
            "picker_total": picker_total,
        }
    return view.render("sessions/form.html", context, status_code=status_code)
