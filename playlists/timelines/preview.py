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
)


@dataclass(frozen=True, slots=True)
class DayTimeline:
    digest: str
    document: dict[str, Any]
    station_ids: list[int]
    stored: bool  # False: computed now, for stations with no build of that day


def timelines_for(
    *, session: Session, station_ids: Collection[int], day: date
) -> list[DayTimeline]:
    """The distinct timelines of these stations on `day`, each with its stations."""
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
