"""The manifest's push block: none over the server's own channel (the manifest stays as
older agents know it); over MQTT the broker, the station's client id and topics; and what
the block adds to the ETag changes with the broker and with the station's area."""

from __future__ import annotations

from stations.fleet.push_plan import PushPlan, area_ids_of


def test_over_the_servers_own_channel_there_is_no_block_and_no_tag() -> None:
    plan = PushPlan()
    assert plan.block(7, [1, 2]) is None
    assert plan.tag(2) == ""


def test_over_mqtt_the_block_names_the_broker_and_the_stations_topics() -> None:
    plan = PushPlan("mqtt", "mqtts://push.example.vn:8883", 3600)
    block = plan.block(7, [1, 2])
    assert block is not None
    assert (block.transport, block.url, block.client_id) == (
        "mqtt",
        "mqtts://push.example.vn:8883",
        "loaxa-station-7",
    )
    assert block.topics[-1] == "loaxa/v1/areas/2/events"
    assert block.acks_topic == "loaxa/v1/stations/7/acks"
    assert block.session_expiry_s == 3600


def test_the_tag_moves_with_the_broker_and_the_area() -> None:
    plan = PushPlan("mqtt", "mqtt://a:1883")
    assert plan.tag(2) == plan.tag(2) != plan.tag(3)
    assert plan.tag(2) != PushPlan("mqtt", "mqtt://b:1883").tag(2)


def test_an_area_path_reads_as_ids_from_the_root() -> None:
    assert area_ids_of("/1/5/23/") == [1, 5, 23]
    assert area_ids_of("/") == []
