"""Alerts through a real server's API, as an operator holding approval issues them at
once, for the tests that watch them reach agents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tests.world import World


def issue_alert(
    server_url: str, world: World, *, user: str, area: str, content_id: int, headline: str
) -> int:
    """An alert to the area's subtree, issued at once, for an hour; returns its id."""
    body = {
        "area_id": world.areas[area],
        "target_area_ids": [world.areas[area]],
        "headline": headline,
        "content_id": content_id,
        "expires": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
        "issue_now": True,
    }
    answer = httpx.post(f"{server_url}/api/v1/alerts", json=body, headers=world.headers(user))
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])
