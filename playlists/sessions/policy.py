"""Area policy, inherited down the tree: an area's own settings override those above it,
and the division type (urban ward or rural commune) gives the defaults."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from core.areas.models import Area
from core.audit.chain import Actor, Affects, Subject, record
from playlists.builder.domain import PolicySpec, QuietHours
from playlists.sessions.models import AreaPolicy, PolicyIn

# Hanoi's practice: urban wards at most 15 minutes, 2 sessions a day, no weekends; rural
# communes at most 45 minutes including relays.
DIVISION_DEFAULTS: dict[str, PolicyIn] = {
    "phường": PolicyIn(max_session_length_s=15 * 60, max_sessions_per_day=2, days_off=[5, 6]),
    "xã": PolicyIn(max_session_length_s=45 * 60),
    "đặc khu": PolicyIn(max_session_length_s=45 * 60),
}


def own_policy(*, session: Session, area_id: int) -> PolicyIn:
    row = session.exec(select(AreaPolicy).where(AreaPolicy.area_id == area_id)).first()
    return PolicyIn.model_validate_json(row.policy_json) if row else PolicyIn()


def set_policy(
    *, session: Session, area_id: int, policy_in: PolicyIn, actor: Actor, now: datetime
) -> None:
    row = session.exec(select(AreaPolicy).where(AreaPolicy.area_id == area_id)).first()
    before = PolicyIn.model_validate_json(row.policy_json).model_dump(mode="json") if row else None
    if row is None:
        row = AreaPolicy(area_id=area_id, policy_json="{}", updated_at=now)
    row.policy_json = policy_in.model_dump_json(exclude_none=True)
    row.updated_at = now
    session.add(row)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="policy.set",
        subject=Subject("area_policy", area_id, area_id),
        affects=Affects.of(areas=[area_id]),
        before=before,
        after=policy_in.model_dump(mode="json"),
        now=now,
    )


def merge(layers: list[PolicyIn]) -> PolicyIn:
    """Later layers override earlier ones, field by field (null = inherit)."""
    merged: dict[str, object] = {}
    for layer in layers:
        merged |= layer.model_dump(exclude_none=True)
    return PolicyIn.model_validate(merged)


def effective_policy(*, session: Session, area: Area) -> PolicyIn:
    ids = path_ids(area.path)
    areas = {a.id: a for a in session.exec(select(Area).where(col(Area.id).in_(ids))).all()}
    rows = {
        r.area_id: PolicyIn.model_validate_json(r.policy_json)
        for r in session.exec(select(AreaPolicy).where(col(AreaPolicy.area_id).in_(ids))).all()
    }
    divisions = {i: a.division_type for i, a in areas.items() if i is not None}
    return inherited(ids, divisions, rows)


def path_ids(path: str) -> list[int]:
    """The ids on a materialised path "/1/5/23/", from the top down."""
    return [int(part) for part in path.strip("/").split("/") if part]


def inherited(
    ids: list[int], divisions: dict[int, str | None], own: dict[int, PolicyIn]
) -> PolicyIn:
    """The policy in force at the end of the path `ids`: the division type's defaults
    (nearest area that has a known type), then each area's own policy, top down."""
    division = next(
        (divisions[i] for i in reversed(ids) if divisions.get(i) in DIVISION_DEFAULTS), None
    )
    layers = [DIVISION_DEFAULTS[division]] if division else []
    return merge(layers + [own[i] for i in ids if i in own])


def to_spec(policy: PolicyIn) -> PolicySpec:
    return PolicySpec(
        quiet_hours=tuple(QuietHours(start=q.start, end=q.end) for q in policy.quiet_hours or ()),
        max_session_length_s=policy.max_session_length_s,
        max_sessions_per_day=policy.max_sessions_per_day,
        days_off=frozenset(policy.days_off or ()),
        dates_off=frozenset(policy.dates_off or ()),
        default_volume=policy.default_volume if policy.default_volume is not None else 80,
    )
