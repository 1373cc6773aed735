"""New content from a page: a typed bulletin read by TTS (listened to before it is sent),
a recording from the microphone, a relay of a radio stream. Uploads of files are on their
own page (web/upload_pages.py). Each calls the same data function as the API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from audio.container import CANONICAL_MIME
from audio.errors import AudioRejected
from core.auth.permissions import Action
from core.deps import SessionDep
from playlists.content import actions
from playlists.content.audio_service import Speech, make_audio
from playlists.content.background import check_relay_later
from playlists.content.models import ContentMeta, RelayCreate, TtsCreate
from playlists.content.services import ContentServicesDep
from web.content_forms import MetaForm, MetaFormDep, meta_context, voice_language, voice_options
from web.content_pages import access
from web.context import CsrfPageDep, PageDep, PageView
from web.i18n import gettext as _
from web.problems import REFUSALS, FormProblems, problems_of, status_of

router = APIRouter(include_in_schema=False)
TEXT_CHARS = 20_000


def form_page(
    session: SessionDep,
    view: PageView,
    template: str,
    values: dict[str, str],
    problems: FormProblems | None = None,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    access(session, view, Action.content_write)  # refused at once without the role
    context = meta_context(
        session=session, view=view, values=values, problems=problems or FormProblems()
    )
    return view.render(template, {**context, **extra}, status_code=status_code)


@router.get("/content/new")
def new_content(session: SessionDep, view: PageDep) -> Response:
    access(session, view, Action.content_write)
    return view.render("content/new.html")


def _created(item_id: int | None) -> Response:
    return RedirectResponse(f"/content/{item_id}?done=created", status_code=303)


# --- typed bulletin read by TTS ---------------------------------------------------------


@router.get("/content/new/tts")
def tts_form(session: SessionDep, view: PageDep, services: ContentServicesDep) -> Response:
    values = {**MetaForm().values(), "text": "", "voice": "vi"}
    return form_page(session, view, "content/new_tts.html", values, voices=voice_options(services))


@router.post("/content/new/tts")
def tts_submit(
    session: SessionDep,
    view: CsrfPageDep,
    services: ContentServicesDep,
    meta: MetaFormDep,
    text: Annotated[str, Form(max_length=TEXT_CHARS + 1000)] = "",
    voice: Annotated[str, Form(max_length=60)] = "",
) -> Response:
    writer = access(session, view, Action.content_write)
    problems = FormProblems()
    data = meta.model_data(view.zone, problems)
    data.update(text=text, voice=voice or None)
    data["language"] = voice_language(services, voice) or meta.language
    try:
        tts_in = TtsCreate.model_validate(data)
        if problems:
            raise _Unfinished()
        item = actions.create_spoken(
            session=session, access=writer, services=services, tts_in=tts_in, now=view.now
        )
    except (*REFUSALS, _Unfinished) as exc:
        session.rollback()
        if not isinstance(exc, _Unfinished):
            _merge(problems, problems_of(exc, fields={"language": "voice"}), text_field="text")
        values = {**meta.values(), "text": text, "voice": voice}
        return form_page(
            session,
            view,
            "content/new_tts.html",
            values,
            problems,
            status_code=422 if isinstance(exc, _Unfinished) else status_of(exc),
            voices=voice_options(services),
        )
    return _created(item.id)


@router.post("/content/new/tts/listen")
def tts_listen(
    session: SessionDep,
    view: CsrfPageDep,
    services: ContentServicesDep,
    text: Annotated[str, Form(max_length=TEXT_CHARS)] = "",
    voice: Annotated[str, Form(max_length=60)] = "",
) -> Response:
    """The bulletin as it will sound on the air (normalised, Opus), stored nowhere."""
    access(session, view, Action.content_write)
    language = voice_language(services, voice) or "vi"
    try:
        speech = Speech(text=text, language=language, voice=voice or None)
        with make_audio(services, speech) as made:
            body = made.result.output.read_bytes()
    except REFUSALS as exc:
        message = problems_of(exc).general or _("This text cannot be read aloud.")
        return Response(message, status_code=422, media_type="text/plain; charset=utf-8")
    return Response(body, media_type=CANONICAL_MIME, headers={"Cache-Control": "no-store"})


class _Unfinished(Exception):
    """The form has problems of its own (an unreadable date) before any model sees it."""


def _merge(problems: FormProblems, more: FormProblems, *, text_field: str) -> None:
    for name, message in more.fields.items():
        # What TTS or ffmpeg refuses is about the text: shown beside it.
        problems.add(text_field if name == "_" and text_field else name, message)


# --- recording from the microphone -------------------------------------------------------


@router.get("/content/new/record")
def record_form(session: SessionDep, view: PageDep) -> Response:
    return form_page(session, view, "content/new_record.html", MetaForm().values())


@router.post("/content/new/record")
def record_submit(
    session: SessionDep,
    view: CsrfPageDep,
    services: ContentServicesDep,
    meta: MetaFormDep,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    writer = access(session, view, Action.content_write)
    problems = FormProblems()
    data = meta.model_data(view.zone, problems)
    try:
        meta_in = ContentMeta.model_validate(data)
        if file is None or not file.filename:
            problems.add("file", _("Record something first: press “Start recording”."))
        if problems:
            raise _Unfinished()
        assert file is not None
        item = actions.create_uploaded(
            session=session,
            access=writer,
            services=services,
            meta=meta_in,
            stream=file.file,
            filename=file.filename,
            now=view.now,
        )
    except (*REFUSALS, _Unfinished) as exc:
        session.rollback()
        if not isinstance(exc, _Unfinished):
            _merge(problems, problems_of(exc), text_field="file" if _is_audio(exc) else "")
        return form_page(
            session,
            view,
            "content/new_record.html",
            meta.values(),
            problems,
            status_code=422 if isinstance(exc, _Unfinished) else status_of(exc),
        )
    return _created(item.id)


def _is_audio(exc: Exception) -> bool:
    return isinstance(exc, AudioRejected)


# --- relay of a radio stream ------------------------------------------------------------


@router.get("/content/new/relay")
def relay_form(session: SessionDep, view: PageDep) -> Response:
    return form_page(
        session, view, "content/new_relay.html", {**MetaForm().values(), "stream_url": ""}
    )


@router.post("/content/new/relay")
def relay_submit(
    request: Request,
    session: SessionDep,
    view: CsrfPageDep,
    background: BackgroundTasks,
    meta: MetaFormDep,
    stream_url: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    writer = access(session, view, Action.content_write)
    problems = FormProblems()
    data = meta.model_data(view.zone, problems)
    data["stream_url"] = stream_url.strip()
    try:
        relay_in = RelayCreate.model_validate(data)
        if problems:
            raise _Unfinished()
        item = actions.create_relay(session=session, access=writer, relay_in=relay_in, now=view.now)
    except (*REFUSALS, _Unfinished) as exc:
        session.rollback()
        if not isinstance(exc, _Unfinished):
            _merge(problems, problems_of(exc), text_field="")
        values = {**meta.values(), "stream_url": stream_url}
        return form_page(
            session,
            view,
            "content/new_relay.html",
            values,
            problems,
            status_code=422 if isinstance(exc, _Unfinished) else status_of(exc),
        )
    assert item.id is not None and item.stream_url is not None
    check_relay_later(background, request.app, item.id, item.stream_url)
    return _created(item.id)
