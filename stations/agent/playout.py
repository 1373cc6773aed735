"""The playout engine joined to the agent's parts: its timeline comes from the saved
manifest, its files from the verified cache, its time from the corrected clock, and its
records go to the outbox. What it plays is reported in the heartbeat. Alerts join the
schedule as the emergency layer; a Cancel pushed ahead of the manifest silences its alert at
once."""

from __future__ import annotations

from audio.player import Player
from stations.agent.alerts import alert_entries
from stations.agent.cache import FileCache
from stations.agent.clock import CorrectedClock
from stations.agent.decision import Entry, Timeline, schedule_entries
from stations.agent.engine import PlayoutEngine
from stations.agent.manifest_store import ManifestStore
from stations.agent.outbox import Outbox
from stations.protocol import Manifest, NowPlaying


class Playout:
    def __init__(
        self,
        *,
        player: Player,
        manifests: ManifestStore,
        cache: FileCache,
        outbox: Outbox,
        clock: CorrectedClock,
    ) -> None:
        self._manifests = manifests
        self._cache = cache
        self._built: tuple[Manifest, Timeline] | None = None
        # Alerts cancelled by a push: kept out of every timeline, also of a manifest that
        # still lists them because it was built before the Cancel.
        self.cancelled: set[str] = set()
        self.engine = PlayoutEngine(
            player=player,
            outbox=outbox,
            timeline=self.timeline,
            verified=cache.verified,
            source_for=self.source_for,
            now=clock.now,
            offset_ms=clock.offset_ms,
        )

    def timeline(self) -> Timeline | None:
        """The saved manifest's timeline, built once per manifest."""
        manifest = self._manifests.current
        if manifest is None:
            return None
        if self._built is None or self._built[0] is not manifest:
            alerts = alert_entries(
                manifest.alerts,
                timezone=manifest.timezone,
                plays_test_alerts=manifest.plays_test_alerts,
                cancelled=self.cancelled,
            )
            entries = schedule_entries(manifest.items) + alerts
            self._built = (manifest, Timeline(entries, manifest.volume_plan))
        return self._built[1]

    def cancel(self, alert_id: str) -> None:
        """An alert's Cancel: it stops now and never plays again on this station."""
        self.cancelled.add(alert_id)
        self._built = None
        self.engine.changed()

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
        if playing is None or playing.failed:
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
