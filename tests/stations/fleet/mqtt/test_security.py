"""The broker's access rules, as commands for Mosquitto's dynamic security plugin: a
station may subscribe to its own topics and its areas' and publish only its own up topics;
the plugin's first file holds the server's admin, whose password checks as Mosquitto's
own tool hashes it."""

from __future__ import annotations

import base64
import hashlib

from stations.fleet.mqtt import security, topics


def test_a_station_is_granted_its_own_topics_and_its_areas_and_nothing_else() -> None:
    commands = security.grant_station(12, "secret", [1, 5, 23])
    removal = security.remove_station(12)
    # What the station had before goes first: a new grant replaces the old.
    assert commands[: len(removal)] == removal
    role, client = commands[len(removal) :]
    own = security.station_role(12)
    assert (role["command"], role["rolename"]) == ("createRole", own)
    assert {(a["acltype"], a["topic"]) for a in role["acls"]} == {
        ("subscribeLiteral", "loaxa/v1/stations/12/events"),
        ("subscribeLiteral", "loaxa/v1/stations/12/manifest"),
        ("publishClientSend", "loaxa/v1/stations/12/acks"),
        ("publishClientSend", "loaxa/v1/stations/12/heartbeat"),
        ("publishClientSend", "loaxa/v1/stations/12/presence"),
        *{("subscribeLiteral", f"loaxa/v1/areas/{a}/events") for a in (1, 5, 23)},
    }
    assert client == {
        "command": "createClient",
        "username": topics.username(12),
        "password": "secret",
        "roles": [{"rolename": own}],
    }


def test_only_errors_that_leave_the_broker_wrong_count() -> None:
    answer = [
        {"command": "deleteClient", "error": "Client not found"},
        {"command": "deleteRole", "error": "Role not found"},
        {"command": "createRole", "error": "Role already exists"},
        {"command": "createClient"},
        {"command": "createClient", "error": "Internal error"},
    ]
    assert security.failures(answer) == [
        "createRole: Role already exists",
        "createClient: Internal error",
    ]


def test_the_first_file_holds_the_admin_with_a_password_mosquitto_checks() -> None:
    config = security.initial_config("loaxa-server", "s3cret")
    (admin,) = config["clients"]
    salt = base64.b64decode(admin["salt"])
    expected = hashlib.pbkdf2_hmac("sha512", b"s3cret", salt, admin["iterations"])
    assert base64.b64decode(admin["password"]) == expected
    assert config["defaultACLAccess"] == {
        "publishClientSend": False,
        "publishClientReceive": True,
        "subscribe": False,
        "unsubscribe": True,
    }
    allowed = {(a["acltype"], a["topic"]) for a in config["roles"][0]["acls"]}
    assert ("publishClientSend", "loaxa/v1/#") in allowed
    assert ("subscribePattern", "$share/loaxa/loaxa/v1/#") in allowed
    assert ("publishClientSend", "$CONTROL/dynamic-security/v1/#") in allowed
