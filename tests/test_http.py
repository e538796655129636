"""The polite fetcher: retries, robots.txt, limits, redirects, decoding.

Every test runs inside `responses`, so a request nobody mocked fails; the few
tests that need real sockets (trickling and broken bodies) use a loopback
server on 127.0.0.1. Sleeping goes through a fake clock, so nothing waits.
"""

from __future__ import annotations

import gzip
import random
import socket
import threading
import time
from collections.abc import Iterator
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import responses
from fetchtest import UA, FakeTime

from tracker import sources
from tracker.errors import FetchError
from tracker.fetch.http import (
    BodyTooLarge,
    Fetcher,
    HTTPStatusError,
    Limits,
    RedirectError,
    RobotsDisallowed,
    RobotsUnavailable,
    parse_retry_after,
    sniff_encoding,
)
from tracker.fetch.stats import FeedStats
from tracker.settings import FeedConfig
from tracker.sources.base import FetchContext
from tracker.state import State

SITE = "https://ex.org"


@pytest.fixture(autouse=True)
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


@pytest.fixture
def stats() -> FeedStats:
    return FeedStats()


@pytest.fixture
def fetcher(fake: FakeTime, stats: FeedStats) -> Iterator[Fetcher]:
    """A feed's view of a crawl's fetcher: it counts into `stats`."""
    f = Fetcher(UA, sleep=fake.sleep, clock=fake.clock, rng=random.Random(7))
    yield f.for_feed(stats)
    f.close()


def no_robots(rsps: responses.RequestsMock, site: str = SITE) -> None:
    rsps.add(responses.GET, f"{site}/robots.txt", status=404)


def calls_to(rsps: responses.RequestsMock, url: str) -> int:
    return sum(1 for call in rsps.calls if call.request.url == url)


# --- basics -------------------------------------------------------------------

def test_user_agent_sent_to_page_and_robots(rsps, fetcher, stats):
    no_robots(rsps)
    rsps.add(responses.GET, f"{SITE}/feed", body=b"<rss/>", content_type="application/rss+xml")
    resp = fetcher.get(f"{SITE}/feed")
    assert resp.status == 200 and resp.content == b"<rss/>" and not resp.not_modified
    assert resp.content_type == "application/rss+xml"
    assert [c.request.headers["User-Agent"] for c in rsps.calls] == [UA, UA]
    assert stats["requests"] == 2 and stats["retries"] == 0


def test_unmocked_request_fails(fetcher, stats):
    # Nothing registered: responses refuses the connection, retries run out.
    with pytest.raises(FetchError, match=r"^https://ex\.org/robots\.txt|^https://ex\.org/x"):
        fetcher.get(f"{SITE}/x")


def test_empty_200_is_fine(rsps, fetcher):
    no_robots(rsps)
    rsps.add(responses.GET, f"{SITE}/empty", body=b"")
    resp = fetcher.get(f"{SITE}/empty")
    assert resp.status == 200 and resp.content == b"" and resp.text == ""


def test_404_fails_at_once_with_plain_message(rsps, fetcher, stats):
    no_robots(rsps)
    rsps.add(responses.GET, f"{SITE}/gone", status=404)
    with pytest.raises(HTTPStatusError) as info:
        fetcher.get(f"{SITE}/gone")
    assert str(info.value) == "https://ex.org/gone: HTTP 404 Not Found."
    assert info.value.status == 404
    assert calls_to(rsps, f"{SITE}/gone") == 1 and stats["retries"] == 0


def test_post_when_data_given(rsps, fetcher):
    no_robots(rsps)
    rsps.add(responses.POST, f"{SITE}/efetch", body=b"ok")
    assert fetcher.get(f"{SITE}/efetch", data={"id": "1,2,3"}).content == b"ok"
    assert rsps.calls[-1].request.body == "id=1%2C2%2C3"


# --- retries ---------------------------------------------------------------------

def test_429_with_retry_after_then_success(rsps, fetcher, fake, stats):
    no_robots(rsps)
    rsps.add(responses.GET, f"{SITE}/q", status=429, headers={"Retry-After": "7"})
    rsps.add(responses.GET, f"{SITE}/q", body=b"done")
    assert fetcher.get(f"{SITE}/q", limits=Limits(rate_limit=10)).content == b"done"
    assert fake.sleeps == [0.1, 7.0]  # rate gap after robots.txt, then Retry-After
    assert stats["retries"] == 1 and stats["requests"] == 3  # robots.txt + 2


