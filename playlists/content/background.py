"""Work done after the response: the one-off check of a relay's stream URL."""

from __future__ import annotations

import logging

from fastapi import BackgroundTasks, FastAPI

from core.clock import Clock
from core.db import Database
from playlists.content.models import ContentItem
from playlists.content.relay_check import StreamChecker

log = logging.getLogger(__name__)
MESSAGE_CHARS = 500


def check_relay_later(background: BackgroundTasks, app: FastAPI, item_id: int, url: str) -> None:
    background.add_task(
        record_relay_check,
        database=app.state.database,
        checker=app.state.content.check_stream,
        clock=app.state.clock,
        item_id=item_id,
        url=url,
    )


def record_relay_check(
    *, database: Database, checker: StreamChecker, clock: Clock, item_id: int, url: str
) -> None:
    result = checker(url)
    with database.session(write=True) as session:
        item = session.get(ContentItem, item_id)
        if item is None or item.stream_url != url:
            return  # deleted or changed meanwhile: a newer check is on its way
        item.relay_check = result.status
        item.relay_check_message = result.message[:MESSAGE_CHARS]
        item.relay_checked_at = clock.now()
        session.add(item)
        session.commit()
    log.info("relay #%s checked: %s (%s)", item_id, result.status, result.message)
