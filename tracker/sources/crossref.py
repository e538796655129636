"""Crossref REST /works search with cursor deep paging.

The first run (and --full) asks for works published since `since`; later
runs ask only for works (re)indexed since the last completed run's date,
still limited to `since` by publication date so re-indexed old papers stay
out. Deep-paging cursors expire after minutes, so only the run date is kept
between runs. Crossref's X-Rate-Limit-* headers are obeyed by the fetcher.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tracker.fetch.http import Limits
from tracker.models import Article
from tracker.sources import window
from tracker.sources.base import (
    FetchContext,
    KeySpec,
    Source,
    check_int_at_most,
    check_text,
    register,
)
from tracker.sources.crossref_json import parse_item, parse_page
from tracker.sources.paging import Pager

MAX_ROWS = 1000  # Crossref's largest page
# Crossref's `query` is a relevance-ranked bag of words, not a boolean search:
# "crohn disease biologic therapy" matches millions of works. Results come
# best first, so a run reads the most relevant ones and stops (a feed's
# max_records, a common key, overrides this kind's lower default).
DEFAULT_MAX_RECORDS = 2000
# Only what the mapping reads: a work with its reference list can weigh tens
# of kilobytes, so a full 1,000-row page would brush against max_bytes.
# ("language" cannot be selected; the mapping reads it when present.)
SELECT = ("DOI,URL,title,subtitle,container-title,short-container-title,author,type,abstract,"
          "issued,published,published-print,published-online,posted")


check_rows = check_int_at_most(MAX_ROWS, "Crossref's largest page")


@register
class CrossrefSource(Source):
    kind = "crossref"
    required = ("query",)
    keys = {
        "rows": KeySpec(check_rows, f"works per request (1-{MAX_ROWS}, default {MAX_ROWS})"),
        "filter": KeySpec(check_text, "extra Crossref filters, e.g. 'type:journal-article,has-abstract:true'"),
    }
    default_base_url = "https://api.crossref.org/"
    registry_api = True

    def items(self, ctx: FetchContext) -> Iterator[Article]:
        base = ctx.feed.base_url or self.default_base_url
        limits = Limits(ctx.feed.rate_limit, ctx.feed.timeout, ctx.feed.max_bytes)
        rows = min(int(ctx.feed.option("rows", MAX_ROWS)), ctx.feed.max_records or DEFAULT_MAX_RECORDS)
        extra = ctx.feed.option("filter")
        run_date = window.today()
        filters = [f"from-pub-date:{ctx.feed.since.isoformat()}"]
        resume = window.resume_date(ctx, filter=extra)
        if resume is not None:
            filters.append(f"from-index-date:{resume.isoformat()}")
        if extra:
            filters.append(extra)
        params: dict[str, Any] = {"query": ctx.feed.query, "filter": ",".join(filters),
                                  "rows": rows, "select": SELECT}
        if ctx.config.contact_email:
            params["mailto"] = ctx.config.contact_email  # Crossref's "polite pool"
        pager = Pager(ctx, max_records=DEFAULT_MAX_RECORDS, unit="matching works")
        cursor = "*"
        while pager.next_page(cursor):
            resp = ctx.http.get(base + "works", params=dict(params, cursor=cursor), limits=limits)
            page = pager.read(parse_page, resp.content, "Crossref")
            if page is None:
                return
            yield from pager.each(page.items, parse_item, "Crossref")
            if ctx.progress is not None and page.total is not None:
                ctx.progress(f"{ctx.feed.name}: {pager.records} of {page.total} works")
            if len(page.items) < rows or not page.next_cursor:
                break
            if not pager.room():
                break  # the most relevant works are read: Crossref ranks the rest below them
            cursor = page.next_cursor
        if pager.stopped is None or pager.capped:
            window.stage(ctx, run_date, filter=extra)
