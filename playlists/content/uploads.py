"""Uploads made in the background: the bytes are kept in the private work area, a job row
is queued, and a small pool of threads turns each into content exactly as POST /upload
does (make_audio, crud.create_item, commit_with_audio, the same audit), writing its step
and progress to the job as it goes. A heartbeat marks the jobs this process holds alive;
at start, the jobs no live process holds are failed and their files removed.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, BinaryIO

from fastapi import Depends, Request
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from audio.errors import AudioRejected
from audio.ingest import IngestStep
from core.audit.chain import Actor
from core.auth.deps import AccessControl
from core.clock import Clock
from core.db import Database
from core.errors import Conflict, Forbidden, Invalid, NotFound
from playlists.content import crud, jobs
from playlists.content.audio_service import AudioPath, commit_with_audio, make_audio
from playlists.content.jobs import IngestJob, JobStep
from playlists.content.models import ContentKind, ContentMeta
from playlists.content.services import ContentServices

log = logging.getLogger(__name__)

WORKERS = 2  # files made at once: ffmpeg takes about a core each
HEARTBEAT_S = 5.0
PROGRESS_EVERY_S = 0.5  # the job row is written at most this often while a step goes on
FAILED = "the server could not process this file; the error is in its log"
# Refusals with a message meant for the person (the item could not be made as asked).
REFUSED = (AudioRejected, Invalid, Forbidden, Conflict, NotFound)


@dataclass(kw_only=True)
class UploadJobs:
    database: Database
    services: ContentServices
    clock: Clock
    # Only this process runs jobs on its database (SQLite): at start, every unfinished job
    # is dead; with PostgreSQL other processes may be running theirs.
    sole_runner: bool = False
    _pool: ThreadPoolExecutor | None = None
    _held: dict[int, Future[None]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _heart: threading.Thread | None = None
    _recovered: bool = False

    @property
    def folder(self) -> Path:
        return self.services.work_root / "uploads"

    def path_of(self, job_id: int) -> Path:
        return self.folder / f"job-{job_id}"

    def start(self) -> None:
        # The server starts without its database (readiness says so): the jobs left by a
        # stopped process are recovered by the heartbeat once the database answers.
        self._recovered = self._try_recover()
        self._stopping.clear()
        self._heart = threading.Thread(target=self._beat, name="ingest-heartbeat", daemon=True)
        self._heart.start()

    def stop(self) -> None:
        """Queued jobs are failed; running ones are finished first."""
        self._stopping.set()
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        if self._heart is not None:
            self._heart.join()
            self._heart = None
        self.recover_held()

    def recover(self) -> list[int]:
        """Fail the jobs no live process runs, remove their files and any file left by a
        job that is over; the failed jobs' ids."""
        with self.database.session(write=True) as session:
            failed = jobs.fail_stale(
                session=session, now=self.clock.now(), all_unfinished=self.sole_runner
            )
            session.commit()
            live = jobs.unfinished_ids(session=session)
        for path in self.folder.glob("job-*") if self.folder.exists() else ():
            if path.name.removeprefix("job-") not in {str(i) for i in live}:
                path.unlink(missing_ok=True)
        if failed:
            log.warning("uploads #%s failed: the server had stopped during them", failed)
        return failed

    def recover_held(self) -> None:
        """Fail the jobs cancelled at stop (they never ran), and remove their files."""
        with self._lock:
            cancelled = [i for i, f in self._held.items() if f.cancelled()]
            for job_id in cancelled:
                del self._held[job_id]
        for job_id in cancelled:
            self._end(job_id, item_id=None, message=jobs.RESTARTED)
            self.path_of(job_id).unlink(missing_ok=True)

    def begin(
        self,
        *,
        session: Session,
        access: AccessControl,
        meta: ContentMeta,
        stream: BinaryIO,
        filename: str | None,
    ) -> IngestJob:
        """Queue a job for the bytes of `stream` (committed), and start it in the pool; the
        caller's scope must hold the new item's area."""
        access.require_area(meta.area_id, what="new content", field="area_id")
        actor = access.actor
        job = jobs.create_job(
            session=session,
            meta=meta,
            actor=actor,
            filename=filename,
            size_bytes=0,
            now=self.clock.now(),
        )
        session.commit()
        assert job.id is not None
        path = self.path_of(job.id)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as out:
                shutil.copyfileobj(stream, out, 1 << 20)
            job.size_bytes = path.stat().st_size
            session.add(job)
            session.commit()
        except BaseException:
            session.rollback()
            path.unlink(missing_ok=True)
            self._end(job.id, item_id=None, message=FAILED)
            raise
        with self._lock:
            if self._pool is None:  # made at the first upload, again after a stop
                self._pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="ingest")
            self._held[job.id] = self._pool.submit(self._run, job.id, meta, actor, filename)
        return job

    def check(self, *, session: Session, job: IngestJob) -> IngestJob:
        """The job, failed first if its process died (another process's, with PostgreSQL)."""
        if jobs.is_stale(job, self.clock.now()):
            assert job.id is not None
            jobs.finish(
                session=session, job=job, now=self.clock.now(), item_id=None, message=jobs.RESTARTED
            )
            session.commit()
            self.path_of(job.id).unlink(missing_ok=True)
        return job

    def wait(self, timeout_s: float) -> bool:
        """Whether every job this process holds is over within `timeout_s` (tests)."""
        with self._lock:
            futures = list(self._held.values())
        return not wait(futures, timeout=timeout_s).not_done

    def _run(self, job_id: int, meta: ContentMeta, actor: Actor, filename: str | None) -> None:
        path = self.path_of(job_id)
        progress = _Progress(self, job_id)
        try:
            progress(IngestStep.probe, None)
            with (
                make_audio(self.services, AudioPath(path), steps=progress) as made,
                self.database.session(write=True) as session,
            ):
                new = crud.NewItem(
                    kind=ContentKind.audio, meta=meta, audio=made.result, original_filename=filename
                )
                now = self.clock.now()
                item = crud.create_item(session=session, new=new, actor=actor, now=now)
                job = jobs.get_job(session=session, job_id=job_id)
                jobs.finish(session=session, job=job, now=now, item_id=item.id, message=None)
                commit_with_audio(session=session, services=self.services, audio=made.result)
        except REFUSED as exc:
            self._end(job_id, item_id=None, message=str(exc))
        except Exception:
            log.exception("upload #%s failed", job_id)
            self._end(job_id, item_id=None, message=FAILED)
        finally:
            path.unlink(missing_ok=True)
            with self._lock:
                self._held.pop(job_id, None)

    def _end(self, job_id: int, *, item_id: int | None, message: str | None) -> None:
        with self.database.session(write=True) as session:
            job = session.get(IngestJob, job_id, populate_existing=True)
            if job is not None and job.state in jobs.UNFINISHED:
                jobs.finish(
                    session=session,
                    job=job,
                    now=self.clock.now(),
                    item_id=item_id,
                    message=message,
                )
                session.commit()

    def _try_recover(self) -> bool:
        try:
            self.recover()
        except SQLAlchemyError:
            log.warning("uploads: the database is unreachable; unfinished jobs are recovered later")
            return False
        return True

    def _beat(self) -> None:
        while not self._stopping.wait(HEARTBEAT_S):
            if not self._recovered:
                self._recovered = self._try_recover()
            with self._lock:
                held = list(self._held)
            if not held:
                continue
            try:
                with self.database.session(write=True) as session:
                    jobs.still_alive(session=session, job_ids=held, now=self.clock.now())
                    session.commit()
            except Exception:
                log.exception("uploads: the heartbeat failed; trying again")


