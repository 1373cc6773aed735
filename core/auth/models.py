"""Users, their roles (each held in an area subtree), login tokens and login throttling."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import Column, Enum, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.models import Id, InputModel, OutputModel
from core.sqltypes import UTCDateTime

USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,63}$"


class Role(StrEnum):
    admin = "admin"
    operator = "operator"
    approver = "approver"
    supervisor = "supervisor"


class RoleGrant(InputModel):
    role: Role
    area_id: Id


class RoleAssignment(SQLModel, table=True):
    __tablename__ = "role_assignment"
    __table_args__ = (UniqueConstraint("user_id", "role", "area_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    # Stored as plain text (no database enum), so a new role needs no migration.
    role: Role = Field(
        sa_type=Enum(
            Role,
            native_enum=False,
            create_constraint=False,
            length=20,
            values_callable=lambda roles: [r.value for r in roles],
        )
    )
    area_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("area.id", ondelete="RESTRICT"), nullable=False, index=True
        )
    )
    created_at: datetime = Field(sa_type=UTCDateTime)


class RoleAssignmentPublic(OutputModel):
    id: int
    role: Role
    area_id: int


class UserBase(SQLModel):
    username: str = Field(
        min_length=2,
        max_length=64,
        unique=True,
        index=True,
        schema_extra={"pattern": USERNAME_PATTERN},
    )
    full_name: str = Field(default="", max_length=200)
    # The user's home area: admins above it manage the account.
    area_id: int


class UserCreate(UserBase, InputModel):
    area_id: Id
    password: str = Field(min_length=8, max_length=256)
    roles: list[RoleGrant] = Field(default_factory=list, max_length=50)


class UserUpdate(InputModel):
    not_null_fields: ClassVar[frozenset[str]] = frozenset(
        {"full_name", "password", "area_id", "is_active"}
    )

    full_name: str | None = Field(default=None, max_length=200)
    password: str | None = Field(default=None, min_length=8, max_length=256)
    area_id: Id | None = None
    is_active: bool | None = None


class User(UserBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("area.id", ondelete="RESTRICT"), nullable=False, index=True
        )
    )
    password_hash: str = Field(max_length=255)
    is_active: bool = True
    created_at: datetime = Field(sa_type=UTCDateTime)


class UserPublic(UserBase, OutputModel):
    id: int
    is_active: bool
    created_at: datetime
    roles: list[RoleAssignmentPublic]


class UsersPublic(OutputModel):
    data: list[UserPublic]
    count: int


class AuthToken(SQLModel, table=True):
    __tablename__ = "auth_token"

    id: int | None = Field(default=None, primary_key=True)
    # Only the SHA-256 of the token is kept: a database leak gives no usable tokens.
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class LoginThrottle(SQLModel, table=True):
    __tablename__ = "login_throttle"

    username: str = Field(primary_key=True, max_length=64)
    address: str = Field(primary_key=True, max_length=64)
    failures: int = 0
    window_started_at: datetime = Field(sa_type=UTCDateTime)
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


class LoginRequest(InputModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class TokenPublic(OutputModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
