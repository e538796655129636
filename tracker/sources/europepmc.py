"""Europe PMC REST search with cursorMark deep paging over a date window.

The window matches first publication or first indexing, so a paper that
was published before the last run but indexed after it is still found.
Paging follows nextCursorMark until it stops changing, a page comes back
empty, or hitCount records have been read, within tracker.sources.paging's
bounds (a cursor seen before, max_pages, max_records). The window advances
after the last page's records have been yielded, and only when paging was
not cut short: an unreadable later page or a bound leaves it where it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from tracker.fetch.http import Limits
from tracker.models import Article
from tracker.sources import window
from tracker.sources.base import FetchContext, KeySpec, Source, check_int_at_most, register
from tracker.sources.europepmc_json import parse_page, parse_result
from tracker.sources.paging import Pager

MAX_PAGE = 1000  # Europe PMC's largest pageSize


check_page_size = check_int_at_most(MAX_PAGE, "Europe PMC's largest page")


def windowed_query(query: str, start: date, end: date) -> str:
    span = f"[{start.isoformat()} TO {end.isoformat()}]"
    return f"({query}) AND (FIRST_PDATE:{span} OR FIRST_IDATE:{span})"


@register
class EuropePMCSource(Source):
    kind = "europepmc"
    required = ("query",)
    keys = {"page_size": KeySpec(check_page_size, f"results per request (1-{MAX_PAGE}, default {MAX_PAGE})")}
    default_base_url = "https://www.ebi.ac.uk/europepmc/webservices/rest/"
    registry_api = True

    def items(self, ctx: FetchContext) -> Iterator[Article]:
        base = ctx.feed.base_url or self.default_base_url
        limits = Limits(ctx.feed.rate_limit, ctx.feed.timeout, ctx.feed.max_bytes)
        start, end = window.window(ctx, window.today())
        params: dict[str, Any] = {
            "query": windowed_query(ctx.feed.query or "", start, end),
            "format": "json",
            "resultType": "core",
            "pageSize": int(ctx.feed.option("page_size", MAX_PAGE)),
        }
        pager = Pager(ctx, unit="search results")
        cursor, read = "*", 0
        while pager.next_page(cursor):
            resp = ctx.http.get(base + "search", params=dict(params, cursorMark=cursor), limits=limits)
            page = pager.read(parse_page, resp.content, "Europe PMC")
            if page is None:
                return
            yield from pager.each(page.results, parse_result, "Europe PMC")
            read += len(page.results)
            if ctx.progress is not None and page.hit_count is not None:
                ctx.progress(f"{ctx.feed.name}: {read} of {page.hit_count} records")
            if (not page.results or not page.next_cursor or page.next_cursor == cursor
                    or (page.hit_count is not None and read >= page.hit_count) or not pager.room()):
                break
            cursor = page.next_cursor
        if pager.stopped is None:
            # a stopped run did not see the whole window: the next run reads it again
            window.stage(ctx, end)
