"""The playout engine joined to the agent's parts: its timeline comes from the saved
manifest, its files from the verified cache, its time from the corrected clock, and its
records go to the outbox. What it plays is reported in the heartbeat. Alerts join the
schedule as the emergency layer; a Cancel pushed ahead of the manifest silences its alert at
once."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from audio.player import Player
from stations.agent.alert_log import AlertLog
from stations.agent.alerts import alert_entries, hold_entries
from stations.agent.cache import FileCache
from stations.agent.clock import CorrectedClock
from stations.agent.decision import Entry, PlayoutTimeline, schedule_entries
from stations.agent.engine import PlayoutEngine
from stations.agent.manifest_store import ManifestStore
from stations.agent.outbox import Outbox
from stations.agent.replay import replayable, with_replays
from stations.protocol import (
    REPLAY_SUFFIX,
    AsRunRecord,
    Manifest,
    ManifestAlert,
    NowPlaying,
    Stage,
)


class Playout:
    def __init__(
        self,
        *,
        player: Player,
        manifests: ManifestStore,
        cache: FileCache,
        outbox: Outbox,
        clock: CorrectedClock,
        alert_log: AlertLog,
        output_latency: timedelta = timedelta(0),
    ) -> None:
        self._manifests = manifests
        self._cache = cache
        self._clock = clock
        self._log = alert_log
        self._outbox = outbox
        # Scheduled items a higher layer cut, and when: in a replay session they play again
        # whole at its end (stations/agent/replay.py). Kept in memory: after a restart a
        # cut item is joined again where the clock says.
        self._cuts: dict[str, datetime] = {}
        self._missed: set[str] = set()
        self._built: tuple[Manifest, int, int, PlayoutTimeline] | None = None
        self.engine = PlayoutEngine(
            player=player,
            outbox=outbox,
            timeline=self.timeline,
            verified=cache.verified,
            source_for=self.source_for,
            # The engine lives on the loudspeaker's time: what it starts is heard this
            # much later.
            now=lambda: clock.now() + output_latency,
            offset_ms=clock.offset_ms,
            observe=self._observe,
            cut=self._on_cut,
        )

    def timeline(self, now: datetime) -> PlayoutTimeline | None:
        """The saved manifest's timeline with the alerts this station holds: rebuilt when
        the manifest or the alert log moves."""
        manifest = self._manifests.current
        if manifest is None:
            return None
        alerts = self._alerts(manifest)
        self._mark_ready(alerts, now)
        alerts = self._stop_earlier_plays(alerts, now)
        built = self._built
        if (
            built is None
            or built[0] is not manifest
            or built[1] != self._log.version
            or built[2] != len(self._cuts)
        ):
            schedule, missed = with_replays(
                schedule_entries(manifest.items), manifest.replay_windows, self._cuts
            )
            self._report_missed(missed)
            entries = schedule + alert_entries(
                self._anchored(alerts),
                timezone=manifest.timezone,
                plays_test_alerts=manifest.plays_test_alerts,
                cancelled=self._log.cancelled(),
            )
            entries += hold_entries(
                self._waiting(alerts), plays_test_alerts=manifest.plays_test_alerts
            )
            timeline = PlayoutTimeline(entries, manifest.volume_plan)
            built = self._built = (manifest, self._log.version, len(self._cuts), timeline)
        return built[3]

    def _on_cut(self, entry: Entry, now: datetime) -> None:
        if replayable(entry) and entry.id not in self._cuts:
            self._cuts[entry.id] = now

    def _report_missed(self, missed: list[Entry]) -> None:
        """A cut bulletin its session has no room left to replay: said once, in the as-run
        log, so a supervisor knows it was not heard whole."""
        for entry in missed:
            if entry.id in self._missed:
                continue
            self._missed.add(entry.id)
            self._outbox.record(
                AsRunRecord(
                    id=uuid.uuid4(),
                    item_id=entry.id + REPLAY_SUFFIX,
                    content_id=entry.content_id,
                    sha256=entry.sha256,
                    planned_start=self._cuts.get(entry.id, entry.start),
                    result="skipped",
                    error="cut by an alert or a broadcast now order, and the session has no "
                    "room left to play it again whole",
                    clock_offset_ms=self._clock.offset_ms(),
                )
            )

    def _alerts(self, manifest: Manifest) -> list[ManifestAlert]:
        """The manifest's alerts, and those pushed since that it does not list yet."""
        listed = {alert.id: alert for alert in self._log.pushed()}
        listed.update((alert.id, alert) for alert in manifest.alerts)
        cancelled = self._log.cancelled()
        return [alert for alert in listed.values() if alert.id not in cancelled]

    def _stop_earlier_plays(
        self, alerts: list[ManifestAlert], now: datetime
    ) -> list[ManifestAlert]:
        """A stop order in effect ends, here and for good, the broadcast now plays issued
        before it: they do not come back when the stop is lifted."""
        stops = [a.starts for a in alerts if a.action == "stop" and a.starts <= now < a.expires]
        if not stops:
            return alerts
        first = min(stops)
        ended = [a for a in alerts if a.layer == "priority" and a.action == "play"]
        ended = [a for a in ended if a.starts < first]
        for play in ended:
            self._log.cancel(play.id, now)
        return [alert for alert in alerts if alert not in ended]

    def _waiting(self, alerts: list[ManifestAlert]) -> list[tuple[ManifestAlert, datetime]]:
        """Alerts received whose files are not verified yet: their layer holds the air."""
        waiting = []
        for alert in alerts:
            received = self._log.received_at(alert.id)
            if received is not None and self._log.ready_at(alert.id) is None:
                waiting.append((alert, received))
        return waiting

    def _mark_ready(self, alerts: list[ManifestAlert], now: datetime) -> None:
        """An alert is ready once its files (its chime, cached long before, and its audio)
        are verified in the cache: it is timed from then, so it is heard from its first
        word, never joined part-way or cut off by a download still going."""
        for alert in alerts:
            if self._log.ready_at(alert.id) is not None:
                continue
            self._log.received(alert, now)  # known already, unless the log was lost
            needed = [sha for sha in (alert.chime_sha256, alert.sha256) if sha is not None]
            if all(self._cache.verified(sha) for sha in needed):
                self._log.ready(alert.id, now)

    def _anchored(self, alerts: list[ManifestAlert]) -> list[ManifestAlert]:
        """Each ready alert with its plan starting no earlier than it was ready: an alert
        that reaches the station late (a push a few hundred milliseconds after it was
        issued, or a manifest after a night offline) plays whole, its repeats following on.
        Never past its expiry: alert_entries starts nothing after that."""
        anchored = []
        for alert in alerts:
            ready = self._log.ready_at(alert.id)
            if ready is None:
                continue
            if ready > alert.starts:
                alert = alert.model_copy(update={"starts": ready})
            anchored.append(alert)
        return anchored

    def cancel(self, alert_id: str) -> None:
        """An alert's Cancel (or its replacement): it stops now and never plays again on
        this station."""
        self._log.cancel(alert_id, self._clock.now())
        self.engine.changed()

    def _observe(self, entry: Entry, stage: Stage, now: datetime) -> None:
        if entry.alert_id is None:
            return
        if stage == "finished" and entry.id.endswith(":chime"):
            return  # finished means the alert's own audio was heard to its end
        self._log.reached(entry.alert_id, stage, now)

    def source_for(self, entry: Entry) -> str:
        if entry.kind == "file" and entry.sha256 is not None:
            return str(self._cache.path(entry.sha256))
        return entry.url

    def changed(self) -> None:
        """A new manifest or a newly verified file: the engine decides again at once."""
        self.engine.changed()

    async def run(self) -> None:
        await self.engine.run()

    def now_playing(self) -> NowPlaying | None:
        playing = self.engine.playing
        if playing is None or playing.failed or not playing.entry.recorded:
            return None
        entry = playing.entry
        return NowPlaying(
            item_id=entry.id,
            content_id=entry.content_id,
            title=entry.title[:300],
            started_at=playing.record.started_at,
        )

    def volume(self) -> int | None:
        playing = self.engine.playing
        return None if playing is None else playing.volume
