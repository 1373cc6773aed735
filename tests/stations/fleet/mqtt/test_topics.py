"""Topic names: a station's down topics, from the root area down, and the station an up
topic belongs to."""

from __future__ import annotations

import pytest

from stations.fleet.mqtt import topics


def test_a_station_subscribes_to_its_own_topics_then_its_areas() -> None:
    assert topics.down_topics(7, [1, 2, 4]) == [
        "loaxa/v1/stations/7/events",
        "loaxa/v1/stations/7/manifest",
        "loaxa/v1/areas/1/events",
        "loaxa/v1/areas/2/events",
        "loaxa/v1/areas/4/events",
    ]


@pytest.mark.parametrize(
    ("topic", "station"),
    [
        ("loaxa/v1/stations/7/acks", 7),
        ("loaxa/v1/stations/123/heartbeat", 123),
        ("loaxa/v1/stations/x/acks", None),
        ("loaxa/v1/areas/7/events", None),
        ("loaxa/v1/stations/7/acks/extra", None),
        ("other/v1/stations/7/acks", None),
    ],
)
def test_the_station_of_an_up_topic(topic: str, station: int | None) -> None:
    assert topics.station_of(topic) == station
