"""Simulated station agents over MQTT 5 for the alert fan-out and broker restart benchmarks:
one process holding many paho-mqtt clients on one selector loop (paho's external-loop
API: loop_read, loop_write, loop_misc; no thread per client), driven by the benchmark
through stdin and stdout, one JSON line each, like benchmarks/alert_fanout_client.py.

    python -m benchmarks.mqtt_agents SPEC.json

SPEC: {"host", "port", "session_expiry_s", "connect_concurrency", "backoff": [initial_s,
max_s], "agents": [{"client_id", "username", "password", "topics", "acks_topic"}]}. Each
client is what the real agent is (stations/agent/push_mqtt.py): its own credentials and
client id, a persistent session (clean start off, the session expiry of the station's push
block), subscribed at QoS 1 to the topics its manifest's push block names; it counts as
ready once the broker granted them all. On each alert ({"type": "alert"} carrying an
alert) a client notes time.time() at once and publishes {"type": "ack", "stage":
"received", "at": that time} on its acks topic at QoS 1. A client that loses its
connection comes back with the agent's own jittered backoff (stations/agent/backoff.py),
and does not subscribe again when the broker kept its session.

When every client is ready or has failed, the process prints {"ready", "failed",
"errors"}. Commands: {"cmd": "collect", "alert_id", "timeout_s", "back": bool} waits until
every ready client has the alert (and, with "back", every client that lost its connection
is connected again), or the timeout, and prints {"arrivals": [epoch seconds], "missing",
"closed", "others": {type: count}, "sample", "back": [epoch seconds of each return],
"down": clients not connected, "lost_sessions": returns the broker had no session for,
"attempts": connection attempts that failed, "cpu_s": this process's CPU time over the
collect}; {"cmd": "reset"} forgets the other pushes
and the returns counted so far and prints {}; {"cmd": "quit"} disconnects all.
"""

from __future__ import annotations

import contextlib
import gc
import heapq
import itertools
import json
import os
import selectors
import socket
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from benchmarks.alert_fanout_client import raise_nofile
from stations.agent.backoff import Backoff

KEEPALIVE_S = 60  # the agent's (push_mqtt.py)
MISC_EVERY_S = 5.0  # paho's keepalive housekeeping, over every client
POLL_S = 0.005  # the loop's wait while a collect is pending: not on the measured path
IDLE_WAIT_S = 0.5


@dataclass(slots=True, eq=False)
class Agent:
    spec: dict[str, Any]
    client: mqtt.Client
    backoff: Backoff
    subscribed: bool = False  # once the broker granted its topics
    connected: bool = False
    lost_at: float | None = None  # time.time() the connection was lost, until it is back
    sub_mid: int | None = None
    failed: str | None = None
    polled_write: bool = False  # waiting for the socket to be writable

    def __hash__(self) -> int:
        return id(self)


@dataclass(slots=True)
class Collect:
    alert_id: str
    deadline: float
    back: bool
    cpu_s: float = field(default_factory=time.process_time)  # this process's, at the start


