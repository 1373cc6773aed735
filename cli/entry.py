"""The `loaxa` executable. `loaxa agent` starts without importing the server's command
modules, so the agent runs lean (and on a Raspberry Pi that has none of them)."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:2] == ["agent"]:
        from cli.agent import agent_app

        agent_app()
    else:
        from cli.main import main as full

        full()
