"""Jinja2 pages in the user's language, gzip'd when the browser takes it."""

from __future__ import annotations

import gzip
from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from web import i18n
from web.admin_menu import administers
from web.formatting import local_datetime, local_time, zone_name
from web.labels import action_label, label
from web.report_bodies import HELPERS as REPORT_HELPERS
from web.station_words import aired, clock_offset, disk_size

TEMPLATES_DIR = i18n.LOCALE_DIR.parent / "templates"
GZIP_FROM_BYTES = 1024

environment = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(["html"]),
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.globals.update(label=label, action_label=action_label, administers=administers)
environment.globals.update(rpt=REPORT_HELPERS)  # the report bodies' words and numbers
environment.globals.update(clock_offset=clock_offset, disk_size=disk_size, aired=aired)
environment.install_gettext_callables(  # type: ignore[attr-defined]
    gettext=i18n.gettext, ngettext=i18n.ngettext, newstyle=True
)


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    locale: str,
    zone: str,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    i18n.use(locale)
    page = environment.get_template(template).render(
        request=request,
        static=request.app.state.web_assets.url,
        **speaking(locale, zone),
        **context,
    )
    body = page.encode()
    all_headers = {"Vary": "Accept-Encoding", "Content-Language": locale, **(headers or {})}
    if len(body) >= GZIP_FROM_BYTES and "gzip" in request.headers.get("accept-encoding", ""):
        body = gzip.compress(body, 6)
        all_headers["Content-Encoding"] = "gzip"
    return HTMLResponse(body, status_code=status_code, headers=all_headers)


def speaking(locale: str, zone: str) -> dict[str, Any]:
    """What every template reads for its language and times: a page's, a printed report's."""
    return {
        "locale": locale,
        "zone": zone,
        "zone_name": zone_name(zone),
        "when": lambda moment: _when(moment, zone, locale),
        "hhmm": lambda moment: local_time(moment, zone),
    }


def _when(moment: datetime | None, zone: str, locale: str) -> str:
    return "" if moment is None else local_datetime(moment, zone, locale)