class _Progress:
    """Writes a job's step when it changes, its fraction at most every PROGRESS_EVERY_S."""

    def __init__(self, owner: UploadJobs, job_id: int) -> None:
        self._owner, self._job_id = owner, job_id
        self._step: JobStep | None = None
        self._written = 0.0

    def __call__(self, step: IngestStep, fraction: float | None) -> None:
        clock = self._owner.clock
        moment = time.monotonic()
        changed = JobStep(step.value) != self._step
        if not changed and moment - self._written < PROGRESS_EVERY_S:
            return
        self._step, self._written = JobStep(step.value), moment
        with self._owner.database.session(write=True) as session:
            jobs.report(
                session=session,
                job_id=self._job_id,
                step=self._step,
                fraction=fraction,
                now=clock.now(),
            )
            session.commit()


def read_job(
    *, session: Session, access: AccessControl, uploads: UploadJobs, job_id: int
) -> IngestJob:
    """The job, refused unless its area is in the caller's scope; failed first if the
    process running it died."""
    job = jobs.get_job(session=session, job_id=job_id)
    access.require_area(job.area_id, what=f"upload #{job_id}")
    return uploads.check(session=session, job=job)


def get_upload_jobs(request: Request) -> UploadJobs:
    uploads: UploadJobs = request.app.state.uploads
    return uploads


UploadJobsDep = Annotated[UploadJobs, Depends(get_upload_jobs)]
