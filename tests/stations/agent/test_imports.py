"""The agent installs on a Raspberry Pi without the server's dependencies: importing it
and running `loaxa agent --help` must not load any of them."""

from __future__ import annotations

import subprocess
import sys

from tests.cli.helpers import LOAXA

SERVER_ONLY = [
    "fastapi",
    "sqlmodel",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "pydub",
    "starlette",
    "uvicorn",
    "apscheduler",
    "pydantic_settings",
]
SERVER_PACKAGES = [
    "api",
    "workers",
    "web",
    "migrations",
    "core",
    "playlists",
    "scheduler",
    "stations.fleet",
    "core.areas",
]

PROBE = f"""
import sys

from tests.cli.helpers import LOAXA
import stations.agent.runtime, cli.agent, cli.entry
loaded = set(sys.modules)
bad = [m for m in {SERVER_ONLY + SERVER_PACKAGES!r} if m in loaded]
print(",".join(bad))
"""


def test_the_agent_loads_nothing_of_the_server() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_loaxa_agent_runs_without_loading_the_server() -> None:
    probe = (
        "import runpy, sys; sys.argv = ['loaxa', 'agent', '--help'];\n"
        "try:\n    runpy.run_module('cli.entry', run_name='x').get('main')()\n"
        "except SystemExit:\n    pass\n"
        f"print('LOADED', [m for m in {SERVER_ONLY!r} if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert "LOADED []" in result.stdout, result.stdout


def test_the_agent_help_explains_its_options() -> None:
    result = subprocess.run(
        [LOAXA, "agent", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    for option in ("--server", "--data-dir", "--enroll", "--poll-interval", "--cache-floor-mb"):
        assert option in result.stdout


def test_the_agent_leaves_out_httpx_command_line_client() -> None:
    """httpx's own CLI (rich, pygments) is never imported by `loaxa agent`; httpx works."""
    probe = (
        "import sys\n"
        "from cli.entry import lean_agent_imports\n"
        "lean_agent_imports()\n"
        "import cli.agent, stations.agent.runtime, httpx\n"
        "httpx.AsyncClient()\n"
        "print('LOADED', [m for m in ('rich', 'pygments', 'httpx._main') if sys.modules.get(m)])"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert "LOADED []" in result.stdout, result.stdout
