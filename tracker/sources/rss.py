"""RSS 0.9x, 1.0 (RDF), 2.0 and Atom feeds, via feedparser.

Feed values map to the record with provenance "metadata". A feed item's
own date goes to `published`; it becomes `year` only when the item is a
journal article (prism: data, or a feed whose title names a known journal),
since then the item is the study itself.

With fetch_articles, each item's page is fetched once and fetched again only
when the item's guid or date changes, after refresh_after, or with --full
(tracker.sources.recrawl); the feed itself is a conditional GET.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from tracker.dates import iso_date, year_of
from tracker.errors import FetchError, ParseError
from tracker.fetch.http import Limits, RobotsDisallowed
from tracker.lexicon.journals import resolve as resolve_journal
from tracker.lexicon.languages import language_code
from tracker.models import Article, keys_conflict, merge, normalize_doi
from tracker.sources import paging
from tracker.sources.base import REFRESH_AFTER, FetchContext, KeySpec, Source, check_bool, register
from tracker.sources.paging import Pager
from tracker.sources.recrawl import PageMemory
from tracker.textutil import html_to_text

_DOI_IN = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>]+)", re.I)
_PMID_IN = re.compile(r"(?:pubmed\.ncbi\.nlm\.nih\.gov/|ncbi\.nlm\.nih\.gov/pubmed/|^pmid:\s*|^pubmed:\s*)"
                      r"(\d{1,9})\b", re.I)
_FEED_TITLE_NOISE = re.compile(
    r"\s*[-:|–—]?\s*(advance (online|access)( articles?)?|current issue|latest (issue|articles|results)|"
    r"early view|online first|ahead of print|articles? in press|table of contents|new articles|rss feed|"
    r"recent articles|most recent|just accepted)\s*$", re.I)
# Publisher prefixes on feed titles ("ScienceDirect Publication: Gastroenterology").
_FEED_TITLE_PREFIX = re.compile(
    r"^\s*(sciencedirect publication|wiley|taylor\s*&\s*francis(\s+online)?|tandf|sage publications( inc)?|"
    r"oxford academic|springerlink|bmj journals?|pubmed)\s*[:|–—-]\s*", re.I)
# Elsevier-style descriptions carry labelled lines instead of an abstract.
_LABELLED_LINE = re.compile(r"^\s*(publication date|source|author\(s\)|authors?|volume \d+[^:]*)\s*:\s*(.*)$", re.I)
_ENTITY_DECL = re.compile(rb"<!ENTITY", re.I)
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*(<!doctype\s+html|<html)", re.I | re.S)


def parse_feed(content: bytes, url: str, feed_name: str = "") -> tuple[list[Article], list[str]]:
    """Bytes of a feed -> (articles, per-item problems). Raises ParseError if not a feed."""
    entries, problems = parse_entries(content, url)
    return [art for art, _ in entries], problems


def parse_entries(content: bytes, url: str) -> tuple[list[tuple[Article, str | None]], list[str]]:
    """Like parse_feed, with each article's mark: its item's guid and date, which
    change when the publisher changes the item (None when it has neither)."""
    import feedparser

    head = content[:4096].lstrip(b"\xef\xbb\xbf")
    if not content.strip():
        raise ParseError(f"{url}: the response was empty, not a feed.")
    if _ENTITY_DECL.search(content):
        # Entity declarations are how XML bombs and XXE work; real feeds never need them.
        raise ParseError(f"{url}: the feed declares XML entities; refused for safety.")
    if _HTML_START.match(head):
        raise ParseError(f"{url}: returned an HTML page, not an RSS or Atom feed.")
    local = not url.lower().startswith(("http:", "https:"))
    # Relative links resolve against the feed's own web address; a feed read
    # from a file has none, so its xml:base, else its self or site link, is used
    # (never the file's path: that would make ids of url:file://...).
    parsed = feedparser.parse(content, response_headers={"content-location": "" if local else url},
                              sanitize_html=False, resolve_relative_uris=True)
    base = _web_base(parsed.feed) if local else None
    if base:
        parsed = feedparser.parse(content, response_headers={"content-location": base},
                                  sanitize_html=False, resolve_relative_uris=True)
    if not parsed.entries and (parsed.bozo or not parsed.feed):
        reason = getattr(parsed, "bozo_exception", None)
        detail = f" ({str(reason).splitlines()[0]})" if reason else ""
        raise ParseError(f"{url}: not a readable RSS or Atom feed{detail}.")
    feed = parsed.feed
    journal = _journal_from_feed_title(feed.get("title"))
    language = language_code(feed.get("language"))
    problems: list[str] = []
    articles: list[tuple[Article, str | None]] = []
    for i, entry in enumerate(parsed.entries, 1):
        try:
            art = _entry(entry, journal, language)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            problems.append(f"{url}: item {i} could not be read ({exc}).")
            continue
        if art.id is None:
            link = entry.get("link")
            why = (f" (its link {link!r} is relative, and the feed names no web address to resolve it against)"
                   if isinstance(link, str) and link and not _absolute(link) else "")
            problems.append(f"{url}: item {i} has no link, DOI or PMID{why}; skipped.")
            continue
        articles.append((art, _mark(entry)))
    return articles, problems


def _absolute(link: str) -> bool:
    return bool(urlsplit(link).scheme)


def _web_base(feed: Any) -> str | None:
    """The feed's own web address (rel=self), else its site link (http(s) only)."""
    links = [link for link in feed.get("links") or [] if isinstance(link, dict)]
    candidates = [link.get("href") for link in links if link.get("rel") == "self"]
    candidates += [link.get("href") for link in links if link.get("rel") == "alternate"]
    candidates.append(feed.get("link"))
    for href in candidates:
        if isinstance(href, str) and urlsplit(href.strip()).scheme.lower() in ("http", "https"):
            return href.strip()
    return None


