"""A small client for the operator API (/api/v1): what a person does in the demo, they do
through the same routes a real operator would."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

# TTS and ingest run inside the request: a bulletin takes a few seconds to read and encode.
REQUEST_TIMEOUT_S = 120.0


class ApiError(Exception):
    """The server refused a request; the message names the route and the server's reason."""


class ApiClient:
    def __init__(self, base_url: str, *, token: str | None = None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=base_url, headers=headers, timeout=REQUEST_TIMEOUT_S)

    @classmethod
    def signed_in(cls, base_url: str, *, username: str, password: str) -> ApiClient:
        anonymous = cls(base_url)
        try:
            reply = anonymous.post(
                "/api/v1/auth/login", {"username": username, "password": password}
            )
        finally:
            anonymous.close()
        return cls(base_url, token=str(reply["access_token"]))

    def get(self, path: str, **params: Any) -> Any:
        return self._checked("GET", path, self._http.get(path, params=params))

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self._checked("POST", path, self._http.post(path, json=body))

    def upload(self, path: str, *, file: Path, fields: dict[str, str]) -> Any:
        with file.open("rb") as audio:
            reply = self._http.post(path, data=fields, files={"file": (file.name, audio)})
        return self._checked("POST", path, reply)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @staticmethod
    def _checked(method: str, path: str, reply: httpx.Response) -> Any:
        if reply.status_code >= 400:
            raise ApiError(f"{method} {path}: {reply.status_code} {reply.text[:500]}")
        return reply.json() if reply.content else None
