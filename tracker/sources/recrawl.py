"""Which article pages a re-crawl fetches again (html listings, rss with fetch_articles).

Each article page a feed fetched and handed on is remembered in the crawl
state (tracker.state.Page) with what the listing or feed entry said about
its link then: its mark (a feed item's guid and date, the date beside a
listing link). A later run fetches the page again only when

1. the entry's mark changed (a new guid or date),
2. --full was given, or
3. the feed's `refresh_after` interval has passed since the page was fetched.

Otherwise the item is already stored: it is not handed on again and counts
as unchanged (or filtered, when the filters turned it away last time). A
page that failed is not remembered, so the next run fetches it again.

The feed's sweep cursor records the last run that read the whole listing (or
feed) and looked at every link on it without errors, and the oldest fetch
time of the pages those links lead to. Once `refresh_after` has passed since
that oldest fetch, the listing is read without validators, so a listing that
answers 304 cannot hide pages that are due. An html listing is read page
after page only while its pages hold links that are new or changed, unless
no clean sweep is on record (a first run, a run with errors, changed
listing keys), a refresh is due, or --full.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from tracker.state import Page

if TYPE_CHECKING:
    from tracker.sources.base import FetchContext

SWEEP_KEY = "sweep"


def now() -> datetime:
    """The current UTC time (a module function so tests can move it)."""
    return datetime.now(timezone.utc)


def _moment(text: Any) -> datetime | None:
    try:
        when = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


class PageMemory:
    """One feed's memory of its article pages, for one run.

    scope: the feed keys the sweep cursor is valid for (a changed listing
    selector or max_pages means the listing must be read in full again).
    """

    def __init__(self, ctx: FetchContext, scope: dict[str, Any]):
        self.ctx = ctx
        self.refresh_after: timedelta | None = ctx.feed.option("refresh_after")
        self.started = now()
        self.scope = scope
        saved = ctx.state.get(SWEEP_KEY)
        self.swept = isinstance(saved, dict) and saved.get("scope") == scope and saved.get("swept") is True
        self.oldest = _moment(saved.get("oldest")) if self.swept else None
        self._seen_oldest: datetime | None = None   # this run's oldest page, for the cursor

    # --- the listing or feed ---------------------------------------------------
    @property
    def refresh_due(self) -> bool:
        """A page linked at the last sweep may be due for refresh_after: read the
        listing without validators and look at every page it links to."""
        if self.refresh_after is None:
            return False
        return not self.swept or (self.oldest is not None and self.oldest + self.refresh_after <= self.started)

    @property
    def sweep(self) -> bool:
        """Read every listing page this run (no stop at the first page with nothing new)."""
        return self.ctx.full or not self.swept or self.refresh_due

    @property
    def fresh(self) -> bool:
        """Fetch the listing or feed itself without sending validators (--full, or
        a refresh is due, which a 304 must not hide); new ones are still kept."""
        return self.ctx.full or self.refresh_due

    def end(self, *, complete: bool, failed: bool) -> None:
        """Stage the sweep cursor: `complete` when every listing page was read (200)
        and every link on them looked at; `failed` when anything went wrong."""
        if failed:
            self.ctx.state.stage(SWEEP_KEY, {"scope": self.scope, "swept": False})
        elif complete:
            oldest = self._seen_oldest.isoformat() if self._seen_oldest else None
            self.ctx.state.stage(SWEEP_KEY, {"scope": self.scope, "swept": True, "oldest": oldest})

    # --- article pages -----------------------------------------------------------
    def known(self, url: str, mark: str | None) -> bool:
        """True when the page at `url` need not be fetched again; it is then counted."""
        if self.ctx.full:
            return False
        page = self.ctx.state.page(url)
        if page is None or page.mark != mark or self._due(page):
            return False
        self._saw(_moment(page.fetched_at))
        filtered = page.record_id is not None and self.ctx.state.filtered(page.record_id)
        self.ctx.stats.inc("filtered" if filtered else "unchanged")
        return True

    def remember(self, url: str, mark: str | None, record_id: str | None) -> None:
        """The page at `url` was fetched and its item (`record_id`) is being handed on."""
        when = now()
        self._saw(when)
        self.ctx.state.stage_page(url, Page(mark, record_id, when.isoformat()))

    def still_stored(self, url: str, mark: str | None) -> None:
        """The page answered 304: still stored as before, with the entry's new mark."""
        before = self.ctx.state.page(url)
        self.remember(url, mark, before.record_id if before else None)

    def _due(self, page: Page) -> bool:
        if self.refresh_after is None:
            return False
        fetched = _moment(page.fetched_at)
        return fetched is None or fetched + self.refresh_after <= self.started

    def _saw(self, fetched: datetime | None) -> None:
        if fetched is not None and (self._seen_oldest is None or fetched < self._seen_oldest):
            self._seen_oldest = fetched
