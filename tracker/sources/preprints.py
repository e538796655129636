"""medRxiv and bioRxiv preprints through the servers' details API.

The API lists every preprint posted in a date window and cannot be
searched, so a preprints feed needs a relevance gate (`filters:
include_any`), which the crawl applies to title and abstract. Pages are
read from cursor 0, each next cursor stepping by the count the page
itself reports (not an assumed page size), until the window's total is
reached or a page comes back empty. A preprint the server knows to be
published carries that journal DOI (`published_as`); the record store then
merges it into the journal record (tracker.store.preprints).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tracker.dates import valid_year
from tracker.errors import ConfigError, ParseError
from tracker.fetch.http import Limits
from tracker.models import Article, normalize_doi
from tracker.sources import window
from tracker.sources.base import FetchContext, KeySpec, Source, register
from tracker.sources.markup import dedupe, initials, load_json, person, squash
from tracker.sources.paging import Pager
from tracker.sources.records import RecordError, registry_article

SERVERS = {"medrxiv": "medRxiv", "biorxiv": "bioRxiv"}
LANDING = "https://www.{server}.org/content/{doi}v{version}"


def check_server(value: Any) -> str:
    text = str(value).strip().lower() if isinstance(value, str) else ""
    if text not in SERVERS:
        raise ValueError(f"must be one of {', '.join(SERVERS)}")
    return text


@register
class PreprintSource(Source):
    kind = "preprints"
    required = ("server",)
    keys = {"server": KeySpec(check_server, "the preprint server: medrxiv or biorxiv")}
    default_base_url = "https://api.biorxiv.org/"
    registry_api = True

    def items(self, ctx: FetchContext) -> Iterator[Article]:
        feed = ctx.feed
        if not feed.filters.include_any:
            raise ConfigError(f"{feed.name}: a preprints feed lists every preprint of its server; give it "
                              f"a relevance gate (filters: include_any).")
        server = str(feed.option("server"))
        base = feed.base_url or self.default_base_url
        limits = Limits(feed.rate_limit, feed.timeout, feed.max_bytes)
        start, end = window.window(ctx, window.today(), server=server)
        pager = Pager(ctx, unit="preprints")
        cursor = 0
        while pager.next_page(str(cursor)):
            url = f"{base}details/{server}/{start.isoformat()}/{end.isoformat()}/{cursor}"
            resp = ctx.http.get(url, limits=limits)
            page = pager.read(parse_page, resp.content, server)
            if page is None:
                return
            collection, count, total = page
            yield from pager.each(collection, lambda e: parse_entry(e, server), server, prefix=f"{feed.name}: ")
            cursor += count
            if ctx.progress is not None and total is not None:
                ctx.progress(f"{feed.name}: {cursor} of {total} preprints")
            if not collection or count <= 0 or (total is not None and cursor >= total) or not pager.room():
                break
        if pager.stopped is None:
            # a stopped run did not see the whole window: the next run reads it again
            window.stage(ctx, end, server=server)


def _int(value: Any) -> int | None:
    """The API writes some numbers as text ("total": "156")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def parse_page(body: bytes) -> tuple[list[Any], int, int | None]:
    """(collection, count on this page, total in the window) of one details response."""
    data = load_json(body, "the preprint server")
    if not isinstance(data, dict):
        raise ParseError("the preprint server returned JSON that is not a details response.")
    messages = data.get("messages")
    message = messages[0] if isinstance(messages, list) and messages and isinstance(messages[0], dict) else {}
    collection = data.get("collection")
    if not isinstance(collection, list):
        status = squash(message.get("status")) if isinstance(message.get("status"), str) else None
        if status and status.lower().startswith("no posts"):
            return [], 0, 0       # an empty window is answered with a message, not a list
        raise ParseError(f"the preprint server returned no collection{f' ({status})' if status else ''}.")
    count = _int(message.get("count"))
    return collection, count if count is not None else len(collection), _int(message.get("total"))


def _str(value: Any) -> str | None:
    return squash(value) if isinstance(value, str) else None


def parse_entry(entry: Any, server: str) -> Article | RecordError:
    """One `collection` entry -> a preprint record (journal: the server's name)."""
    if not isinstance(entry, dict):
        return RecordError("a preprint entry that is not an object was skipped.")
    doi = normalize_doi(_str(entry.get("doi")))
    if doi is None:
        return RecordError("a preprint without a DOI was skipped.")
    name = SERVERS.get((_str(entry.get("server")) or server).lower(), SERVERS[server])
    posted = _str(entry.get("date"))
    version = _str(str(entry.get("version"))) if entry.get("version") is not None else "1"
    article = registry_article(
        title=_str(entry.get("title")),
        abstract=_str(entry.get("abstract")),
        authors=authors(_str(entry.get("authors"))),
        journal=name,
        year=valid_year((posted or "")[:4]),
        published=posted,
        doi=doi,
        url=LANDING.format(server=name.lower(), doi=doi, version=version or "1"),
        keywords=dedupe([_str(entry.get("category"))]),
        preprint=True,
    )
    # "NA" until the server learns of the journal version
    article.published_as = normalize_doi(_str(entry.get("published")))
    return article


def authors(text: str | None) -> list[str]:
    """'Smith, J. A.; van Dijk, M.' -> ['Smith JA', 'van Dijk M']."""
    names = []
    for part in (text or "").split(";"):
        family, _, given = part.partition(",")
        name = person(family, initials(given)) if given.strip() else squash(family)
        if name:
            names.append(name)
    return names
