"""Hostile feeds served from loopback: runs that would never end, registry JSON
that used to fail its feed on every run, and relative links in local feeds.
Each crawl goes through the CLI, so the summary line is what is asserted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from loopback import Loopback

from tracker.cli import cli
from tracker.sources import paging


def crawl(tmp_path: Path, feeds_yaml: str, *args: str, defaults: str = ""):
    # a high rate_limit: politeness is tested elsewhere, and these crawls must not wait
    text = "index: idx\ndefaults:\n  rate_limit: 1000\n" + defaults + feeds_yaml
    (tmp_path / "feeds.yaml").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(tmp_path / "feeds.yaml"), "crawl", *args])
    assert "Traceback" not in result.output and "Error" not in result.output.split(":")[0], result.output
    return result


def line_of(result, name: str) -> str:
    return next(line for line in result.output.splitlines() if line.startswith(name + " "))


def ids(tmp_path: Path) -> list[str]:
    out = CliRunner().invoke(cli, ["--config", str(tmp_path / "feeds.yaml"), "export", "-f", "jsonl"]).output
    return sorted(json.loads(line)["id"] for line in out.splitlines())


def epmc_record(n: int, **extra) -> dict:
    return {"id": str(n), "source": "MED", "pmid": str(n), "title": f"Crohn disease study {n}", **extra}


def epmc_page(results: list, cursor: str | None, hits: int | None = None) -> bytes:
    page: dict = {"resultList": {"result": results}, "nextCursorMark": cursor}
    if hits is not None:
        page["hitCount"] = hits
    return json.dumps(page).encode()


def json_route(pages):
    """A route answering each request with pages(query) (bytes)."""
    return lambda path, query, headers, body: (200, {"Content-Type": "application/json"}, pages(query))


def epmc_feed(url: str, extra: str = "") -> str:
    return f"feeds:\n  - name: epmc\n    kind: europepmc\n    query: crohn\n    base_url: {url}/\n{extra}"


# --- runs that never end -----------------------------------------------------------------

def test_alternating_europe_pmc_cursors_stop_with_a_note_and_keep_the_records(tmp_path):
    following = {"*": "A", "A": "B", "B": "A"}
    with Loopback() as srv:
        srv.routes["/search"] = json_route(lambda q: epmc_page(
            [epmc_record(len(srv.requests))], following[q["cursorMark"][0]]))
        result = crawl(tmp_path, epmc_feed(srv.url))
        assert result.exit_code == 0
        assert len(srv.requests) == 3
    assert line_of(result, "epmc").endswith(
        "errors 0  note: cursor loop: the server sent a cursor already used ('A'); paging stopped after 3 pages")
    assert ids(tmp_path) == ["pmid:1", "pmid:2", "pmid:3"]


def test_an_endless_cursor_stops_at_max_records(tmp_path):
    with Loopback() as srv:
        srv.routes["/search"] = json_route(lambda q: epmc_page(
            [epmc_record(2 * len(srv.requests) - 1), epmc_record(2 * len(srv.requests))],
            f"c{len(srv.requests)}"))
        result = crawl(tmp_path, epmc_feed(srv.url), defaults="  max_records: 5\n")
        assert len(srv.requests) == 3
    assert result.exit_code == 0
    assert "new 5," in line_of(result, "epmc")
    assert line_of(result, "epmc").endswith(
        "note: max_records (5) reached; the rest of the search results were not read")


def test_max_pages_bounds_a_registry_search(tmp_path):
    with Loopback() as srv:
        srv.routes["/search"] = json_route(lambda q: epmc_page([epmc_record(len(srv.requests))],
                                                               f"c{len(srv.requests)}", hits=10**9))
        result = crawl(tmp_path, epmc_feed(srv.url, "    max_pages: 4\n"))
        assert len(srv.requests) == 4
    assert "note: max_pages (4) reached" in line_of(result, "epmc") and result.exit_code == 0


def test_a_crossref_cursor_that_never_moves_stops(tmp_path):
    def works(query):
        n = len(srv.requests)
        return json.dumps({"status": "ok", "message": {
            "next-cursor": "same", "total-results": 10**6,
            "items": [{"DOI": f"10.5555/loop.{n}.{i}", "title": ["Crohn"]} for i in range(2)]}}).encode()

    with Loopback() as srv:
        srv.routes["/works"] = json_route(works)
        result = crawl(tmp_path, f"feeds:\n  - name: xref\n    kind: crossref\n    query: crohn\n"
                                 f"    rows: 2\n    base_url: {srv.url}/\n")
        assert len(srv.requests) == 2
    assert "new 4," in line_of(result, "xref") and "note: cursor loop" in line_of(result, "xref")


def test_links_per_listing_page_are_capped(tmp_path, monkeypatch):
    monkeypatch.setattr(paging, "MAX_LINKS_PER_PAGE", 5)   # 10,000 in earnest
    links = "".join(f'<h2><a class="post" href="/a{i}.html">Crohn {i}</a></h2>' for i in range(8))
    with Loopback() as srv:
        srv.add("/news/", f"<html><body>{links}</body></html>")
        for i in range(8):
            srv.add(f"/a{i}.html", f"<html><head><title>Crohn article {i}</title></head><body><p>Crohn {i}</p>"
                                   f"</body></html>")
        result = crawl(tmp_path, f"feeds:\n  - name: news\n    kind: html\n    url: {srv.url}/news/\n"
                                 f"    article_links: a.post\n")
        fetched = [p for p in srv.paths() if p.startswith("/a")]
    assert fetched == [f"/a{i}.html" for i in range(5)]
    assert line_of(result, "news").endswith("note: listing page 1 holds 8 links; only the first 5 were read")


def test_a_feed_with_too_many_items_is_read_within_bounds(tmp_path, monkeypatch):
    monkeypatch.setattr(paging, "MAX_LINKS_PER_PAGE", 2)
    items = "".join(f"<item><title>Crohn {i}</title><link>/a{i}.html</link></item>" for i in range(5))
    with Loopback() as srv:
        srv.add("/feed.xml", f'<rss version="2.0"><channel><title>T</title>{items}</channel></rss>',
                "application/rss+xml")
        for i in range(5):
            srv.add(f"/a{i}.html", f"<html><head><title>Crohn page {i}</title></head><body><p>Crohn</p></body></html>")
        result = crawl(tmp_path, f"feeds:\n  - name: big\n    kind: rss\n    url: {srv.url}/feed.xml\n"
                                 f"    fetch_articles: true\n    max_records: 4\n")
        pages = [p for p in srv.paths() if p.startswith("/a")]
    assert pages == ["/a0.html", "/a1.html"]
    assert "new 4," in line_of(result, "big")
    assert line_of(result, "big").endswith(
        "note: the feed holds more than 2 new links; the rest of their pages wait for later runs (and 1 more)")


def test_an_endless_listing_stops_at_max_pages(tmp_path):
    def listing(path, query, headers, body):
        n = int(query.get("page", ["1"])[0])
        html = (f'<html><body><h2><a class="post" href="/a{n}.html">Crohn {n}</a></h2>'
                f'<a rel="next" href="/news/?page={n + 1}">next</a></body></html>')
        return 200, {"Content-Type": "text/html"}, html.encode()

    with Loopback() as srv:
        srv.routes["/news/"] = listing
        result = crawl(tmp_path, f"feeds:\n  - name: news\n    kind: html\n    url: {srv.url}/news/\n"
                                 f"    article_links: a.post\n    max_pages: 3\n")
        listings = [p for p in srv.paths() if p.startswith("/news/")]
    assert len(listings) == 3 and result.exit_code == 0
    assert "note: max_pages (3) reached; later listing pages were not read" in line_of(result, "news")


# --- registry JSON -------------------------------------------------------------------------

NESTED = b"[" * 10_000 + b"]" * 10_000


def test_non_finite_numbers_cost_nothing_and_deep_nesting_costs_one_page(tmp_path):
    odd = (b'{"id": "2", "source": "MED", "pmid": "2", "title": "Crohn two", "pubYear": 1e999, '
           b'"citedByCount": NaN, "journalInfo": {"printPublicationDate": Infinity, "volume": -Infinity}}')
    first = b'{"nextCursorMark": "c1", "resultList": {"result": [' + json.dumps(epmc_record(1)).encode() + \
        b", " + odd + b"]}}"
    with Loopback() as srv:
        srv.routes["/search"] = json_route(lambda q: first if q["cursorMark"] == ["*"] else NESTED)
        result = crawl(tmp_path, epmc_feed(srv.url))
        again = crawl(tmp_path, epmc_feed(srv.url))   # the same answer next run: the same outcome
    assert result.exit_code == 0 and again.exit_code == 0
    assert line_of(result, "epmc").endswith(
        "errors 1  first error: Europe PMC page 2: Europe PMC returned JSON nested too deeply to read.")
    assert ids(tmp_path) == ["pmid:1", "pmid:2"]


@pytest.mark.parametrize("kind, route, body, message", [
    ("europepmc", "/search", NESTED, "Europe PMC returned JSON nested too deeply to read."),
    ("crossref", "/works", NESTED, "Crossref returned JSON nested too deeply to read."),
    ("pubmed", "/esearch.fcgi", b'{"esearchresult": {"count": 1e999}}', "PubMed esearch returned no record count."),
    ("pubmed", "/esearch.fcgi", b'{"esearchresult": {"count": "' + b"9" * 5000 + b'"}}',
     "PubMed esearch returned no record count."),
])
def test_an_unreadable_first_page_fails_its_feed_in_one_line(tmp_path, kind, route, body, message):
    with Loopback() as srv:
        srv.add(route, body, "application/json")
        result = crawl(tmp_path, f"feeds:\n  - name: reg\n    kind: {kind}\n    query: crohn\n"
                                 f"    base_url: {srv.url}/\n")
    assert result.exit_code == 1
    assert line_of(result, "reg").endswith(f"FAILED: {message}")


def test_a_crossref_work_with_non_finite_dates_is_kept(tmp_path):
    body = (b'{"status": "ok", "message": {"items": [{"DOI": "10.5555/odd", "title": ["Crohn odd"], '
            b'"issued": {"date-parts": [[1e999, NaN]]}, "published-online": {"date-parts": [[Infinity]]}}]}}')
    with Loopback() as srv:
        srv.add("/works", body, "application/json")
        result = crawl(tmp_path, f"feeds:\n  - name: reg\n    kind: crossref\n    query: crohn\n"
                                 f"    base_url: {srv.url}/\n")
    assert result.exit_code == 0 and "new 1," in line_of(result, "reg")
    assert ids(tmp_path) == ["doi:10.5555/odd"]


# --- relative links in feeds read from files -------------------------------------------------

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"{base}>
  <title>Crohn research</title>{self_link}
  <entry><title>Crohn one</title><link href="/articles/1"/><id>tag:one</id></entry>
  <entry><title>Crohn two</title><link href="articles/2"/><id>tag:two</id></entry>
  <entry><title>Crohn three</title><link href="https://other.example/3"/><id>tag:three</id></entry>
</feed>
"""


