"""Fixtures the alert tests share."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from playlists.content.storage import ContentStorage


@pytest.fixture
def storage(client: TestClient) -> ContentStorage:
    """The app's content storage: what an import left behind is in `storage.all()`."""
    stored: ContentStorage = client.app.state.content.storage  # type: ignore[attr-defined]
    return stored
