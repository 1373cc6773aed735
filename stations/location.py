"""Where a station's loudspeakers stand (WGS 84), for alerts that target a CAP polygon or
circle: both coordinates or neither, since half a location would put the station on a line
around the Earth."""

from __future__ import annotations

from collections.abc import Collection

from core.errors import Invalid

COORDINATES = ("latitude", "longitude")


def require_whole_location(
    latitude: float | None, longitude: float | None, *, given: Collection[str] = COORDINATES
) -> None:
    """Refuse, naming the field at fault, unless `latitude` and `longitude` are both set or
    both null, and (for an update) both of them `given` when either is: moving a station
    changes both, so one alone is more likely a slip than a change of one coordinate."""
    sent = [name for name in COORDINATES if name in given]
    if len(sent) == 1:
        other = next(name for name in COORDINATES if name not in given)
        raise Invalid(
            f"{other} is required with {sent[0]}: give both to set the station's location, "
            "or both as null to clear it",
            field=other,
        )
    if not sent:
        return
    values = {"latitude": latitude, "longitude": longitude}
    missing = [name for name, value in values.items() if value is None]
    if len(missing) == 1:
        present = next(name for name in COORDINATES if name not in missing)
        raise Invalid(
            f"{missing[0]} is null but {present} is set: a station's location is both "
            "coordinates or neither",
            field=missing[0],
        )
