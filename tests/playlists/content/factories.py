"""Content items for tests, made through the real data functions."""

from __future__ import annotations

import hashlib
import tempfile
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from core.audit.chain import Actor
from core.auth.models import User
from playlists.content import crud, jobs
from playlists.content.jobs import IngestJob, JobState, JobStep
from playlists.content.models import ContentKind, ContentMeta, ContentStatus
from playlists.content.storage import ContentStorage
from playlists.content.workflow import Step
from tests.audio.sounds import tone
from tests.world import World


@cache
def short_wav() -> bytes:
    """One second of tone: enough for a real ingest, quick to make."""
    folder = Path(tempfile.mkdtemp(prefix="loaxa-test-audio-"))
    return tone(folder / "tone.wav", seconds=1.0, level_db=-24).read_bytes()


def actor(world: World, username: str) -> Actor:
    return Actor(id=world.users[username], name=username)


def make_item(
    world: World,
    area: str,
    *,
    kind: ContentKind = ContentKind.relay,
    by: str = "operator_a",
    status: ContentStatus = ContentStatus.draft,
    sha256: str | None = None,
    title: str = "Bản tin",
) -> int:
    """An item in `area`, created by `by`, moved through the workflow to `status`."""
    meta = ContentMeta(title=title, area_id=world.areas[area])
    now = datetime.now(UTC)
    with world.database.session(write=True) as session:
        new = crud.NewItem(
            kind=kind,
            meta=meta,
            stream_url="http://127.0.0.1:9/live" if kind == ContentKind.relay else None,
        )
        item = crud.create_item(session=session, new=new, actor=actor(world, by), now=now)
        item.sha256 = sha256
        steps = {
            ContentStatus.submitted: [Step.submit],
            ContentStatus.approved: [Step.submit, Step.approve],
            ContentStatus.rejected: [Step.submit, Step.reject],
            ContentStatus.archived: [Step.archive],
        }.get(status, [])
        for step in steps:
            reviewer = "approver_a" if step in (Step.approve, Step.reject) else by
            crud.apply_step(
                session=session,
                item=item,
                step=step,
                actor=actor(world, reviewer),
                now=now,
                reason="không đạt" if step == Step.reject else None,
            )
        session.commit()
        assert item.id is not None
        return item.id


def stored_audio_item(world: World, area: str, storage: ContentStorage) -> int:
    """An audio item whose (tiny, fake) file is in storage."""
    data = f"fake audio for {world.fresh_name('x')}".encode()
    sha = hashlib.sha256(data).hexdigest()
    with tempfile.NamedTemporaryFile(delete=False) as handle:
        handle.write(data)
    storage.put(Path(handle.name), sha)
    return make_item(world, area, kind=ContentKind.audio, sha256=sha)


def user_id(world: World, username: str) -> int:
    with world.database.session() as session:
        user = session.get(User, world.users[username])
        assert user is not None and user.id is not None
        return user.id


def make_job(world: World, area: str, *, by: str = "operator_a") -> int:
    """An upload job, finished with nothing made (for reading, not running)."""
    now = datetime.now(UTC)
    meta = ContentMeta(title="Bản tin tải lên", area_id=world.areas[area])
    with world.database.session(write=True) as session:
        job = jobs.create_job(
            session=session,
            meta=meta,
            actor=actor(world, by),
            filename="tone.wav",
            size_bytes=1000,
            now=now,
        )
        jobs.finish(session=session, job=job, now=now, item_id=None, message="refused")
        session.commit()
        assert job.id is not None
        return job.id


def unfinished_job(world: World, *, state: JobState, beat_ago: timedelta, area: str = "A") -> int:
    """An upload job part-way through encoding, its process last heard `beat_ago`."""
    moment = datetime.now(UTC) - beat_ago
    meta = ContentMeta(title="Treo", area_id=world.areas[area])
    with world.database.session(write=True) as session:
        job = IngestJob(
            state=state,
            step=JobStep.encoding,
            fraction=0.4,
            area_id=world.areas[area],
            created_by=world.users["operator_a"],
            meta_json=meta.model_dump_json(),
            created_at=moment,
            updated_at=moment,
            heartbeat_at=moment,
        )
        session.add(job)
        session.commit()
        assert job.id is not None
        return job.id
