"""html source: listing page, article links, paging, conditional fetches and
per-item failures, with HTTP mocked by `responses` (and file:// feeds)."""

from __future__ import annotations

from pathlib import Path

import pytest
import responses
from responses import matchers
from sourcetest import fetch_context

from tracker import config as tconfig
from tracker.errors import ConfigError, FetchError
from tracker.sources.base import FetchContext
from tracker.sources.html import HtmlSource
from tracker.state import State

PAGES = Path(__file__).parent / "fixtures" / "pages"
SITE = "https://ibdwatch.example"
LISTING = f"{SITE}/news/"
PAGE2 = f"{SITE}/news/?page=2"
PAGE3 = f"{SITE}/news/?page=3"
NATALIZUMAB = f"{SITE}/news/2023/natalizumab-pml-case-series/"
VEDOLIZUMAB = f"{SITE}/news/2023/vedolizumab-sc-cohort/"
EXTERNAL = "https://journal.example.org/article/10.1093/ecco-jcc/jjy171"
USTEKINUMAB = f"{SITE}/news/2022/ustekinumab-perianal/"
HTML = "text/html; charset=utf-8"

FEEDS_YAML = """
contact_email: test@example.org
feeds:
  - name: ibd-news
    kind: html
    url: {url}
    article_links: "h2.post-title a"
{extra}"""


def page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


def make_ctx(tmp_path: Path, state: State, *, url: str = LISTING, extra: str = "",
             robots: bool = False, full: bool = False) -> FetchContext:
    return fetch_context(tmp_path, state, FEEDS_YAML.format(url=url, extra=extra), full=full, robots=robots)



@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def serve_articles(rsps: responses.RequestsMock) -> None:
    rsps.add(responses.GET, NATALIZUMAB, body=page("news_study.html"), content_type=HTML)
    rsps.add(responses.GET, VEDOLIZUMAB, body=page("blog_boilerplate.html"), content_type=HTML)
    rsps.add(responses.GET, EXTERNAL, body=page("journal_highwire.html"), content_type=HTML)
    rsps.add(responses.GET, USTEKINUMAB, body=page("portuguese_prism.html"), content_type=HTML)


def requested(rsps: responses.RequestsMock) -> list[str]:
    return [call.request.url for call in rsps.calls]


# --- configuration ---------------------------------------------------------------

def test_article_links_is_required(tmp_path):
    text = "feeds:\n  - name: n\n    kind: html\n    url: https://x.example/\n"
    with pytest.raises(ConfigError) as exc:
        tconfig.parse(text, tmp_path / "feeds.yaml")
    assert "missing key 'article_links'" in str(exc.value)


@pytest.mark.parametrize("line, message", [
    ('    article_links: "a[href"', "key 'article_links' is not a valid CSS selector"),
    ('    next_page: "a..next"', "key 'next_page' is not a valid CSS selector"),
    ("    max_pages: 0", "key 'max_pages' must be greater than 0"),
    ("    max_pages: two", "key 'max_pages' must be a whole number"),
])
def test_bad_keys_are_named(tmp_path, line, message):
    text = ("feeds:\n  - name: n\n    kind: html\n    url: https://x.example/\n"
            + (line if "article_links" in line else '    article_links: "a"\n' + line) + "\n")
    with pytest.raises(ConfigError) as exc:
        tconfig.parse(text, tmp_path / "feeds.yaml")
    assert any(message in err for err in exc.value.errors)


def test_kind_is_registered():
    from tracker import sources

    assert sources.get("html") is HtmlSource
    assert HtmlSource.required == ("url", "article_links")


# --- crawling -------------------------------------------------------------------

def test_listing_then_each_article(tmp_path, state, rsps):
    rsps.add(responses.GET, LISTING, body=page("listing.html"), content_type=HTML)
    serve_articles(rsps)
    ctx = make_ctx(tmp_path, state)
    articles = list(HtmlSource().items(ctx))
    assert [a.url for a in articles] == [NATALIZUMAB, VEDOLIZUMAB, EXTERNAL]
    news, blog, journal = articles
    # news page: its canonical link is on another host, so the fetched URL stays
    assert news.title == "Natalizumab y leucoencefalopatía: qué dicen los casos chilenos"
    assert (news.journal, news.year, news.published) == (None, None, "2023-09-14T11:30:00Z")
    assert "Revista Médica de Chile in 2017" in news.body and "tofacitinib" not in news.body
    assert blog.authors == ["Hargreaves T"] and "filgotinib" not in blog.body
    assert (journal.journal, journal.year, journal.doi) == ("Journal of Crohn's and Colitis", 2019,
                                                             "10.1093/ecco-jcc/jjy171")
    assert ctx.stats["errors"] == 0
    # one page only by default: page 2 is never asked for
    assert PAGE2 not in requested(rsps)


