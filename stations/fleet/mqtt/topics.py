"""The MQTT topics of agent protocol v1, and who may use which (DESIGN.md: topics per
station and per area). Pure: names only.

Down (server → agents): each station's events and its manifest hint (retained), and each
area's events, which every station under the area hears: an alert to a commune subtree is
one publish. Up (agent → server): each station's acks, heartbeats and presence (retained; the broker
sends its last will when it goes away), read by every server process through one shared
subscription, so each message reaches one of them.
"""

from __future__ import annotations

ROOT = "loaxa/v1"
# Every server process subscribes in this group: the broker hands each message to one.
SHARE = "loaxa"


def station_events(station_id: int) -> str:
    return f"{ROOT}/stations/{station_id}/events"


def station_manifest(station_id: int) -> str:
    return f"{ROOT}/stations/{station_id}/manifest"


def area_events(area_id: int) -> str:
    return f"{ROOT}/areas/{area_id}/events"


def station_acks(station_id: int) -> str:
    return f"{ROOT}/stations/{station_id}/acks"


def station_heartbeat(station_id: int) -> str:
    return f"{ROOT}/stations/{station_id}/heartbeat"


def station_presence(station_id: int) -> str:
    return f"{ROOT}/stations/{station_id}/presence"


SHARED_ACKS = f"$share/{SHARE}/{ROOT}/stations/+/acks"
SHARED_PRESENCE = f"$share/{SHARE}/{ROOT}/stations/+/presence"
SHARED_HEARTBEATS = f"$share/{SHARE}/{ROOT}/stations/+/heartbeat"


def station_of(topic: str) -> int | None:
    """The station an up topic belongs to, or None for any other topic."""
    parts = topic.split("/")
    if len(parts) == 5 and "/".join(parts[:3]) == f"{ROOT}/stations" and parts[3].isdigit():
        return int(parts[3])
    return None


def username(station_id: int) -> str:
    return f"station-{station_id}"


def client_id(station_id: int) -> str:
    return f"loaxa-station-{station_id}"


def down_topics(station_id: int, area_ids: list[int]) -> list[str]:
    """What the station subscribes to: its own topics, then its areas' from the root down."""
    own = [station_events(station_id), station_manifest(station_id)]
    return own + [area_events(area) for area in area_ids]
