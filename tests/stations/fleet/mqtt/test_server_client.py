"""The server's MQTT client against a real Mosquitto (the repository's template): its
session is persistent under a client id its process keeps, so acks a station sends while a
killed server process is away wait for the process that takes its place; a clean stop
ends the session, so nothing waits for a process that will not return; after a broker
restart it subscribes again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from stations.fleet.mqtt import topics
from stations.protocol import AckEvent, encode_event
from tests.e2e.processes import wait_for
from tests.mosquitto import ADMIN, Broker, broker, server_push

__all__ = ["broker"]  # the fixture

# The broker's answer to a QoS 1 publish no session subscribes to.
NO_MATCHING_SUBSCRIBERS = 16
STATION = 7


class Acks:
    def __init__(self) -> None:
        self.seen: list[tuple[int, str, str]] = []

    def add(self, *, station_id: int, alert_id: str, stage: object, at: datetime) -> None:
        self.seen.append((station_id, alert_id, str(stage)))


def _send_ack(broker: Broker, alert_id: str) -> int:
    """Publish a station's ack at QoS 1 (as the admin, who may publish anywhere) and return
    the broker's reason code for it."""
    done = threading.Event()
    codes: list[int] = []

    def published(*args: object) -> None:
        codes.append(int(getattr(args[3], "value", 0)))
        done.set()

    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.username_pw_set(ADMIN, broker.password)
    client.on_publish = published
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    try:
        ack = AckEvent(type="ack", alert_id=alert_id, stage="received", at=datetime.now(UTC))
        client.publish(topics.station_acks(STATION), encode_event(ack), qos=1)
        assert done.wait(10), "the broker did not acknowledge the publish"
    finally:
        client.disconnect()
        client.loop_stop()
    return codes[0]


def _received(acks: Acks, alert_id: str) -> bool:
    return (STATION, alert_id, "received") in acks.seen


def test_after_a_broker_restart_the_server_hears_acks_once_it_has_dialed_back(
    broker: Broker, tmp_path: Path
) -> None:
    acks = Acks()
    push = server_push(broker, tmp_path / "server", acks)
    try:
        broker.restart()
        # Mosquitto 2.0 keeps the server's session over a restart but not its shared
        # subscriptions: until the server is back, an ack is answered "no matching
        # subscribers", and the agent sends it again (tests/stations/agent/test_push_mqtt.py).
        wait_for(lambda: _send_ack(broker, "storm") == 0, timeout=15, what="a server subscribed")
        wait_for(lambda: _received(acks, "storm"), timeout=15, what="the ack", log=broker.log)
    finally:
        push.stop()


KILLED_PROCESS = """
import sys, time
from pathlib import Path
from benchmarks.mqtt_broker import _NoAcks, _NoHeartbeats
from core.clock import SystemClock
from stations.fleet.mqtt.server_client import MqttPush
push = MqttPush(url=sys.argv[1], username=sys.argv[2], password=sys.argv[3], acks=_NoAcks(),
    heartbeats=_NoHeartbeats(), clock=SystemClock(), leading=lambda: True,
    data_dir=Path(sys.argv[4]))
push.start()
assert push.wait_connected(10)
print("connected", flush=True)
time.sleep(600)
"""


def test_the_process_that_takes_a_killed_ones_place_gets_what_waited_for_it(
    broker: Broker, tmp_path: Path
) -> None:
    data_dir = tmp_path / "server"
    dead = subprocess.Popen(
        [sys.executable, "-c", KILLED_PROCESS, broker.url, ADMIN, broker.password, str(data_dir)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[4],
    )
    try:
        assert dead.stdout is not None and dead.stdout.readline().strip() == "connected"
    finally:
        os.kill(dead.pid, signal.SIGKILL)
        dead.wait(10)
    # Its session outlives it: the ack is taken (not "no matching subscribers") and waits.
    assert _send_ack(broker, "flood") == 0
    acks = Acks()
    push = server_push(broker, data_dir, acks)
    try:
        wait_for(lambda: _received(acks, "flood"), timeout=15, what="the ack", log=broker.log)
    finally:
        push.stop()


def test_a_clean_stop_ends_the_session_so_nothing_waits_for_it(
    broker: Broker, tmp_path: Path
) -> None:
    push = server_push(broker, tmp_path / "server", Acks())
    assert _send_ack(broker, "before") == 0
    push.stop()
    assert _send_ack(broker, "after") == NO_MATCHING_SUBSCRIBERS