def _mark(entry: Any) -> str | None:
    # dict.get: feedparser's own get maps a missing `updated` to `published`, with a warning
    guid = dict.get(entry, "id") or None
    when = dict.get(entry, "updated") or dict.get(entry, "published") or None
    return json.dumps([guid, when]) if guid or when else None


def _journal_from_feed_title(title: str | None) -> str | None:
    if not title:
        return None
    name = _FEED_TITLE_PREFIX.sub("", html_to_text(title) or "")
    for _ in range(2):
        name = _FEED_TITLE_NOISE.sub("", name).strip()
    return resolve_journal(name) if name else None


def _split_labelled(text: str | None) -> tuple[str | None, dict[str, str]]:
    """Pull 'Source: Gut' / 'Author(s): ...' / 'Publication date: ...' lines out of a description."""
    if not text:
        return text, {}
    kept, labels = [], {}
    for line in text.split("\n"):
        m = _LABELLED_LINE.match(line)
        if m and len(m.group(2)) < 600:
            labels[m.group(1).lower()] = m.group(2).strip()
        else:
            kept.append(line)
    if "source" not in labels and "author(s)" not in labels:
        return text, {}  # a real abstract that happens to start with "Authors:"
    return "\n".join(kept) or None, labels


def _authors(entry: Any) -> list[str]:
    names: list[str] = []
    for a in entry.get("authors") or []:
        name = (a.get("name") or "").strip() if isinstance(a, dict) else str(a).strip()
        if name:
            names.append(name)
    if not names and entry.get("author"):
        names = [entry.get("author")]
    out: list[str] = []
    for name in names:
        name = html_to_text(name) or ""
        # dc:creator often packs a list into one string
        parts = re.split(r"\s*;\s*|\s*,\s*(?=[A-Z][^,]*\s[A-Z]{1,3}\b)|\s+and\s+", name) \
            if (";" in name or name.count(",") > 1 or " and " in name) else [name]
        out.extend(p.strip(" ,.") for p in parts if p.strip(" ,."))
    return list(dict.fromkeys(out))


def _entry(entry: Any, feed_journal: str | None, feed_language: str | None) -> Article:
    art = Article()
    meta = "metadata"
    art.set("title", html_to_text(entry.get("title")), meta)
    summary, labelled = _split_labelled(html_to_text(entry.get("summary"), keep_paragraphs=True))
    content = None
    for c in entry.get("content") or []:
        text = html_to_text(c.get("value"), keep_paragraphs=True)
        if text and (content is None or len(text) > len(content)):
            content = text
    abstract = summary or content
    art.set("abstract", abstract.replace("\n", " ") if abstract else None, meta)
    if content and summary and len(content) > len(summary) * 1.5:
        art.body = content
    authors = _authors(entry)
    if not authors and labelled.get("author(s)", labelled.get("authors", labelled.get("author"))):
        authors = [a.strip() for a in re.split(r",|;", labelled.get("author(s)") or labelled.get("authors")
                                              or labelled.get("author") or "") if a.strip()]
    art.set("authors", authors, meta)
    link = entry.get("link")
    if isinstance(link, str) and not _absolute(link):
        link = None  # a relative link with nothing to resolve it against is no address
    art.url = link
    art.__post_init__()
    # imported here: ~75 ms, and loading any feeds.yaml imports this module
    from tracker.extract.citation import dois_in_text, journal_of_feed_item

    identifiers = [entry.get("prism_doi"), entry.get("dc_identifier"), entry.get("id"), link]
    identifiers += [ln.get("href") for ln in entry.get("links") or [] if isinstance(ln, dict)]
    identifiers += dois_in_text(abstract)   # "DOI: 10...." printed in the description
    for ident in identifiers:
        if not ident:
            continue
        found = _DOI_IN.search(ident)
        doi = normalize_doi(ident) or (normalize_doi(found.group(1)) if found else None)
        if doi and not art.doi:
            art.set("doi", doi, meta)
        m = _PMID_IN.search(ident)
        if m and not art.pmid:
            art.set("pmid", m.group(1), meta)
    # an aggregator's item whose description cites its journal is that journal's article
    journal = (html_to_text(entry.get("prism_publicationname")) or labelled.get("source")
               or journal_of_feed_item(abstract))
    source = html_to_text(entry.get("dc_source"))
    if not journal and source and "://" not in source:
        # dc:source names the journal in scholarly feeds (PubMed's among them)
        journal = source
    if journal:
        journal = resolve_journal(journal) or journal
    is_article = bool(journal or feed_journal)
    art.set("journal", journal or feed_journal, meta)
    published = (iso_date(entry.get("published_parsed")) or iso_date(entry.get("updated_parsed"))
                 or iso_date(entry.get("published")) or iso_date(entry.get("updated"))
                 or iso_date(entry.get("dc_date")))
    art.published = published
    study_date = entry.get("prism_publicationdate") or entry.get("prism_coverdate")
    year = year_of(iso_date(study_date)) if study_date else None
    if year is None and is_article:
        year = year_of(published)
    art.set("year", year, meta)
    art.set("language", language_code(entry.get("language") or entry.get("dc_language")) or feed_language, meta)
    tags = [t.get("term") for t in entry.get("tags") or [] if isinstance(t, dict) and t.get("term")]
    art.keywords = [text for t in tags if (text := html_to_text(t))]
    art.__post_init__()
    return art


