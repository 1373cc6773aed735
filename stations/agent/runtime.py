"""The agent at run time: the playout engine, and four loops over one server link.

- sync: polls the manifest (If-None-Match, jittered interval) or pulls at once when the
  event channel says so; saves it, prefetches its files, evicts what is no longer needed;
- events: keeps a push session open (the server's WebSocket, or MQTT where the manifest's
  push block says so: stations/agent/push.py), reconnecting by itself;
- heartbeat: reports health and measures the clock offset;
- upload: drains the as-run outbox, forgetting records only once acknowledged.

The playout engine plays what the saved manifest says from the verified cache, by the
corrected clock, whatever the network does. Each loop backs off on errors by itself; none
stops the others. Without a server the agent goes on from its saved manifest and cached
files, and its outbox keeps every record.

One thing stops it all: the server's "revoked" event (an admin revoked this station's
token). The agent then sends nothing more with the token, sets its credentials aside so no
restart uses them, stops playing, says loudly to enrol again with a new code, and returns.
Playout stops too: from then on the server can neither correct nor cancel what the station
plays (a Cancel of an alert on the air would never reach it, a changed schedule would play
as it was for up to a week), and a revoked Pi is usually a stolen, replaced or moved one, so
playing on is wrong more often than it is right; and after any restart it could not run
anyway, so playing on would last only until the next power cut. The saved manifest, the
cache and the outbox stay on disk: once enrolled again the station is on the air as soon
as it syncs, and reports what it played. A plain 401 does not stop the agent: it may be a
proxy or a restored database, not a revocation, and retrying costs nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import shutil
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import aiomqtt
import httpx
import websockets
from pydantic import ValidationError

from audio.player import Player
from stations.agent.alert_log import AlertLog
from stations.agent.backoff import Backoff, jittered
from stations.agent.cache import FileCache
from stations.agent.clock import CorrectedClock, OffsetEstimator
from stations.agent.config import AgentConfig
from stations.agent.credentials import Credentials, PushLogin, load_push, save_push, set_aside
from stations.agent.link import ServerLink, TokenRefused, UploadRefused, retry_after
from stations.agent.manifest_store import ManifestStore
from stations.agent.outbox import Outbox
from stations.agent.playout import Playout
from stations.agent.push import HeartbeatSender, PushRefused, PushSession, WebSocketSession
from stations.agent.push_mqtt import MqttSession
from stations.protocol import (
    ASRUN_BATCH_MAX,
    AckEvent,
    AlertEvent,
    AsRunRecord,
    Heartbeat,
    ManifestFile,
    RevokedEvent,
    read_server_event,
)

log = logging.getLogger("loaxa.agent")

OUTBOX_FILE = "outbox.sqlite3"
# An as-run upload stays well under the server's request size limit (1 MiB by default).
UPLOAD_MAX_BYTES = 256 * 1024
# An interrupted item's record ends at the last sign of life: within a second of the kill.
ALIVE_INTERVAL_S = 1.0
PUSH_MARGIN = timedelta(seconds=5)
PUSH_FETCH_TRIES = 4
PUSH_FETCH_RETRY_S = 0.5
# Of this many heartbeats in a row, one goes over HTTP while push carries the others.
HTTP_BEAT_EVERY = 10
# After a pushed change, files needed within this are fetched at once, the rest spread.
FETCH_SOON = timedelta(minutes=10)
# What a push session that ended for a new push block returns.
PUSH_CHANGED = "the push block changed"


def agent_version() -> str:
    try:
        return version("loaxa")
    except PackageNotFoundError:
        return "0+unknown"


class Agent:
    def __init__(
        self, config: AgentConfig, credentials: Credentials, player: Player | None = None
    ) -> None:
        self.config = config
        self.credentials = credentials
        self.clock = CorrectedClock(
            OffsetEstimator(), threshold=timedelta(milliseconds=config.clock_threshold_ms)
        )
        self.manifests = ManifestStore(config.data_dir, credentials.station_id)
        self.cache = FileCache(config.data_dir / "cache")
        self.outbox = Outbox(config.data_dir / OUTBOX_FILE)
        self.link = ServerLink(config, credentials.token, self.clock.estimator)
        # Acks wait here for the event channel; all of them are sent again on reconnecting.
        self._acks: asyncio.Queue[AckEvent] = asyncio.Queue()
        self.alerts = AlertLog(config.data_dir, acknowledge=self._acks.put_nowait)
        self.last_error: str | None = None
        self._pull_now = asyncio.Event()
        self._push_changed = asyncio.Event()
        self._upload_idle = True
        self._beat_up: HeartbeatSender | None = None
        self._beats_over_push = 0
        self._pushed_change = False
        self._deferred: asyncio.Task[None] | None = None
        self._pause: Callable[[float], Awaitable[None]] = asyncio.sleep
        self._push_backoff = Backoff(config.backoff_initial_s, config.backoff_max_s)
        self.revoked = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._rng = random.Random()
        self._started = time.monotonic()
        self._batch_limit = ASRUN_BATCH_MAX
        # Without a player (--no-playout) the agent only syncs and reports.
        self.playout = (
            None
            if player is None
            else Playout(
                player=player,
                manifests=self.manifests,
                cache=self.cache,
                outbox=self.outbox,
                clock=self.clock,
                alert_log=self.alerts,
                # The output's own latency, and a player's that acts a fixed time ahead.
                output_latency=timedelta(
                    milliseconds=config.output_latency_ms, seconds=player.ahead_s
                ),
            )
        )

    async def run(self) -> None:
        closed = self.outbox.close_interrupted(self.clock.now())
        if closed:
            log.warning(
                "outbox: %d item(s) were interrupted by a stop; recorded as partial", closed
            )
        loops = [
            self._sync_loop(),
            self._events_loop(),
            self._heartbeat_loop(),
            self._upload_loop(),
            self._alive_loop(),
        ]
        if self.playout is not None:
            loops.append(self.playout.run())
        # Every loop runs until cancelled; the revocation is what ends them all.
        tasks = [asyncio.ensure_future(loop) for loop in [*loops, self._until_revoked()]]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # a loop ends only by an error: raise it
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.link.close()
            self.outbox.close()

    async def _until_revoked(self) -> None:
        await self.revoked.wait()

    # sync ------------------------------------------------------------------------------

    async def _repeat(
        self,
        what: str,
        step: Callable[[], Awaitable[object]],
        *,
        interval: Callable[[], float],
        backoff_max_s: float,
        wait: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """Run `step` forever: `interval()` apart after a success, backing off after errors."""
        backoff = Backoff(self.config.backoff_initial_s, backoff_max_s)
        while True:
            try:
                await step()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # A busy server's Retry-After, when it asks for longer than the backoff.
                delay = max(backoff.failed(), retry_after(exc))
                self._failed(what, exc, delay)
            else:
                backoff.succeeded()
                delay = interval()
            await wait(delay)

    def _sync_loop(self) -> Awaitable[None]:
        return self._repeat(
            "sync",
            self.sync_once,
            interval=lambda: jittered(
                self.config.poll_interval_s, self.config.poll_jitter, self._rng
            ),
            backoff_max_s=self.config.backoff_max_s,
            wait=self._wait_for_pull,
        )

    async def sync_once(self) -> None:
        current = self.manifests.current
        answer = await self.link.manifest(current.etag() if current else None)
        if answer.changed:
            accepted = self.manifests.accept(answer.body)
            if accepted.push != (current.push if current else None):
                self._push_changed.set()
            log.info(
                "manifest: version %d, %d item(s), %d alert(s)",
                accepted.version,
                len(accepted.items),
                len(accepted.alerts),
            )
            now = self.clock.now()
            for alert in accepted.alerts:
                self.alerts.received(alert, now)
            self.alerts.forget_expired(now)
            self._playout_changed()
        manifest = self.manifests.current
        if manifest is None:
            return
        # The server just said this manifest is current (a 200 or a 304): a pushed alert
        # it does not list, pushed longer ago than any server process takes to know it,
        # has ended (its Cancel was missed).
        before = self.alerts.version
        self.alerts.withdraw_unlisted(
            {alert.id for alert in manifest.alerts}, before=self.clock.now() - PUSH_MARGIN
        )
        if self.alerts.version != before:
            self._playout_changed()
        # Make room first, then fetch in the order the files are first needed.
        keep = manifest.file_hashes() | {f.sha256 for f in self.alerts.pushed_files()}
        for sha in self.cache.evict(keep, self.config.cache_floor_bytes):
            log.info("cache: evicted %s (no longer in the manifest)", sha[:12])
        pushed, self._pushed_change = self._pushed_change, False
        if not (pushed and answer.changed and current is not None):
            await self._fetch(manifest.files_in_order_of_use())
            return
        # A change pushed to many stations at once: what is not needed soon is fetched a
        # little later, at a random time, so they do not all fetch in the same second.
        soon, later = manifest.files_by_need(self.clock.now() + FETCH_SOON)
        later = [f for f in later if not self.cache.verified(f.sha256)]
        if later:
            self._fetch_later(later)
        await self._fetch(soon)

    def _fetch_later(self, files: Sequence[ManifestFile]) -> None:
        if self._deferred is not None:
            self._deferred.cancel()  # a newer manifest's list replaces it

        async def fetch() -> None:
            await self._pause(self._rng.uniform(0, self.config.fetch_spread_s))
            await self._fetch(files)

        self._deferred = task = asyncio.create_task(fetch())
        self._tasks.add(task)
        task.add_done_callback(self._fetched)

    async def _fetch(self, files: Sequence[ManifestFile]) -> None:
        failures = []
        for file in files:
            try:
                if await self.cache.fetch(self.link.client, file):
                    log.info("cache: %s verified (%d bytes)", file.sha256[:12], file.size)
                    self._playout_changed()
            except Exception as exc:  # one bad file must not stop the others
                failures.append(f"{file.sha256[:12]}: {exc}")
        if failures:
            raise RuntimeError(f"{len(failures)} file(s) not fetched: {'; '.join(failures)}")

    def _playout_changed(self) -> None:
        if self.playout is not None:
            self.playout.changed()

    async def _wait_for_pull(self, delay: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._pull_now.wait(), timeout=delay)
        self._pull_now.clear()

    # events ----------------------------------------------------------------------------

    async def _events_loop(self) -> None:
        """Keep a push session open, over whichever transport the manifest's push block
        names (the server's own channel when it names none), dialling again with jittered
        backoff; a change of the block ends the session and starts the new one at once."""
        # A whole commune's agents start together when the power returns: spread them.
        await asyncio.sleep(self._rng.uniform(0, self.config.push_first_delay_s))
        while True:
            self._push_changed.clear()
            busy = 0.0
            try:
                reason = await self._push_until_changed(await self._push_session())
            except PushRefused as exc:
                reason = self._push_refused(exc)
            except TokenRefused as exc:  # asking for MQTT credentials
                self._failed("events", exc, 0)
                reason = "the server refused the token"
            except (
                OSError,
                websockets.WebSocketException,
                aiomqtt.MqttError,
                httpx.HTTPError,
                TimeoutError,
            ) as exc:
                reason = str(exc) or type(exc).__name__
                busy = retry_after(exc)
            if reason == PUSH_CHANGED:
                log.info("events: the push block changed; connecting as it says")
                continue
            # Also after a clean close: a server that accepts and hangs up at once must not
            # be redialled in a tight loop.
            delay = max(self._push_backoff.failed(), busy)
            log.info("events: %s; reconnecting in %.1f s", reason, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._push_changed.wait(), timeout=delay)

    async def _push_session(self) -> PushSession:
        current = self.manifests.current
        block = current.push if current is not None else None
        if block is None or block.transport != "mqtt" or not block.url:
            return self._own_channel()
        login = load_push(self.config.data_dir)
        if login is None:
            try:
                given = await self.link.push_credentials()
            except httpx.HTTPStatusError as exc:
                if exc.response.status_code != 404:
                    raise
                # A server that says MQTT but issues no credentials: its own channel.
                return self._own_channel()
            login = PushLogin(given.username, given.password)
            save_push(self.config.data_dir, login)
            log.info("events: new MQTT credentials from the server")
        return MqttSession(
            block,
            login,
            on_subscribed=lambda done: save_push(self.config.data_dir, done),
            tls=self.config.tls(),
        )

    def _own_channel(self) -> WebSocketSession:
        return WebSocketSession(self.config.events_url, self.credentials.token, self.config.tls())

    async def _push_until_changed(self, session: PushSession) -> str:
        running = asyncio.create_task(session.run(self))
        changed = asyncio.create_task(self._push_changed.wait())
        try:
            await asyncio.wait({running, changed}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            changed.cancel()
            self._beat_up = None  # heartbeats over HTTP until connected again
        if running.done():
            running.result()  # what broke it, if anything
            return "closed by the server"
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        return PUSH_CHANGED

    def _push_refused(self, exc: PushRefused) -> str:
        current = self.manifests.current
        if current is not None and current.push is not None and current.push.transport == "mqtt":
            # The broker lost them, or the server replaced them: ask for new ones next time.
            save_push(self.config.data_dir, None)
            return f"{exc}; asking the server for new credentials"
        self._failed("events", TokenRefused(str(exc)), 0)
        return "the handshake was refused (401)"

    # PushHandler: what every push session calls back.

    def connected(self, transport: str, heartbeat: HeartbeatSender | None = None) -> None:
        log.info("events: connected%s", "" if transport == "websocket" else f" ({transport})")
        self._push_backoff.succeeded()
        self._beat_up = heartbeat

    def known_acks(self) -> list[AckEvent]:
        return self.alerts.acks()

    async def next_ack(self) -> AckEvent:
        return await self._acks.get()

    def on_message(self, message: str | bytes) -> None:
        self._on_event(message)

    def _on_event(self, message: str | bytes) -> None:
        try:
            event = read_server_event(message)
        except ValidationError as exc:
            log.warning(
                "events: ignoring a malformed message (%s): %.200r",
                exc.errors()[0]["msg"],
                message,
            )
            return
        if event is None:
            log.info(
                "events: ignoring a message of a type this agent does not know: %.200r", message
            )
        elif isinstance(event, RevokedEvent):
            self._on_revoked()
        elif isinstance(event, AlertEvent):
            self._on_alert(event)
        elif self._is_new(event.version, event.build_id, event.alerts_digest):
            log.info("events: manifest version %d is out; pulling it now", event.version)
            self._pushed_change = True
            self._pull_now.set()

    def _on_revoked(self) -> None:
        """The server revoked this station's token: stop using it, for good (the module's
        docstring says why playout stops too)."""
        if self.revoked.is_set():
            return
        self.link.forget_token()
        self.revoked.set()  # run() stops every loop and the playout
        try:
            where = set_aside(self.config.data_dir, self.clock.now())
            kept = f"set aside as {where}" if where else "already gone from the data directory"
        except OSError as exc:  # a read-only or failing card: say so, and stop all the same
            kept = f"NOT set aside ({exc}: delete station.json by hand)"
        log.critical(
            "REVOKED: the server revoked the token of station #%d. The agent stops: it "
            "plays nothing more and sends nothing more with that token, which is %s so that "
            "no restart uses it. Its saved playlist, audio cache and as-run records stay in "
            "%s. To put the station back on the air, ask an admin for a new enrolment code "
            "(mã đăng ký: POST /api/v1/stations/%d/enrollment-code) and enrol again: "
            "loaxa agent --server %s --data-dir %s --enroll NEW-CODE",
            self.credentials.station_id,
            kept,
            self.config.data_dir,
            self.credentials.station_id,
            self.config.base_url,
            self.config.data_dir,
        )

    def _on_alert(self, event: AlertEvent) -> None:
        """Stop what it ends at once; start what it carries as soon as its files are here;
        and pull the manifest, which is the truth."""
        log.warning(
            "events: alert %s (%s)%s",
            event.alert_id,
            event.msg_type,
            f", ends {', '.join(event.references)}" if event.references else "",
        )
        for ended in event.references:
            if self.playout is not None:
                self.playout.cancel(ended)
            else:
                self.alerts.cancel(ended, self.clock.now())
        if event.alert is not None:
            self.alerts.received(
                event.alert, self.clock.now(), pushed=True, files=list(event.files)
            )
            self._playout_changed()
            task = asyncio.create_task(self._fetch_pushed(event.files))
            self._tasks.add(task)
            task.add_done_callback(self._fetched)
        self._pull_now.set()

    async def _fetch_pushed(self, files: Sequence[ManifestFile]) -> None:
        """A pushed alert's files, at once; tried again shortly, as the server process
        asked may not know the alert yet (another process issued it a moment ago)."""
        for attempt in range(PUSH_FETCH_TRIES):
            try:
                await self._fetch(files)
                return
            except Exception:
                if attempt == PUSH_FETCH_TRIES - 1:
                    raise
                await asyncio.sleep(PUSH_FETCH_RETRY_S)

    def _fetched(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if task is self._deferred:
            self._deferred = None
        if not task.cancelled() and task.exception() is not None:
            self._failed("alert files", task.exception(), 0)  # type: ignore[arg-type]

    def _is_new(self, version: int | None, build_id: str | None, alerts: str | None = None) -> bool:
        current = self.manifests.current
        if version is None:
            return False
        if current is None:
            return True
        if alerts is not None and alerts != current.alerts_digest:
            return True
        return (version, build_id or current.build_id) != (current.version, current.build_id)

    # heartbeat -------------------------------------------------------------------------

    def _heartbeat_loop(self) -> Awaitable[None]:
        return self._repeat(
            "heartbeat",
            self._beat,
            interval=lambda: self.config.heartbeat_interval_s,
            backoff_max_s=self.config.heartbeat_interval_s,
        )

    async def _beat(self) -> None:
        # Over MQTT while connected, but one in HTTP_BEAT_EVERY over HTTP all the same: its
        # round trip is what measures the clock offset, and its reply what is current.
        if self._beat_up is not None and self._beats_over_push < HTTP_BEAT_EVERY - 1:
            try:
                await self._beat_up(self.heartbeat())
            except aiomqtt.MqttError:
                pass  # the session ended meanwhile: over HTTP below
            else:
                self._beats_over_push += 1
                return
        self._beats_over_push = 0
        reply = await self.link.heartbeat(self.heartbeat())
        if self._is_new(reply.manifest_version, reply.build_id, reply.alerts_digest):
            self._pull_now.set()  # a push was missed: the heartbeat says what is current

    def heartbeat(self) -> Heartbeat:
        current = self.manifests.current
        return Heartbeat(
            manifest_version=current.version if current else None,
            now_playing=self.playout.now_playing() if self.playout else None,
            clock_offset_ms=self.clock.offset_ms(),
            disk_free_bytes=shutil.disk_usage(self.config.data_dir).free,
            cpu_temp_c=_cpu_temperature(),
            volume=self.playout.volume() if self.playout else None,
            agent_version=agent_version(),
            uptime_s=round(time.monotonic() - self._started, 1),
            last_error=self.last_error,
            asrun_pending=self.outbox.count(),
            asrun_pending_since=self.outbox.oldest(),
        )

    # upload ----------------------------------------------------------------------------

    def _upload_loop(self) -> Awaitable[None]:
        return self._repeat(
            "upload",
            self._upload_spread,
            interval=lambda: self.config.upload_interval_s,
            backoff_max_s=self.config.backoff_max_s,
        )

    async def _upload_spread(self) -> None:
        """Upload what is ready; the first records after a quiet spell wait a random time
        up to upload_spread_s, since every station of a province finishes the same session
        at the same second, and their uploads would arrive together."""
        if not self.outbox.pending(1):
            self._upload_idle = True
            return
        if self._upload_idle and self.config.upload_spread_s > 0:
            await self._pause(self._rng.uniform(0, self.config.upload_spread_s))
        self._upload_idle = False
        await self.upload_pending()

    async def upload_pending(self) -> int:
        """Upload every ready record, a batch at a time; returns how many the server has.
        A refused batch is halved until the record the server will not take stands alone;
        that one is set aside, so it cannot hold up the rest."""
        done = 0
        while batch := _fit(self.outbox.pending(self._batch_limit), UPLOAD_MAX_BYTES):
            try:
                reply = await self.link.upload(batch)
            except UploadRefused as exc:
                if len(batch) > 1:
                    self._batch_limit = max(1, len(batch) // 2)
                    continue
                self.outbox.set_aside(batch[0].id, str(exc))
                log.error(
                    "as-run: record %s refused by the server, set aside: %s", batch[0].id, exc
                )
                continue
            self.outbox.acknowledge([r.id for r in batch])
            self._batch_limit = ASRUN_BATCH_MAX
            done += len(batch)
            log.info("as-run: %d uploaded (%d already there)", reply.accepted, reply.duplicates)
        return done

    async def _alive_loop(self) -> None:
        """A local sign of life, network or not: what an item interrupted by a power cut is
        closed with."""
        while True:
            self.outbox.mark_alive(self.clock.now())
            await asyncio.sleep(ALIVE_INTERVAL_S)

    def _failed(self, what: str, exc: Exception, delay: float) -> None:
        if self.revoked.is_set():
            return  # stopping: the loops are being cancelled, and the reason was logged
        self.last_error = f"{what}: {exc}"[:2000]
        if isinstance(exc, TokenRefused):
            log.error(
                "%s: the server refused this station's token (%s); the agent goes on from "
                "its saved manifest. Enrol again with a new code to reconnect.",
                what,
                exc,
            )
        else:
            log.warning("%s failed: %s; again in %.1f s", what, exc, delay)


def _fit(records: list[AsRunRecord], max_bytes: int) -> list[AsRunRecord]:
    """The longest head of `records` whose JSON stays under `max_bytes` (at least one)."""
    size = 0
    for count, record in enumerate(records):
        size += len(record.model_dump_json()) + 1
        if size > max_bytes and count > 0:
            return records[:count]
    return records


def _cpu_temperature() -> float | None:
    sensor = Path("/sys/class/thermal/thermal_zone0/temp")
    try:
        return round(int(sensor.read_text().strip()) / 1000, 1)
    except (OSError, ValueError):
        return None
