"""The CAP feeds a reader's areas follow, as the alerts page shows them: which are heard and
which are silent, saying why in the reader's language (the API's `silent_reason` is
English, for the log)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from alerts.feeds.crud import list_feeds
from alerts.feeds.models import CapFeed, silence
from core.paging import Page
from web.i18n import gettext as _

When = Callable[[datetime], str]  # a moment as the page writes it (its zone, its language)
# A province's feeds fit on one page: the national service, the province's own, a few more.
SHOWN = 50


@dataclass(frozen=True)
class FeedRow:
    name: str
    url: str
    silent: bool
    reason: str | None  # why it is silent, translated
    last_success_at: datetime | None
    last_new_document_at: datetime | None


def feed_rows(
    *, session: Session, prefixes: tuple[str, ...], now: datetime, when: When
) -> list[FeedRow]:
    """The feeds in the reader's areas, the silent ones first."""
    feeds, _count = list_feeds(session=session, prefixes=prefixes, page=Page(offset=0, limit=SHOWN))
    rows = [_row(feed, now, when) for feed in feeds]
    return sorted(rows, key=lambda row: (not row.silent, row.name))


def _row(feed: CapFeed, now: datetime, when: When) -> FeedRow:
    silent = silence(feed, now) is not None
    reason = None
    if not feed.enabled:
        reason = _("turned off: nothing is polled")
    elif feed.failures == 1:
        reason = _("its last poll failed: %(error)s") % {"error": feed.last_error or ""}
    elif feed.failures:
        # Not ngettext: Vietnamese's one form needs the number, English's singular has none.
        reason = _("its last %(num)d polls failed: %(error)s") % {
            "num": feed.failures,
            "error": feed.last_error or "",
        }
    elif silent:
        heard = feed.last_new_document_at or feed.created_at
        reason = _("nothing new since %(when)s") % {"when": when(heard)}
    return FeedRow(
        name=feed.name,
        url=feed.url,
        silent=silent,
        reason=reason,
        last_success_at=feed.last_success_at,
        last_new_document_at=feed.last_new_document_at,
    )
