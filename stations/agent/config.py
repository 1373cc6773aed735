"""The agent's settings: frozen, validated, from the command line."""

from __future__ import annotations

import ssl
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, HttpUrl


class AgentConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    server: HttpUrl
    data_dir: Path
    poll_interval_s: float = Field(default=60.0, gt=0)
    poll_jitter: float = Field(default=0.1, ge=0, lt=1)
    heartbeat_interval_s: float = Field(default=60.0, gt=0)
    upload_interval_s: float = Field(default=5.0, gt=0)
    # The first records after a quiet spell wait a random time up to this before they go.
    upload_spread_s: float = Field(default=30.0, ge=0)
    # After a pushed change, files not needed for the next ten minutes wait a random time
    # up to this: a change for a whole province must not fetch in one second.
    fetch_spread_s: float = Field(default=60.0, ge=0)
    # Exponential backoff after errors, from the first delay up to the last.
    backoff_initial_s: float = Field(default=1.0, gt=0)
    backoff_max_s: float = Field(default=300.0, gt=0)
    # Unreferenced files are evicted when free space falls below this.
    cache_floor_bytes: int = Field(default=500 * 1024 * 1024, ge=0)
    # Use the server's time instead of the system clock when they disagree by more than this
    # (or the system clock is not known to be synchronised).
    clock_threshold_ms: int = Field(default=500, ge=1)
    request_timeout_s: float = Field(default=30.0, gt=0)
    # The first push connection waits a random time up to this: a fleet started at once (the
    # power back in a whole commune) does not dial the server or broker at once.
    push_first_delay_s: float = Field(default=2.0, ge=0)

    # What the sound card and its buffers add between VLC starting an item and the
    # loudspeaker sounding it (benchmarks.playout --aout measures it): every item starts
    # that much earlier, so that it is heard on time, and its record says when it was heard.
    output_latency_ms: int = Field(default=0, ge=0, le=500)

    # The CA the server's and the broker's certificates must chain to (pinned); None: the
    # system's trusted CAs.
    ca_file: Path | None = None

    def tls(self) -> ssl.SSLContext:
        """The TLS context of every connection the agent makes."""
        return ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)

    @property
    def base_url(self) -> str:
        return str(self.server).rstrip("/")

    @property
    def events_url(self) -> str:
        scheme, _, rest = self.base_url.partition("://")
        return f"{'wss' if scheme == 'https' else 'ws'}://{rest}"
