"""Polite re-crawls: an article page behind an html listing or an rss feed
with fetch_articles is fetched again only when its entry changed, after
refresh_after, or with --full — counted by requests, under `responses` for
the sources and on the loopback sample server for whole crawls."""

from __future__ import annotations

import sys
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import responses
from responses import matchers
from sourcetest import fetch_context

from tracker import config as tconfig
from tracker.errors import ConfigError, IndexFailure
from tracker.extract.page.html import parse_html
from tracker.pipeline import crawl
from tracker.sources import recrawl
from tracker.sources.html import HtmlSource, listing_marks
from tracker.sources.rss import RssSource
from tracker.state import Page
from tracker.store.db import Store

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples" / "offline"))
from sample_server import Corpus, SampleServer  # noqa: E402

SITE = "https://ibdwatch.example"
LISTING = f"{SITE}/news/"
FEED = f"{SITE}/rss.xml"
HTML = "text/html; charset=utf-8"
START = datetime(2026, 1, 1, tzinfo=timezone.utc)

HTML_YAML = """
feeds:
  - name: news
    kind: html
    url: {url}
    article_links: "li a.post"
{extra}"""
RSS_YAML = """
feeds:
  - name: journal
    kind: rss
    url: {url}
    fetch_articles: true
{extra}"""


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def clock(monkeypatch):
    """recrawl's idea of now, moved by tests."""
    moment = {"now": START}
    monkeypatch.setattr(recrawl, "now", lambda: moment["now"])
    return moment


def article(n: int) -> str:
    return (f"<html><head><title>Vedolizumab in Crohn's disease, story {n}</title></head>"
            f"<body><article><p>Story {n} about vedolizumab.</p></article></body></html>")


def listing(numbers: range | list[int], *, next_page: int | None = None, day: str = "2026-01-0{n}") -> str:
    items = "".join(f'<li><a class="post" href="/a{n}">{n}</a> <time datetime="{day.format(n=n % 10)}">'
                    f"</time></li>" for n in numbers)
    more = f'<a class="next" href="/news/?page={next_page}">older</a>' if next_page else ""
    return f"<html><body><ul>{items}</ul>{more}</body></html>"


def serve_articles(rsps, numbers) -> None:
    for n in numbers:
        rsps.add(responses.GET, f"{SITE}/a{n}", body=article(n), content_type=HTML)


def requested(rsps) -> list[str]:
    return [call.request.url for call in rsps.calls]


def run_html(tmp_path, state, extra: str = "", full: bool = False):
    ctx = fetch_context(tmp_path, state, HTML_YAML.format(url=LISTING, extra=extra), full=full)
    articles = list(HtmlSource().items(ctx))
    state.commit()  # as the pipeline does after the index commit
    return articles, ctx.stats


def run_rss(tmp_path, state, extra: str = "", full: bool = False):
    ctx = fetch_context(tmp_path, state, RSS_YAML.format(url=FEED, extra=extra), full=full)
    articles = list(RssSource().items(ctx))
    state.commit()
    return articles, ctx.stats


# --- html listings ------------------------------------------------------------------

def test_an_unchanged_listing_without_validators_costs_one_request(tmp_path, state, rsps, clock):
    rsps.add(responses.GET, LISTING, body=listing(range(1, 4)), content_type=HTML)
    serve_articles(rsps, range(1, 4))
    articles, _ = run_html(tmp_path, state)
    assert len(articles) == 3 and len(rsps.calls) == 4
    rsps.calls.reset()
    articles, stats = run_html(tmp_path, state)
    assert articles == [] and requested(rsps) == [LISTING]
    assert (stats["fetched"], stats["unchanged"], stats["not_modified"]) == (0, 3, 0)