def test_canonical_on_the_same_host_becomes_the_url(tmp_path, state, rsps):
    listing = b'<h2 class="post-title"><a href="/a?utm_source=home">A</a></h2>'
    article = (b'<html><head><link rel="canonical" href="https://ibdwatch.example/articles/a">'
               b"<title>Canonical</title></head><body><p>Text.</p></body></html>")
    rsps.add(responses.GET, LISTING, body=listing, content_type=HTML)
    rsps.add(responses.GET, f"{SITE}/a?utm_source=home", body=article, content_type=HTML)
    (art,) = HtmlSource().items(make_ctx(tmp_path, state))
    assert art.url == f"{SITE}/articles/a"


def test_next_page_followed_up_to_max_pages(tmp_path, state, rsps):
    rsps.add(responses.GET, LISTING, body=page("listing.html"), content_type=HTML)
    rsps.add(responses.GET, PAGE2, body=page("listing_page2.html"), content_type=HTML)
    serve_articles(rsps)
    ctx = make_ctx(tmp_path, state, extra='    next_page: "a.next"\n    max_pages: 2\n')
    urls = [a.url for a in HtmlSource().items(ctx)]
    # the vedolizumab post is linked from both pages and fetched once
    assert urls == [NATALIZUMAB, VEDOLIZUMAB, EXTERNAL, USTEKINUMAB]
    assert requested(rsps).count(VEDOLIZUMAB) == 1
    assert PAGE3 not in requested(rsps)


def test_next_page_default_limit_is_five(tmp_path, state, rsps):
    for n in range(1, 8):
        url = LISTING if n == 1 else f"{LISTING}?page={n}"
        body = (f'<h2 class="post-title"><a href="/p{n}">p{n}</a></h2>'
                f'<a class="next" href="/news/?page={n + 1}">older</a>')
        rsps.add(responses.GET, url, body=body, content_type=HTML)
        rsps.add(responses.GET, f"{SITE}/p{n}", body=f"<title>Post {n}</title>", content_type=HTML)
    ctx = make_ctx(tmp_path, state, extra='    next_page: "a.next"\n')
    titles = [a.title for a in HtmlSource().items(ctx)]
    assert titles == [f"Post {n}" for n in range(1, 6)]


def test_max_pages_without_next_page_follows_rel_next(tmp_path, state, rsps):
    rsps.add(responses.GET, LISTING, body=page("listing.html"), content_type=HTML)
    rsps.add(responses.GET, PAGE2, body=page("listing_page2.html"), content_type=HTML)
    serve_articles(rsps)
    ctx = make_ctx(tmp_path, state, extra="    max_pages: 3\n")
    urls = [a.url for a in HtmlSource().items(ctx)]
    assert urls[-1] == USTEKINUMAB
    assert PAGE3 not in requested(rsps)  # page 2 has no rel=next link


def test_paging_stops_at_a_loop(tmp_path, state, rsps):
    body = '<h2 class="post-title"><a href="/p1">p1</a></h2><a class="next" href="/news/">again</a>'
    rsps.add(responses.GET, LISTING, body=body, content_type=HTML)
    rsps.add(responses.GET, f"{SITE}/p1", body="<title>P1</title>", content_type=HTML)
    ctx = make_ctx(tmp_path, state, extra='    next_page: "a.next"\n    max_pages: 4\n')
    assert [a.title for a in HtmlSource().items(ctx)] == ["P1"]
    assert requested(rsps).count(LISTING) == 1


# --- failures -------------------------------------------------------------------

def test_a_failing_article_does_not_stop_the_others(tmp_path, state, rsps):
    rsps.add(responses.GET, LISTING, body=page("listing.html"), content_type=HTML)
    rsps.add(responses.GET, NATALIZUMAB, status=404)
    rsps.add(responses.GET, VEDOLIZUMAB, body=b"%PDF-1.5\n%binary", content_type="application/pdf")
    rsps.add(responses.GET, EXTERNAL, body=page("journal_highwire.html"), content_type=HTML)
    ctx = make_ctx(tmp_path, state)
    articles = list(HtmlSource().items(ctx))
    assert [a.url for a in articles] == [EXTERNAL]
    assert ctx.stats["errors"] == 2
    assert "404" in ctx.stats.first_error
    assert ctx.stats.first_error.startswith(NATALIZUMAB)


def test_a_failing_listing_page_fails_the_feed(tmp_path, state, rsps):
    rsps.add(responses.GET, LISTING, status=404)
    with pytest.raises(FetchError, match="404"):
        list(HtmlSource().items(make_ctx(tmp_path, state)))