@pytest.mark.parametrize("base, self_link, expected", [
    ("", '\n  <link rel="self" href="https://journal.example/feeds/crohn.atom"/>',
     ["url:https://journal.example/articles/1", "url:https://journal.example/feeds/articles/2"]),
    (' xml:base="https://base.example/x/"', "",
     ["url:https://base.example/articles/1", "url:https://base.example/x/articles/2"]),
])
def test_relative_links_of_a_local_feed_resolve_against_its_web_address(tmp_path, base, self_link, expected):
    (tmp_path / "feed.atom").write_text(ATOM.format(base=base, self_link=self_link), encoding="utf-8")
    result = crawl(tmp_path, "feeds:\n  - name: local\n    kind: rss\n    url: feed.atom\n")
    assert result.exit_code == 0 and "errors 0" in line_of(result, "local")
    assert ids(tmp_path) == sorted([*expected, "url:https://other.example/3"])


def test_relative_links_with_nothing_to_resolve_against_are_skipped_not_made_file_ids(tmp_path):
    (tmp_path / "feed.atom").write_text(ATOM.format(base="", self_link=""), encoding="utf-8")
    result = crawl(tmp_path, "feeds:\n  - name: local\n    kind: rss\n    url: feed.atom\n")
    assert "errors 2" in line_of(result, "local")
    assert "its link '/articles/1' is relative, and the feed names no web address" in line_of(result, "local")
    assert ids(tmp_path) == ["url:https://other.example/3"]
