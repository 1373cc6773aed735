"""The `loaxa` executable. `loaxa agent` starts without importing the server's command
modules, so the agent runs lean (and on a Raspberry Pi that has none of them)."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:2] == ["agent"]:
        lean_agent_imports()
        from cli.agent import agent_app

        agent_app()
    else:
        from cli.main import main as full

        full()


def lean_agent_imports() -> None:
    """Keep out of the agent what it imports only by the way. httpx imports its own
    command-line client (`httpx._main`: rich, pygments, click) whenever those are installed,
    and typer installs rich: about 5 MB resident and 90 modules the agent never uses. httpx
    takes a failed import of it as "the CLI extra is not installed" (its `httpx` command
    then says so); nothing else changes. Call before anything imports httpx."""
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