def test_a_failing_later_listing_page_keeps_earlier_links(tmp_path, state, rsps):
    rsps.add(responses.GET, LISTING, body=page("listing.html"), content_type=HTML)
    rsps.add(responses.GET, PAGE2, status=410)
    serve_articles(rsps)
    ctx = make_ctx(tmp_path, state, extra='    next_page: "a.next"\n')
    urls = [a.url for a in HtmlSource().items(ctx)]
    assert urls == [NATALIZUMAB, VEDOLIZUMAB, EXTERNAL]
    assert ctx.stats["errors"] == 1 and "listing page 2" in ctx.stats.first_error


def test_listing_without_matching_links_is_reported(tmp_path, state, rsps):
    rsps.add(responses.GET, LISTING, body=b"<html><body><p>Redesigned site</p></body></html>",
             content_type=HTML)
    ctx = make_ctx(tmp_path, state)
    assert list(HtmlSource().items(ctx)) == []
    assert "no links match the article_links selector" in ctx.stats.first_error


def test_robots_disallowed_article_is_skipped_not_an_error(tmp_path, state, rsps):
    rsps.add(responses.GET, f"{SITE}/robots.txt",
             body="User-agent: *\nDisallow: /news/2023/vedolizumab", content_type="text/plain")
    rsps.add(responses.GET, "https://journal.example.org/robots.txt", status=404)
    rsps.add(responses.GET, LISTING, body=page("listing.html"), content_type=HTML)
    serve_articles(rsps)
    ctx = make_ctx(tmp_path, state, robots=True)
    urls = [a.url for a in HtmlSource().items(ctx)]
    assert urls == [NATALIZUMAB, EXTERNAL]
    assert (ctx.stats["robots_skipped"], ctx.stats["errors"]) == (1, 0)
    assert VEDOLIZUMAB not in requested(rsps)


# --- conditional GET ---------------------------------------------------------------

def dated_listing(dates: tuple[str, str, str]) -> bytes:
    links = (NATALIZUMAB, VEDOLIZUMAB, EXTERNAL)
    return "".join(f'<article><h2 class="post-title"><a href="{link}">x</a></h2><time datetime="{day}">'
                   f"</time></article>" for link, day in zip(links, dates)).encode()


def test_second_run_refetches_changed_entries_with_validators(tmp_path, state, rsps):
    etag = {"ETag": '"listing-v1"'}
    rsps.add(responses.GET, LISTING, body=dated_listing(("2023-09-14", "2023-09-01", "2019-02-01")),
             content_type=HTML, headers=etag)
    rsps.add(responses.GET, NATALIZUMAB, body=page("news_study.html"), content_type=HTML,
             headers={"Last-Modified": "Thu, 14 Sep 2023 11:30:00 GMT"})
    rsps.add(responses.GET, VEDOLIZUMAB, body=page("blog_boilerplate.html"), content_type=HTML,
             headers={"ETag": '"blog-1"'})
    rsps.add(responses.GET, EXTERNAL, body=page("journal_highwire.html"), content_type=HTML)
    assert len(list(HtmlSource().items(make_ctx(tmp_path, state)))) == 3
    state.commit()  # the pipeline commits state after the index commit

    rsps.reset()
    # the listing changed: two entries carry new dates (their pages did not
    # change: 304), the third entry is as it was (its page is not asked for)
    rsps.add(responses.GET, LISTING, body=dated_listing(("2023-09-15", "2023-09-02", "2019-02-01")),
             content_type=HTML)
    rsps.add(responses.GET, NATALIZUMAB, status=304,
             match=[matchers.header_matcher({"If-Modified-Since": "Thu, 14 Sep 2023 11:30:00 GMT"})])
    rsps.add(responses.GET, VEDOLIZUMAB, status=304,
             match=[matchers.header_matcher({"If-None-Match": '"blog-1"'})])
    ctx = make_ctx(tmp_path, state)
    assert list(HtmlSource().items(ctx)) == []
    assert (ctx.stats["not_modified"], ctx.stats["unchanged"], ctx.stats["errors"]) == (2, 1, 0)
    assert rsps.calls[0].request.headers["If-None-Match"] == '"listing-v1"'
    assert EXTERNAL not in requested(rsps)
    state.commit()
    # the 304s took the new dates: a third run asks for no page at all
    rsps.calls.reset()
    ctx = make_ctx(tmp_path, state)
    assert list(HtmlSource().items(ctx)) == [] and requested(rsps) == [LISTING]
    assert ctx.stats["unchanged"] == 3


