"""What operators preview: a station's or an area's timeline for one local day, as built
(what agents get), or computed on the spot for a day outside the built horizon."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from core.db import chunks
from playlists.builder.day import build_day
from playlists.builder.serialize import timeline_bytes
from playlists.timelines.inputs import load_plan
from playlists.timelines.models import (
    PlaylistItemPublic,
    PlaylistPublic,
    PlaylistSessionPublic,
    PlaylistWarningPublic,
    StationBuild,
    TimelineBody,
    item_id,
)
from playlists.timelines.record import (
    PlanVersion,
    StationPlan,
    effective_timeline,
    timelines_by_digest,
)


@dataclass(frozen=True, slots=True)
class DayTimeline:
    digest: str
    document: dict[str, Any]
    station_ids: list[int]
    stored: bool  # False: computed now, for stations with no build of that day


def timelines_for(
    *, session: Session, station_ids: Collection[int], day: date, today: date
) -> list[DayTimeline]:
    """The distinct timelines of these stations on `day`, each with its stations. Today and
    past days are read from the plan of record (what was in force, never recomputed); a
    past day a station has no record of is left out. Today falls back on the build, and a
    later day is the build, or computed for a station not built that far."""
    if day > today:
        return _built(session, station_ids, day)
    found, unrecorded = _recorded(session, station_ids, day)
    if day == today and unrecorded:
        found += _built(session, unrecorded, day)
    return sorted(found, key=lambda t: t.station_ids[0])


def _recorded(
    session: Session, station_ids: Collection[int], day: date
) -> tuple[list[DayTimeline], list[int]]:
    rows: dict[int, list[StationPlan]] = {}
    for batch in chunks(sorted(station_ids)):
        query = select(StationPlan).where(
            col(StationPlan.station_id).in_(batch), StationPlan.day == day
        )
        for row in session.exec(
            query.order_by(col(StationPlan.in_force_from), col(StationPlan.id))
        ):
            rows.setdefault(row.station_id, []).append(row)
    groups: dict[tuple[tuple[str, datetime, datetime | None], ...], list[int]] = {}
    for station_id, plan in rows.items():
        key = tuple((r.digest, r.in_force_from, r.in_force_until) for r in plan)
        groups.setdefault(key, []).append(station_id)
    digests = {digest for key in groups for digest, _, _ in key}
    stored = timelines_by_digest(session=session, digests=digests)
    found = []
    for key, stations in groups.items():
        versions = [PlanVersion(0, d, f, u, stored[d]) for d, f, u in key if d in stored]
        if versions:
            composite = effective_timeline(versions)
            document = json.loads(composite.model_dump_json())
            found.append(DayTimeline(versions[-1].digest, document, stations, True))
    unrecorded = [s for s in station_ids if s not in rows]
    return found, unrecorded


def _built(session: Session, station_ids: Collection[int], day: date) -> list[DayTimeline]:
    stations_by_digest: dict[str, list[int]] = {}
    missing: list[int] = []
    for batch in chunks(sorted(station_ids)):
        builds = session.exec(
            select(StationBuild).where(col(StationBuild.station_id).in_(batch))
        ).all()
        built = {b.station_id: b.days.get(day.isoformat()) for b in builds}
        for station_id in batch:
            digest = built.get(station_id)
            if digest is None:
                missing.append(station_id)
            else:
                stations_by_digest.setdefault(digest, []).append(station_id)
    documents = _stored(session, stations_by_digest.keys())
    for digest in stations_by_digest.keys() - documents.keys():
        missing.extend(stations_by_digest[digest])  # pruned since: compute it instead
    found = [DayTimeline(d, documents[d], stations_by_digest[d], True) for d in documents]
    found += _computed(session, missing, day)
    return sorted(found, key=lambda t: t.station_ids[0])


def _stored(session: Session, digests: Collection[str]) -> dict[str, dict[str, Any]]:
    documents: dict[str, dict[str, Any]] = {}
    for batch in chunks(sorted(digests)):
        for body in session.exec(
            select(TimelineBody).where(col(TimelineBody.digest).in_(batch))
        ).all():
            documents[body.digest] = body.document()
    return documents


def _computed(session: Session, station_ids: list[int], day: date) -> list[DayTimeline]:
    if not station_ids:
        return []
    plan = load_plan(session=session, station_ids=station_ids)
    found: dict[str, DayTimeline] = {}
    for rule, stations in plan.rules.items():
        data = timeline_bytes(build_day(plan.inputs(rule), day))
        digest = hashlib.sha256(data).hexdigest()
        if digest in found:
            found[digest].station_ids.extend(stations)
        else:
            found[digest] = DayTimeline(digest, json.loads(data), list(stations), False)
    return list(found.values())


def playlist_public(timeline: DayTimeline) -> PlaylistPublic:
    document = timeline.document
    zone = ZoneInfo(document["timezone"])
    items = []
    for item in document["items"]:
        start = datetime.fromisoformat(item["start"])
        end = start + timedelta(seconds=item["duration_s"])
        fields = {k: v for k, v in item.items() if k != "start"}
        items.append(
            PlaylistItemPublic(
                **fields,
                id=item_id(item["queue_id"], start),
                start_utc=start,
                end_utc=end,
                start_local=start.astimezone(zone),
                end_local=end.astimezone(zone),
            )
        )
    sessions = []
    for window in document["sessions"]:
        start, end = datetime.fromisoformat(window["start"]), datetime.fromisoformat(window["end"])
        sessions.append(
            PlaylistSessionPublic(
                session_id=window["session_id"],
                name=window["name"],
                volume=window["volume"],
                start_utc=start,
                end_utc=end,
                start_local=start.astimezone(zone),
                end_local=end.astimezone(zone),
            )
        )
    return PlaylistPublic(
        date=date.fromisoformat(document["day"]),
        timezone=document["timezone"],
        digest=timeline.digest,
        station_ids=sorted(timeline.station_ids),
        sessions=sessions,
        items=items,
        warnings=[PlaylistWarningPublic(**w) for w in document["warnings"]],
    )