@register
class RssSource(Source):
    kind = "rss"
    required = ("url",)
    keys = {"fetch_articles": KeySpec(check_bool, "follow each item link and extract the page"),
            "refresh_after": REFRESH_AFTER}
    local_files = True

    def items(self, ctx: FetchContext) -> Iterator[Article]:
        feed = ctx.feed
        assert feed.url is not None     # config requires it for this kind
        limits = Limits(feed.rate_limit, feed.timeout, feed.max_bytes)
        local = feed.url.startswith("file:")
        follow = bool(feed.option("fetch_articles", False))
        memory = PageMemory(ctx, {"url": feed.url, "fetch_articles": follow})
        resp = ctx.http.get(feed.url, limits=limits, conditional=True, fresh=memory.fresh, allow_file=local)
        if resp.not_modified:
            return
        entries, problems = parse_entries(resp.content, feed.url)
        for message in problems:
            ctx.item_error(message)
        page_failed = False
        # a link several items share (an issue's contents) is no one item's article page:
        # its items stand as the feed gives them, and none hides behind another's memory
        links = Counter(art.url for art, _ in entries)
        pager = Pager(ctx, unit="feed items")
        followed = 0
        for art, mark in entries:
            if not pager.take():
                break
            link = art.url
            if follow and link and links[link] == 1 and (local or not link.startswith("file:")):
                if memory.known(link, mark):
                    continue  # stored when its page was read, and the item has not changed since
                followed += 1
                if followed > paging.MAX_LINKS_PER_PAGE:
                    # the item stands without its page; not remembered, so a later run reads it
                    ctx.stats.note(f"the feed holds more than {paging.MAX_LINKS_PER_PAGE} new links; "
                                   f"the rest of their pages wait for later runs")
                    yield art
                    continue
                try:
                    art = self._with_page(ctx, art, limits, local)
                except RobotsDisallowed:
                    pass  # counted by the fetcher; the feed item still stands
                except (FetchError, ParseError) as exc:
                    ctx.item_error(str(exc))
                    page_failed = True  # not remembered: the page is fetched again next run
                else:
                    memory.remember(link, mark, art.id)
            yield art
        memory.end(complete=pager.stopped is None and followed <= paging.MAX_LINKS_PER_PAGE,
                   failed=page_failed)
        if page_failed and ctx.http.validators is not None:
            # read the feed in full next run, so the failed pages are tried again
            # rather than skipped behind an unchanged feed (304)
            ctx.http.validators.forget(feed.url)

    @staticmethod
    def _with_page(ctx: FetchContext, art: Article, limits: Limits, local: bool) -> Article:
        # bs4 underneath: config loading imports every kind, and `tracker search` must not load it
        from tracker.extract.page.parse import extract_page

        url = art.url or ""
        resp = ctx.http.get(url, limits=limits, allow_file=local)
        page = extract_page(resp.content, resp.url or url, encoding=resp.encoding)
        page.url = art.url  # the feed's link stays the record's URL
        page.__post_init__()
        if keys_conflict(art.identity_keys(), page.identity_keys()):
            return art  # the link is a page about another paper (an issue's contents): the item stands alone
        merged = merge(art, page)
        if not merged.body and page.body:
            merged.body = page.body
        return merged
