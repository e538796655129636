"""PubMed through NCBI E-utilities: esearch (history server), then efetch XML.

Each run searches the Entrez-date window from the last completed day (or
`since`) to today. PubMed lets one search page through at most 9,999
records, so a window holding more is split in halves until each part fits.
Records of a window are fetched 200 at a time by WebEnv/query_key; the
cursor advances after the last record of each window has been yielded, so a
run stopped by max_records or max_pages (tracker.sources.paging) goes on
from that window next time.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from tracker.errors import ParseError
from tracker.fetch.http import Limits
from tracker.models import Article
from tracker.sources import window
from tracker.sources.base import FetchContext, KeySpec, Source, check_int_at_most, register
from tracker.sources.markup import load_json
from tracker.sources.paging import Pager
from tracker.sources.pubmed_xml import parse_efetch
from tracker.sources.records import RecordError

SEARCH_CAP = 9_999      # esearch/efetch cannot page past this many records
MAX_BATCH = 200         # NCBI's advice for efetch batches
TOOL = "tracker"


check_batch_size = check_int_at_most(MAX_BATCH, "NCBI's efetch batch limit")


@register
class PubMedSource(Source):
    kind = "pubmed"
    required = ("query",)
    keys = {"batch_size": KeySpec(check_batch_size, f"records per efetch request (1-{MAX_BATCH})")}
    default_base_url = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
    registry_api = True

    def items(self, ctx: FetchContext) -> Iterator[Article]:
        return _Run(ctx).records()


class _Run:
    def __init__(self, ctx: FetchContext):
        self.ctx = ctx
        self.base = ctx.feed.base_url or PubMedSource.default_base_url
        self.limits = Limits(ctx.feed.rate_limit, ctx.feed.timeout, ctx.feed.max_bytes)
        self.batch = int(ctx.feed.option("batch_size", MAX_BATCH))
        self.pager = Pager(ctx, unit="search results")
        api_key = ctx.config.ncbi_api_key
        self.common: dict[str, Any] = {"db": "pubmed", "tool": TOOL}
        if ctx.config.contact_email:
            self.common["email"] = ctx.config.contact_email
        if api_key:
            self.common["api_key"] = api_key
        host = urlsplit(self.base).hostname or ""
        if host == "ncbi.nlm.nih.gov" or host.endswith(".ncbi.nlm.nih.gov"):
            # NCBI's published limits; a mirror or proxy keeps the feed's rate_limit
            ctx.http.set_host_rate(host, 10 if api_key else 3)

    def records(self) -> Iterator[Article]:
        start, end = window.window(self.ctx, window.today())
        for search, first, last in self._windows(start, end):
            self._progress(f"{first}..{last}: {search['count']} records")
            yield from self._fetch(search, first, last)
            if self.pager.stopped is not None:
                return  # this window was cut short: the next run starts from it again
            window.stage(self.ctx, last)

    # --- searching -------------------------------------------------------
    def _windows(self, start: date, end: date) -> Iterator[tuple[dict[str, Any], date, date]]:
        """(search, first day, last day) for windows of at most SEARCH_CAP records, in date order."""
        search = self._esearch(start, end)
        if search["count"] <= SEARCH_CAP:
            yield search, start, end
        elif start < end:
            for first, last in window.halves(start, end):
                yield from self._windows(first, last)
        else:
            self.ctx.item_error(f"PubMed: {search['count']} records entered on {start} exceed the "
                                f"{SEARCH_CAP:,} a search can return; only the first {SEARCH_CAP:,} were fetched.")
            search["count"] = SEARCH_CAP
            yield search, start, end

    def _esearch(self, start: date, end: date, *, ids: int = 0) -> dict[str, Any]:
        params = dict(self.common, term=self.ctx.feed.query, datetype="edat",
                      mindate=start.strftime("%Y/%m/%d"), maxdate=end.strftime("%Y/%m/%d"),
                      retmode="json", retmax=ids)
        if not ids:
            params["usehistory"] = "y"
        resp = self.ctx.http.get(self.base + "esearch.fcgi", params=params, limits=self.limits)
        return _esearch_result(resp.content)

    # --- fetching --------------------------------------------------------
    def _fetch(self, search: dict[str, Any], first: date, last: date) -> Iterator[Article]:
        count = min(search["count"], SEARCH_CAP)
        if count == 0:
            return
        if search.get("webenv") and search.get("querykey"):
            for retstart in range(0, count, self.batch):
                if not self.pager.next_page():
                    return
                params = dict(self.common, WebEnv=search["webenv"], query_key=search["querykey"],
                              retstart=retstart, retmax=self.batch, retmode="xml")
                resp = self.ctx.http.get(self.base + "efetch.fcgi", params=params, limits=self.limits)
                yield from self._articles(resp.content)
            return
        # No history server (a mirror or proxy without it): fetch the ids,
        # then POST them, since 200 ids make a URL longer than servers accept.
        ids = self._esearch(first, last, ids=count)["ids"]
        for i in range(0, min(len(ids), count), self.batch):
            if not self.pager.next_page():
                return
            data = dict(self.common, id=",".join(ids[i:i + self.batch]), retmode="xml")
            resp = self.ctx.http.get(self.base + "efetch.fcgi", data=data, limits=self.limits)
            yield from self._articles(resp.content)

    def _articles(self, body: bytes) -> Iterator[Article]:
        for item in parse_efetch(body):
            if not self.pager.take():
                return
            if isinstance(item, RecordError):
                self.ctx.item_error(item.message)
            else:
                yield item

    def _progress(self, message: str) -> None:
        if self.ctx.progress is not None:
            self.ctx.progress(f"{self.ctx.feed.name}: {message}")


def _esearch_result(body: bytes) -> dict[str, Any]:
    """esearch JSON -> {count, webenv, querykey, ids}; ParseError if unusable."""
    data = load_json(body, "PubMed esearch")
    result = data.get("esearchresult") if isinstance(data, dict) else None
    if not isinstance(result, dict):
        error = data.get("error") if isinstance(data, dict) else None
        raise ParseError(f"PubMed esearch failed: {error}." if error
                         else "PubMed esearch returned JSON without an esearchresult.")
    if result.get("ERROR"):
        raise ParseError(f"PubMed esearch failed: {result['ERROR']}.")
    raw_count = result.get("count")
    digits = str(raw_count) if isinstance(raw_count, (str, int)) else ""
    count = int(digits) if digits.isdigit() and len(digits) <= 18 else None
    if count is None:
        raise ParseError("PubMed esearch returned no record count.")
    return {
        "count": count,
        "webenv": result.get("webenv"),
        "querykey": result.get("querykey"),
        "ids": [str(i) for i in result.get("idlist") or []],
    }
