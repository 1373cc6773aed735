"""The poll directory: in memory, each token's station and current build, so a poll that
changes nothing (a 304) is answered without the database.

Kept current from station_change, the log database triggers write on every change to what a
token answers (a new build, a new or revoked token, the station edited or removed; migration
0016), whichever process wrote it: a watcher reads the log in order every
`station_changes_s`, and on PostgreSQL at once when the triggers' NOTIFY loaxa_stations
arrives. A revoked token is thus refused by every process within that interval (at once
with PostgreSQL).

An entry is stored only if no change was read while its row was being fetched: a row read
just before a change committed must not outlive the change's forgetting.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import text

from core.db import Database
from stations.fleet.sources import Caller

log = logging.getLogger(__name__)

CHANNEL = "loaxa_stations"
# More than this many changes at once (the nightly horizon move): forget everything rather
# than read them all one by one.
READ_AT_ONCE = 5000
# The log keeps this many changes; older ones are pruned by whoever reads past them.
KEPT = 200_000
PRUNE_EVERY = 1000

Lookup = Callable[[str], Caller | None]


class PollDirectory:
    """token hash → Caller, forgotten station by station as station_change says."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._lock = threading.Lock()
        self._callers: dict[str, Caller] = {}
        self._tokens: dict[int, set[str]] = {}
        self._generation = 0  # how many reads of the log changed something
        self._seen: int | None = None  # the last change read; None: not started, no caching

    def start(self) -> None:
        """Read changes from now on. With the database down it stays off (no caching,
        every token asked of the database) and the next catch_up starts it."""
        try:
            seen = self._latest()
        except Exception as exc:
            log.warning("poll directory: not started (%s); again at the next read", exc)
            return
        with self._lock:
            self._seen = seen
            self._generation += 1

    def __len__(self) -> int:
        return len(self._callers)

    @property
    def generation(self) -> int:
        """Grows with every forgetting: equal before and after, nothing was forgotten."""
        return self._generation

    def identify(self, token_hash: str, lookup: Lookup) -> Caller | None:
        """The token's caller: from memory, else by `lookup` (remembered for next time)."""
        with self._lock:
            caller = self._callers.get(token_hash)
            generation, started = self._generation, self._seen is not None
        if caller is not None:
            return caller
        caller = lookup(token_hash)
        if caller is not None and started:
            with self._lock:
                if generation == self._generation:
                    self._callers[token_hash] = caller
                    self._tokens.setdefault(caller.station.station_id, set()).add(token_hash)
        return caller

    def cached(self, token_hash: str) -> Caller | None:
        """The token's caller if it is in memory (the fast path asks no database)."""
        return self._callers.get(token_hash)

    def heard(self, payload: str | None) -> None:
        """A NOTIFY from the triggers (a station's id), or None after the listener
        (re)connected, when what happened meanwhile is unknown."""
        if self._seen is None:
            return
        stations = (int(payload),) if payload is not None and payload.isdigit() else None
        self._forget(stations, seen=self._seen)

    def catch_up(self) -> int:
        """Read the changes since the last read and forget their stations; returns how many
        were read."""
        seen = self._seen
        if seen is None:
            self.start()
            return 0
        with self._database.engine.connect() as connection:
            rows = [
                (int(seq), int(station))
                for seq, station in connection.execute(
                    _CHANGES, {"seen": seen, "n": READ_AT_ONCE + 1}
                )
            ]
            if not rows:
                return 0
            if len(rows) > READ_AT_ONCE:
                self._forget(None, seen=int(connection.execute(_LATEST).scalar_one()))
            else:
                self._forget((station for _, station in rows), seen=rows[-1][0])
            if rows[-1][0] // PRUNE_EVERY != seen // PRUNE_EVERY:  # now and then
                connection.execute(_PRUNE, {"below": rows[-1][0] - KEPT})
                connection.commit()
            return len(rows)

    def forget_stations(self, station_ids: Iterable[int]) -> None:
        """This process just changed these stations: forget them now, not at the next read
        of the log (an agent told of a new build must not get a 304 for the old one)."""
        if self._seen is not None:
            self._forget(station_ids, seen=self._seen)

    def forget_all(self) -> None:
        if self._seen is not None:
            self._forget(None, seen=self._seen)

    def _forget(self, stations: Iterable[int] | None, *, seen: int) -> None:
        with self._lock:
            if stations is None:
                self._callers.clear()
                self._tokens.clear()
            else:
                for station in set(stations):
                    for token_hash in self._tokens.pop(station, ()):
                        self._callers.pop(token_hash, None)
            self._generation += 1
            self._seen = seen

    def _latest(self) -> int:
        with self._database.engine.connect() as connection:
            return int(connection.execute(_LATEST).scalar_one())


_CHANGES = text(
    "SELECT seq, station_id FROM station_change WHERE seq > :seen ORDER BY seq LIMIT :n"
)
_LATEST = text("SELECT COALESCE(MAX(seq), 0) FROM station_change")
_PRUNE = text("DELETE FROM station_change WHERE seq <= :below")


async def get_directory(request: Request) -> PollDirectory:
    directory: PollDirectory = request.app.state.directory
    return directory


DirectoryDep = Annotated[PollDirectory, Depends(get_directory)]
