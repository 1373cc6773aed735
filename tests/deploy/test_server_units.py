"""The server's systemd units (deploy/server/): systemd accepts them, the server's runs
only options `loaxa server` has, and the broker's runs the configuration `loaxa mqtt init`
writes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from tests.deploy.systemd import verify_complaints

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "server"
UNITS = [DEPLOY / "loaxa-server.service", DEPLOY / "loaxa-mosquitto.service"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.name)
def test_systemd_accepts_the_unit(tmp_path: Path, unit: Path) -> None:
    code, complaints, output = verify_complaints(unit, tmp_path)
    assert code == 0 and not complaints, output


def _exec_start(unit: Path) -> str:
    return next(
        line.partition("=")[2]
        for line in unit.read_text().splitlines()
        if line.startswith("ExecStart=")
    )


def test_the_server_unit_passes_only_options_the_server_has() -> None:
    command = _exec_start(UNITS[0]).split()
    assert command[:2] == ["/opt/loaxa/.venv/bin/loaxa", "server"]
    helped = CliRunner().invoke(app, ["server", "--help"]).output
    for option in (word for word in command if word.startswith("--")):
        assert option in helped, option


def test_the_broker_unit_runs_what_loaxa_mqtt_init_writes(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["mqtt", "init", "--dir", str(tmp_path / "loaxa-mqtt")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "loaxa-mqtt" / "mosquitto.conf").exists()
    assert _exec_start(UNITS[1]).endswith("/var/lib/loaxa-mqtt/mosquitto.conf")
    assert "LOAXA_MQTT_PASSWORD=" in result.output
    again = CliRunner().invoke(app, ["mqtt", "init", "--dir", str(tmp_path / "loaxa-mqtt")])
    assert again.exit_code == 1 and "holds the stations' credentials" in again.output
