"""Bulletins a higher layer cut, replayed whole at the end of their session where the
session asks for it (the manifest's replay windows): a pure function of the schedule's
entries, those windows and the cuts. No clock, no player, no disk.

In a replay session a cut bulletin is not joined again part-way: the rest of its slot is
silence, the session's other items keep their times, and after its last item the cut ones
play again from the top, in the order they were cut, each only if it ends before the
session's end. One that does not fit is returned as missed, for the agent to report.
Elsewhere (no window) a cut bulletin is joined again where the clock says, as before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from stations.agent.decision import Entry, Layer
from stations.protocol import REPLAY_SUFFIX, ReplayWindow


def replayable(entry: Entry) -> bool:
    """A scheduled file (not a relay, not already a replay) can be played again whole."""
    return (
        entry.layer == Layer.schedule
        and entry.kind == "file"
        and entry.session_id is not None
        and not entry.id.endswith(REPLAY_SUFFIX)
    )


def with_replays(
    schedule: Sequence[Entry],
    windows: Sequence[ReplayWindow],
    cuts: Mapping[str, datetime],
) -> tuple[list[Entry], list[Entry]]:
    """The schedule's entries with the cut ones of replay sessions taken out and their
    replays placed after the session's last item; and the cut ones that do not fit. A
    session recurs (one window a day, one id): an entry belongs to the window it starts in."""
    cut = [e for e in schedule if e.id in cuts and replayable(e)]
    if not cut or not windows:
        return list(schedule), []
    entries = list(schedule)
    missed: list[Entry] = []
    for window in windows:
        own = [e for e in schedule if _inside(e, window)]
        cut_here = sorted((e for e in cut if _inside(e, window)), key=lambda e: cuts[e.id])
        if not cut_here:
            continue
        taken = {e.id for e in cut_here}
        entries = [e for e in entries if e.id not in taken]
        cursor = max(e.end for e in own)
        for entry in cut_here:
            again = replace(entry, id=entry.id + REPLAY_SUFFIX, start=cursor)
            if again.end > window.to:
                missed.append(entry)
                continue
            entries.append(again)
            cursor = again.end
    return entries, missed


def _inside(entry: Entry, window: ReplayWindow) -> bool:
    return entry.session_id == window.session_id and window.from_ <= entry.start < window.to
