"""Signing a TestClient in to the pages as a world user: the session cookie the sign-in
sets, and the CSRF token its forms carry."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.world import World
from web.session import SESSION_COOKIE, csrf_for


def sign_in(client: TestClient, world: World, username: str) -> str:
    """Signs `client` in as `username`; returns the CSRF token for its forms."""
    token = world.token(username)
    client.cookies.set(SESSION_COOKIE, token)
    return csrf_for(token)
