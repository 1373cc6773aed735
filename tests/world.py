"""A small area tree with one user per role, built through the real data functions.

    Việt Nam (root)
    ├── Province P ── Commune A ── Village A1
    │              └─ Commune B ── Village B1
    └── Province Q
Every role user is scoped to commune A; admin_p is an admin of province P.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from unittest import mock

from core.areas.crud import create_area, create_root_area
from core.areas.models import Area, AreaCreate
from core.audit.chain import Actor
from core.auth import users
from core.auth.models import Role, RoleGrant, User, UserCreate
from core.auth.passwords import hash_password
from core.auth.tokens import issue_token
from core.auth.users import create_user
from core.db import Database
from playlists.content.storage import ContentStorage

SYSTEM = Actor(id=None, name="test-setup")
PASSWORD = "correct horse battery"
_counter = itertools.count(1)


def now() -> datetime:
    return datetime.now(UTC)


@cache
def _hash_once(password: str) -> str:
    """The real argon2id hash of `password`, made once a worker: a hash costs a fifth of
    a second on purpose, and tests add hundreds of users with the one PASSWORD. Each still
    signs in through the real verification; the hashing itself is tested where users are
    created through the API (tests/core/auth)."""
    return hash_password(password)


@dataclass
class World:
    database: Database
    areas: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    # The app's content storage, for tests that put files in place.
    storage: ContentStorage | None = None

    def add_area(self, name: str, parent: str | None, level: str) -> int:
        with self.database.session(write=True) as session:
            if parent is None:
                area: Area = create_root_area(
                    session=session,
                    name=name,
                    level=level,
                    code=None,
                    timezone="Asia/Ho_Chi_Minh",
                    actor=SYSTEM,
                    now=now(),
                )
            else:
                area_in = AreaCreate(parent_id=self.areas[parent], name=name, level=level)
                area = create_area(session=session, area_in=area_in, actor=SYSTEM, now=now())
            session.commit()
        assert area.id is not None
        self.areas[name] = area.id
        return area.id

    def add_user(self, username: str, *, area: str, roles: dict[Role, str] | None = None) -> int:
        grants = [RoleGrant(role=r, area_id=self.areas[a]) for r, a in (roles or {}).items()]
        user_in = UserCreate(
            username=username, area_id=self.areas[area], password=PASSWORD, roles=grants
        )
        with (
            self.database.session(write=True) as session,
            mock.patch.object(users, "hash_password", _hash_once),
        ):
            user = create_user(session=session, user_in=user_in, actor=SYSTEM, now=now())
            session.commit()
        assert user.id is not None
        self.users[username] = user.id
        return user.id

    def token(self, username: str, at: datetime | None = None) -> str:
        """A sign-in token, issued now or `at` (for an app on a test clock)."""
        with self.database.session(write=True) as session:
            user = session.get(User, self.users[username])
            assert user is not None
            issued = at or now()
            token, _ = issue_token(session=session, user=user, now=issued, ttl=timedelta(hours=1))
            session.commit()
        return token

    def headers(self, username: str, at: datetime | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(username, at)}"}

    def fresh_name(self, stem: str) -> str:
        return f"{stem}{next(_counter)}"


def build_world(database: Database) -> World:
    world = World(database)
    world.add_area("Việt Nam", None, "country")
    world.add_area("P", "Việt Nam", "province")
    world.add_area("Q", "Việt Nam", "province")
    world.add_area("A", "P", "commune")
    world.add_area("B", "P", "commune")
    world.add_area("A1", "A", "village")
    world.add_area("B1", "B", "village")
    for role in Role:
        world.add_user(f"{role.value}_a", area="A", roles={role: "A"})
    world.add_user("admin_p", area="P", roles={Role.admin: "P"})
    world.add_user("plain_a", area="A1")
    world.add_user("plain_b", area="B1")
    return world
