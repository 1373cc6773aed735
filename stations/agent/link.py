"""The agent's side of the HTTP protocol. Every answer carrying the server's time also
feeds the clock's offset estimate."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import httpx

from stations.agent.clock import STEP_TOLERANCE_S, OffsetEstimator, clock_epoch, wall_now
from stations.agent.config import AgentConfig
from stations.protocol import (
    ASRUN_PATH,
    ENROLL_PATH,
    HEARTBEAT_PATH,
    MANIFEST_PATH,
    PUSH_CREDENTIALS_PATH,
    AsRunRecord,
    AsRunReply,
    EnrollReply,
    EnrollRequest,
    Heartbeat,
    HeartbeatReply,
    PushCredentials,
)


class TokenRefused(Exception):
    """The server refused the station token (401): revoked, or the station was deleted."""


class TokenRevoked(Exception):
    """The server said the token is revoked: this link sends nothing more."""


class UploadRefused(Exception):
    """The server refused an as-run batch as too large (413) or invalid (422)."""


@dataclass(frozen=True, slots=True)
class ManifestAnswer:
    changed: bool
    body: bytes


async def enroll(config: AgentConfig, request: EnrollRequest) -> EnrollReply:
    async with httpx.AsyncClient(
        base_url=config.base_url, timeout=config.request_timeout_s, verify=config.tls()
    ) as client:
        # Without the optional fields it lacks: an older server refuses any it does not know.
        response = await client.post(
            ENROLL_PATH, json=request.model_dump(mode="json", exclude_none=True)
        )
    if response.status_code != 201:
        raise RuntimeError(f"enrolment refused ({response.status_code}): {_detail(response)}")
    return EnrollReply.model_validate_json(response.content)


class ServerLink:
    def __init__(
        self,
        config: AgentConfig,
        token: str,
        estimator: OffsetEstimator,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.client = httpx.AsyncClient(
            base_url=config.base_url,
            timeout=config.request_timeout_s,
            headers={"Authorization": f"Bearer {token}"},
            event_hooks={"request": [self._guard]},
            transport=transport,
            verify=config.tls(),
        )
        self._estimator = estimator
        self.revoked = False

    async def close(self) -> None:
        await self.client.aclose()

    def forget_token(self) -> None:
        """The token was revoked: no request leaves from now on (any already on its way
        is cancelled with the agent's loops), and none would carry the token."""
        self.revoked = True
        self.client.headers.pop("Authorization", None)

    async def _guard(self, request: httpx.Request) -> None:
        # Every request of this client passes here, the cache's downloads included.
        if self.revoked:
            raise TokenRevoked(f"not sent, the token is revoked: {request.method} {request.url}")

    async def manifest(self, etag: str | None) -> ManifestAnswer:
        headers = {"If-None-Match": etag} if etag else {}
        response = _checked(await self.client.get(MANIFEST_PATH, headers=headers), 200, 304)
        return ManifestAnswer(changed=response.status_code == 200, body=response.content)

    async def heartbeat(self, beat: Heartbeat) -> HeartbeatReply:
        epoch, sent, started = clock_epoch(), wall_now(), time.monotonic()
        response = await self.client.post(HEARTBEAT_PATH, json=beat.model_dump(mode="json"))
        received = sent + _elapsed(started)
        reply = HeartbeatReply.model_validate_json(_checked(response, 200).content)
        if abs(clock_epoch() - epoch) < STEP_TOLERANCE_S:  # else the clock stepped meanwhile
            self._estimator.add(
                sent=sent, received=received, server_time=reply.server_time, epoch=epoch
            )
        return reply

    async def push_credentials(self) -> PushCredentials:
        """New MQTT credentials from the server (replacing the station's old ones)."""
        response = _checked(await self.client.post(PUSH_CREDENTIALS_PATH), 200)
        return PushCredentials.model_validate_json(response.content)

    async def upload(self, records: Sequence[AsRunRecord]) -> AsRunReply:
        body = [r.model_dump(mode="json") for r in records]
        response = await self.client.post(ASRUN_PATH, json=body)
        if response.status_code in (413, 422):
            raise UploadRefused(f"{response.status_code}: {_detail(response)}")
        return AsRunReply.model_validate_json(_checked(response, 200).content)


# A server asking for longer than this is asked again sooner (a misconfigured proxy must
# not silence a station for a day).
RETRY_AFTER_MAX_S = 900.0


def retry_after(exc: BaseException) -> float:
    """How long a busy server asked to wait (a 429 or 503 with Retry-After in seconds),
    else 0."""
    if isinstance(exc, httpx.HTTPStatusError) and exc.response.status_code in (429, 503):
        value = exc.response.headers.get("retry-after", "").strip()
        if value.isdigit():
            return min(float(value), RETRY_AFTER_MAX_S)
    return 0.0


def _elapsed(started: float) -> timedelta:
    # The round trip from the monotonic clock: a step of the wall clock cannot distort it.
    return timedelta(seconds=time.monotonic() - started)


def _checked(response: httpx.Response, *expected: int) -> httpx.Response:
    if response.status_code == 401:
        raise TokenRefused(_detail(response))
    if response.status_code not in expected:
        raise httpx.HTTPStatusError(
            f"{response.request.method} {response.request.url.path} answered "
            f"{response.status_code}: {_detail(response)}",
            request=response.request,
            response=response,
        )
    return response


def _detail(response: httpx.Response) -> str:
    return detail_of(response.content)


def detail_of(body: bytes | bytearray) -> str:
    """What a refusal says: its JSON "detail", else its text."""
    text = body.decode(errors="replace")
    try:
        return str(json.loads(text).get("detail", text))[:500]
    except (ValueError, AttributeError):
        return text[:500]