def test_unchanged_listing_means_nothing_to_look_at(tmp_path, state, rsps):
    rsps.add(responses.GET, LISTING, body=page("listing.html"), content_type=HTML,
             headers={"ETag": '"v1"'})
    serve_articles(rsps)
    list(HtmlSource().items(make_ctx(tmp_path, state)))
    state.commit()
    rsps.reset()
    rsps.add(responses.GET, LISTING, status=304, match=[matchers.header_matcher({"If-None-Match": '"v1"'})])
    ctx = make_ctx(tmp_path, state)
    assert list(HtmlSource().items(ctx)) == []
    assert (ctx.stats["not_modified"], ctx.stats["errors"], len(rsps.calls)) == (1, 0, 1)


def test_full_crawl_ignores_validators(tmp_path, state, rsps):
    rsps.add(responses.GET, LISTING, body=page("listing.html"), content_type=HTML, headers={"ETag": '"v1"'})
    serve_articles(rsps)
    list(HtmlSource().items(make_ctx(tmp_path, state)))
    state.commit()
    rsps.reset()
    rsps.add(responses.GET, LISTING, body=page("listing.html"), content_type=HTML)
    serve_articles(rsps)
    ctx = make_ctx(tmp_path, state, full=True)
    assert len(list(HtmlSource().items(ctx))) == 3
    assert "If-None-Match" not in rsps.calls[0].request.headers


# --- encodings and local files ------------------------------------------------------

@pytest.mark.parametrize("content_type", ["text/html", "text/html; charset=ISO-8859-1", "text/html; charset=utf-8"])
def test_latin1_article_whatever_the_header_says(tmp_path, state, rsps, content_type):
    listing = b'<h2 class="post-title"><a href="/es">ES</a></h2>'
    rsps.add(responses.GET, LISTING, body=listing, content_type=HTML)
    rsps.add(responses.GET, f"{SITE}/es", body=page("spanish_latin1.html"), content_type=content_type)
    (art,) = HtmlSource().items(make_ctx(tmp_path, state))
    assert art.title.startswith("Leucoencefalopatía multifocal progresiva")
    assert art.authors[0] == "Pérez Muñoz JI"
    assert "un varón de 34 años" in art.body


def test_file_listing_reads_local_articles(tmp_path, state, rsps):
    site = tmp_path / "site"
    site.mkdir()
    (site / "a1.html").write_bytes(page("portuguese_prism.html"))
    (site / "index.html").write_text(
        '<h2 class="post-title"><a href="a1.html">one</a></h2>'
        '<h2 class="post-title"><a href="missing.html">gone</a></h2>'
        f'<h2 class="post-title"><a href="{EXTERNAL}">web</a></h2>', encoding="utf-8")
    rsps.add(responses.GET, EXTERNAL, body=page("journal_highwire.html"), content_type=HTML)
    ctx = make_ctx(tmp_path, state, url=(site / "index.html").as_uri())
    articles = list(HtmlSource().items(ctx))
    assert [a.journal for a in articles] == ["Arquivos de Gastroenterologia", "Journal of Crohn's and Colitis"]
    assert articles[0].url == (site / "a1.html").as_uri()
    assert ctx.stats["errors"] == 1 and "missing.html" in ctx.stats.first_error


def test_web_listing_never_reads_local_files(tmp_path, state, rsps):
    secret = tmp_path / "secret.html"
    secret.write_text("<title>secret</title>", encoding="utf-8")
    listing = f'<h2 class="post-title"><a href="{secret.as_uri()}">x</a></h2>'
    rsps.add(responses.GET, LISTING, body=listing, content_type=HTML)
    ctx = make_ctx(tmp_path, state)
    assert list(HtmlSource().items(ctx)) == []
    assert len(rsps.calls) == 1


def test_a_failed_article_makes_the_next_run_read_the_listing_in_full(tmp_path, state, rsps):
    """Behind an unchanged listing (304) a failed article would never be retried."""
    rsps.add(responses.GET, LISTING, body=page("listing.html"), content_type=HTML,
             headers={"ETag": '"v1"'})
    rsps.add(responses.GET, NATALIZUMAB, status=404)
    rsps.add(responses.GET, VEDOLIZUMAB, body=page("blog_boilerplate.html"), content_type=HTML)
    rsps.add(responses.GET, EXTERNAL, body=page("journal_highwire.html"), content_type=HTML)
    ctx = make_ctx(tmp_path, state)
    list(HtmlSource().items(ctx))
    assert ctx.stats["errors"] == 1
    state.commit()
    assert state.validators.get(LISTING) == (None, None)

    ctx = make_ctx(tmp_path, state)
    rsps.calls.reset()
    list(HtmlSource().items(ctx))
    listing_call = next(c for c in rsps.calls if c.request.url == LISTING)
    assert "If-None-Match" not in listing_call.request.headers
