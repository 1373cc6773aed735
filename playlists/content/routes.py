"""The content library under /api/v1/content (thư viện nội dung)."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Annotated

from fastapi import (
    APIRouter,
    BackgroundTasks,
    Depends,
    File,
    Form,
    Query,
    Request,
    UploadFile,
    status,
)
from fastapi.responses import FileResponse
from pydantic import Field
from sqlmodel import Session

from audio.container import CANONICAL_MIME, audio_mime
from core.auth.deps import AccessControl, Permission
from core.auth.permissions import Action
from core.deps import ClockDep, SessionDep
from core.errors import NotFound
from core.models import MAX_ID, PathId
from core.paging import PageDep
from playlists.content import actions, crud
from playlists.content.audio_service import Speech, Upload, commit_with_audio, make_audio
from playlists.content.background import check_relay_later
from playlists.content.jobs import IngestJobPublic, job_public
from playlists.content.models import (
    ContentItem,
    ContentKind,
    ContentMeta,
    ContentPublic,
    ContentsPublic,
    ContentStatus,
    ContentUpdate,
    RejectRequest,
    RelayCreate,
    Tier,
    TtsCreate,
    VoicePublic,
)
from playlists.content.services import ContentServicesDep
from playlists.content.uploads import UploadJobsDep, read_job
from playlists.content.workflow import Step

PREFIX = "/api/v1/content"
router = APIRouter(prefix=PREFIX, tags=["content (nội dung)"])
# Routes whose bodies are audio files: the upload size limit applies instead of the JSON one.
UPLOAD_PATHS = (f"{PREFIX}/upload", f"{PREFIX}/uploads", f"{PREFIX}/{{item_id}}/audio")

Read = Annotated[AccessControl, Depends(Permission(Action.content_read))]
Write = Annotated[AccessControl, Depends(Permission(Action.content_write))]
Approve = Annotated[AccessControl, Depends(Permission(Action.content_approve))]
Archive = Annotated[AccessControl, Depends(Permission(Action.content_archive))]
AudioFile = Annotated[UploadFile, File(description="Any format ffmpeg decodes")]


class UploadForm(ContentMeta):
    """The item's description and its audio, as multipart form fields."""

    file: UploadFile = Field(description="Any format ffmpeg decodes")

    def meta(self) -> ContentMeta:
        return ContentMeta.model_validate(self.model_dump(exclude={"file"}))


def _public(item: ContentItem) -> ContentPublic:
    return ContentPublic.model_validate(item)


@router.get("", response_model=ContentsPublic, summary="List content in your scope, newest first")
def list_content(
    session: SessionDep,
    access: Read,
    page: PageDep,
    status_: Annotated[ContentStatus | None, Query(alias="status")] = None,
    kind: ContentKind | None = None,
    tier: Tier | None = None,
    language: Annotated[str | None, Query(max_length=35)] = None,
    area_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    lineage_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    q: Annotated[str | None, Query(max_length=100, description="Words in the title")] = None,
) -> ContentsPublic:
    filters = crud.ContentFilter(
        status=status_,
        kind=kind,
        tier=tier,
        language=language,
        area_id=area_id,
        lineage_id=lineage_id,
        q=q,
    )
    rows, total = crud.list_items(
        session=session, prefixes=access.scope_prefixes(), page=page, filters=filters
    )
    return ContentsPublic(data=[_public(r) for r in rows], count=total)


@router.get(
    "/voices",
    response_model=list[VoicePublic],
    summary="Languages and voices the text-to-speech engines speak",
)
def list_voices(_access: Read, services: ContentServicesDep) -> list[VoicePublic]:
    return [
        VoicePublic.model_validate(v, from_attributes=True)
        for engine in services.tts_engines
        for v in engine.voices()
    ]