def test_503_twice_then_success_backs_off_with_jitter(rsps, fetcher, fake, stats):
    no_robots(rsps)
    for _ in range(2):
        rsps.add(responses.GET, f"{SITE}/q", status=503)
    rsps.add(responses.GET, f"{SITE}/q", body=b"done")
    assert fetcher.get(f"{SITE}/q", limits=Limits(rate_limit=100)).content == b"done"
    gap, first, second = fake.sleeps
    assert gap == 0.01
    assert 1.0 <= first <= 2.0 and 2.0 <= second <= 4.0  # 2 s and 4 s steps, equal jitter
    assert stats["retries"] == 2 and calls_to(rsps, f"{SITE}/q") == 3


def test_retries_exhausted(rsps, fetcher, stats):
    no_robots(rsps)
    rsps.add(responses.GET, f"{SITE}/q", status=503)
    with pytest.raises(HTTPStatusError) as info:
        fetcher.get(f"{SITE}/q")
    assert str(info.value) == ("https://ex.org/q: HTTP 503 Service Unavailable, "
                               "still failing after 4 attempts.")
    assert info.value.status == 503
    assert calls_to(rsps, f"{SITE}/q") == 4 and stats["retries"] == 3 and stats["requests"] == 5


def test_retry_after_http_date_measured_against_server_date(rsps, fetcher, fake):
    no_robots(rsps)
    now = time.time()
    rsps.add(responses.GET, f"{SITE}/q", status=503,
             headers={"Date": formatdate(now, usegmt=True),
                      "Retry-After": formatdate(now + 120, usegmt=True)})
    rsps.add(responses.GET, f"{SITE}/q", body=b"ok")
    fetcher.get(f"{SITE}/q", limits=Limits(rate_limit=100))
    assert fake.sleeps == [0.01, 120.0]


def test_retry_after_beyond_cap_gives_up_without_sleeping(rsps, fetcher, fake):
    no_robots(rsps)
    rsps.add(responses.GET, f"{SITE}/q", status=429, headers={"Retry-After": "3600"})
    with pytest.raises(HTTPStatusError, match=r"retry after 3600 s, longer than the 300 s"):
        fetcher.get(f"{SITE}/q")
    assert calls_to(rsps, f"{SITE}/q") == 1 and all(s < 300 for s in fake.sleeps)


def test_long_retry_after_fails_later_urls_of_that_host_without_requests(rsps, fetcher):
    no_robots(rsps)
    rsps.add(responses.GET, f"{SITE}/q", status=503, headers={"Retry-After": "7200"})
    rsps.add(responses.GET, f"{SITE}/r", body=b"r")
    with pytest.raises(HTTPStatusError):
        fetcher.get(f"{SITE}/q")
    with pytest.raises(HTTPStatusError, match=r"^https://ex\.org/r: ex\.org asked tracker to wait 72\d\d s more") as info:
        fetcher.get(f"{SITE}/r")
    assert info.value.status == 503 and calls_to(rsps, f"{SITE}/r") == 0


def test_retry_after_on_last_attempt_still_slows_the_host(rsps, fake):
    f = Fetcher(UA, sleep=fake.sleep, clock=fake.clock, retries=0)
    no_robots(rsps)
    rsps.add(responses.GET, f"{SITE}/q", status=429, headers={"Retry-After": "30"})
    rsps.add(responses.GET, f"{SITE}/r", body=b"r")
    with pytest.raises(HTTPStatusError, match="still failing after 1 attempt"):
        f.get(f"{SITE}/q")
    f.get(f"{SITE}/r")
    assert fake.sleeps == [1.0, 30.0]


def test_retry_after_parsing():
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", "Wed, 21 Oct 2015 07:27:00 GMT") == 60.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", "Wed, 21 Oct 2015 08:00:00 GMT") == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_connection_error_then_success(rsps, fetcher, stats):
    no_robots(rsps)
    rsps.add(responses.GET, f"{SITE}/q", body=requests.exceptions.ConnectionError(
        ConnectionRefusedError(111, "Connection refused")))
    rsps.add(responses.GET, f"{SITE}/q", body=b"ok")
    assert fetcher.get(f"{SITE}/q").content == b"ok"
    assert stats["retries"] == 1