@dataclass(slots=True)
class Fleet:
    spec: dict[str, Any]
    selector: selectors.BaseSelector = field(default_factory=selectors.DefaultSelector)
    agents: list[Agent] = field(default_factory=list)
    # alert id → agent → its first arrival (the server publishes an alert again after a
    # reconnection: a repeat is no second receipt)
    arrivals: dict[str, dict[int, float]] = field(default_factory=dict)
    samples: dict[str, str] = field(default_factory=dict)
    others: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    ready: int = 0
    closed: int = 0  # connections lost so far
    back: list[float] = field(default_factory=list)
    lost_sessions: int = 0
    attempts_failed: int = 0
    timers: list[tuple[float, int, Agent]] = field(default_factory=list)
    dirty: set[Agent] = field(default_factory=set)  # clients with something to write
    connecting: int = 0  # first connections in flight
    quitting: bool = False
    _seq: itertools.count[int] = field(default_factory=itertools.count)

    # the clients -----------------------------------------------------------------------

    def make(self, spec: dict[str, Any]) -> Agent:
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=spec["client_id"],
            protocol=mqtt.MQTTv5,
        )
        client.username_pw_set(spec["username"], spec["password"])
        client.max_inflight_messages_set(0)  # the agent's (aiomqtt's) default: no limit
        initial_s, max_s = self.spec.get("backoff", (1.0, 300.0))
        agent = Agent(spec, client, Backoff(initial_s, max_s))
        client.user_data_set(agent)
        client.on_socket_open = self._opened
        client.on_socket_close = self._closed
        client.on_socket_register_write = self._want_write
        client.on_socket_unregister_write = self._wrote
        client.on_connect = self._on_connect
        client.on_subscribe = self._on_subscribe
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        return agent

    def _opened(self, client: mqtt.Client, agent: Agent, sock: Any) -> None:
        self.selector.register(sock, selectors.EVENT_READ, agent)

    def _closed(self, client: mqtt.Client, agent: Agent, sock: Any) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self.selector.unregister(sock)

    def _want_write(self, client: mqtt.Client, agent: Agent, sock: Any) -> None:
        # Written after this round of reads (write_pending), without an epoll change per
        # ack; only what the socket would not take waits for it to be writable.
        self.dirty.add(agent)

    def _wrote(self, client: mqtt.Client, agent: Agent, sock: Any) -> None:
        if agent.polled_write:
            agent.polled_write = False
            with contextlib.suppress(KeyError, ValueError):
                self.selector.modify(sock, selectors.EVENT_READ, agent)

    def write_pending(self) -> None:
        dirty, self.dirty = self.dirty, set()
        for agent in dirty:
            client = agent.client
            if not client.want_write():
                continue
            client.loop_write()
            sock = client.socket()
            if client.want_write() and sock is not None and not agent.polled_write:
                self.dirty.discard(agent)
                agent.polled_write = True
                with contextlib.suppress(KeyError, ValueError):
                    self.selector.modify(sock, selectors.EVENT_READ | selectors.EVENT_WRITE, agent)

    def dial(self, agent: Agent) -> None:
        """Connect, or reconnect: a refused connection (the broker down) is tried again
        after the backoff's next delay."""
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = self.spec["session_expiry_s"]
        try:
            agent.client.connect(
                self.spec["host"],
                self.spec["port"],
                keepalive=KEEPALIVE_S,
                clean_start=False,
                properties=properties,
            )
        except OSError as exc:
            if not agent.subscribed:
                self._fail(agent, f"connect: {type(exc).__name__}: {exc}")
                return
            self.attempts_failed += 1
            self._later(agent)

    def _later(self, agent: Agent) -> None:
        due = time.monotonic() + agent.backoff.failed()
        heapq.heappush(self.timers, (due, next(self._seq), agent))

    def _fail(self, agent: Agent, why: str) -> None:
        if agent.failed is None and not agent.subscribed:
            agent.failed = why
            self.errors[why[:200]] += 1
            self.connecting -= 1

    def _on_connect(
        self, client: mqtt.Client, agent: Agent, flags: Any, reason: Any, _: Any
    ) -> None:
        if reason.is_failure:
            self._fail(agent, f"refused: {reason}")
            return
        agent.connected = True
        agent.backoff.succeeded()
        if agent.subscribed:
            if agent.lost_at is not None:
                self.back.append(time.time())
                agent.lost_at = None
            if flags.session_present:
                return
            self.lost_sessions += 1  # the broker forgot it: subscribe as at first
        topics = [(topic, 1) for topic in agent.spec["topics"]]
        _, agent.sub_mid = client.subscribe(topics)

    def _on_subscribe(
        self, client: mqtt.Client, agent: Agent, mid: int, codes: list[Any], _: Any
    ) -> None:
        refused = [str(c) for c in codes if c.is_failure]
        if refused:
            self._fail(agent, f"subscribe refused: {', '.join(refused)}")
            return
        if not agent.subscribed:
            agent.subscribed = True
            self.ready += 1
            self.connecting -= 1

    def _on_disconnect(
        self, client: mqtt.Client, agent: Agent, flags: Any, reason: Any, _: Any
    ) -> None:
        was = agent.connected
        agent.connected = False
        if self.quitting:
            return
        if not agent.subscribed:
            self._fail(agent, f"disconnected before ready: {reason}")
            return
        if was:
            self.closed += 1
            agent.lost_at = time.time()
        else:
            self.attempts_failed += 1  # connected at TCP, then refused or cut
        self._later(agent)

    def _on_message(self, client: mqtt.Client, agent: Agent, message: mqtt.MQTTMessage) -> None:
        at = time.time()
        event = json.loads(message.payload)
        kind = event.get("type")
        if kind != "alert" or event.get("alert") is None:
            self.others[f"{kind} {event.get('msg_type', '')}".strip()] += 1
            return
        alert_id = event["alert_id"]
        ack = {
            "type": "ack",
            "alert_id": alert_id,
            "stage": "received",
            "at": datetime.fromtimestamp(at, UTC).isoformat(),
        }
        client.publish(agent.spec["acks_topic"], json.dumps(ack), qos=1)
        self.arrivals.setdefault(alert_id, {}).setdefault(id(agent), at)
        if alert_id not in self.samples:
            self.samples[alert_id] = message.payload.decode()

    # the loop --------------------------------------------------------------------------

    def step(self, wait_s: float) -> None:
        for key, events in self.selector.select(0 if self.dirty else wait_s):
            if key.fileobj is sys.stdin:
                continue
            client = key.data.client
            if events & selectors.EVENT_READ:
                client.loop_read()
            if events & selectors.EVENT_WRITE and client.want_write():
                client.loop_write()
        self.write_pending()
        now = time.monotonic()
        while self.timers and self.timers[0][0] <= now:
            _, _, agent = heapq.heappop(self.timers)
            if not agent.connected and not self.quitting:
                self.dial(agent)

    def misc(self) -> None:
        for agent in self.agents:
            if agent.connected:
                agent.client.loop_misc()

    def start(self) -> None:
        waiting = [self.make(spec) for spec in self.spec["agents"]]
        self.agents = list(waiting)
        limit = self.spec.get("connect_concurrency", 64)
        waiting.reverse()
        while waiting or self.connecting > 0:
            while waiting and self.connecting < limit:
                self.connecting += 1
                self.dial(waiting.pop())
            self.step(POLL_S)

    def done(self, collect: Collect) -> bool:
        if len(self.arrivals.get(collect.alert_id, ())) < self.ready:
            return False
        return not collect.back or all(a.connected for a in self.agents if a.subscribed)

    def result(self, collect: Collect) -> dict[str, Any]:
        arrivals = list(self.arrivals.pop(collect.alert_id, {}).values())
        others, self.others = self.others, Counter()
        back, self.back = self.back, []
        return {
            "arrivals": arrivals,
            "missing": self.ready - len(arrivals),
            "closed": self.closed,
            "others": dict(others),
            "sample": self.samples.pop(collect.alert_id, None),
            "back": back,
            "down": sum(1 for a in self.agents if a.subscribed and not a.connected),
            "lost_sessions": self.lost_sessions,
            "attempts": self.attempts_failed,
            "cpu_s": time.process_time() - collect.cpu_s,
        }

    def quit(self) -> None:
        self.quitting = True
        for agent in self.agents:
            if agent.connected:
                agent.client.disconnect()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(a.client.want_write() for a in self.agents):
            self.step(POLL_S)


