"""Who may do what on the broker: Mosquitto's dynamic security plugin, driven by the
server over MQTT ($CONTROL/dynamic-security/v1), so brokers need no file of Loaxa's and
can stand on other machines. Pure: the plugin's commands and its first configuration.

Each station has a client (its username and password) with two kinds of role: its own,
allowing its own topics only (Mosquitto 2.0's plugin substitutes no %u in its ACLs, so the
role names the topics literally), and one per area above it, allowing that area's events.
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


def area_role(area_id: int) -> str:
    return f"loaxa-area-{area_id}"


def grant_station(station_id: int, password: str, area_ids: list[int]) -> list[dict[str, Any]]:
    """Commands that (re)make the station's client with this password and its roles.
    Whatever existed for the station before is removed first; an area's role that exists
    already stays as it is (its one ACL is the same)."""
    username = topics.username(station_id)
    own = station_role(station_id)
    acls = [
        _acl("subscribeLiteral", topics.station_events(station_id)),
        _acl("subscribeLiteral", topics.station_manifest(station_id)),
        _acl("publishClientSend", topics.station_acks(station_id)),
        _acl("publishClientSend", topics.station_heartbeat(station_id)),
        _acl("publishClientSend", topics.station_presence(station_id)),
    ]
    commands = [*remove_station(station_id), {"command": "createRole", "rolename": own}]
    commands += [{"command": "addRoleACL", "rolename": own, **acl} for acl in acls]
    for area in area_ids:
        commands.append({"command": "createRole", "rolename": area_role(area)})
        commands.append(
            {
                "command": "addRoleACL",
                "rolename": area_role(area),
                **_acl("subscribeLiteral", topics.area_events(area)),
            }
        )
    roles = [{"rolename": own}] + [{"rolename": area_role(a)} for a in area_ids]
    commands.append(
        {"command": "createClient", "username": username, "password": password, "roles": roles}
    )
    return commands


def remove_station(station_id: int) -> list[dict[str, Any]]:
    return [
        {"command": "deleteClient", "username": topics.username(station_id)},
        {"command": "deleteRole", "rolename": station_role(station_id)},
    ]


# Errors a command may answer that leave the broker as wanted (made again, or already gone).
HARMLESS = ("not found", "already exists", "ACL with this topic already exists")


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