def test_a_new_date_beside_a_link_fetches_that_page_again(tmp_path, state, rsps, clock):
    rsps.add(responses.GET, LISTING, body=listing(range(1, 4)), content_type=HTML)
    serve_articles(rsps, range(1, 4))
    run_html(tmp_path, state)
    rsps.replace(responses.GET, LISTING, content_type=HTML,
                 body=listing(range(1, 4)).replace('datetime="2026-01-02"', 'datetime="2026-02-02"'))
    rsps.calls.reset()
    articles, stats = run_html(tmp_path, state)
    assert [a.title for a in articles] == ["Vedolizumab in Crohn's disease, story 2"]
    assert requested(rsps) == [LISTING, f"{SITE}/a2"] and stats["unchanged"] == 2


def test_a_new_link_is_fetched_and_the_others_are_not(tmp_path, state, rsps, clock):
    rsps.add(responses.GET, LISTING, body=listing(range(1, 3)), content_type=HTML)
    serve_articles(rsps, range(1, 4))
    run_html(tmp_path, state)
    rsps.replace(responses.GET, LISTING, body=listing(range(1, 4)), content_type=HTML)
    rsps.calls.reset()
    articles, _ = run_html(tmp_path, state)
    assert requested(rsps) == [LISTING, f"{SITE}/a3"] and len(articles) == 1


def paged(rsps, pages: list[list[int]]) -> None:
    for number, links in enumerate(pages, 1):
        # a URL without a query would also match ?page=n (and be used up by it)
        query = matchers.query_param_matcher({} if number == 1 else {"page": str(number)})
        nxt = number + 1 if number < len(pages) else None
        rsps.add(responses.GET, LISTING, body=listing(links, next_page=nxt), content_type=HTML, match=[query])


PAGED = '    next_page: "a.next"\n    max_pages: 5\n'


def test_paging_stops_at_the_first_listing_page_with_nothing_new(tmp_path, state, rsps, clock):
    paged(rsps, [[1, 2], [3, 4], [5, 6]])
    serve_articles(rsps, range(0, 7))
    articles, _ = run_html(tmp_path, state, PAGED)
    assert len(articles) == 6                        # the first run reads every page
    rsps.calls.reset()
    articles, stats = run_html(tmp_path, state, PAGED)
    assert articles == [] and requested(rsps) == [LISTING] and stats["unchanged"] == 2
    # a new story on top pushes one down: page 2 is read too, and holds nothing new
    rsps.reset()
    paged(rsps, [[0, 1], [2, 3], [4, 5], [6]])
    serve_articles(rsps, range(0, 7))
    articles, _ = run_html(tmp_path, state, PAGED)
    assert requested(rsps) == [LISTING, f"{SITE}/a0", f"{LISTING}?page=2"]


def test_after_an_error_the_next_run_reads_every_listing_page(tmp_path, state, rsps, clock):
    paged(rsps, [[1, 2], [3, 4]])
    serve_articles(rsps, [1, 2, 4])
    rsps.add(responses.GET, f"{SITE}/a3", status=503)
    _, stats = run_html(tmp_path, state, PAGED.replace("5", "2") + "    rate_limit: 1000\n")
    assert stats["errors"] == 1
    rsps.calls.reset()
    rsps.replace(responses.GET, f"{SITE}/a3", body=article(3), content_type=HTML)
    articles, stats = run_html(tmp_path, state, PAGED.replace("5", "2") + "    rate_limit: 1000\n")
    assert [a.title for a in articles] == ["Vedolizumab in Crohn's disease, story 3"]
    assert requested(rsps) == [LISTING, f"{LISTING}?page=2", f"{SITE}/a3"] and stats["unchanged"] == 3
    # that run was clean: the one after it stops at page 1 again
    rsps.calls.reset()
    run_html(tmp_path, state, PAGED.replace("5", "2") + "    rate_limit: 1000\n")
    assert requested(rsps) == [LISTING]