def reply(found: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(found) + "\n")
    sys.stdout.flush()


def run(spec: dict[str, Any]) -> None:
    fleet = Fleet(spec)
    fleet.start()
    # As in the WebSocket clients: what is held now is kept out of collections, and none
    # run while alerts are measured.
    gc.collect()
    gc.freeze()
    gc.disable()
    reply({"ready": fleet.ready, "failed": sum(fleet.errors.values()), "errors": fleet.errors})
    os.set_blocking(sys.stdin.fileno(), False)
    fleet.selector.register(sys.stdin, selectors.EVENT_READ, None)
    buffered = b""
    pending: Collect | None = None
    misc_at = time.monotonic() + MISC_EVERY_S
    while True:
        fleet.step(POLL_S if pending or fleet.timers else IDLE_WAIT_S)
        if pending is not None:
            if fleet.done(pending) or time.monotonic() > pending.deadline:
                reply(fleet.result(pending))
                pending = None
            continue  # no housekeeping and no commands while one is measured
        if time.monotonic() > misc_at:
            fleet.misc()
            misc_at = time.monotonic() + MISC_EVERY_S
        try:
            chunk = os.read(sys.stdin.fileno(), 65536)
        except BlockingIOError:
            continue
        if not chunk:
            break
        buffered += chunk
        while b"\n" in buffered:
            line, buffered = buffered.split(b"\n", 1)
            command = json.loads(line)
            if command["cmd"] == "collect":
                deadline = time.monotonic() + command["timeout_s"]
                pending = Collect(command["alert_id"], deadline, bool(command.get("back")))
            elif command["cmd"] == "reset":
                fleet.others.clear()
                fleet.back.clear()
                reply({})
            elif command["cmd"] == "quit":
                fleet.quit()
                return
    fleet.quit()


if __name__ == "__main__":
    raise_nofile()
    socket.setdefaulttimeout(10)
    run(json.loads(Path(sys.argv[1]).read_text()))
