"""The WSGI application: routes, one tracker library call per page, templates.

Read-only: every route answers GET (and HEAD) and nothing writes. Each
server thread keeps its own Index (the record store's SQLite connection
belongs to the thread that opened it); every search opens a searcher on
the index's last commit, so a crawl committing meanwhile is seen at the
next request and never half-way.
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from jinja2 import Environment, PackageLoader

from tracker import search as searching
from tracker.errors import QueryError, TrackerError
from tracker.index import META_FILE, Hit, Index, SearchResult
from tracker.output import export as exporting
from tracker.web import views
from tracker.web.cache import LRU, index_state
from tracker.web.highlight import Highlighter, QueryTerms, query_terms

log = logging.getLogger(__name__)

PAGE_SIZE = 20
MAX_PAGE = 50           # 1,000 hits deep; a narrower query beats paging further
MAX_API_LIMIT = 100
MAX_QUERY = 1000        # characters
NEW_DAYS = "7d"
PREFETCH = 2            # pages of hits a search keeps, so "next" comes from the cache
CACHE_ENTRIES = 100     # searches remembered per process (~2 pages of records each)
EXPORTS = {"csv": ("text/csv; charset=utf-8", "csv"), "ris": ("application/x-research-info-systems", "ris"),
           "bibtex": ("application/x-bibtex; charset=utf-8", "bib")}
HEADERS = [
    # no script anywhere; styles inline; nothing framed
    ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
                                "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
]

StartResponse = Callable[..., Any]


class HTTPError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class Request:
    def __init__(self, environ: dict[str, Any]):
        self.method = environ.get("REQUEST_METHOD", "GET")
        # WSGI hands the path over as latin-1 text of the raw bytes
        raw = environ.get("PATH_INFO", "/").encode("latin-1", "replace")
        self.path = raw.decode("utf-8", "replace")
        self.args = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True, errors="replace")

    def get(self, name: str, default: str = "") -> str:
        values = self.args.get(name)
        return values[0] if values else default

    def all(self, name: str) -> list[str]:
        return self.args.get(name, [])

    def query(self) -> str:
        text = self.get("q").replace("\x00", " ").strip()
        if len(text) > MAX_QUERY:
            raise QueryError(f"the query is {len(text):,} characters long; the limit is {MAX_QUERY:,}.")
        return text

    def number(self, name: str, default: int, lo: int, hi: int) -> int:
        text = self.get(name, str(default)).strip()
        if not text.isdigit():
            raise QueryError(f"{name} must be a whole number from {lo} to {hi}, not '{text[:40]}'.")
        return min(max(int(text), lo), hi)

    def sort(self) -> str:
        sort = self.get("sort", "relevance") or "relevance"
        if sort not in views.SORTS:
            raise QueryError(f"sort must be one of {', '.join(views.SORTS)}, not '{sort[:40]}'.")
        return sort


@dataclass(frozen=True)
class Found:
    """What a search page shows apart from which page of hits: one cache entry."""
    hits: list[Hit]             # the first ones, in order
    total: int
    complete: bool              # hits holds every match
    pages: int
    facets: list[tuple[str, list[tuple[str, int, str | None]]]]
    chart: dict[str, Any]
    explained: str
    suggestion: str | None
    terms: QueryTerms
    records: int                # in the library


class App:
    """`tracker serve`'s application over one index directory."""

    def __init__(self, index_dir: str | Path):
        self.index_dir = Path(index_dir)
        self._local = threading.local()
        self._new: tuple[tuple[int, int], SearchResult] | None = None
        self.found_cache = LRU(CACHE_ENTRIES)
        self.highlighter: Highlighter | None = None
        self.templates = Environment(loader=PackageLoader("tracker.web", "templates"), autoescape=True,
                                     trim_blocks=True, lstrip_blocks=True)
        self.templates.globals.update(search_url=views.search_url, record_url=views.record_url,
                                      type_label=views.type_label, shown=views.shown,
                                      facet_titles=views.FACET_TITLES, sort_titles=views.SORT_TITLES,
                                      sorts=views.SORTS)
        self.routes: list[tuple[str, Callable[[Request, str], tuple[int, list[tuple[str, str]], bytes]]]] = [
            ("/api/search", self.api_search), ("/api/record/", self.api_record), ("/record/", self.record_page),
            ("/export", self.export), ("/", self.search_page)]

    # plumbing ------------------------------------------------------------
    def index(self) -> Index:
        ix = getattr(self._local, "index", None)
        if ix is None:
            ix = self._local.index = Index.open(self.index_dir)
        return ix

    def forget_index(self) -> None:
        """Close this thread's Index (after a failure: the next request opens the index afresh)."""
        ix = getattr(self._local, "index", None)
        self._local.index = None
        if ix is not None:
            try:
                ix.close()
            except Exception:   # closing a broken index must not hide why it broke
                log.debug("closing the index failed", exc_info=True)

    def new_this_week(self, ix: Index) -> SearchResult:
        """The library's records first stored in the last 7 days, newest first;
        one search per index commit (index.json is rewritten by each) and hour."""
        try:
            stamp = (ix.directory / META_FILE).stat().st_mtime_ns
        except OSError:
            stamp = 0
        key = (stamp, int(time.time() // 3600))
        cached = self._new
        if cached is not None and cached[0] == key:
            return cached[1]
        result = searching.run(ix, "", limit=5, sort="-year", highlight=False,
                               since=searching.parse_since(NEW_DAYS)).result
        self._new = (key, result)
        return result

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        req = Request(environ)
        api = req.path.startswith("/api/")
        try:
            status, headers, body = self.dispatch(req)
        except HTTPError as exc:
            status, headers, body = self.error(exc.status, str(exc), api)
        except QueryError as exc:
            status, headers, body = self.error(400, str(exc), api)
        except RecursionError:
            status, headers, body = self.error(400, "the query nests too deeply; use fewer parentheses.", api)
        except TrackerError as exc:
            self.forget_index()
            status, headers, body = self.error(503, str(exc), api)
        except Exception:
            log.exception("%s %s failed", req.method, req.path)
            self.forget_index()
            status, headers, body = self.error(500, "the server failed to answer this request; its log says "
                                                    "why.", api)
        start_response(f"{status} {_REASONS.get(status, '')}".strip(), headers + HEADERS +
                       [("Content-Length", str(len(body)))])
        return [b"" if req.method == "HEAD" else body]

    def dispatch(self, req: Request) -> tuple[int, list[tuple[str, str]], bytes]:
        if req.method not in ("GET", "HEAD"):
            raise HTTPError(405, "this server is read-only: only GET is answered.")
        for prefix, handler in self.routes:
            if prefix == "/" and req.path != "/":
                continue
            if req.path.startswith(prefix):
                try:
                    return handler(req, req.path[len(prefix):])
                except TrackerError as exc:
                    if isinstance(exc, QueryError):
                        raise
                    # the index was replaced under this thread (a rebuild): open it again, once
                    self.forget_index()
                    return handler(req, req.path[len(prefix):])
        raise HTTPError(404, f"no page at {req.path[:200]}.")

    def html(self, template: str, status: int = 200, **context: Any) -> tuple[int, list[tuple[str, str]], bytes]:
        body = self.templates.get_template(template).render(**context).encode("utf-8")
        return status, [("Content-Type", "text/html; charset=utf-8")], body

    @staticmethod
    def json(data: Any, status: int = 200) -> tuple[int, list[tuple[str, str]], bytes]:
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        return status, [("Content-Type", "application/json; charset=utf-8")], body

    def error(self, status: int, message: str, api: bool) -> tuple[int, list[tuple[str, str]], bytes]:
        if api:
            return self.json({"error": message}, status)
        return self.html("error.html", status, code=status, message=message, q="")

    # pages ---------------------------------------------------------------
    def search_page(self, req: Request, _: str) -> tuple[int, list[tuple[str, str]], bytes]:
        try:
            text = req.query()
        except QueryError as exc:
            return self.html("search.html", 400, q=req.get("q")[:MAX_QUERY], error=str(exc), sort="relevance")
        sort = req.sort()
        page = req.number("page", 1, 1, MAX_PAGE)
        ix = self.index()
        try:
            found = self.found(ix, text, sort, page * PAGE_SIZE)
        except QueryError as exc:
            return self.html("search.html", 400, q=text, error=str(exc), sort=sort)
        new = self.new_this_week(ix)
        marker = self.highlighter
        if marker is None:     # one per process: it remembers each word's stems
            marker = self.highlighter = Highlighter(ix.analyser.analyse)
        hits = []
        for h in found.hits[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]:
            hl = marker.highlights(found.terms, h.record)
            hits.append({"record": h.record, "score": h.score, "title": views.title(hl, h.record),
                         "snippet": views.snippet(hl, h.record)})
        return self.html(
            "search.html", q=text, sort=sort, page=page, pages=found.pages, total=found.total, hits=hits,
            facets=found.facets, chart=found.chart, explained=found.explained, suggestion=found.suggestion,
            new=new, records=found.records)

    def found(self, ix: Index, text: str, sort: str, need: int) -> Found:
        """A query's hits (at least `need`, or all), total, facets, chart and
        explanation: from the cache while the index has not committed since."""
        state = index_state(ix.directory / META_FILE)
        key = (state, text, sort)
        cached: Found | None = self.found_cache.get(key) if state is not None else None
        if cached is not None and (len(cached.hits) >= need or cached.complete):
            return cached
        limit = max(need, PREFETCH * PAGE_SIZE)
        outcome = searching.run(ix, text, limit=limit, sort=sort, highlight=False,
                                facets=() if cached is not None else views.FACETS)
        result = outcome.result
        if cached is not None:     # only deeper hits were missing
            out = dataclasses.replace(cached, hits=result.hits, complete=result.total <= limit)
        else:
            out = Found(
                hits=result.hits, total=result.total, complete=result.total <= limit,
                pages=min(MAX_PAGE, max(1, -(-result.total // PAGE_SIZE))),
                facets=[(name, [(value, n, views.search_url(views.with_clause(text, name, value), sort=sort)
                                 if value != views.NONE else None)
                                for value, n in result.facets.get(name, [])[:15]]) for name in views.FACETS],
                chart=views.year_chart(result.facets.get("year", []), text), explained=outcome.explained,
                suggestion=outcome.suggestion, terms=query_terms(outcome.query), records=ix.store.count())
        if state is not None and index_state(ix.directory / META_FILE) == state:
            self.found_cache.put(key, out)
        return out

    def record_page(self, req: Request, record_id: str) -> tuple[int, list[tuple[str, str]], bytes]:
        ix = self.index()
        record = ix.store.lookup(record_id) if record_id else None
        if record is None:
            raise HTTPError(404, f"no record with id '{record_id[:200]}' in the index.")
        alike = searching.similar(ix, record["id"], limit=8)
        prov = record.get("provenance") or {}
        rows = [(name, views.shown(record.get(name)) if name != "study_type" else
                 views.type_label(record.get(name)) or "—", prov.get(name)) for name in views.RECORD_FIELDS]
        return self.html("record.html", record=record, rows=rows, links=views.links_out(record),
                         similar=alike, q="")

    def export(self, req: Request, _: str) -> tuple[int, list[tuple[str, str]], bytes]:
        fmt = req.get("f", "csv")
        if fmt not in EXPORTS:
            raise QueryError(f"f must be one of {', '.join(EXPORTS)}, not '{fmt[:40]}'.")
        text = req.query()
        ix = self.index()
        rows = ix.store.select(rows=searching.match_rows(ix, text)) if text else ix.store.select()
        out = io.StringIO()
        exporting.write_rows(rows, fmt, out)
        ctype, ext = EXPORTS[fmt]
        return 200, [("Content-Type", ctype),
                     ("Content-Disposition", f'attachment; filename="tracker-export.{ext}"')], \
            out.getvalue().encode("utf-8")

    # API -----------------------------------------------------------------
    def api_search(self, req: Request, _: str) -> tuple[int, list[tuple[str, str]], bytes]:
        text = req.query()
        limit = req.number("n", 20, 1, MAX_API_LIMIT)
        facets = req.all("facet")
        for name in facets:
            if name not in ("year", "journal", "drug", "study_type", "type", "condition", "feed"):
                raise QueryError(f"unknown facet '{name[:40]}' (year, journal, drug, study_type, condition, feed).")
        outcome = searching.run(self.index(), text, limit=limit, sort=req.sort(), facets=facets)
        result = outcome.result
        return self.json({
            "total": result.total,
            "results": [dict(h.record, score=h.score, highlights=h.highlights) for h in result.hits],
            "facets": {name: [{"value": v, "count": n} for v, n in counts] for name, counts in result.facets.items()},
            "suggestion": outcome.suggestion,
        })

    def api_record(self, req: Request, record_id: str) -> tuple[int, list[tuple[str, str]], bytes]:
        record = self.index().store.lookup(record_id) if record_id else None
        if record is None:
            raise HTTPError(404, f"no record with id '{record_id[:200]}' in the index.")
        return self.json(record)


_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
            500: "Internal Server Error", 503: "Service Unavailable"}