def test_connection_refused_message(rsps, fetcher, stats):
    no_robots(rsps)
    rsps.add(responses.GET, f"{SITE}/q", body=requests.exceptions.ConnectionError(
        ConnectionRefusedError(111, "Connection refused")))
    with pytest.raises(FetchError) as info:
        fetcher.get(f"{SITE}/q")
    # the host answered robots.txt earlier this run: a refusal now gets every retry
    assert str(info.value) == "https://ex.org/q: ex.org is unreachable (the connection was refused); " \
                              "not tried again this run."
    assert calls_to(rsps, f"{SITE}/q") == 4 and stats["retries"] == 3


def test_read_timeouts_are_retried_then_reported(rsps, fetcher, stats):
    no_robots(rsps)
    rsps.add(responses.GET, f"{SITE}/slow", body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(FetchError, match="sent nothing for 5 s") as info:
        fetcher.get(f"{SITE}/slow", limits=Limits(timeout=5))
    assert "\n" not in str(info.value) and "Traceback" not in str(info.value)
    assert calls_to(rsps, f"{SITE}/slow") == 4 and stats["retries"] == 3


def test_timeout_passed_to_requests(rsps, fetcher):
    no_robots(rsps)
    rsps.add(responses.GET, f"{SITE}/q", body=b"ok")
    fetcher.get(f"{SITE}/q", limits=Limits(timeout=7))
    assert rsps.calls[-1].request.req_kwargs["timeout"] == (7, 7)


# --- conditional GET ------------------------------------------------------------

def test_conditional_get_304_and_validators(rsps, fetcher, stats, tmp_path):
    state = State(tmp_path / "state.sqlite")
    fetcher.validators = state.validators
    no_robots(rsps)
    rsps.add(responses.GET, f"{SITE}/feed", body=b"<rss/>",
             headers={"ETag": '"v1"', "Last-Modified": "Wed, 21 Oct 2015 07:28:00 GMT"})
    fetcher.get(f"{SITE}/feed", conditional=True)
    state.commit()
    rsps.replace(responses.GET, f"{SITE}/feed", status=304)
    resp = fetcher.get(f"{SITE}/feed", conditional=True)
    sent = rsps.calls[-1].request.headers
    assert sent["If-None-Match"] == '"v1"'
    assert sent["If-Modified-Since"] == "Wed, 21 Oct 2015 07:28:00 GMT"
    assert resp.not_modified and resp.status == 304 and resp.content == b""
    assert stats["not_modified"] == 1
    state.close()


def test_validators_keyed_by_url_with_params(rsps, fetcher, tmp_path):
    state = State(tmp_path / "state.sqlite")
    fetcher.validators = state.validators
    no_robots(rsps)
    rsps.add(responses.GET, f"{SITE}/search", body=b"{}", headers={"ETag": '"a"'})
    fetcher.get(f"{SITE}/search", params={"q": "crohn"}, conditional=True)
    assert state.validators.get(f"{SITE}/search?q=crohn") == ('"a"', None)
    assert state.validators.get(f"{SITE}/search") == (None, None)
    state.close()


# --- robots.txt -------------------------------------------------------------------

def test_robots_disallow_is_counted_and_fetched_once(rsps, fetcher, stats):
    rsps.add(responses.GET, f"{SITE}/robots.txt",
             body="User-agent: otherbot\nDisallow: /\n\nUser-agent: tracker\nDisallow: /private/\n")
    rsps.add(responses.GET, f"{SITE}/public", body=b"ok")
    with pytest.raises(RobotsDisallowed) as info:
        fetcher.get(f"{SITE}/private/page")
    assert str(info.value) == "https://ex.org/private/page: robots.txt disallows it for tracker."
    assert fetcher.get(f"{SITE}/public").content == b"ok"
    with pytest.raises(RobotsDisallowed):
        fetcher.get(f"{SITE}/private/other")
    assert stats["robots_skipped"] == 2 and stats["errors"] == 0
    assert calls_to(rsps, f"{SITE}/robots.txt") == 1
    assert calls_to(rsps, f"{SITE}/private/page") == 0


def test_robots_crawl_delay_slows_the_host(rsps, fetcher, fake):
    rsps.add(responses.GET, f"{SITE}/robots.txt", body="User-agent: *\nCrawl-delay: 5\n")
    rsps.add(responses.GET, f"{SITE}/a", body=b"a")
    fetcher.get(f"{SITE}/a", limits=Limits(rate_limit=10))
    fetcher.get(f"{SITE}/a", limits=Limits(rate_limit=10))
    # The delay applies from the robots.txt request on.
    assert fake.sleeps == [5.0, 5.0]


def test_robots_groups_match_the_product_token_only(rsps, fetcher):
    # "example" appears in the contact address of UA but names another robot.
    rsps.add(responses.GET, f"{SITE}/robots.txt", body="User-agent: example\nDisallow: /\n")
    rsps.add(responses.GET, f"{SITE}/a", body=b"a")
    assert fetcher.get(f"{SITE}/a").content == b"a"


def test_huge_robots_txt_is_read_up_to_500_kib(rsps, fetcher):
    body = "User-agent: *\nDisallow: /private/\n" + "# filler\n" * 100_000  # ~900 KB
    rsps.add(responses.GET, f"{SITE}/robots.txt", body=body)
    with pytest.raises(RobotsDisallowed):
        fetcher.get(f"{SITE}/private/x")


@pytest.mark.parametrize("status", [404, 410, 401, 403])
def test_robots_4xx_allows_everything(rsps, fetcher, status):
    rsps.add(responses.GET, f"{SITE}/robots.txt", status=status)
    rsps.add(responses.GET, f"{SITE}/a", body=b"a")
    assert fetcher.get(f"{SITE}/a").content == b"a"


def test_robots_5xx_skips_host_without_hammering(rsps, fetcher, stats):
    rsps.add(responses.GET, f"{SITE}/robots.txt", status=503)
    rsps.add(responses.GET, f"{SITE}/a", body=b"a")
    for _ in range(3):
        with pytest.raises(RobotsUnavailable, match=r"^https://ex\.org/a: robots.txt of https://ex.org "
                                                    r"could not be read \(HTTP 503"):
            fetcher.get(f"{SITE}/a")
    assert calls_to(rsps, f"{SITE}/robots.txt") == 4  # one retried fetch, then cached
    assert calls_to(rsps, f"{SITE}/a") == 0 and stats["robots_skipped"] == 0


def test_robots_off(rsps, fake):
    rsps.add(responses.GET, f"{SITE}/a", body=b"a")
    f = Fetcher(UA, sleep=fake.sleep, clock=fake.clock, obey_robots=False)
    assert f.get(f"{SITE}/a").content == b"a"
    g = Fetcher(UA, sleep=fake.sleep, clock=fake.clock)
    assert g.for_feed(FeedStats(), robots=False).get(f"{SITE}/a").content == b"a"
    assert calls_to(rsps, f"{SITE}/robots.txt") == 0


def test_redirect_target_is_checked_against_its_robots(rsps, fetcher, stats):
    no_robots(rsps)
    rsps.add(responses.GET, "https://other.org/robots.txt", body="User-agent: *\nDisallow: /\n")
    rsps.add(responses.GET, f"{SITE}/a", status=301, headers={"Location": "https://other.org/b"})
    with pytest.raises(RobotsDisallowed, match=r"^https://other\.org/b"):
        fetcher.get(f"{SITE}/a")
    assert stats["robots_skipped"] == 1


# --- sizes ------------------------------------------------------------------------

def test_declared_content_length_over_max_bytes_is_refused(rsps, fetcher):
    no_robots(rsps)
    rsps.add(responses.GET, f"{SITE}/big", body=b"x" * 2000, auto_calculate_content_length=True)
    with pytest.raises(BodyTooLarge, match=r"declares 2000 bytes, more than max_bytes \(1000\)"):
        fetcher.get(f"{SITE}/big", limits=Limits(max_bytes=1000))


def test_streamed_body_over_max_bytes_is_abandoned(rsps, fetcher, stats):
    no_robots(rsps)
    rsps.add(responses.GET, f"{SITE}/big", body=b"x" * 200_000)  # no Content-Length
    with pytest.raises(BodyTooLarge, match=r"grew past max_bytes \(100000\)"):
        fetcher.get(f"{SITE}/big", limits=Limits(max_bytes=100_000))
    assert stats["retries"] == 0


def test_gzip_bomb_is_abandoned(rsps, fetcher):
    no_robots(rsps)
    bomb = gzip.compress(b"\0" * 50_000_000)
    assert len(bomb) < 100_000
    rsps.add(responses.GET, f"{SITE}/bomb", body=bomb, headers={"Content-Encoding": "gzip"},
             auto_calculate_content_length=True)
    with pytest.raises(BodyTooLarge):
        fetcher.get(f"{SITE}/bomb", limits=Limits(max_bytes=1_000_000))


def test_gzip_body_within_limit_is_decoded(rsps, fetcher):
    no_robots(rsps)
    rsps.add(responses.GET, f"{SITE}/gz", body=gzip.compress(b"hello " * 1000),
             headers={"Content-Encoding": "gzip"})
    assert fetcher.get(f"{SITE}/gz", limits=Limits(max_bytes=6000)).content == b"hello " * 1000


# --- redirects and schemes ------------------------------------------------------------

def test_redirects_followed_with_history(rsps, fetcher):
    no_robots(rsps)
    rsps.add(responses.GET, f"{SITE}/old", status=301, headers={"Location": "/new"})
    rsps.add(responses.GET, f"{SITE}/new", body=b"here")
    resp = fetcher.get(f"{SITE}/old")
    assert resp.url == f"{SITE}/new" and resp.history == (f"{SITE}/old",) and resp.content == b"here"


def test_redirect_loop(rsps, fetcher):
    no_robots(rsps)
    rsps.add(responses.GET, f"{SITE}/a", status=302, headers={"Location": f"{SITE}/b"})
    rsps.add(responses.GET, f"{SITE}/b", status=302, headers={"Location": f"{SITE}/a"})
    with pytest.raises(RedirectError, match=r"^https://ex\.org/a: redirect loop back to https://ex\.org/a\.$"):
        fetcher.get(f"{SITE}/a")


def test_too_many_redirects(rsps, fetcher):
    no_robots(rsps)
    for i in range(10):
        rsps.add(responses.GET, f"{SITE}/r{i}", status=307, headers={"Location": f"{SITE}/r{i + 1}"})
    with pytest.raises(RedirectError, match=r"more than 5 redirects"):
        fetcher.get(f"{SITE}/r0")
    assert calls_to(rsps, f"{SITE}/r6") == 0


@pytest.mark.parametrize("target", ["ftp://ex.org/file", "file:///etc/passwd", "javascript:alert(1)"])
def test_redirect_to_other_scheme_refused(rsps, fetcher, target):
    no_robots(rsps)
    rsps.add(responses.GET, f"{SITE}/a", status=302, headers={"Location": target})
    with pytest.raises(RedirectError, match="which is not an http or https URL"):
        fetcher.get(f"{SITE}/a")


def test_post_303_becomes_get(rsps, fetcher):
    no_robots(rsps)
    rsps.add(responses.POST, f"{SITE}/form", status=303, headers={"Location": "/result"})
    rsps.add(responses.GET, f"{SITE}/result", body=b"r")
    assert fetcher.get(f"{SITE}/form", data={"a": "1"}).content == b"r"


def test_redirect_message_hides_api_key(rsps, fetcher):
    no_robots(rsps)
    rsps.add(responses.GET, f"{SITE}/a", status=302,
             headers={"Location": "ftp://ex.org/x?api_key=SECRET&db=pubmed"})
    with pytest.raises(RedirectError) as info:
        fetcher.get(f"{SITE}/a")
    assert "SECRET" not in str(info.value) and "db=pubmed" in str(info.value)


@pytest.mark.parametrize("url", ["ftp://ex.org/feed.xml", "gopher://ex.org/", "mailto:a@b.org"])
def test_only_http_and_https(fetcher, url):
    with pytest.raises(FetchError, match="only http and https URLs can be fetched"):
        fetcher.get(url)


def test_file_urls_only_when_allowed(fetcher, tmp_path):
    feed = tmp_path / "feed.xml"
    feed.write_bytes(b'<?xml version="1.0" encoding="ISO-8859-1"?><rss>caf\xe9</rss>')
    with pytest.raises(FetchError, match="allowed only as a feed's own url"):
        fetcher.get(feed.as_uri())
    resp = fetcher.get(feed.as_uri(), allow_file=True)
    assert resp.encoding == "cp1252" and resp.text.endswith("café</rss>")
    with pytest.raises(FetchError, match="no such file"):
        fetcher.get((tmp_path / "missing.xml").as_uri(), allow_file=True)


# --- decoding ---------------------------------------------------------------------------

def body_response(rsps, fetcher, body: bytes, content_type: str):
    no_robots(rsps)
    rsps.add(responses.GET, f"{SITE}/doc", body=body, content_type=content_type)
    return fetcher.get(f"{SITE}/doc")


def test_latin1_from_header(rsps, fetcher):
    resp = body_response(rsps, fetcher, "Crohn’s in São Paulo".encode("cp1252"),
                         "text/html; charset=ISO-8859-1")
    assert resp.encoding == "cp1252" and resp.text == "Crohn’s in São Paulo"


def test_utf8_bom_wins_over_wrong_header(rsps, fetcher):
    body = "\ufeffMédecine".encode("utf-8")
    resp = body_response(rsps, fetcher, body, "text/plain; charset=iso-8859-1")
    assert resp.encoding == "utf-8" and resp.text == "Médecine"


def test_utf8_bom_without_header(rsps, fetcher):
    resp = body_response(rsps, fetcher, "\ufeff<rss>ñ</rss>".encode("utf-8"), "application/xml")
    assert resp.encoding == "utf-8" and resp.text == "<rss>ñ</rss>"


@pytest.mark.parametrize("head, expected, text", [
    (b'<?xml version="1.0" encoding="windows-1252"?>', "cp1252", "<p>é</p>"),
    (b"<html><head><meta charset='iso-8859-15'>", "iso8859-15", "<p>€</p>"),
    (b'<html><head><meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">',
     "shift_jis", "<p>クローン病</p>"),
    (b"<html><head><title>x</title>", None, "<p>é</p>"),
])
def test_charset_from_document(rsps, fetcher, head, expected, text):
    resp = body_response(rsps, fetcher, head + text.encode(expected or "utf-8"), "text/html")
    assert resp.encoding == expected
    assert resp.text.endswith(text)


def test_undeclared_latin1_falls_back_to_cp1252(rsps, fetcher):
    resp = body_response(rsps, fetcher, "naïve “quotes”".encode("cp1252"), "text/plain")
    assert resp.encoding is None and resp.text == "naïve “quotes”"


def test_sniff_edge_cases():
    assert sniff_encoding(b"\xff\xfe<\x00", None) == "utf-16"
    assert sniff_encoding(b"<meta charset=utf-16>", "text/html") == "utf-8"
    assert sniff_encoding(b"x", "text/html; charset=bogus") is None
    assert sniff_encoding(b"x", 'text/html; charset="UTF-8"') == "utf-8"



# --- one fetcher per crawl, one view per feed -------------------------------------------

def test_feeds_count_apart_but_share_politeness(rsps, fake):
    crawl = Fetcher(UA, sleep=fake.sleep, clock=fake.clock, rng=random.Random(7))
    rsps.add(responses.GET, f"{SITE}/robots.txt", body="User-agent: *\nDisallow: /private/\n")
    rsps.add(responses.GET, f"{SITE}/a", body=b"a", status=304)
    one, two = FeedStats(), FeedStats()
    assert crawl.for_feed(one).get(f"{SITE}/a", limits=Limits(rate_limit=2)).not_modified
    with pytest.raises(RobotsDisallowed):
        crawl.for_feed(two).get(f"{SITE}/private/b", limits=Limits(rate_limit=2))
    crawl.for_feed(two).get(f"{SITE}/a", limits=Limits(rate_limit=2))
    # robots.txt was read once for both feeds, and the host's pace spans them
    assert calls_to(rsps, f"{SITE}/robots.txt") == 1
    assert fake.sleeps == [0.5, 0.5]  # robots.txt, /a (feed one), /a (feed two): 0.5 s apart
    assert (one["requests"], one["not_modified"], one["robots_skipped"]) == (2, 1, 0)
    assert (two["requests"], two["not_modified"], two["robots_skipped"]) == (1, 1, 1)
    assert crawl.stats["requests"] == 0  # the crawl's own collector saw none of it
    crawl.close()


def test_for_feed_robots_false_skips_robots_for_that_feed_only(rsps, fake):
    crawl = Fetcher(UA, sleep=fake.sleep, clock=fake.clock)
    rsps.add(responses.GET, f"{SITE}/robots.txt", body="User-agent: *\nDisallow: /\n")
    rsps.add(responses.GET, f"{SITE}/api", body=b"ok")
    assert crawl.for_feed(FeedStats(), robots=False).get(f"{SITE}/api").content == b"ok"
    assert calls_to(rsps, f"{SITE}/robots.txt") == 0
    with pytest.raises(RobotsDisallowed):
        crawl.for_feed(FeedStats()).get(f"{SITE}/api")
    off = Fetcher(UA, sleep=fake.sleep, clock=fake.clock, obey_robots=False)
    assert off.for_feed(FeedStats(), robots=True).get(f"{SITE}/api").content == b"ok"  # off stays off
    crawl.close()
    off.close()


@pytest.mark.parametrize("kind", sources.kinds())
def test_a_feeds_context_skips_robots_only_for_a_registry_api(rsps, fake, kind):
    source = sources.get(kind)()
    rsps.add(responses.GET, f"{SITE}/robots.txt", body="User-agent: *\nDisallow: /\n")
    rsps.add(responses.GET, f"{SITE}/api", body=b"ok")
    crawl = Fetcher(UA, sleep=fake.sleep, clock=fake.clock)
    stats = FeedStats()
    ctx = FetchContext.for_source(source, None, FeedConfig("f", kind), crawl, None, stats)  # type: ignore[arg-type]
    if source.registry_api:
        assert ctx.http.get(f"{SITE}/api").content == b"ok"
        assert calls_to(rsps, f"{SITE}/robots.txt") == 0
    else:
        with pytest.raises(RobotsDisallowed):
            ctx.http.get(f"{SITE}/api")
        assert stats["robots_skipped"] == 1
    crawl.close()


def test_stats_refuse_an_unknown_counter():
    stats = FeedStats()
    with pytest.raises(KeyError, match="unknown counter 'robot_skipped'"):
        stats.inc("robot_skipped")
    stats.inc("requests", 3)
    stats.error("first")
    stats.fail("the feed failed")
    assert stats.as_dict() == {"fetched": 0, "new": 0, "updated": 0, "unchanged": 0, "filtered": 0,
                               "robots_skipped": 0, "not_modified": 0, "retries": 0, "requests": 3,
                               "errors": 2, "address_refused": 0, "first_error": "first",
                               "feed_error": "the feed failed", "notes": []}


# --- rate limiting -----------------------------------------------------------------------

def test_rate_limit_spaces_requests(rsps, fetcher, fake):
    no_robots(rsps)
    rsps.add(responses.GET, f"{SITE}/a", body=b"a")
    for _ in range(3):
        fetcher.get(f"{SITE}/a", limits=Limits(rate_limit=2))
    assert fake.sleeps == [0.5, 0.5, 0.5]  # robots.txt, then three pages


def test_host_cap_is_stricter_than_feed_rate(rsps, fetcher, fake):
    rsps.add(responses.GET, "https://eutils.example/robots.txt", status=404)
    rsps.add(responses.GET, "https://eutils.example/esearch", body=b"x")
    fetcher.set_host_rate("EUtils.example", 3)
    fetcher.get("https://eutils.example/esearch", limits=Limits(rate_limit=10))
    assert fake.sleeps == [pytest.approx(1 / 3)]
    fetcher.set_host_rate("eutils.example", 100)  # a cap never raises the feed's rate
    fetcher.get("https://eutils.example/esearch", limits=Limits(rate_limit=10))
    assert fake.sleeps[-1] == pytest.approx(0.1)


def test_rate_limit_headers_lower_the_rate(rsps, fetcher, fake):
    no_robots(rsps)
    rsps.add(responses.GET, f"{SITE}/works", body=b"{}",
             headers={"X-Rate-Limit-Limit": "1", "X-Rate-Limit-Interval": "4s"})
    fetcher.get(f"{SITE}/works", limits=Limits(rate_limit=1))
    fetcher.get(f"{SITE}/works", limits=Limits(rate_limit=1))
    assert fake.sleeps == [1.0, 4.0]
    rsps.replace(responses.GET, f"{SITE}/works", body=b"{}",
                 headers={"X-Rate-Limit-Limit": "50", "X-Rate-Limit-Interval": "1s"})
    fetcher.get(f"{SITE}/works", limits=Limits(rate_limit=1))  # looser header: config rules
    fetcher.get(f"{SITE}/works", limits=Limits(rate_limit=1))
    assert fake.sleeps[-1] == 1.0


def test_hosts_do_not_wait_for_each_other(rsps, fetcher, fake):
    for site in (SITE, "https://b.org"):
        no_robots(rsps, site)
        rsps.add(responses.GET, f"{site}/a", body=b"a")
    fetcher.get(f"{SITE}/a")
    fetcher.get("https://b.org/a")
    assert fake.sleeps == [1.0, 1.0]  # each host: robots.txt then its page


# --- loopback: real sockets ----------------------------------------------------------------

class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        try:
            if self.path == "/trickle":
                self.send_response(200)
                self.send_header("Content-Length", "400")
                self.end_headers()
                for _ in range(400):  # one byte every 50 ms: never idle long enough to time out
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.05)
            elif self.path == "/stall":
                self.send_response(200)
                self.send_header("Content-Length", "10")
                self.end_headers()
                self.wfile.write(b"abc")
                self.wfile.flush()
                time.sleep(1.5)
            elif self.path == "/cut":
                self.send_response(200)
                self.send_header("Content-Length", "1000")
                self.end_headers()
                self.wfile.write(b"only ten b")
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
            elif self.path == "/bomb":
                body = gzip.compress(b"\0" * 20_000_000)
                self.send_response(200)
                self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                self.send_error(404)
        except OSError:  # the client hung up, as intended
            pass


