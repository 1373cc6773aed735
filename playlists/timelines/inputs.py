"""What decides each station's days, read from the database in bulk.

A station plays the sessions that target an area on its path (its own area or one above
it) or a group it belongs to, under the policy in force for its area, in its area's time
zone. Stations with the same three share a `Rule`, and so every timeline: the clusters of
one commune usually do, so a commune is built once, not once per loudspeaker.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from core.areas.models import Area
from core.db import chunks
from playlists.builder.domain import (
    ContentSpec,
    DayInputs,
    PolicySpec,
    QueueSpec,
    SessionSpec,
    TierRank,
)
from playlists.builder.recurrence import Recurrence
from playlists.content.models import ContentItem, ContentStatus
from playlists.sessions.models import (
    AreaPolicy,
    BroadcastSession,
    PolicyIn,
    QueueEntry,
    SessionTarget,
)
from playlists.sessions.policy import inherited, path_ids, to_spec
from stations.models import Station, StationGroupMember
from stations.reach import group_members_query


@dataclass(frozen=True, slots=True)
class Rule:
    """What decides a station's days; stations with equal rules share their timelines."""

    timezone: str
    policy: PolicySpec
    session_ids: frozenset[int]


@dataclass(slots=True)
class Plan:
    rules: dict[Rule, list[int]] = field(default_factory=dict)  # rule -> station ids
    sessions: dict[int, SessionSpec] = field(default_factory=dict)
    queue: dict[int, list[QueueSpec]] = field(default_factory=dict)  # by session id
    content: dict[int, ContentSpec] = field(default_factory=dict)  # by content id

    def inputs(self, rule: Rule) -> DayInputs:
        ids = sorted(rule.session_ids)
        queue = tuple(q for i in ids for q in self.queue.get(i, ()))
        wanted = sorted({q.content_id for q in queue})
        return DayInputs(
            timezone=rule.timezone,
            sessions=tuple(self.sessions[i] for i in ids if i in self.sessions),
            queue=queue,
            content=tuple(self.content[c] for c in wanted if c in self.content),
            policy=rule.policy,
        )


@dataclass(frozen=True, slots=True)
class _Area:
    id: int
    path: str
    timezone: str
    division_type: str | None


def load_plan(*, session: Session, station_ids: Collection[int] | None = None) -> Plan:
    """The rules of the given stations (all when None) and everything their days need."""
    stations = _stations(session, station_ids)
    areas = _areas(session, set(stations.values()), everything=station_ids is None)
    groups = _memberships(session, stations.keys() if station_ids is not None else None)
    ancestors = {i for a in areas.values() for i in path_ids(a.path)}
    by_area, by_group = _targets(session, ancestors, {g for gs in groups.values() for g in gs})
    policies = _policies(session, ancestors)
    plan = Plan()
    area_rules: dict[int, tuple[str, PolicySpec, frozenset[int]]] = {}
    for station_id in sorted(stations):
        area = areas[stations[station_id]]
        if area.id not in area_rules:
            area_rules[area.id] = _area_rule(area, areas, by_area, policies)
        timezone, policy, sessions = area_rules[area.id]
        extra = {s for g in groups.get(station_id, ()) for s in by_group.get(g, ())}
        rule = Rule(timezone, policy, sessions | extra if extra else sessions)
        plan.rules.setdefault(rule, []).append(station_id)
    session_ids = {s for rule in plan.rules for s in rule.session_ids}
    plan.sessions = _sessions(session, session_ids)
    rows = _queue(session, plan.sessions.keys())
    plan.content, approved = _content(session, {row[2] for row in rows})
    plan.queue = _queue_specs(rows, approved)
    return plan


def _in(column: Any, values: Collection[int]) -> Iterator[ColumnElement[bool]]:
    for batch in chunks(sorted(values)):
        yield col(column).in_(batch)


def _stations(session: Session, station_ids: Collection[int] | None) -> dict[int, int]:
    query = select(Station.id, Station.area_id)
    if station_ids is None:
        return {s: a for s, a in session.exec(query).all() if s is not None}
    found: dict[int, int] = {}
    for condition in _in(Station.id, station_ids):
        found.update((s, a) for s, a in session.exec(query.where(condition)).all() if s is not None)
    return found


def _area_rows(session: Session, condition: ColumnElement[bool] | None) -> list[_Area]:
    query = select(Area.id, Area.path, Area.timezone, Area.division_type)
    if condition is not None:
        query = query.where(condition)
    return [_Area(i, p, tz, d) for i, p, tz, d in session.exec(query).all() if i is not None]


def _areas(session: Session, area_ids: set[int], *, everything: bool) -> dict[int, _Area]:
    if everything:
        return {a.id: a for a in _area_rows(session, None)}
    found = {a.id: a for c in _in(Area.id, area_ids) for a in _area_rows(session, c)}
    above = {i for a in found.values() for i in path_ids(a.path)} - found.keys()
    found.update((a.id, a) for c in _in(Area.id, above) for a in _area_rows(session, c))
    return found


def _memberships(session: Session, station_ids: Iterable[int] | None) -> dict[int, set[int]]:
    query = group_members_query()
    rows: list[tuple[int, int]] = []
    if station_ids is None:
        rows = list(session.exec(query).all())
    else:
        for condition in _in(StationGroupMember.station_id, list(station_ids)):
            rows.extend(session.exec(query.where(condition)).all())
    groups: dict[int, set[int]] = defaultdict(set)
    for group_id, station_id in rows:
        groups[station_id].add(group_id)
    return groups


