"""`loaxa agent` warns when VLC's plugin cache is missing: VLC then loads every plugin,
about 40 MB more memory on a Raspberry Pi, and the warning says how to write the cache;
`--player scheduled` refuses what it cannot do."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from cli import agent


class Player:
    def __init__(self, **_: object) -> None:
        pass


@pytest.fixture(autouse=True)
def no_vlc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(agent, "VlcPlayer", Player)


def test_a_missing_plugin_cache_is_warned_of_with_the_command_that_writes_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    plugins = Path("/usr/lib/aarch64-linux-gnu/vlc/plugins")
    monkeypatch.setattr(agent, "plugin_cache", lambda: (plugins, None))
    agent._player(agent.PlayerKind.vlc, None, tmp_path / "played")
    err = capsys.readouterr().err
    assert "plugins.dat" in err and "40 MB" in err
    assert f"/usr/lib/aarch64-linux-gnu/vlc/vlc-cache-gen {plugins}" in err


def test_a_plugin_cache_in_place_is_not_mentioned(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    plugins = tmp_path / "plugins"
    monkeypatch.setattr(agent, "plugin_cache", lambda: (plugins, plugins / "plugins.dat"))
    agent._player(agent.PlayerKind.vlc, None, tmp_path / "played")
    assert "plugin cache" not in capsys.readouterr().err


def test_the_scheduled_player_refuses_a_capture_directory_and_says_what_to_do(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with pytest.raises(typer.Exit) as exited:
        agent._player(agent.PlayerKind.scheduled, None, tmp_path / "played")
    assert exited.value.exit_code == 2
    err = capsys.readouterr().err
    assert "PulseAudio only" in err and "--player vlc" in err
