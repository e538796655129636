"""Hosts that cannot be reached are marked down after their first failed
attempts and every later request to them fails at once, with one wording.

The fetcher alone runs under `responses`; whole crawls use a closed loopback
port (connection refused) and a resolver that fails for `.invalid` names.
Sleeping is recorded, never done; speed is measured in bench/recrawl.
"""

from __future__ import annotations

import random
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import responses
from fetchtest import UA, FakeTime
from loopback import Loopback

from tracker import config as tconfig
from tracker.errors import FetchError
from tracker.fetch.http import Fetcher, HostUnreachable, Limits
from tracker.fetch.stats import FeedStats
from tracker.pipeline import crawl

SITE = "https://ex.org"
RSS = ('<?xml version="1.0"?><rss version="2.0"><channel><title>ok</title><link>http://x/</link>'
       "<item><title>Vedolizumab in Crohn's disease</title><link>http://x/a</link></item></channel></rss>")


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


@pytest.fixture
def fetcher(fake: FakeTime) -> Iterator[Fetcher]:
    f = Fetcher(UA, sleep=fake.sleep, clock=fake.clock, rng=random.Random(7))
    yield f
    f.close()


def refused() -> Exception:
    return requests.exceptions.ConnectionError(ConnectionRefusedError(111, "Connection refused"))


def no_dns() -> Exception:
    return requests.exceptions.ConnectionError(socket.gaierror(-2, "Name or service not known"))


def calls_to(rsps: responses.RequestsMock, url: str) -> int:
    return sum(1 for call in rsps.calls if call.request.url == url)


# --- the fetcher ----------------------------------------------------------------

def test_refused_robots_txt_marks_the_host_down_for_every_feed(rsps, fetcher, fake):
    rsps.add(responses.GET, f"{SITE}/robots.txt", body=refused())
    first, second = FeedStats(), FeedStats()
    with pytest.raises(HostUnreachable) as one:
        fetcher.for_feed(first).get(f"{SITE}/feed1.xml")
    with pytest.raises(HostUnreachable) as two:
        fetcher.for_feed(second).get(f"{SITE}/feed2.xml")
    reason = "ex.org is unreachable (the connection was refused); not tried again this run."
    assert str(one.value) == f"{SITE}/feed1.xml: {reason}"
    assert str(two.value) == f"{SITE}/feed2.xml: {reason}"
    # robots.txt tried twice (one retry after a short backoff), then nothing more
    assert len(rsps.calls) == 2 and calls_to(rsps, f"{SITE}/robots.txt") == 2
    assert (first["requests"], first["retries"]) == (2, 1)
    assert (second["requests"], second["retries"]) == (0, 0)
    assert len(fake.sleeps) == 1 and fake.sleeps[0] <= 2.0


def test_a_dns_failure_is_never_retried(rsps, fetcher, fake):
    rsps.add(responses.GET, f"{SITE}/robots.txt", body=no_dns())
    stats = FeedStats()
    for path in ("/a", "/b", "/c"):
        with pytest.raises(HostUnreachable, match=r"ex\.org is unreachable \(the host name could not be resolved\)"):
            fetcher.for_feed(stats).get(f"{SITE}{path}")
    assert len(rsps.calls) == 1 and (stats["requests"], stats["retries"]) == (1, 0)
    assert fake.sleeps == []


def test_a_dns_failure_after_answers_is_not_retried_either(rsps, fetcher):
    rsps.add(responses.GET, f"{SITE}/robots.txt", status=404)
    rsps.add(responses.GET, f"{SITE}/a", body=no_dns())
    with pytest.raises(HostUnreachable):
        fetcher.get(f"{SITE}/a")
    assert calls_to(rsps, f"{SITE}/a") == 1


def test_a_connect_timeout_is_one_attempt_then_the_host_is_down(rsps, fetcher):
    rsps.add(responses.GET, f"{SITE}/robots.txt", body=requests.exceptions.ConnectTimeout("connect timed out"))
    with pytest.raises(HostUnreachable, match=r"ex\.org is unreachable \(connecting timed out after 5 s\)"):
        fetcher.get(f"{SITE}/a", limits=Limits(timeout=5))
    with pytest.raises(HostUnreachable):
        fetcher.get(f"{SITE}/b", limits=Limits(timeout=5))
    assert len(rsps.calls) == 1


def test_a_host_that_answered_gets_full_retries_then_stays_down(rsps, fetcher):
    rsps.add(responses.GET, f"{SITE}/robots.txt", status=404)
    rsps.add(responses.GET, f"{SITE}/a", body=refused())
    rsps.add(responses.GET, f"{SITE}/b", body=b"b")
    with pytest.raises(HostUnreachable):
        fetcher.get(f"{SITE}/a")
    with pytest.raises(HostUnreachable, match=r"^https://ex\.org/b: ex\.org is unreachable"):
        fetcher.get(f"{SITE}/b")
    assert calls_to(rsps, f"{SITE}/a") == 4 and calls_to(rsps, f"{SITE}/b") == 0


