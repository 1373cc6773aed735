"""Broadcast now orders (phát ngay, dừng phát) as the API takes and shows them. Stored as
alert rows of the priority layer (alerts/orders.py says why), so they are pushed, listed in
manifests and acknowledged exactly as alerts are."""

from __future__ import annotations

from datetime import datetime

from pydantic import model_validator
from sqlmodel import Field

from alerts.models import AlertState, DeliveryPublic, OrderAction
from core.models import Id, InputModel, OutputModel

# A stop left on by mistake would silence a commune for good: it ends by itself.
STOP_MAX_MINUTES = 24 * 60
REPEAT_MAX = 20


class OrderCreate(InputModel):
    action: OrderAction = Field(
        default=OrderAction.play,
        description="play: one approved item now, over the schedule; stop: silence",
    )
    area_id: Id = Field(description="The area whose operators manage the order")
    target_area_ids: list[Id] = Field(default_factory=list, max_length=200)
    target_group_ids: list[Id] = Field(default_factory=list, max_length=200)
    content_id: Id | None = Field(default=None, description="play: the approved item to play")
    volume: int = Field(default=100, ge=0, le=100, description="play: the loudspeakers' volume")
    repeat_count: int = Field(default=1, ge=1, le=REPEAT_MAX, description="play: how many times")
    repeat_interval_s: float | None = Field(
        default=None,
        gt=0,
        le=6 * 3600,
        description="play: seconds from one start to the next (default: back to back)",
    )
    minutes: int = Field(
        default=60,
        ge=1,
        le=STOP_MAX_MINUTES,
        description="stop: how long the silence holds, unless it is lifted sooner",
    )
    issue_now: bool = Field(
        default=False,
        description="Issue at once, by one person holding both operator and approver rights "
        "(when the policy allows it); otherwise it waits for an approver",
    )

    @model_validator(mode="after")
    def _complete(self) -> OrderCreate:
        if self.action == OrderAction.play and self.content_id is None:
            raise ValueError("a play order needs content_id: the approved item to play")
        if self.action == OrderAction.stop and self.content_id is not None:
            raise ValueError("a stop order plays nothing: leave content_id out")
        if not self.target_area_ids and not self.target_group_ids:
            raise ValueError("an order needs at least one target area or station group")
        return self


class OrderPublic(OutputModel):
    id: int
    identifier: str
    action: OrderAction
    area_id: int
    target_area_ids: list[int]
    target_group_ids: list[int]
    content_id: int | None
    title: str
    duration_s: float
    volume: int
    repeat_count: int
    repeat_interval_s: float | None
    starts: datetime
    expires: datetime
    state: AlertState
    created_by: int | None
    created_at: datetime
    approved_by: int | None
    issued_at: datetime | None
    ended_at: datetime | None
    # The play orders a stop ended where it silenced every station they reached.
    ends: list[str]
    stations: int


class OrderDetail(OrderPublic):
    deliveries: list[DeliveryPublic]


class OrdersPublic(OutputModel):
    data: list[OrderPublic]
    count: int
