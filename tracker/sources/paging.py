"""Bounds on one feed's paging in one run: pages, records, cursors.

Every paging loop (a registry's cursor or offset, a listing's next pages)
asks a Pager before each request and before each record, so no server can
keep a run going forever: paging stops at `max_pages` requests, at
`max_records` records, or when a cursor comes back that was already used
(a loop). Each stop leaves a one-line note in the feed's summary; the
records read so far are kept, and the feed is not counted as failed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from tracker.errors import ParseError
from tracker.sources.records import RecordError, parse_safely

if TYPE_CHECKING:
    from tracker.models import Article
    from tracker.sources.base import FetchContext

T = TypeVar("T")

DEFAULT_MAX_RECORDS = 100_000
DEFAULT_MAX_PAGES = 1_000
# Links read from one listing page (or items followed from one feed document).
MAX_LINKS_PER_PAGE = 10_000


class Pager:
    """Counts one paging loop; next_page() and take() say whether to go on.

    max_records / max_pages: the source kind's defaults, used when the feed
    (or feeds.yaml `defaults:`) sets none.
    """

    def __init__(self, ctx: FetchContext, *, max_records: int = DEFAULT_MAX_RECORDS,
                 max_pages: int = DEFAULT_MAX_PAGES, unit: str = "records"):
        self.ctx = ctx
        self.max_records = ctx.feed.max_records or max_records
        self.max_pages = ctx.feed.max_pages or max_pages
        self.unit = unit
        self.pages = 0
        self.records = 0
        self.cursors: set[str] = set()
        self.stopped: str | None = None   # why paging stopped early; None while it runs or ended normally

    @property
    def capped(self) -> bool:
        """Stopped by max_records (the only stop that still read a complete, if shortened, answer)."""
        return self.stopped is not None and self.stopped.startswith("max_records")

    def next_page(self, cursor: str | None = None) -> bool:
        """May one more page be requested (with `cursor`, when the API pages by cursor)?"""
        if self.stopped is not None:
            return False
        if cursor is not None:
            if cursor in self.cursors:
                return self._stop(f"cursor loop: the server sent a cursor already used ({cursor[:40]!r}); "
                                  f"paging stopped after {self.pages} pages")
            self.cursors.add(cursor)
        if self.pages >= self.max_pages:
            return self._stop(f"max_pages ({self.max_pages}) reached; paging stopped with more pages to read")
        self.pages += 1
        return True

    def take(self) -> bool:
        """May one more record be read? (counts it when so)"""
        if not self.room():
            return False
        self.records += 1
        return True

    def room(self) -> bool:
        """Is there room for more records? Ask before requesting another page."""
        if self.stopped is not None:
            return False
        if self.records >= self.max_records:
            return self._stop(f"max_records ({self.max_records}) reached; the rest of the {self.unit} "
                              f"were not read")
        return True

    def read(self, parse: Callable[[bytes], T], content: bytes, service: str) -> T | None:
        """parse(content) for the page just requested. An unreadable first page
        fails the feed (nothing was read); a later one costs only itself: an
        item error, and None, so the loop ends keeping what it read."""
        try:
            return parse(content)
        except ParseError as exc:
            if self.pages <= 1:
                raise
            self.ctx.item_error(f"{service} page {self.pages}: {exc}")
            return None

    def each(self, raws: Iterable[Any], parse: Callable[[Any], Article | RecordError], service: str,
             prefix: str = "") -> Iterator[Article]:
        """The Articles of one page's raw records while take() allows; a record
        that cannot be read is an item error (`prefix` + its message)."""
        for raw in raws:
            if not self.take():
                return
            item = parse_safely(parse, raw, service)
            if isinstance(item, RecordError):
                self.ctx.item_error(prefix + item.message)
            else:
                yield item

    def _stop(self, reason: str) -> bool:
        self.stopped = reason
        self.ctx.stats.note(reason)
        return False


def capped_links(ctx: FetchContext, links: dict[str, str | None], where: str) -> dict[str, str | None]:
    """The first MAX_LINKS_PER_PAGE of a page's links, with a note when there were more."""
    if len(links) <= MAX_LINKS_PER_PAGE:
        return links
    ctx.stats.note(f"{where} holds {len(links)} links; only the first {MAX_LINKS_PER_PAGE} were read")
    return dict(list(links.items())[:MAX_LINKS_PER_PAGE])
