"""Fetching a feed or a document over HTTP: conditional (If-None-Match, If-Modified-Since),
bounded in size and time. The httpx client is passed in, so tests give a fake transport or
a real server on loopback."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

USER_AGENT = "Loaxa CAP feed poller (commune radio)"
ACCEPT = "application/atom+xml, application/rss+xml, application/cap+xml, application/xml;q=0.9"


class FetchError(Exception):
    """The URL could not be fetched; the message says why (for the feed's last error)."""


class TooLarge(FetchError):
    """Larger than the limit: fetching it again would not help."""


@dataclass(frozen=True, kw_only=True)
class Fetched:
    """A 200's body and validators, or `not_modified` (304: the body is empty)."""

    body: bytes = b""
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, kw_only=True)
class Fetcher:
    client: httpx.Client
    max_bytes: int
    timeout_s: float

    def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        max_bytes: int | None = None,
    ) -> Fetched:
        """The body at `url`, at most `max_bytes` (else the fetcher's limit, a feed's)."""
        headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            with self.client.stream(
                "GET", url, headers=headers, timeout=self.timeout_s, follow_redirects=True
            ) as response:
                if response.status_code == httpx.codes.NOT_MODIFIED:
                    return Fetched(not_modified=True, etag=etag, last_modified=last_modified)
                if response.status_code != httpx.codes.OK:
                    raise FetchError(f"{url} answered HTTP {response.status_code}")
                body = self._read(response, url, max_bytes or self.max_bytes)
                return Fetched(
                    body=body,
                    etag=response.headers.get("etag"),
                    last_modified=response.headers.get("last-modified"),
                )
        except httpx.HTTPError as exc:
            raise FetchError(f"{url} could not be fetched: {type(exc).__name__}: {exc}") from exc

    def _read(self, response: httpx.Response, url: str, limit: int) -> bytes:
        # Read only up to the limit: a feed that sends gigabytes is cut off, not buffered.
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise TooLarge(f"{url} is too large: {declared} bytes, at most {limit}")
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > limit:
                raise TooLarge(f"{url} is too large: more than {limit} bytes")
        return bytes(body)