def test_read_timeouts_say_nothing_about_the_host(rsps, fetcher):
    rsps.add(responses.GET, f"{SITE}/robots.txt", status=404)
    rsps.add(responses.GET, f"{SITE}/slow", body=requests.exceptions.ReadTimeout("read timed out"))
    rsps.add(responses.GET, f"{SITE}/fast", body=b"ok")
    with pytest.raises(FetchError, match="still failing after 4 attempts") as info:
        fetcher.get(f"{SITE}/slow")
    assert not isinstance(info.value, HostUnreachable)
    assert fetcher.get(f"{SITE}/fast").content == b"ok"


def test_a_down_port_leaves_the_hosts_other_ports_alone(rsps, fetcher):
    rsps.add(responses.GET, "http://ex.org:8080/robots.txt", body=refused())
    rsps.add(responses.GET, "http://ex.org/robots.txt", status=404)
    rsps.add(responses.GET, "http://ex.org/a", body=b"a")
    with pytest.raises(HostUnreachable, match=r"ex\.org:8080 is unreachable"):
        fetcher.get("http://ex.org:8080/a")
    assert fetcher.get("http://ex.org/a").content == b"a"


def test_a_redirect_to_a_down_host_names_the_target(rsps, fetcher):
    rsps.add(responses.GET, f"{SITE}/robots.txt", status=404)
    rsps.add(responses.GET, "https://gone.org/robots.txt", body=no_dns())
    rsps.add(responses.GET, f"{SITE}/moved", status=301, headers={"Location": "https://gone.org/x"})
    with pytest.raises(HostUnreachable, match=r"^https://gone\.org/x: gone\.org is unreachable"):
        fetcher.get(f"{SITE}/moved")


# --- whole crawls ------------------------------------------------------------------

def closed_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def six_feeds(base: str) -> str:
    rss = [f"  - name: rss{i}\n    kind: rss\n    url: {base}/feed{i}.xml" for i in range(3)]
    html = [f"  - name: news{i}\n    kind: html\n    url: {base}/news{i}/\n    article_links: a" for i in range(3)]
    return "\n".join(rss + html)


def run_crawl(tmp_path: Path, feeds: str):
    (tmp_path / "feeds.yaml").write_text(f"index: idx\ndefaults:\n  rate_limit: 1000\nfeeds:\n{feeds}\n",
                                         encoding="utf-8")
    sleeps: list[float] = []
    report = crawl(tconfig.load(tmp_path / "feeds.yaml"), fetcher_options={"sleep": sleeps.append})
    return {f.name: f.stats for f in report.feeds}, sleeps, report


def test_six_feeds_on_a_closed_port_fail_after_two_attempts_in_all(tmp_path):
    dead = f"http://127.0.0.1:{closed_port()}"
    with Loopback() as alive:
        alive.add("/robots.txt", "", "text/plain", status=404)
        alive.add("/ok.xml", RSS, "application/rss+xml")
        # a live server on another port of the same address is not taken down with it
        feeds = f"  - name: alive\n    kind: rss\n    url: {alive.url}/ok.xml\n" + six_feeds(dead)
        stats, sleeps, report = run_crawl(tmp_path, feeds)
    host = dead.removeprefix("http://")
    for i, name in enumerate(["rss0", "rss1", "rss2", "news0", "news1", "news2"]):
        url = f"{dead}/feed{i}.xml" if name.startswith("rss") else f"{dead}/news{i - 3}/"
        assert stats[name].feed_error == (f"{url}: {host} is unreachable (the connection was refused); "
                                          f"not tried again this run.")
    dead_stats = [s for name, s in stats.items() if name != "alive"]
    assert sum(s["requests"] for s in dead_stats) == 2 and sum(s["retries"] for s in dead_stats) == 1
    assert sum(sleeps) <= 2.1      # one backoff before the retry (rate_limit 1000: no gaps to speak of)
    assert stats["alive"].feed_error is None and stats["alive"]["new"] == 1
    assert report.exit_code == 1


def test_six_feeds_on_a_name_without_dns_fail_after_one_lookup(tmp_path, monkeypatch):
    real = socket.getaddrinfo
    lookups: list[str] = []

    def resolver(host, *args, **kwargs):
        if str(host).endswith(".invalid"):
            lookups.append(host)
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    stats, sleeps, _ = run_crawl(tmp_path, six_feeds("http://dead-host.invalid"))
    assert lookups == ["dead-host.invalid"]
    assert all(s.feed_error and s.feed_error.endswith(
        ": dead-host.invalid is unreachable (the host name could not be resolved); not tried again this run.")
        for s in stats.values())
    assert sum(s["requests"] for s in stats.values()) == 1 and sleeps == []
