"""What a time filter must refuse, the two spellings of one moment it must take, and the
check that a refusal names the parameter."""

from __future__ import annotations

import httpx

# A Unix time (negative or not), a moment with no offset, a word.
NONSENSE = ("-1", "1700000000", "2026-01-01T00:00:00", "yesterday")
# 05:30 in Hanoi, with its offset and in UTC.
ONE_MOMENT = ("2026-11-29T05:30:00+07:00", "2026-11-28T22:30:00Z")


def assert_refused_by_name(response: httpx.Response, name: str) -> None:
    """A 422 whose detail and errors name the query parameter `name`, and nothing else."""
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["detail"].startswith(f"invalid request: {name}: "), body
    assert [(e["location"], e["field"]) for e in body["errors"]] == [("query", name)], body
