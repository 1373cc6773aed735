"""Uploading an audio file from a page: the form, then the job the server makes of it.

With JavaScript (static/upload.js) the page sends the file itself, showing how much has
gone, then follows the server's steps in place. Without it the form posts here, and the
job's page refreshes itself until the item is made. A refused file comes back as the form
again, with what was typed and the reason beside the file field.
"""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlmodel import Session

from core.auth.permissions import Action
from core.config import Settings
from core.deps import SessionDep, SettingsDep
from core.models import PathId
from playlists.content.jobs import IngestJob, JobState, JobStep
from playlists.content.models import ContentMeta
from playlists.content.uploads import UploadJobsDep, read_job
from web.content_forms import LOCAL_MINUTE, MetaForm, MetaFormDep
from web.content_new import form_page
from web.content_pages import access
from web.context import CsrfPageDep, PageDep, PageView
from web.i18n import gettext as _
from web.problems import N_, REFUSALS, FormProblems, problems_of, status_of, translate_refusal

router = APIRouter(include_in_schema=False)
FORM_PATH = "/content/new/upload"
# The page's form takes files as large as the API's uploads (api.py's body limits).
UPLOAD_PAGE_PATHS = (FORM_PATH,)
MIB = 1024 * 1024
REFRESH_S = 2  # the job's page without JavaScript reloads itself this often
STEPS = (
    (JobStep.probe, N_("Reading the file")),
    (JobStep.loudness, N_("Measuring the loudness")),
    (JobStep.encoding, N_("Normalising the loudness and encoding")),
    (JobStep.done, N_("Saved in the content library")),
)


def _wants_json(request: Request) -> bool:
    """The page's own script, which shows the answer in place."""
    return request.headers.get("accept", "").startswith("application/json")


def _form(
    session: Session,
    view: PageView,
    settings: Settings,
    values: dict[str, str],
    problems: FormProblems | None = None,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    """The form with the limits it states (the fields every new item has, as the other new
    content pages show them)."""
    limits = {
        "max_bytes": settings.upload_max_bytes,
        "max_mb": settings.upload_max_bytes // MIB,
        "max_minutes": round(settings.max_audio_duration_s / 60),
    }
    template = "upload/form.html"
    return form_page(session, view, template, values, problems, status_code, **limits, **extra)


@router.get(FORM_PATH)
def upload_form(session: SessionDep, view: PageDep, settings: SettingsDep) -> Response:
    return _form(session, view, settings, MetaForm().values())


@router.post(FORM_PATH)
def upload_submit(
    request: Request,
    session: SessionDep,
    view: CsrfPageDep,
    settings: SettingsDep,
    uploads: UploadJobsDep,
    meta: MetaFormDep,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    writer = access(session, view, Action.content_write)
    problems = FormProblems()
    if file is None or not file.filename:
        problems.add("file", _("Choose an audio file."))
    data = meta.model_data(view.zone, problems)
    try:
        meta_in = ContentMeta.model_validate(data)
        if problems or file is None:
            raise _Unfinished()
        job = uploads.begin(
            session=session,
            access=writer,
            meta=meta_in,
            stream=file.file,
            filename=(file.filename or "")[:255] or None,
        )
    except (*REFUSALS, _Unfinished) as exc:
        session.rollback()
        status_code = 422
        if not isinstance(exc, _Unfinished):
            for name, message in problems_of(exc).fields.items():
                problems.add(name, message)
            status_code = status_of(exc)
        if _wants_json(request):
            return JSONResponse({"problems": problems.fields}, status_code=status_code)
        return _form(session, view, settings, meta.values(), problems, status_code)
    url = f"/content/uploads/{job.id}"
    if _wants_json(request):
        return JSONResponse({"job_id": job.id, "url": url}, status_code=202)
    return RedirectResponse(url, status_code=303)


class _Unfinished(Exception):
    """The form has problems of its own (no file, an unreadable date)."""


@router.get("/content/uploads/{job_id}")
def upload_status(
    session: SessionDep,
    view: PageDep,
    settings: SettingsDep,
    uploads: UploadJobsDep,
    job_id: PathId,
) -> Response:
    reader = access(session, view, Action.content_read)
    job = read_job(session=session, access=reader, uploads=uploads, job_id=job_id)
    context = _job_context(job)
    if view.is_fragment:
        return view.render("upload/_job.html", context, headers={"Cache-Control": "no-store"})
    if job.state == JobState.failed:
        # The form again, as it was typed, with the reason beside the file field.
        problems = FormProblems()
        problems.add("file", context["message"])
        values = _values_of(job.meta, view.zone)
        return _form(session, view, settings, values, problems, 422, **context)
    unfinished = job.state in (JobState.queued, JobState.running)
    headers = {"Refresh": str(REFRESH_S)} if unfinished else {}
    return view.render("upload/job.html", context, headers={**headers, "Cache-Control": "no-store"})


def _job_context(job: IngestJob) -> dict[str, Any]:
    order = [step for step, _label in STEPS]
    reached = order.index(job.step)
    steps = []
    for index, (step, label) in enumerate(STEPS):
        if job.state == JobState.done or index < reached:
            state = "done"
        elif index > reached or job.state == JobState.queued:
            state = "todo"
        else:
            state = "failed" if job.state == JobState.failed else "current"
        steps.append({"step": step.value, "label": _(label), "state": state})
    percent = round(job.fraction * 100) if job.fraction is not None else None
    message = translate_refusal(job.message) if job.message else ""
    return {"job": job, "steps": steps, "percent": percent, "message": message}


def _values_of(meta: ContentMeta, zone: str) -> dict[str, str]:
    """A job's item as the form shows it."""
    local = {
        name: moment.astimezone(ZoneInfo(zone)).strftime(LOCAL_MINUTE) if moment else ""
        for name, moment in (("valid_from", meta.valid_from), ("valid_until", meta.valid_until))
    }
    return MetaForm(
        title=meta.title,
        category=meta.category,
        tier=meta.tier.value,
        language=meta.language,
        area_id=str(meta.area_id),
        source=meta.source,
        **local,
    ).values()