@pytest.fixture
def loopback(rsps) -> Iterator[str]:
    rsps.add_passthru("http://127.0.0.1")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def real_fetcher(fake: FakeTime, retries: int = 0) -> Fetcher:
    return Fetcher(UA, sleep=fake.sleep, retries=retries, obey_robots=False)


def test_trickling_body_is_abandoned_at_the_deadline(loopback, fake):
    f = real_fetcher(fake)
    started = time.monotonic()
    # Default deadline: 4 x timeout. Each byte comes well within the timeout.
    with pytest.raises(FetchError, match=r"still arriving after 2 s and was abandoned\.$"):
        f.get(f"{loopback}/trickle", limits=Limits(rate_limit=0, timeout=0.5))
    assert time.monotonic() - started < 5  # the whole body would take 20 s
    f.close()


def test_stalled_body_times_out(loopback, fake):
    f = real_fetcher(fake)
    with pytest.raises(FetchError, match=r"the body stalled for 0\.3 s \(read timeout\), still failing after 1 attempt"):
        f.get(f"{loopback}/stall", limits=Limits(rate_limit=0, timeout=0.3))
    f.close()


def test_connection_cut_mid_body_is_retried_then_reported(loopback, fake):
    f = real_fetcher(fake, retries=2)
    stats = FeedStats()
    with pytest.raises(FetchError, match=r"the connection broke while reading the body, still failing after 3 attempts"):
        f.for_feed(stats).get(f"{loopback}/cut", limits=Limits(rate_limit=0, timeout=2))
    assert stats["requests"] == 3 and stats["retries"] == 2 and len(fake.sleeps) == 2
    f.close()


def test_gzip_bomb_over_a_real_socket(loopback, fake):
    f = real_fetcher(fake)
    with pytest.raises(BodyTooLarge):
        f.get(f"{loopback}/bomb", limits=Limits(rate_limit=0, timeout=2, max_bytes=1_000_000))
    f.close()
