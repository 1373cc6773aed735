"""Where the demo keeps everything: one directory, made fresh each run."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

# Written into the demo directory, so that only a directory the demo made is ever wiped.
MARKER = ".loaxa-demo"


class DemoError(Exception):
    """The demo cannot go on; the message says why and what to do."""


@dataclass(frozen=True, kw_only=True)
class Layout:
    root: Path

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.root / 'loaxa.db'}"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def work_dir(self) -> Path:
        return self.root / "work"

    @property
    def server_log(self) -> Path:
        return self.root / "server.log"

    def station_dir(self, number: int) -> Path:
        return self.root / f"station-{number}"

    def agent_data(self, number: int) -> Path:
        return self.station_dir(number) / "agent"

    def agent_log(self, number: int) -> Path:
        return self.station_dir(number) / "agent.log"

    def capture_dir(self, number: int) -> Path:
        return self.station_dir(number) / "played"


def fresh_layout(root: Path) -> Layout:
    """An empty demo directory at `root`: a previous demo's is wiped; anything else that is
    not empty is left alone and refused, so a mistyped --dir never deletes someone's files."""
    root = root.resolve()
    if root.exists() and not root.is_dir():
        raise DemoError(f"{root} is a file, not a directory: choose another --dir")
    if root.is_dir() and any(root.iterdir()):
        if not (root / MARKER).exists():
            raise DemoError(
                f"{root} is not empty and was not made by `loaxa demo`: choose another --dir"
            )
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    (root / MARKER).write_text("made by `loaxa demo`; wiped at the start of each run\n")
    layout = Layout(root=root)
    layout.work_dir.mkdir()
    return layout
