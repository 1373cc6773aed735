"""Who may do what on the broker: Mosquitto's dynamic security plugin, driven by the
server over MQTT ($CONTROL/dynamic-security/v1), so brokers need no file of Loaxa's and
can stand on other machines. Pure: the plugin's commands and its first configuration.

Each station has a client (its username and password) with a role of its own allowing its
own topics and the events of each area above it, named literally (Mosquitto 2.0's plugin
substitutes no %u in its ACLs).
Deleting the client disconnects the station at once. The admin (the server) may publish
and subscribe on every Loaxa topic and send the plugin's commands.
"""

from __future__ import annotations

import base64
import hashlib
import os
from typing import Any

from stations.fleet.mqtt import topics

CONTROL = "$CONTROL/dynamic-security/v1"
RESPONSE = f"{CONTROL}/response"
ADMIN_ROLE = "admin"
ITERATIONS = 101  # the plugin's own default for the passwords it hashes


def _acl(kind: str, topic: str) -> dict[str, Any]:
    return {"acltype": kind, "topic": topic, "allow": True}


def station_role(station_id: int) -> str:
    return f"loaxa-station-{station_id}"


def grant_station(station_id: int, password: str, area_ids: list[int]) -> list[dict[str, Any]]:
    """Commands that (re)make the station's client with this password and its role.
    Whatever existed for the station before is removed first."""
    own = station_role(station_id)
    acls = [
        _acl("subscribeLiteral", topics.station_events(station_id)),
        _acl("subscribeLiteral", topics.station_manifest(station_id)),
        _acl("publishClientSend", topics.station_acks(station_id)),
        _acl("publishClientSend", topics.station_heartbeat(station_id)),
        _acl("publishClientSend", topics.station_presence(station_id)),
        *(_acl("subscribeLiteral", topics.area_events(area)) for area in area_ids),
    ]
    # One role per station, made with its ACLs in one command: the plugin rewrites its
    # whole file after each command, and a role held by thousands of clients (an area's)
    # made the broker take 23 s to start at 10,000 stations and each grant 0.6-2 s,
    # during which it delivers nothing (benchmarks/broker_restart.py; 0.23 s and
    # 140-335 ms this way).
    return [
        *remove_station(station_id),
        {"command": "createRole", "rolename": own, "acls": acls},
        {
            "command": "createClient",
            "username": topics.username(station_id),
            "password": password,
            "roles": [{"rolename": own}],
        },
    ]


def remove_station(station_id: int) -> list[dict[str, Any]]:
    return [
        {"command": "deleteClient", "username": topics.username(station_id)},
        {"command": "deleteRole", "rolename": station_role(station_id)},
    ]


# Errors a command may answer that leave the broker as wanted (already gone).
HARMLESS = ("not found",)


def failures(responses: list[dict[str, Any]]) -> list[str]:
    """The errors in the plugin's answer that matter."""
    return [
        f"{r.get('command')}: {r['error']}"
        for r in responses
        if r.get("error") and not any(h.lower() in str(r["error"]).lower() for h in HARMLESS)
    ]


def initial_config(admin_username: str, admin_password: str) -> dict[str, Any]:
    """The plugin's first configuration file: the server's admin client and nothing else
    (stations are added as they enrol). Anything not allowed is refused."""
    salt = os.urandom(12)
    digest = hashlib.pbkdf2_hmac("sha512", admin_password.encode(), salt, ITERATIONS)
    admin_acls = [
        _acl("publishClientSend", f"{CONTROL}/#"),
        _acl("publishClientReceive", f"{CONTROL}/#"),
        _acl("subscribePattern", f"{CONTROL}/#"),
        _acl("publishClientSend", f"{topics.ROOT}/#"),
        _acl("publishClientReceive", f"{topics.ROOT}/#"),
        _acl("subscribePattern", f"{topics.ROOT}/#"),
        _acl("subscribePattern", f"$share/{topics.SHARE}/{topics.ROOT}/#"),
        _acl("unsubscribePattern", "#"),
    ]
    return {
        "clients": [
            {
                "username": admin_username,
                "textName": "Loaxa server",
                "password": base64.b64encode(digest).decode(),
                "salt": base64.b64encode(salt).decode(),
                "iterations": ITERATIONS,
                "roles": [{"rolename": ADMIN_ROLE}],
            }
        ],
        "roles": [{"rolename": ADMIN_ROLE, "acls": admin_acls}],
        "groups": [],
        "defaultACLAccess": {
            "publishClientSend": False,
            "publishClientReceive": True,
            "subscribe": False,
            "unsubscribe": True,
        },
    }
