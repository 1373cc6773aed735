"""The one place that decides who may do what where.

A user holds roles, each in an area subtree. An action on an object is allowed when one of
the user's roles grants the action and the object's area lies in that role's subtree.
Routes declare their action with `Permission(...)` and call `AccessControl.require_area`
with the object's area; they never test roles themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, false, or_
from sqlalchemy.orm import Mapped

from core.auth.models import Role


class Action(StrEnum):
    area_read = "area.read"
    area_write = "area.write"
    user_read = "user.read"
    user_write = "user.write"
    audit_read = "audit.read"
    content_read = "content.read"
    content_write = "content.write"
    content_approve = "content.approve"
    content_archive = "content.archive"
    station_read = "station.read"
    station_write = "station.write"
    group_write = "group.write"
    schedule_read = "schedule.read"
    schedule_write = "schedule.write"
    policy_write = "policy.write"
    asrun_read = "asrun.read"
    alert_read = "alert.read"
    alert_write = "alert.write"  # draft, update and cancel emergency alerts
    alert_approve = "alert.approve"  # the second pair of eyes that issues them
    # Broadcast now and stop (phát ngay, dừng phát): ordered by an operator, issued by an
    # approver (alerts/orders.py); read with alert_read.
    broadcast_write = "broadcast.write"
    broadcast_approve = "broadcast.approve"
    report_read = "report.read"  # planned against aired, proof of play, periodic reports
    # Configure CAP feeds the server polls: their imports act with the configuring user's
    # own alert rights (alerts/feeds/rights.py), so it is the importers' (operators') act.
    cap_feed_write = "cap_feed.write"


_READ_ALL = frozenset(
    {
        Action.area_read,
        Action.content_read,
        Action.station_read,
        Action.schedule_read,
        Action.asrun_read,
        Action.alert_read,
    }
)

ROLE_ACTIONS: Mapping[Role, frozenset[Action]] = {
    Role.admin: _READ_ALL
    | {Action.area_write, Action.user_read, Action.user_write, Action.audit_read}
    | {Action.station_write, Action.group_write, Action.policy_write, Action.report_read},
    Role.supervisor: _READ_ALL | {Action.user_read, Action.audit_read, Action.report_read},
    Role.operator: _READ_ALL
    | {Action.report_read}
    | {Action.content_write, Action.content_archive, Action.group_write, Action.schedule_write}
    | {Action.alert_write, Action.cap_feed_write, Action.broadcast_write},
    Role.approver: _READ_ALL
    | {Action.content_approve, Action.content_archive}
    | {Action.alert_approve, Action.broadcast_approve},
}

# Routes anyone may call; every other route must declare a Permission.
PUBLIC_ROUTES: frozenset[tuple[str, str]] = frozenset(
    {
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("POST", "/api/v1/auth/login"),
        # A station agent trades its one-time enrolment code for a token here.
        ("POST", "/agent/v1/enroll"),
        # The public CAP export: what went on the air, for neighbouring systems to poll
        # (alerts/export/routes.py says why it needs no account).
        ("GET", "/api/v1/public/areas/{area_id}/alerts.atom"),
        ("GET", "/api/v1/public/alerts/{alert_id}.cap"),
    }
)


@dataclass(frozen=True, kw_only=True)
class Grant:
    role: Role
    area_id: int
    area_path: str


@dataclass(frozen=True, kw_only=True)
class Principal:
    user_id: int
    username: str
    grants: tuple[Grant, ...]

    def roles_for(self, action: Action) -> tuple[Grant, ...]:
        return tuple(g for g in self.grants if action in ROLE_ACTIONS[g.role])

    def can(self, action: Action, area_path: str) -> bool:
        return any(area_path.startswith(g.area_path) for g in self.roles_for(action))

    def scope_prefixes(self, action: Action) -> tuple[str, ...]:
        """The smallest set of subtree paths in which the action is allowed."""
        paths = sorted({g.area_path for g in self.roles_for(action)})
        kept: list[str] = []
        for path in paths:
            if not any(path.startswith(k) for k in kept):
                kept.append(path)
        return tuple(kept)


def in_scope(path_column: Mapped[Any], prefixes: Iterable[str]) -> ColumnElement[bool]:
    """SQL condition: the row's area path lies in one of the subtrees."""
    conditions = [path_column.startswith(prefix, autoescape=True) for prefix in prefixes]
    return or_(*conditions) if conditions else false()
