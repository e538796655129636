"""Web pages: a listing page, its article links, and each article page.

The listing (`url`) is read for links matching `article_links`; the
`next_page` selector (else rel=next) is followed up to `max_pages` listing
pages. Every request is conditional, so a nightly run re-extracts only
pages that changed: a 304 listing page has no links to look at, a 304
article is skipped (both counted by the fetcher as not_modified). A
listing page that fails fails the feed; a failing article page is one item
error and the others go on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from tracker.errors import FetchError, ParseError
from tracker.fetch.http import Limits, RobotsDisallowed
from tracker.sources.base import FetchContext, KeySpec, Source, check_css, check_positive_int, register

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
        "max_pages": KeySpec(check_positive_int, "listing pages to read (default 1, or 5 with next_page)"),
    }
    local_files = True

    def items(self, ctx: FetchContext) -> Iterator[Article]:
        feed = ctx.feed
        limits = Limits(feed.rate_limit, feed.timeout, feed.max_bytes)
        local = (feed.url or "").lower().startswith("file:")
        listing_pages: set[str] = set()
        seen: set[str] = set()
        errors_before = ctx.stats["errors"]
        for links in self._listings(ctx, limits, local, listing_pages):
            for link in links:
                if link in seen or link in listing_pages:
                    continue
                seen.add(link)
                article = self._article(ctx, link, limits, local)
                if article is not None:
                    yield article
        if ctx.stats["errors"] > errors_before and ctx.http.validators is not None:
            # An article failed: read the listing in full next run so it is tried
            # again, rather than skipping it behind an unchanged listing (304).
            for url in listing_pages:
                ctx.http.validators.forget(url)

    def _listings(self, ctx: FetchContext, limits: Limits, local: bool,
                  visited: set[str]) -> Iterator[list[str]]:
        """Links of each listing page in turn. The first page failing fails
        the feed; a later one ends the paging with an item error, keeping
        the links already found."""
        # bs4 underneath: config loading imports every kind, and `tracker search` must not load it
        from tracker.extract.page.html import parse_html
        from tracker.extract.page.parse import links_in, next_in

        feed = ctx.feed
        next_selector = feed.option("next_page")
        max_pages = feed.option("max_pages") or (
            DEFAULT_MAX_PAGES_PAGED if next_selector else DEFAULT_MAX_PAGES)
        url: str | None = feed.url
        for number in range(1, max_pages + 1):
            if url is None or url in visited:
                return
            visited.add(url)
            try:
                resp = ctx.http.get(url, limits=limits, conditional=not ctx.full, allow_file=local)
                if resp.not_modified:
                    return  # unchanged listing: nothing new to look at
                soup = parse_html(resp.content, resp.encoding)
            except (FetchError, ParseError) as exc:
                if number == 1:
                    raise
                ctx.item_error(f"listing page {number}: {exc}")
                return
            base = resp.url or url
            links = links_in(soup, base, feed.option("article_links"))
            if number == 1 and not links:
                # most often a selector that no longer fits the site's markup
                ctx.item_error(f"{base}: no links match the article_links selector "
                               f"{feed.option('article_links')!r}.")
            url = next_in(soup, base, next_selector) if number < max_pages else None
            yield links

    @staticmethod
    def _article(ctx: FetchContext, link: str, limits: Limits, local: bool) -> Article | None:
        from tracker.extract.page.parse import extract_page  # bs4: see _listings

        if link.lower().startswith("file:") and not local:
            return None  # only a local feed may read local files
        try:
            resp = ctx.http.get(link, limits=limits, conditional=not ctx.full, allow_file=local)
        except RobotsDisallowed:
            return None  # counted by the fetcher as robots_skipped
        except FetchError as exc:
            ctx.item_error(str(exc))
            return None
        if resp.not_modified:
            return None  # counted by the fetcher as not_modified
        try:
            return extract_page(resp.content, resp.url or link, encoding=resp.encoding)
        except ParseError as exc:
            ctx.item_error(f"{link}: {exc}")
            return None
