"""A real Mosquitto for a test, on a free loopback port, configured from the repository's
template (deploy/server/mosquitto-loaxa.conf) with the dynamic security plugin."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.clock import SystemClock
from stations.fleet.mqtt.broker_config import BrokerFiles
from stations.fleet.mqtt.server_client import MqttPush
from stations.fleet.sources import AckSink
from tests.e2e.processes import free_port, wait_for
from tests.tls import Certificates

ADMIN = "loaxa-server"


def require_mosquitto() -> str:
    found = shutil.which("mosquitto") or (
        "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
    )
    if found is None:
        pytest.fail("mosquitto is not installed: scripts/setup.sh installs it")
    return found


class Broker:
    def __init__(self, directory: Path, tls: Certificates | None = None) -> None:
        self.port = free_port()
        self.password = secrets.token_urlsafe(16)
        self.tls = tls
        # As root, Mosquitto would drop to its own user, who cannot write the test's folder.
        user = "root" if os.geteuid() == 0 else None
        self.files = BrokerFiles(
            data_dir=directory,
            port=self.port,
            user=user,
            tls=(tls.cert, tls.key) if tls else None,
        )
        self.files.write(admin_username=ADMIN, admin_password=self.password)
        self.log = directory / "mosquitto.log"
        self.popen: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://127.0.0.1:{self.port}"

    def settings(self) -> dict[str, str]:
        """The server's settings to push through this broker."""
        trust = {"LOAXA_MQTT_CA_FILE": str(self.tls.ca)} if self.tls else {}
        return {
            "LOAXA_PUSH_TRANSPORT": "mqtt",
            "LOAXA_MQTT_URL": self.url,
            "LOAXA_MQTT_USERNAME": ADMIN,
            "LOAXA_MQTT_PASSWORD": self.password,
            **trust,
        }

    def start(self) -> Broker:
        with self.log.open("a") as out:
            self.popen = subprocess.Popen(
                [require_mosquitto(), "-c", str(self.files.config)],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_for(self._listening, timeout=10, what="mosquitto listening", log=self.log)
        return self

    def _listening(self) -> bool:
        if self.popen is not None and self.popen.poll() is not None:
            pytest.fail(f"mosquitto exited:\n{self.log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        """SIGTERM: Mosquitto saves its persistence (the sessions) as it goes."""
        if self.popen is not None and self.popen.poll() is None:
            self.popen.terminate()
            self.popen.wait(10)

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    """A running broker for the test (import it where it is used)."""
    running = Broker(tmp_path / "broker").start()
    try:
        yield running
    finally:
        running.stop()


class _Nothing:
    def add(self, **_: object) -> None:
        pass


def server_push(broker: Broker, data_dir: Path, acks: AckSink | None = None) -> MqttPush:
    """The server's own MQTT client, connected, signed in as the plugin's admin."""
    push = MqttPush(
        url=broker.url,
        username=ADMIN,
        password=broker.password,
        acks=acks or _Nothing(),
        heartbeats=_Nothing(),
        clock=SystemClock(),
        leading=lambda: True,
        data_dir=data_dir,
    )
    push.start()
    assert push.wait_connected(10), "the server's client did not connect"
    return push