def test_changed_listing_keys_read_every_page_again(tmp_path, state, rsps, clock):
    paged(rsps, [[1, 2], [3, 4], [5, 6]])
    serve_articles(rsps, range(1, 7))
    run_html(tmp_path, state, '    next_page: "a.next"\n    max_pages: 2\n')
    rsps.calls.reset()
    articles, _ = run_html(tmp_path, state, PAGED)
    assert requested(rsps) == [LISTING, f"{LISTING}?page=2", f"{LISTING}?page=3", f"{SITE}/a5", f"{SITE}/a6"]


def test_refresh_after_fetches_stored_pages_again_behind_a_304_listing(tmp_path, state, rsps, clock):
    def listing_route(request):
        if request.headers.get("If-None-Match") == '"v1"':
            return 304, {}, ""
        return 200, {"ETag": '"v1"', "Content-Type": HTML}, listing(range(1, 3))

    rsps.add_callback(responses.GET, LISTING, callback=listing_route)
    serve_articles(rsps, range(1, 3))
    run_html(tmp_path, state, "    refresh_after: 30d\n")
    clock["now"] = START + timedelta(days=29)
    rsps.calls.reset()
    assert run_html(tmp_path, state, "    refresh_after: 30d\n")[0] == []
    assert requested(rsps) == [LISTING] and rsps.calls[0].response.status_code == 304
    clock["now"] = START + timedelta(days=30)
    rsps.calls.reset()
    articles, stats = run_html(tmp_path, state, "    refresh_after: 30d\n")
    assert len(articles) == 2 and requested(rsps) == [LISTING, f"{SITE}/a1", f"{SITE}/a2"]
    assert "If-None-Match" not in rsps.calls[0].request.headers
    # refreshed: the next 30 days ask for the listing only, conditionally
    clock["now"] = START + timedelta(days=59)
    rsps.calls.reset()
    run_html(tmp_path, state, "    refresh_after: 30d\n")
    assert requested(rsps) == [LISTING] and rsps.calls[0].request.headers["If-None-Match"] == '"v1"'


def test_full_fetches_every_page_again(tmp_path, state, rsps, clock):
    rsps.add(responses.GET, LISTING, body=listing(range(1, 3)), content_type=HTML)
    serve_articles(rsps, range(1, 3))
    run_html(tmp_path, state)
    rsps.calls.reset()
    articles, _ = run_html(tmp_path, state, full=True)
    assert len(articles) == 2 and len(rsps.calls) == 3


def test_a_page_whose_item_was_filtered_counts_as_filtered(tmp_path, state, rsps, clock):
    rsps.add(responses.GET, LISTING, body=listing([1, 2]), content_type=HTML)
    serve_articles(rsps, [1, 2])
    articles, _ = run_html(tmp_path, state)
    state.stage_item("news", articles[0].id, "digest", "")   # what the pipeline notes for a filtered item
    state.commit()
    _, stats = run_html(tmp_path, state)
    assert (stats["filtered"], stats["unchanged"]) == (1, 1)


def test_listing_marks_are_the_dates_beside_each_link():
    soup = parse_html(b"""<html><head><base href="https://news.example/2026/"></head><body>
      <nav><a class="post" href="/top">top</a></nav>
      <ul><li><h3><a class="post" href="one#c">One</a></h3><time datetime="2026-03-01">1 March</time></li>
          <li><a class="post" href="/two">Two</a><time>2 March 2026</time></li>
          <li><a class="post" href="/three">Three</a></li></ul></body></html>""")
    assert listing_marks(soup, "https://news.example/", "a.post") == {
        "https://news.example/top": None,
        "https://news.example/2026/one": "2026-03-01",
        "https://news.example/two": "2 March 2026",
        "https://news.example/three": None,
    }


# --- rss with fetch_articles --------------------------------------------------------

def feed(items: list[tuple[int, str]]) -> str:
    entries = "".join(f"<item><title>Story {n}</title><link>{SITE}/a{n}</link><guid>{guid}</guid>"
                      f"<pubDate>Mon, 02 Nov 2026 09:00:00 GMT</pubDate></item>" for n, guid in items)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>j</title>{entries}</channel></rss>'