def _targets(
    session: Session, area_ids: set[int], group_ids: set[int]
) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
    query = select(SessionTarget.session_id, SessionTarget.area_id, SessionTarget.group_id)
    conditions = [*_in(SessionTarget.area_id, area_ids), *_in(SessionTarget.group_id, group_ids)]
    by_area: dict[int, set[int]] = defaultdict(set)
    by_group: dict[int, set[int]] = defaultdict(set)
    for condition in conditions:
        for session_id, area_id, group_id in session.exec(query.where(condition)).all():
            if area_id is not None:
                by_area[area_id].add(session_id)
            if group_id is not None:
                by_group[group_id].add(session_id)
    return by_area, by_group


def _policies(session: Session, area_ids: set[int]) -> dict[int, PolicyIn]:
    query = select(AreaPolicy.area_id, AreaPolicy.policy_json)
    return {
        area_id: PolicyIn.model_validate_json(body)
        for condition in _in(AreaPolicy.area_id, area_ids)
        for area_id, body in session.exec(query.where(condition)).all()
    }


def _area_rule(
    area: _Area,
    areas: dict[int, _Area],
    by_area: dict[int, set[int]],
    policies: dict[int, PolicyIn],
) -> tuple[str, PolicySpec, frozenset[int]]:
    ids = path_ids(area.path)
    divisions = {i: areas[i].division_type for i in ids if i in areas}
    policy = to_spec(inherited(ids, divisions, policies))
    sessions = frozenset(s for i in ids for s in by_area.get(i, ()))
    return area.timezone, policy, sessions


class _Recurrences(dict[str, Recurrence]):
    """Parsed once per distinct JSON text: most entries share a handful of recurrences."""

    def __missing__(self, text: str) -> Recurrence:
        value = self[text] = Recurrence.model_validate_json(text)
        return value


def _sessions(session: Session, session_ids: set[int]) -> dict[int, SessionSpec]:
    recurrences = _Recurrences()
    found: dict[int, SessionSpec] = {}
    for condition in _in(BroadcastSession.id, session_ids):
        for row in session.exec(select(BroadcastSession).where(condition)).all():
            assert row.id is not None
            found[row.id] = SessionSpec(
                id=row.id,
                name=row.name,
                start=row.start,
                max_length_s=row.max_length_s,
                recurrence=recurrences[row.recurrence_json],
                volume=row.volume,
                enabled=row.enabled,
                after_cut=row.after_cut,
            )
    return found


def _queue(session: Session, session_ids: Iterable[int]) -> list[tuple[Any, ...]]:
    columns: tuple[Any, ...] = (
        QueueEntry.id,
        QueueEntry.session_id,
        QueueEntry.lineage_id,
        QueueEntry.recurrence_json,
        QueueEntry.at,
        QueueEntry.relay_length_s,
        QueueEntry.repeat,
        QueueEntry.order,
    )
    rows: list[tuple[Any, ...]] = []
    for condition in _in(QueueEntry.session_id, list(session_ids)):
        rows.extend(tuple(r) for r in session.execute(select_columns(*columns).where(condition)))
    return rows


def _queue_specs(
    rows: list[tuple[Any, ...]], approved: dict[int, int]
) -> dict[int, list[QueueSpec]]:
    """Entries by session, pointed at the approved version of their lineage. An entry
    whose lineage has none keeps the lineage id, which names no content in the plan, so
    the builder reports it as unavailable. Rows were validated when written (QueueIn), so
    they are not validated again here: at a nation's size that would take seconds."""
    recurrences = _Recurrences()
    queue: dict[int, list[QueueSpec]] = defaultdict(list)
    for entry_id, session_id, lineage, recurrence, at, relay_length, repeat, order in rows:
        queue[session_id].append(
            QueueSpec.model_construct(
                id=entry_id,
                content_id=approved.get(lineage, lineage),
                recurrence=recurrences[recurrence],
                # A hard item or relay plays at its time; its session gives the targets.
                session_id=None if at is not None else session_id,
                owner_id=session_id if at is not None else None,
                at=at,
                relay_length_s=relay_length,
                repeat=repeat,
                order=order,
            )
        )
    return queue


def _content(session: Session, lineages: set[int]) -> tuple[dict[int, ContentSpec], dict[int, int]]:
    """The approved version of each lineage (content id by lineage) and its spec."""
    columns: tuple[Any, ...] = (
        ContentItem.id,
        ContentItem.lineage_id,
        ContentItem.title,
        ContentItem.tier,
        ContentItem.duration_s,
        ContentItem.sha256,
        ContentItem.stream_url,
        ContentItem.valid_from,
        ContentItem.valid_until,
    )
    newest: dict[int, tuple[Any, ...]] = {}
    for condition in _in(ContentItem.lineage_id, lineages):
        query = select_columns(*columns).where(
            condition, col(ContentItem.status) == ContentStatus.approved
        )
        for row in session.execute(query.order_by(col(ContentItem.version))):
            newest[row[1]] = tuple(row)  # the newest approved version wins
    content: dict[int, ContentSpec] = {}
    for item_id, _, title, tier, duration, sha, url, valid_from, valid_until in newest.values():
        content[item_id] = ContentSpec.model_construct(
            id=item_id,
            title=title,
            tier=TierRank[tier.value],
            duration_s=duration,
            sha256=sha,
            stream_url=url,
            valid_from=valid_from,
            valid_until=valid_until,
        )
    return content, {lineage: row[0] for lineage, row in newest.items()}
