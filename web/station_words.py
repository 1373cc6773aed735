"""The station board's figures as a technician reads them: a clock offset in ms or s with
its sign, free disk in MB or GB, how much of an item aired, in the page's number format."""

from __future__ import annotations

from babel.numbers import format_decimal
from jinja2 import pass_context
from jinja2.runtime import Context

from web.i18n import gettext as _

GB = 1024**3
MB = 1024**2


def _number(value: float, locale: str, digits: int) -> str:
    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    return format_decimal(value, pattern, locale=locale)


@pass_context
def clock_offset(context: Context, ms: int | None, step_ms: int = 1) -> str:
    """+12 ms, −1,5 s: how far the station's clock is from the server's, to `step_ms` (the
    board rounds to 10 ms: a few ms of jitter each heartbeat would change it every poll)."""
    if ms is None:
        return "–"
    ms = round(ms / step_ms) * step_ms
    sign = "−" if ms < 0 else "+"
    locale = context.get("locale", "vi")
    if abs(ms) < 1000:
        return f"{sign}{abs(ms)} ms"
    return f"{sign}{_number(abs(ms) / 1000, locale, 1)} s"


@pass_context
def disk_size(context: Context, size: int | None) -> str:
    if size is None:
        return "–"
    locale = context.get("locale", "vi")
    if size >= GB:
        return f"{_number(size / GB, locale, 1)} GB"
    return f"{_number(size / MB, locale, 0)} MB"


@pass_context
def aired(context: Context, record: object) -> str:
    """How much of a cut or joined item aired, from where in it: "9,9 s from 13,6 s" (an
    as-run record's started_at, ended_at and planned_start; "" when it played whole or
    never started)."""
    started = getattr(record, "started_at", None)
    ended = getattr(record, "ended_at", None)
    planned = getattr(record, "planned_start", None)
    if started is None or ended is None or getattr(record, "result", "") == "played":
        return ""
    locale = context.get("locale", "vi")
    length = _number((ended - started).total_seconds(), locale, 1)
    into = (started - planned).total_seconds() if planned is not None else 0.0
    if into < 0.5:
        return _("%(length)s s from the top") % {"length": length}
    return _("%(length)s s from %(into)s s in") % {
        "length": length,
        "into": _number(into, locale, 1),
    }