def test_rss_pages_are_fetched_once_until_their_item_changes(tmp_path, state, rsps, clock):
    rsps.add(responses.GET, FEED, body=feed([(1, "g1"), (2, "g2"), (3, "g3")]), content_type="application/rss+xml")
    serve_articles(rsps, range(1, 4))
    articles, _ = run_rss(tmp_path, state)
    assert len(articles) == 3 and len(rsps.calls) == 4
    rsps.calls.reset()
    articles, stats = run_rss(tmp_path, state)
    assert articles == [] and requested(rsps) == [FEED] and stats["unchanged"] == 3
    # a new guid for item 2 (a corrected version): its page is read again
    rsps.replace(responses.GET, FEED, body=feed([(1, "g1"), (2, "g2-v2"), (3, "g3")]),
                 content_type="application/rss+xml")
    rsps.calls.reset()
    articles, stats = run_rss(tmp_path, state)
    assert [a.url for a in articles] == [f"{SITE}/a2"] and requested(rsps) == [FEED, f"{SITE}/a2"]
    assert "story 2" in (articles[0].title or "")


def test_rss_a_failed_page_is_tried_again_and_only_it(tmp_path, state, rsps, clock):
    rsps.add(responses.GET, FEED, body=feed([(1, "g1"), (2, "g2")]), content_type="application/rss+xml",
             headers={"ETag": '"f1"'})
    serve_articles(rsps, [1])
    rsps.add(responses.GET, f"{SITE}/a2", status=503)
    articles, stats = run_rss(tmp_path, state, "    rate_limit: 1000\n")
    assert len(articles) == 2 and stats["errors"] == 1   # item 2 stands on its feed data
    rsps.replace(responses.GET, f"{SITE}/a2", body=article(2), content_type=HTML)
    rsps.calls.reset()
    articles, stats = run_rss(tmp_path, state, "    rate_limit: 1000\n")
    assert requested(rsps) == [FEED, f"{SITE}/a2"] and "If-None-Match" not in rsps.calls[0].request.headers
    assert [a.url for a in articles] == [f"{SITE}/a2"] and stats["errors"] == 0


def test_rss_refresh_after_reads_a_304_feed_in_full_when_due(tmp_path, state, rsps, clock):
    def feed_route(request):
        if request.headers.get("If-None-Match") == '"f1"':
            return 304, {}, ""
        return 200, {"ETag": '"f1"', "Content-Type": "application/rss+xml"}, feed([(1, "g1")])

    rsps.add_callback(responses.GET, FEED, callback=feed_route)
    serve_articles(rsps, [1])
    run_rss(tmp_path, state, "    refresh_after: 2w\n")
    clock["now"] = START + timedelta(days=13)
    rsps.calls.reset()
    run_rss(tmp_path, state, "    refresh_after: 2w\n")
    assert requested(rsps) == [FEED] and rsps.calls[0].response.status_code == 304
    clock["now"] = START + timedelta(days=14)
    rsps.calls.reset()
    articles, _ = run_rss(tmp_path, state, "    refresh_after: 2w\n")
    assert requested(rsps) == [FEED, f"{SITE}/a1"] and len(articles) == 1


def test_rss_without_fetch_articles_keeps_yielding_feed_items(tmp_path, state, rsps):
    rsps.add(responses.GET, FEED, body=feed([(1, "g1")]), content_type="application/rss+xml")
    yaml_text = RSS_YAML.format(url=FEED, extra="").replace("fetch_articles: true", "fetch_articles: false")
    for _ in range(2):
        ctx = fetch_context(tmp_path, state, yaml_text)
        assert len(list(RssSource().items(ctx))) == 1   # the pipeline's hashes say unchanged
        state.commit()
    assert len(rsps.calls) == 2


# --- configuration -----------------------------------------------------------------

