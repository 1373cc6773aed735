"""The one thing the demo does in-process: the first admin, as `loaxa admin create-user`
would, since no one can sign in to create them through the API."""

from __future__ import annotations

from datetime import datetime

from core.auth.bootstrap import create_user_with_role, resolve_area
from core.auth.models import Role
from core.db import Database
from demo.cast import TIMEZONE, Person
from migrations.upgrade import upgrade


def bootstrap_admin(*, database_url: str, admin: Person, now: datetime) -> None:
    """Create the schema, the top area "Việt Nam" and the admin in it."""
    upgrade(database_url)
    database = Database(database_url)
    try:
        with database.session(write=True) as session:
            area = resolve_area(session=session, ref=None, timezone=TIMEZONE, now=now)
            create_user_with_role(
                session=session,
                username=admin.username,
                password=admin.password,
                role=Role(admin.role),
                area=area,
                full_name=admin.full_name,
                now=now,
            )
            session.commit()
    finally:
        database.dispose()