@router.post(
    "/upload",
    response_model=ContentPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Upload audio: normalised to the loudness target, stored as Ogg Opus",
)
def upload_content(
    session: SessionDep,
    access: Write,
    clock: ClockDep,
    services: ContentServicesDep,
    form: Annotated[UploadForm, Form(media_type="multipart/form-data")],
) -> ContentPublic:
    meta, file = form.meta(), form.file
    item = actions.create_uploaded(
        session=session,
        access=access,
        services=services,
        meta=meta,
        stream=file.file,
        filename=file.filename,
        now=clock.now(),
    )
    return _public(item)


@router.post(
    "/uploads",
    response_model=IngestJobPublic,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Upload audio, made in the background: follow the job it answers",
    description="The same as /upload, but the answer comes as soon as the file is received: "
    "the job says its step (probe, loudness, encode, done), how far the step is, the new "
    "item once done, or why the file was refused.",
)
def start_upload(
    session: SessionDep,
    access: Write,
    uploads: UploadJobsDep,
    form: Annotated[UploadForm, Form(media_type="multipart/form-data")],
) -> IngestJobPublic:
    meta, file = form.meta(), form.file
    job = uploads.begin(
        session=session,
        access=access,
        meta=meta,
        stream=file.file,
        filename=(file.filename or "")[:255] or None,
    )
    return job_public(job)


@router.get("/uploads/{job_id}", response_model=IngestJobPublic, summary="How far an upload is")
def read_upload(
    session: SessionDep, access: Read, uploads: UploadJobsDep, job_id: PathId
) -> IngestJobPublic:
    return job_public(read_job(session=session, access=access, uploads=uploads, job_id=job_id))


@router.post(
    "/tts",
    response_model=ContentPublic,
    status_code=status.HTTP_201_CREATED,
    summary="A typed bulletin read by text-to-speech (đọc bằng giọng máy)",
)
def create_tts(
    session: SessionDep,
    access: Write,
    clock: ClockDep,
    services: ContentServicesDep,
    body: TtsCreate,
) -> ContentPublic:
    item = actions.create_spoken(
        session=session, access=access, services=services, tts_in=body, now=clock.now()
    )
    return _public(item)


@router.post(
    "/relay",
    response_model=ContentPublic,
    status_code=status.HTTP_201_CREATED,
    summary="A relay of a radio stream (tiếp sóng); its URL is checked in the background",
)
def create_relay(
    request: Request,
    session: SessionDep,
    access: Write,
    clock: ClockDep,
    services: ContentServicesDep,
    background: BackgroundTasks,
    body: RelayCreate,
) -> ContentPublic:
    item = actions.create_relay(session=session, access=access, relay_in=body, now=clock.now())
    assert item.id is not None and item.stream_url is not None
    check_relay_later(background, request.app, item.id, item.stream_url)
    return _public(item)


@router.get("/{item_id}", response_model=ContentPublic, summary="Read one item")
def read_content(session: SessionDep, access: Read, item_id: PathId) -> ContentPublic:
    item = actions.item_in_scope(session=session, access=access, item_id=item_id)
    return _public(item)


@router.patch(
    "/{item_id}",
    response_model=ContentPublic,
    summary="Change an item; an approved one gets a new draft version instead",
)
def update_content(
    request: Request,
    session: SessionDep,
    access: Write,
    clock: ClockDep,
    services: ContentServicesDep,
    background: BackgroundTasks,
    item_id: PathId,
    changes: ContentUpdate,
) -> ContentPublic:
    item = _reload(session, access, item_id)
    if changes.area_id is not None:
        access.require_area(changes.area_id, what=f"moving content #{item_id}", field="area_id")
    rerender = item.kind == ContentKind.tts and {"text", "language"} & changes.model_fields_set
    speech = _speech_again(item, changes) if rerender else None
    if speech is not None:
        actions.release(session)
    with make_audio(services, speech) if speech is not None else nullcontext() as made:
        if made is not None:
            item = _reload(session, access, item_id)
        audio = made.result if made is not None else None
        updated = crud.update_item(
            session=session,
            item=item,
            changes=changes,
            actor=access.actor,
            now=clock.now(),
            audio=audio,
        )
        if made is not None and made.voice is not None:
            updated.voice = made.voice
        commit_with_audio(session=session, services=services, audio=audio)
    if "stream_url" in changes.model_fields_set and updated.stream_url and updated.id:
        check_relay_later(background, request.app, updated.id, updated.stream_url)
    return _public(updated)