@pytest.mark.parametrize("value", ["30", "soon", "0d", "3 months", "true"])
def test_a_bad_refresh_after_is_named_with_file_feed_and_key(tmp_path, value):
    text = HTML_YAML.format(url=LISTING, extra=f"    refresh_after: {value}\n")
    with pytest.raises(ConfigError) as info:
        tconfig.parse(text, tmp_path / "feeds.yaml")
    assert str(info.value) == (f"{tmp_path / 'feeds.yaml'}: feed 'news': key 'refresh_after' must be a time "
                               f"like 30d, 12h or 2w (hours, days or weeks, more than 0).")


@pytest.mark.parametrize("value, expected", [("30d", timedelta(days=30)), ("12h", timedelta(hours=12)),
                                             ("2W", timedelta(weeks=2))])
def test_refresh_after_values(tmp_path, value, expected):
    config = tconfig.parse(RSS_YAML.format(url=FEED, extra=f"    refresh_after: {value}\n"), tmp_path / "f.yaml")
    assert config.feeds[0].option("refresh_after") == expected


# --- whole crawls on the sample server ----------------------------------------------

def crawl_counting(server: SampleServer, config):
    before = len(server.requests)
    report = crawl(config)
    return Counter(server.requests[before:]), {f.name: f.stats for f in report.feeds}


def test_a_second_crawl_sends_one_request_per_feed_and_one_robots_txt(tmp_path):
    corpus = Corpus(n_pubmed=10, n_epmc=5, n_crossref=5, n_rss_feeds=2, per_feed=5, n_html=60)
    with SampleServer(corpus, validators=False, rss_pages=True) as srv:
        (tmp_path / "feeds.yaml").write_text(srv.feeds_yaml(index=str(tmp_path / "idx")), encoding="utf-8")
        config = tconfig.load(tmp_path / "feeds.yaml")
        first, _ = crawl_counting(srv, config)
        second, stats = crawl_counting(srv, config)
    assert sum(first.values()) == 1 + 2 + 1 + 1 + 2 * (1 + 5) + 2 + 60   # robots, 2 pubmed, epmc, crossref, ...
    assert sum(second.values()) == len(config.feeds) + 1                 # one host: one robots.txt
    assert second["/robots.txt"] == 1 and second["/news/index.html"] == 1
    assert not any(path.startswith(("/articles/", "/news/1")) for path in second)
    assert stats["news-sample"]["unchanged"] == 50 and stats["rss-sample-0"]["unchanged"] == 5
    assert all(s["new"] == 0 and s["updated"] == 0 and s["errors"] == 0 for s in stats.values())


def test_pages_are_remembered_only_with_the_index_commit(tmp_path, monkeypatch):
    corpus = Corpus(n_pubmed=0, n_epmc=0, n_crossref=0, n_rss_feeds=1, per_feed=4, n_html=3)
    with SampleServer(corpus, validators=False, rss_pages=True) as srv:
        (tmp_path / "feeds.yaml").write_text(srv.feeds_yaml(index=str(tmp_path / "idx")), encoding="utf-8")
        config = tconfig.load(tmp_path / "feeds.yaml")

        def no_space(self, articles):
            raise OSError(28, "No space left on device")

        with monkeypatch.context() as patch:
            patch.setattr(Store, "upsert", no_space)   # the batch's first commit fails
            with pytest.raises(IndexFailure):
                crawl(config)
        again, stats = crawl_counting(srv, config)
    # nothing was stored, so nothing was remembered: every page is fetched again
    assert sum(1 for p in again.elements() if p.startswith("/articles/")) == 4
    assert stats["rss-sample-0"]["new"] == 4


def test_state_keeps_pages_per_feed(state):
    state.stage_page("a", "https://x/1", Page('["g", null]', "doi:10.1/x", START.isoformat()))
    assert state.page("a", "https://x/1").record_id == "doi:10.1/x"
    state.rollback()
    assert state.page("a", "https://x/1") is None
    state.stage_page("a", "https://x/1", Page(None, None, START.isoformat()))
    state.commit()
    assert state.page("a", "https://x/1") == Page(None, None, START.isoformat())
    assert state.page("b", "https://x/1") is None
