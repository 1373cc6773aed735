"""The MQTT benchmarks' broker and fleet (setup, not measured): a Mosquitto of their own on a
free loopback port from the repository's template (stations/fleet/mqtt/broker_config.py,
as `loaxa mqtt init` and the tests make it), each simulated station's own credentials on it
(the dynamic security plugin's clients and roles, as the server grants them at
enrolment, written into the plugin's file before the broker starts), the topics its
manifest's push block names, and the simulated agents' processes
(benchmarks/mqtt_agents.py)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlmodel import select

from benchmarks.agent_load_procs import free_port
from benchmarks.alert_fanout_procs import Clients
from benchmarks.machine import tree_cpu_s
from core.areas.models import Area
from core.clock import SystemClock
from core.db import Database
from stations.fleet.mqtt import security, topics
from stations.fleet.mqtt.broker_config import BrokerFiles
from stations.fleet.mqtt.server_client import MqttPush
from stations.fleet.push_plan import PushPlan, area_ids_of
from stations.models import Station
from stations.protocol import PushBlock

ADMIN = "loaxa-server"
CONNECT_CONCURRENCY = 64  # connections in flight per client process
BACKOFF = (1.0, 300.0)  # the agent's own (stations/agent/config.py: backoff_initial_s, _max_s)
SESSION_EXPIRY_S = 7 * 86400  # the server's default (core/config.py)
LISTEN_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 120.0  # SIGTERM: it writes its persistence file first


def mosquitto() -> str:
    found = shutil.which("mosquitto") or (
        "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
    )
    if found is None:
        raise SystemExit("mosquitto is not installed: scripts/setup.sh --dev installs it")
    return found


def _raise_nofile() -> None:  # in the broker's child, before exec
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Broker:
    """Mosquitto from the template, its files and log in `folder`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.password = secrets.token_urlsafe(16)
        # As root, Mosquitto would drop to its own user, who cannot write our folder.
        user = "root" if os.geteuid() == 0 else None
        self.files = BrokerFiles(data_dir=folder, port=self.port, user=user)
        self.files.write(admin_username=ADMIN, admin_password=self.password)
        self.log = folder / "mosquitto.log"
        self.popen: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def settings(self) -> dict[str, str]:
        """The server's settings to push through this broker."""
        return {
            "LOAXA_PUSH_TRANSPORT": "mqtt",
            "LOAXA_MQTT_URL": self.url,
            "LOAXA_MQTT_USERNAME": ADMIN,
            "LOAXA_MQTT_PASSWORD": self.password,
        }

    def start(self) -> float:
        """Start it and wait until it listens; seconds that took."""
        began = time.monotonic()
        with self.log.open("a") as out:
            self.popen = subprocess.Popen(
                [mosquitto(), "-c", str(self.files.config)],
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=_raise_nofile,  # ten thousand sockets; noqa: PLW1509
            )
        deadline = time.monotonic() + LISTEN_TIMEOUT_S
        while not self._listening():
            if self.popen.poll() is not None:
                raise RuntimeError(f"mosquitto exited:\n{self.log.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"mosquitto not listening in {LISTEN_TIMEOUT_S:g} s")
            time.sleep(0.01)  # polling its port
        return time.monotonic() - began

    def _listening(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def stop(self) -> float:
        """SIGTERM, which saves its persistence (the sessions, queued messages) as it goes;
        seconds until it exited."""
        began = time.monotonic()
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        return time.monotonic() - began

    def rss_mb(self) -> float:
        if self.popen is None or self.popen.poll() is not None:
            return float("nan")
        for line in Path(f"/proc/{self.popen.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def cpu_s(self) -> float:
        if self.popen is None or self.popen.poll() is not None:
            return float("nan")
        return tree_cpu_s(self.popen.pid)


class _NoAcks:
    def add(self, *, station_id: int, alert_id: str, stage: Any, at: datetime) -> None:
        pass


class _NoHeartbeats:
    def add(self, *, station_id: int, beat: Any, now: datetime) -> None:
        pass


def admin_push(broker: Broker) -> MqttPush:
    """The server's own MQTT client, signed in as the plugin's admin, for its control
    commands (it publishes nothing: it does not lead)."""
    push = MqttPush(
        url=broker.url,
        username=ADMIN,
        password=broker.password,
        acks=_NoAcks(),
        heartbeats=_NoHeartbeats(),
        clock=SystemClock(),
        leading=lambda: False,
        data_dir=broker.folder / "server",
    )
    push.start()
    if not push.wait_connected(10):
        push.stop()
        raise RuntimeError("the admin client could not connect to the broker")
    return push


@dataclass(frozen=True, slots=True)
class MqttAgent:
    station_id: int
    password: str
    block: PushBlock
    areas: list[int]  # from the root down

    def spec(self) -> dict[str, Any]:
        return {
            "client_id": self.block.client_id,
            "username": topics.username(self.station_id),
            "password": self.password,
            "topics": self.block.topics,
            "acks_topic": self.block.acks_topic,
        }


def station_areas(url: str, station_ids: Sequence[int]) -> dict[int, list[int]]:
    """Each station's area ids from the root down, as the server puts them in its block."""
    database = Database(url)
    try:
        with database.session() as session:
            rows = session.exec(
                select(Station.id, Area.path).join(Area, Area.id == Station.area_id)  # type: ignore[arg-type]
            ).all()
    finally:
        database.dispose()
    wanted = set(station_ids)
    return {sid: area_ids_of(path) for sid, path in rows if sid in wanted and sid is not None}


def _hashed(password: str) -> dict[str, Any]:
    """A password as the plugin stores it (as security.initial_config does the admin's)."""
    salt = os.urandom(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, security.ITERATIONS)
    return {
        "password": base64.b64encode(digest).decode(),
        "salt": base64.b64encode(salt).decode(),
        "iterations": security.ITERATIONS,
    }


def _acls(commands: list[dict[str, Any]], rolename: str) -> list[dict[str, Any]]:
    """The role's ACLs as the plugin's file holds them: given with createRole, or added
    by addRoleACL."""
    keys = ("acltype", "topic", "allow")
    found = [
        acl
        for c in commands
        if c["command"] == "createRole" and c["rolename"] == rolename
        for acl in c.get("acls", [])
    ]
    found += [c for c in commands if c["command"] == "addRoleACL" and c["rolename"] == rolename]
    return [{**{k: acl[k] for k in keys}, "priority": 0} for acl in found]


def enrol_all(broker: Broker, url: str, station_ids: Sequence[int]) -> list[MqttAgent]:
    """Every station's credentials and roles written into the plugin's configuration
    before the broker starts: the same clients and roles the server's grant makes
    (security.grant_station), and each station's push block as the server writes it into
    the manifest. Not through the control topic: Mosquitto 2.0's plugin rewrites its whole
    file after every command, so granting ten thousand stations one command at a time
    takes hours (see probe_grant)."""
    plan = PushPlan("mqtt", broker.url, SESSION_EXPIRY_S)
    areas = station_areas(url, station_ids)
    config = json.loads(broker.files.security.read_text())
    roles: dict[str, dict[str, Any]] = {r["rolename"]: r for r in config["roles"]}
    agents = []
    for station_id in station_ids:
        password = secrets.token_urlsafe(24)
        commands = security.grant_station(station_id, password, areas[station_id])
        for command in commands:
            if command["command"] == "createRole" and command["rolename"] not in roles:
                name = command["rolename"]
                roles[name] = {"rolename": name, "acls": _acls(commands, name)}
        (create,) = [c for c in commands if c["command"] == "createClient"]
        config["clients"].append(
            {"username": create["username"], "roles": create["roles"], **_hashed(password)}
        )
        block = plan.block(station_id, areas[station_id])
        assert block is not None
        agents.append(MqttAgent(station_id, password, block, areas[station_id]))
    config["roles"] = list(roles.values())
    broker.files.security.write_text(json.dumps(config))
    return agents


def probe_grant(broker: Broker, station_id: int, area_ids: list[int]) -> float:
    """Seconds one station's grant takes through the control topic, as the server sends
    it at enrolment (security.grant_station, one message), on the broker as it is."""
    push = admin_push(broker)
    try:
        began = time.monotonic()
        push.control(security.grant_station(station_id, secrets.token_urlsafe(24), area_ids))
        return time.monotonic() - began
    finally:
        push.stop()


class Publisher:
    """A bare paho publisher (the floors'): the admin's credentials, its own network
    thread, QoS 1 and the server's message expiry, on one topic."""

    def __init__(self, broker: Broker, *, reconnect: tuple[float, float] = (1, 30)) -> None:
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"bench-publisher-{os.getpid()}",
            protocol=mqtt.MQTTv5,
        )
        self.client.username_pw_set(ADMIN, broker.password)
        self.client.max_queued_messages_set(0)
        self.client.reconnect_delay_set(int(reconnect[0]), int(reconnect[1]))
        self.client.connect(broker.files.host, broker.port, keepalive=30)
        self.client.loop_start()

    def publish(self, topic: str, text: str, expiry_s: int) -> None:
        properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        properties.MessageExpiryInterval = expiry_s
        self.client.publish(topic, text, qos=1, properties=properties)

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def mqtt_clients(
    folder: Path, name: str, broker: Broker, agents: Sequence[MqttAgent], procs: int
) -> Clients:
    """The simulated agents (benchmarks/mqtt_agents.py), spread round-robin over `procs`
    processes; wait for them with Clients.ready."""
    specs = [
        {
            "host": broker.files.host,
            "port": broker.port,
            "session_expiry_s": SESSION_EXPIRY_S,
            "connect_concurrency": CONNECT_CONCURRENCY,
            "backoff": BACKOFF,
            "agents": [a.spec() for a in agents[number::procs]],
        }
        for number in range(min(procs, len(agents)))
    ]
    return Clients(folder, name, specs, "benchmarks.mqtt_agents")
