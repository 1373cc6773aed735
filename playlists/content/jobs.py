"""Ingest jobs: an upload whose audio is made in the background (POST /content/uploads).

A job is queued when its bytes are in the work area, runs probe → loudness → encode, and
ends done (with the new item) or failed (with the refusal, in the API's English). The row
says how far it is; `heartbeat_at` says the process running it is alive, so a job whose
process died is failed instead of "running" for ever.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, Integer, Text
from sqlmodel import Field, Session, SQLModel, col, select

from audio.ingest import IngestStep
from core.audit.chain import Actor
from core.errors import NotFound
from core.models import OutputModel
from core.sqltypes import UTCDateTime
from playlists.content.models import ContentMeta, _text_enum

MESSAGE_CHARS = 1000
# A queued or running job whose process has not said it is alive for this long is dead.
STALE_AFTER = timedelta(seconds=60)
RESTARTED = (
    "the server stopped while this file was being processed: nothing was saved, upload it again"
)


class JobState(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class JobStep(StrEnum):
    """IngestStep's steps, and done."""

    probe = IngestStep.probe.value
    loudness = IngestStep.loudness.value
    encoding = IngestStep.encoding.value
    done = "done"


UNFINISHED = (JobState.queued, JobState.running)


class IngestJob(SQLModel, table=True):
    __tablename__ = "ingest_job"

    id: int | None = Field(default=None, primary_key=True)
    state: JobState = Field(sa_type=_text_enum(JobState), index=True)
    step: JobStep = Field(sa_type=_text_enum(JobStep))
    fraction: float | None = None  # of the current step, where ffmpeg says how far it is
    item_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("content_item.id", ondelete="SET NULL")),
    )
    message: str | None = Field(default=None, max_length=MESSAGE_CHARS)
    area_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("area.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    created_by: int = Field(
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=False)
    )
    # What the item will be: ContentMeta as JSON (a failed job's form is shown again).
    meta_json: str = Field(sa_column=Column(Text, nullable=False))
    original_filename: str | None = Field(default=None, max_length=255)
    size_bytes: int = 0
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    heartbeat_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def meta(self) -> ContentMeta:
        return ContentMeta.model_validate_json(self.meta_json)


class IngestJobPublic(OutputModel):
    id: int
    state: JobState
    step: JobStep
    fraction: float | None = Field(description="of the current step, 0-1, where known")
    item_id: int | None = Field(description="the new content item, once done")
    message: str | None = Field(description="why the file was refused, once failed")
    area_id: int
    created_by: int
    title: str
    original_filename: str | None
    size_bytes: int
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None


def job_public(job: IngestJob) -> IngestJobPublic:
    return IngestJobPublic.model_validate(
        {**job.model_dump(exclude={"meta_json", "heartbeat_at"}), "title": job.meta.title}
    )


def create_job(
    *,
    session: Session,
    meta: ContentMeta,
    actor: Actor,
    filename: str | None,
    size_bytes: int,
    now: datetime,
) -> IngestJob:
    assert actor.id is not None, "uploads are made by a signed-in user"
    job = IngestJob(
        state=JobState.queued,
        step=JobStep.probe,
        area_id=meta.area_id,
        created_by=actor.id,
        meta_json=meta.model_dump_json(),
        original_filename=filename,
        size_bytes=size_bytes,
        created_at=now,
        updated_at=now,
        heartbeat_at=now,
    )
    session.add(job)
    session.flush()
    return job


def get_job(*, session: Session, job_id: int) -> IngestJob:
    job = session.get(IngestJob, job_id, populate_existing=True)
    if job is None:
        raise NotFound(f"no upload #{job_id}")
    return job


def report(
    *, session: Session, job_id: int, step: JobStep, fraction: float | None, now: datetime
) -> None:
    """How far an unfinished job is; it is running, and its process alive."""
    job = session.get(IngestJob, job_id, populate_existing=True)
    if job is None or job.state not in UNFINISHED:
        return
    job.state, job.step, job.fraction = JobState.running, step, fraction
    job.updated_at = job.heartbeat_at = now
    session.add(job)


def still_alive(*, session: Session, job_ids: list[int], now: datetime) -> None:
    for job in session.exec(select(IngestJob).where(col(IngestJob.id).in_(job_ids))):
        if job.state in UNFINISHED:
            job.heartbeat_at = now
            session.add(job)


def finish(
    *, session: Session, job: IngestJob, now: datetime, item_id: int | None, message: str | None
) -> None:
    """Done with the new item, or failed with the refusal."""
    job.state = JobState.done if item_id is not None else JobState.failed
    if item_id is not None:
        job.step, job.fraction = JobStep.done, 1.0
    job.item_id, job.message = item_id, message[:MESSAGE_CHARS] if message else None
    job.updated_at = job.finished_at = now
    session.add(job)


def fail_stale(*, session: Session, now: datetime, all_unfinished: bool = False) -> list[int]:
    """Fail the unfinished jobs no live process runs (every unfinished one when only this
    process runs jobs); their ids, whose files are to be removed."""
    query = select(IngestJob).where(col(IngestJob.state).in_(UNFINISHED))
    if not all_unfinished:
        query = query.where(col(IngestJob.heartbeat_at) < now - STALE_AFTER)
    failed = []
    for job in session.exec(query).all():
        finish(session=session, job=job, now=now, item_id=None, message=RESTARTED)
        assert job.id is not None
        failed.append(job.id)
    return failed


def is_stale(job: IngestJob, now: datetime) -> bool:
    return job.state in UNFINISHED and job.heartbeat_at < now - STALE_AFTER


def unfinished_ids(*, session: Session) -> set[int]:
    query = select(IngestJob.id).where(col(IngestJob.state).in_(UNFINISHED))
    return {i for i in session.exec(query).all() if i is not None}