def _speech_again(item: ContentItem, changes: ContentUpdate) -> Speech:
    """A TTS item whose text or language changes is spoken again (same voice if the
    language stays)."""
    language = changes.language or item.language
    return Speech(
        text=changes.text if changes.text is not None else item.text or "",
        language=language,
        voice=item.voice if language == item.language else None,
    )


def _reload(session: Session, access: AccessControl, item_id: int) -> ContentItem:
    """The item as it is now, locked for the change, still in the caller's scope."""
    return actions.item_in_scope(session=session, access=access, item_id=item_id, for_update=True)


@router.put(
    "/{item_id}/audio",
    response_model=ContentPublic,
    summary="Replace an item's audio; an approved one gets a new draft version instead",
)
def replace_audio(
    session: SessionDep,
    access: Write,
    clock: ClockDep,
    services: ContentServicesDep,
    item_id: PathId,
    file: AudioFile,
) -> ContentPublic:
    item = actions.item_in_scope(session=session, access=access, item_id=item_id)
    if item.kind != ContentKind.audio:
        raise NotFound(
            f"content #{item_id} is a {item.kind.value} item: only uploads take new audio"
        )
    actions.release(session)
    with make_audio(services, Upload(file.file)) as made:
        item = _reload(session, access, item_id)
        updated = crud.update_item(
            session=session,
            item=item,
            changes=ContentUpdate(),
            actor=access.actor,
            now=clock.now(),
            audio=made.result,
        )
        updated.original_filename = (file.filename or "")[:255] or None
        commit_with_audio(session=session, services=services, audio=made.result)
    return _public(updated)


def _step(
    session: SessionDep,
    access: AccessControl,
    clock: ClockDep,
    item_id: int,
    step: Step,
    reason: str | None = None,
) -> ContentPublic:
    item = actions.review(
        session=session, access=access, item_id=item_id, step=step, now=clock.now(), reason=reason
    )
    return _public(item)


@router.post("/{item_id}/submit", response_model=ContentPublic, summary="Send for approval")
def submit(session: SessionDep, access: Write, clock: ClockDep, item_id: PathId) -> ContentPublic:
    return _step(session, access, clock, item_id, Step.submit)


@router.post(
    "/{item_id}/approve",
    response_model=ContentPublic,
    summary="Approve for air (duyệt) — not your own item",
)
def approve(
    session: SessionDep, access: Approve, clock: ClockDep, item_id: PathId
) -> ContentPublic:
    return _step(session, access, clock, item_id, Step.approve)


@router.post(
    "/{item_id}/reject", response_model=ContentPublic, summary="Send back with a reason (từ chối)"
)
def reject(
    session: SessionDep, access: Approve, clock: ClockDep, item_id: PathId, body: RejectRequest
) -> ContentPublic:
    return _step(session, access, clock, item_id, Step.reject, reason=body.reason)


@router.post(
    "/{item_id}/archive",
    response_model=ContentPublic,
    summary="Take out of use (lưu trữ); it can no longer be scheduled",
)
def archive(
    session: SessionDep, access: Archive, clock: ClockDep, item_id: PathId
) -> ContentPublic:
    return _step(session, access, clock, item_id, Step.archive)


@router.get(
    "/{item_id}/audio",
    response_class=FileResponse,
    summary="The item's audio (Opus in WebM); Range requests are honoured",
    responses={200: {"content": {CANONICAL_MIME: {}}}, 206: {"description": "a range"}},
)
def read_audio(
    session: SessionDep, access: Read, services: ContentServicesDep, item_id: PathId
) -> FileResponse:
    item = actions.item_in_scope(session=session, access=access, item_id=item_id)
    path = actions.audio_path(services=services, item=item)
    return FileResponse(
        path,
        media_type=audio_mime(path),
        filename=f"content-{item_id}.opus",
        headers={"ETag": f'"{item.sha256}"'},
    )
