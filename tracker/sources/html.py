"""Web pages: a listing page, its article links, and each article page.

The listing (`url`) is read for links matching `article_links`; the
`next_page` selector (else rel=next) is followed up to `max_pages` listing
pages. Listing pages are conditional GETs: a 304 has no links to look at.
Each article page is fetched once and fetched again only when the date
beside its link on the listing changes, after refresh_after, or with --full
(tracker.sources.recrawl); once a clean read of every listing page is on
record, paging stops at the first listing page without a new or changed
link, since older pages hold older links. A page that is fetched again is a
conditional GET (a 304 is counted as not_modified). A listing page that
fails fails the feed; a failing article page is one item error and the
others go on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from tracker.errors import FetchError, ParseError
from tracker.fetch.http import Limits, RobotsDisallowed
from tracker.sources.base import (
    REFRESH_AFTER,
    FetchContext,
    KeySpec,
    Source,
    check_css,
    register,
)
from tracker.sources.paging import Pager, capped_links
from tracker.sources.recrawl import PageMemory

if TYPE_CHECKING:
    from tracker.models import Article

# Listing pages read when max_pages is not set: one, or five when a
# next_page selector says the listing is paged. Without next_page, an
# explicit max_pages follows rel="next" links.
DEFAULT_MAX_PAGES = 1
DEFAULT_MAX_PAGES_PAGED = 5


@register
class HtmlSource(Source):
    kind = "html"
    required = ("url", "article_links")
    keys = {
        "article_links": KeySpec(check_css, "CSS selector for article links on the listing page"),
        "next_page": KeySpec(check_css, "CSS selector for the link to the next listing page"),
        "refresh_after": REFRESH_AFTER,
    }
    local_files = True

    def items(self, ctx: FetchContext) -> Iterator[Article]:
        feed = ctx.feed
        limits = Limits(feed.rate_limit, feed.timeout, feed.max_bytes)
        local = (feed.url or "").lower().startswith("file:")
        # max_pages became a key every kind shares; the scope keeps its old shape
        memory = PageMemory(ctx, {"url": feed.url, **{k: feed.option(k) for k in SCOPE_KEYS},
                                  "max_pages": feed.max_pages})
        pager = Pager(ctx, unit="linked articles")   # max_records: article pages per run
        listing_pages: set[str] = set()
        seen: set[str] = set()
        errors_before = ctx.stats["errors"]
        complete = False
        for links, last in self._listings(ctx, limits, local, listing_pages, memory.fresh):
            changed = False  # a link on this listing page was new or changed
            for link, mark in links.items():
                if link in seen or link in listing_pages:
                    continue
                seen.add(link)
                if link.lower().startswith("file:") and not local:
                    continue  # only a local feed may read local files
                if memory.known(link, mark):
                    continue  # stored when it was read, and its listing entry has not changed since
                if not pager.take():
                    break  # max_records article pages read this run
                article, asked = self._article(ctx, link, mark, limits, local, memory)
                changed = changed or asked
                if article is not None:
                    yield article
            if pager.stopped is not None:
                break
            if last:
                complete = True
            elif not changed and not memory.sweep:
                break  # nothing new here: older listing pages hold older links
        failed = ctx.stats["errors"] > errors_before
        memory.end(complete=complete, failed=failed)
        if failed and ctx.http.validators is not None:
            # An article failed: read the listing in full next run so it is tried
            # again, rather than skipping it behind an unchanged listing (304).
            for url in listing_pages:
                ctx.http.validators.forget(url)

    def _listings(self, ctx: FetchContext, limits: Limits, local: bool, visited: set[str],
                  fresh: bool) -> Iterator[tuple[dict[str, str | None], bool]]:
        """({link: its mark} of each listing page in turn, whether it is the last
        page). The first page failing fails the feed; a later one ends the
        paging with an item error, keeping the links already found. A 304
        ends the paging: an unchanged listing has nothing new to look at."""
        # bs4 underneath: config loading imports every kind, and `tracker search` must not load it
        from tracker.extract.page.html import parse_html
        from tracker.extract.page.parse import next_in

        feed = ctx.feed
        selector = feed.option("article_links")
        next_selector = feed.option("next_page")
        max_pages = feed.max_pages or (DEFAULT_MAX_PAGES_PAGED if next_selector else DEFAULT_MAX_PAGES)
        url: str | None = feed.url
        for number in range(1, max_pages + 1):
            if url is None or url in visited:
                return
            visited.add(url)
            try:
                resp = ctx.http.get(url, limits=limits, conditional=True, fresh=fresh, allow_file=local)
                if resp.not_modified:
                    return
                soup = parse_html(resp.content, resp.encoding)
            except (FetchError, ParseError) as exc:
                if number == 1:
                    raise
                ctx.item_error(f"listing page {number}: {exc}")
                return
            base = resp.url or url
            # every matched link, in page order, up to MAX_LINKS_PER_PAGE
            marks = capped_links(ctx, listing_marks(soup, base, selector), f"listing page {number}")
            if number == 1 and not marks:
                # most often a selector that no longer fits the site's markup
                ctx.item_error(f"{base}: no links match the article_links selector {selector!r}.")
            url = next_in(soup, base, next_selector) if number < max_pages else None
            if number == max_pages and (feed.max_pages or next_selector) and \
                    next_in(soup, base, next_selector) not in (None, *visited):
                ctx.stats.note(f"max_pages ({max_pages}) reached; later listing pages were not read")
            yield marks, url is None or url in visited

    @staticmethod
    def _article(ctx: FetchContext, link: str, mark: str | None, limits: Limits, local: bool,
                 memory: PageMemory) -> tuple[Article | None, bool]:
        """(the page's article or None, whether the page was asked for)."""
        from tracker.extract.page.parse import extract_page  # bs4: see _listings

        try:
            resp = ctx.http.get(link, limits=limits, conditional=True, fresh=ctx.full, allow_file=local)
        except RobotsDisallowed:
            return None, False  # counted by the fetcher as robots_skipped
        except FetchError as exc:
            ctx.item_error(str(exc))
            return None, True
        if resp.not_modified:
            memory.still_stored(link, mark)
            return None, True  # counted by the fetcher as not_modified
        try:
            article = extract_page(resp.content, resp.url or link, encoding=resp.encoding)
        except ParseError as exc:
            ctx.item_error(f"{link}: {exc}")
            return None, True
        memory.remember(link, mark, article.id)
        return article, True


# The listing keys a clean sweep is recorded for: change one and the listing is read in full again.
SCOPE_KEYS = ("article_links", "next_page")
# Elements that hold one listing entry; a date inside one belongs to its link.
_ENTRY_TAGS = ("article", "li", "tr", "div", "section", "dd", "p")
_ENTRY_DEPTH = 4


def listing_marks(soup: Any, base_url: str, selector: str) -> dict[str, str | None]:
    """{link: the date shown beside it} for the links `selector` matches: the
    first <time> (its datetime, else its text) in the smallest enclosing
    element that holds no other matched link."""
    from tracker.extract.page.parse import linked_tags  # bs4: see _listings

    return {link: _date_beside(tag, selector) for link, tag in linked_tags(soup, base_url, selector)}


def _date_beside(tag: Any, selector: str) -> str | None:
    node = tag
    for _ in range(_ENTRY_DEPTH + 1):
        if node is None or node.name in ("body", "html", "[document]"):
            return None
        if node is not tag and len(node.select(selector, limit=2)) > 1:
            return None  # a list of entries, not one entry
        if node is tag or node.name in _ENTRY_TAGS:
            time = node.find("time")
            if time is not None:
                value = time.get("datetime") or time.get_text(" ", strip=True)
                return str(value).strip() or None
        node = node.parent
    return None
