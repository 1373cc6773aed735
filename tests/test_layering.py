"""Which way imports run (DESIGN.md): read from every module's source with ast, nothing
executed. The rules are written once, here."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FOUNDATION = {"core"}
DOMAINS = {"playlists", "stations", "alerts", "audio", "reports"}
ABOVE_THE_DOMAINS = {"api", "workers", "web", "cli", "demo", "scheduler", "migrations"}
SINGLE_FILES = {"api", "workers"}
PACKAGES = FOUNDATION | DOMAINS | ABOVE_THE_DOMAINS

# (importing package, imported package or module prefix, why not)
FORBIDDEN: list[tuple[set[str], set[str], str]] = [
    (FOUNDATION, DOMAINS | ABOVE_THE_DOMAINS, "the foundation imports no domain"),
    (DOMAINS, ABOVE_THE_DOMAINS, "no domain imports what assembles the server"),
]
# The agent runs on a Raspberry Pi without the server: it imports only its own package,
# the wire format and the player interface; nothing of the server imports it.
AGENT = "stations.agent"
AGENT_MAY_IMPORT = ("stations.agent", "stations.protocol", "audio.player", "audio.vlc_player")


def _modules() -> dict[str, Path]:
    found = {name: ROOT / f"{name}.py" for name in SINGLE_FILES}
    for package in PACKAGES - SINGLE_FILES:
        for path in (ROOT / package).rglob("*.py"):
            found[".".join(path.relative_to(ROOT).with_suffix("").parts)] = path
    return found


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {n for n in names if n.split(".")[0] in PACKAGES}


def _violations() -> list[str]:
    problems = []
    for module, path in sorted(_modules().items()):
        top = module.split(".")[0]
        for name in sorted(_imports(path)):
            target = name.split(".")[0]
            for importers, imported, why in FORBIDDEN:
                if top in importers and target in imported and target != top:
                    problems.append(f"{module} imports {name}: {why}")
            in_agent = module.startswith(AGENT + ".") or module == AGENT
            if in_agent and not name.startswith(AGENT_MAY_IMPORT):
                problems.append(f"{module} imports {name}: the agent imports none of the server")
            if not in_agent and name.startswith(AGENT) and top not in {"cli", "demo"}:
                problems.append(f"{module} imports {name}: the server imports no agent code")
    return problems


def test_imports_run_the_way_the_design_says() -> None:
    assert _violations() == []


def test_the_rules_see_a_forbidden_arrow(tmp_path: Path) -> None:
    """The walker itself: an upward import in a module is found."""
    module = tmp_path / "m.py"
    module.write_text("from scheduler.keeper import PlaylistKeeper\nimport core.db\n")
    assert _imports(module) == {"scheduler.keeper", "scheduler.keeper.PlaylistKeeper", "core.db"}
