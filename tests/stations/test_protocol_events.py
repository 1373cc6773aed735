"""The event channel's messages are stations/protocol.py's models, both ways: each encodes
and reads back as itself; the server's hub sends nothing but them; a type this side does
not know reads as None (a newer peer's), a malformed message raises."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from stations.fleet.events import REVOKED, EventHub
from stations.protocol import (
    AckEvent,
    AlertEvent,
    ManifestAlert,
    ManifestEvent,
    ManifestFile,
    RevokedEvent,
    ServerEvent,
    encode_event,
    read_server_event,
)

T0 = datetime(2026, 11, 29, 5, 30, tzinfo=UTC)
SHA = "ab" * 32
STORM = ManifestAlert(
    id="storm",
    status="Actual",
    starts=T0,
    expires=T0 + timedelta(hours=1),
    sha256=SHA,
    url=f"/agent/v1/files/{SHA}",
    duration_s=12.0,
    title="Bão",
)
ALERT = AlertEvent(
    type="alert",
    alert_id="storm",
    msg_type="Alert",
    alert=STORM,
    files=[ManifestFile(sha256=SHA, size=1000, url=f"/agent/v1/files/{SHA}")],
)
SERVER_EVENTS: list[ServerEvent] = [
    ManifestEvent(type="manifest", version=3, build_id="b" * 64, alerts_digest="a1"),
    ManifestEvent(type="manifest", version=3),
    ALERT,
    AlertEvent(type="alert", alert_id="c", msg_type="Cancel", references=["storm"]),
    RevokedEvent(type="revoked"),
]


@pytest.mark.parametrize("event", SERVER_EVENTS, ids=lambda e: e.type)
def test_every_server_event_reads_back_as_itself(event: ServerEvent) -> None:
    assert read_server_event(encode_event(event)) == event


def test_the_agents_ack_reads_back_as_itself() -> None:
    ack = AckEvent(type="ack", alert_id="storm", stage="started", at=T0)
    assert AckEvent.model_validate_json(encode_event(ack)) == ack
    assert "at" not in encode_event(ack.model_copy(update={"at": None}))


def test_a_type_not_known_here_is_none_and_a_malformed_message_raises() -> None:
    assert read_server_event('{"type":"order","order_id":"x"}') is None
    for malformed in ['{"type":"manifest"}', '{"version":3}', "[1]", "not json"]:
        with pytest.raises(ValidationError):
            read_server_event(malformed)


def test_the_hub_sends_the_protocols_models() -> None:
    """What each way of publishing puts on the wire reads back through the protocol."""

    async def scenario() -> list[str]:
        hub = EventHub()
        hub.bind(asyncio.get_running_loop())
        queue = hub.connect(1)
        hub.publish_manifests({1: (4, "c" * 64), 2: (9, "d" * 64)})
        hub.publish(1, SERVER_EVENTS[0])
        hub.publish_many([1, 2], ALERT)
        hub.revoke(1)
        await asyncio.sleep(0)  # delivery is on the loop
        return [queue.get_nowait() for _ in range(queue.qsize())]

    sent = asyncio.run(scenario())
    assert [read_server_event(text) for text in sent] == [
        ManifestEvent(type="manifest", version=4, build_id="c" * 64),
        SERVER_EVENTS[0],
        ALERT,
        RevokedEvent(type="revoked"),
    ]
    assert sent[-1] == REVOKED and json.loads(REVOKED) == {"type": "revoked"}
