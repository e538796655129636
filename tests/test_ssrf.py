"""Feeds never reach private addresses (DESIGN.md, "Addresses").

The classifier is tested alone; the rest runs real connections on loopback.
A server on 127.0.0.2 stands in for the public internet: the tests that
need one count that single address as public (the classifier's own tests
keep it loopback), while 127.0.0.1 plays the internal service.
"""

from __future__ import annotations

import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tracker import config as tconfig
from tracker.errors import ConfigError, FetchError
from tracker.fetch import addresses
from tracker.fetch.addresses import AddressPolicy, AddressRefused, classify
from tracker.fetch.http import Fetcher
from tracker.fetch.stats import FeedStats
from tracker.pipeline import crawl

UA = "tracker/0.1 (mailto:test@example.org)"
PUBLIC = "127.0.0.2"   # the stand-in for a public server
SECRET = b"<html><head><title>Crohn internal admin</title></head><body><p>Crohn secret</p></body></html>"


class Server:
    """A loopback HTTP/1.1 server (keep-alive, so pooled connections are reused)."""

    def __init__(self, host: str = "127.0.0.1", tls: Any = None):
        self.routes: dict[str, tuple[int, dict, bytes]] = {}
        self.paths: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                server.paths.append(self.path)
                status, headers, body = server.routes.get(self.path, (404, {}, b"not found"))
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.httpd.daemon_threads = True
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.url = f"http{'s' if tls else ''}://{host}:{self.httpd.server_address[1]}"
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def add(self, path: str, body: bytes, content_type: str = "text/html; charset=utf-8",
            status: int = 200, headers: dict | None = None) -> None:
        self.routes[path] = (status, {"Content-Type": content_type, **(headers or {})}, body)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def internal():
    srv = Server()
    srv.add("/secret", SECRET)
    yield srv
    srv.close()


@pytest.fixture
def public(monkeypatch):
    real = addresses.classify
    monkeypatch.setattr(addresses, "classify", lambda a: None if a == PUBLIC else real(a))
    srv = Server(PUBLIC)
    yield srv
    srv.close()


def resolver(names: dict[str, str]):
    def resolve(host: str, port: int):
        if host in names:
            return [(socket.AF_INET, (names[host], port))]
        return addresses.system_resolver(host, port)  # IP literals only in these tests: no DNS
    return resolve


def run_crawl(tmp_path, yaml_text: str, **fetcher_options):
    (tmp_path / "feeds.yaml").write_text(yaml_text, encoding="utf-8")
    config = tconfig.load(tmp_path / "feeds.yaml")
    report = crawl(config, fetcher_options={"sleep": lambda s: None, **fetcher_options})
    return report, {f.name: f.stats for f in report.feeds}


def listing(*links: str) -> bytes:
    items = "".join(f'<h2 class="post"><a href="{link}">Crohn item</a></h2>' for link in links)
    return f"<html><body>{items}</body></html>".encode()


# --- the classifier ------------------------------------------------------------------

@pytest.mark.parametrize("address, why", [
    ("127.0.0.1", "loopback"), ("127.255.0.9", "loopback"), ("::1", "loopback"),
    ("::ffff:127.0.0.1", "loopback"),            # IPv4-mapped IPv6
    ("2002:7f00:1::", "loopback"),               # 6to4 around 127.0.0.1
    ("0.0.0.0", "unspecified"), ("::", "unspecified"),
    ("169.254.169.254", "link-local"), ("fe80::1", "link-local"), ("fe80::1%eth0", "link-local"),
    ("64:ff9b::a9fe:a9fe", "link-local"),        # NAT64 around 169.254.169.254
    ("10.0.0.1", "private"), ("172.16.5.4", "private"), ("192.168.1.1", "private"), ("fd00::1", "private"),
    ("::ffff:10.1.2.3", "private"),
    ("224.0.0.1", "multicast"), ("ff02::1", "multicast"),
    ("100.64.0.1", "reserved"), ("240.0.0.1", "reserved"), ("255.255.255.255", "reserved"),
    ("0.1.2.3", "unspecified"),
    ("93.184.215.14", None), ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", None), ("::ffff:93.184.215.14", None),
])
def test_the_classifier_names_every_off_limits_range(address, why):
    assert classify(address) == why


def test_a_name_resolving_to_loopback_is_refused_and_a_mixed_answer_keeps_only_public_addresses():
    policy = AddressPolicy(resolver=lambda host, port: {
        "localhost": [(socket.AF_INET, ("127.0.0.1", port)), (socket.AF_INET6, ("::1", port, 0, 0))],
        "mixed.test": [(socket.AF_INET, ("10.0.0.7", port)), (socket.AF_INET, ("93.184.215.14", port))],
    }[host])
    with pytest.raises(AddressRefused, match="localhost resolves to 127.0.0.1, which is a loopback address"):
        policy.vet("localhost", 80)
    assert policy.vet("mixed.test", 443) == [(socket.AF_INET, ("93.184.215.14", 443))]
    assert not policy.allow_private


def test_a_feed_whose_own_host_is_private_may_reach_private_addresses():
    policy = AddressPolicy(own_host="mirror.lab", resolver=lambda host, port: {
        "mirror.lab": [(socket.AF_INET, ("10.0.0.5", port))],
        "other.lab": [(socket.AF_INET, ("10.0.0.6", port))],
    }[host])
    with pytest.raises(AddressRefused):
        policy.check("other.lab", "10.0.0.6")       # before its own host was seen on a private address
    assert policy.vet("mirror.lab", 80) == [(socket.AF_INET, ("10.0.0.5", 80))]
    assert policy.vet("other.lab", 80) == [(socket.AF_INET, ("10.0.0.6", 80))]


# --- connections ------------------------------------------------------------------------

def test_a_local_file_feed_linking_to_loopback_is_refused_and_counted(tmp_path, internal):
    (tmp_path / "news.html").write_bytes(listing(f"{internal.url}/secret"))
    report, stats = run_crawl(tmp_path, (
        "index: idx\nfeeds:\n  - name: local-news\n    kind: html\n    url: news.html\n"
        "    article_links: h2.post a\n"))
    s = stats["local-news"]
    assert s["address_refused"] == 1 and s["errors"] == 1 and s.feed_error is None
    assert s.first_error == (f"{internal.url}/secret: refused: 127.0.0.1 is a loopback address, which links "
                             f"from this feed may not reach (allow_private_addresses: true in feeds.yaml allows it).")
    assert report.records == 0 and report.exit_code == 0
    assert internal.paths == []          # not even robots.txt was asked for


def test_a_redirect_from_a_public_server_to_loopback_is_refused_unless_allowed(tmp_path, internal, public):
    public.add("/news/", listing("/go"))
    public.add("/go", b"", status=302, headers={"Location": f"{internal.url}/secret"})
    feed = (f"index: idx\nfeeds:\n  - name: news\n    kind: html\n    url: {public.url}/news/\n"
            f"    article_links: h2.post a\n")
    report, stats = run_crawl(tmp_path, feed)
    assert stats["news"]["address_refused"] == 1 and report.records == 0
    assert "refused: 127.0.0.1 is a loopback address" in stats["news"].first_error
    assert internal.paths == []

    report, stats = run_crawl(tmp_path, feed.replace("feeds:\n", "allow_private_addresses: true\nfeeds:\n"),)
    assert stats["news"]["address_refused"] == 0 and report.records == 1
    assert "/secret" in internal.paths


def test_a_name_resolving_to_loopback_is_refused_at_connect_time(tmp_path, internal, public):
    public.add("/news/", listing(f"http://intranet.test:{internal.port}/secret"))
    report, stats = run_crawl(tmp_path, (
        f"index: idx\nfeeds:\n  - name: news\n    kind: html\n    url: {public.url}/news/\n"
        f"    article_links: h2.post a\n"), resolver=resolver({"intranet.test": "127.0.0.1"}))
    assert "intranet.test resolves to 127.0.0.1, which is a loopback address" in stats["news"].first_error
    assert stats["news"]["address_refused"] == 1 and report.records == 0 and internal.paths == []


def test_a_per_feed_allowance_opens_that_feed_only(tmp_path, internal):
    (tmp_path / "a.html").write_bytes(listing(f"{internal.url}/secret"))
    report, stats = run_crawl(tmp_path, (
        "index: idx\nfeeds:\n"
        "  - name: closed\n    kind: html\n    url: a.html\n    article_links: h2.post a\n"
        "  - name: open\n    kind: html\n    url: a.html\n    article_links: h2.post a\n"
        "    allow_private_addresses: true\n"))
    assert stats["closed"]["address_refused"] == 1
    assert stats["open"]["address_refused"] == 0 and stats["open"]["new"] == 1


def test_the_connection_goes_to_the_vetted_address_and_each_new_connection_is_vetted(internal):
    """DNS rebinding: the name is resolved once per connection, by the resolver
    that vetted it, and a later answer is vetted again."""
    answers = ["127.0.0.1", "127.0.0.1", "10.9.9.9"]
    calls = []

    def shifty(host, port):
        calls.append(host)
        return [(socket.AF_INET, (answers[len(calls) - 1], port))]

    fetcher = Fetcher(UA, sleep=lambda s: None, obey_robots=False, resolver=shifty)
    own = fetcher.for_feed(FeedStats(), addresses=fetcher.address_policy("http://rebind.test/"))
    internal.add("/close", SECRET, headers={"Connection": "close"})
    # rebind.test exists only in the resolver: the system's DNS is never asked
    assert own.get(f"http://rebind.test:{internal.port}/close").content == SECRET
    public_feed = fetcher.for_feed(FeedStats(), addresses=fetcher.address_policy("file:///feed.xml"))
    with pytest.raises(AddressRefused, match="rebind.test resolves to 127.0.0.1"):
        public_feed.get(f"http://rebind.test:{internal.port}/close")
    with pytest.raises(AddressRefused, match="10.9.9.9, which is a private address"):
        public_feed.get(f"http://rebind.test:{internal.port}/close")
    assert calls == ["rebind.test"] * 3
    fetcher.close()


def test_tls_keeps_the_host_name_for_sni_and_the_certificate_check(tmp_path, monkeypatch):
    """The socket goes to the vetted address; TLS still speaks to and checks the name."""
    trustme = pytest.importorskip("trustme")
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):   # they would override session.verify
        monkeypatch.delenv(name, raising=False)
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("journal.test").configure_cert(context)
    names: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: names.append(name)
    srv = Server(tls=context)
    srv.add("/feed", SECRET)
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    fetcher = Fetcher(UA, sleep=lambda s: None, obey_robots=False, retries=0,
                      resolver=resolver({"journal.test": "127.0.0.1", "impostor.test": "127.0.0.1"}))
    fetcher.session.verify = str(tmp_path / "ca.pem")
    mirror = fetcher.for_feed(FeedStats(), addresses=fetcher.address_policy("https://journal.test/feed"))
    try:
        assert mirror.get(f"https://journal.test:{srv.port}/feed").content == SECRET
        assert names == ["journal.test"]
        with pytest.raises(FetchError, match="TLS handshake failed"):   # the certificate names journal.test
            mirror.get(f"https://impostor.test:{srv.port}/feed")
    finally:
        fetcher.close()
        srv.close()


def test_a_pooled_connection_opened_for_a_private_feed_is_not_reused_by_a_public_one(internal):
    fetcher = Fetcher(UA, sleep=lambda s: None, obey_robots=False)
    mirror = fetcher.for_feed(FeedStats(), addresses=fetcher.address_policy(f"{internal.url}/feed"))
    assert mirror.get(f"{internal.url}/secret").content == SECRET   # kept alive in the shared pool
    stats = FeedStats()
    public_feed = fetcher.for_feed(stats, addresses=fetcher.address_policy("https://journal.example/feed"))
    with pytest.raises(AddressRefused):
        public_feed.get(f"{internal.url}/secret")
    assert stats["address_refused"] == 1 and internal.paths == ["/secret"]
    fetcher.close()


def test_outside_any_feed_nothing_is_refused(internal):
    """`tracker extract URL`: the user typed the address."""
    with Fetcher(UA, sleep=lambda s: None, obey_robots=False) as fetcher:
        assert fetcher.get(f"{internal.url}/secret").content == SECRET


# --- configuration ------------------------------------------------------------------------

def test_allow_private_addresses_at_the_top_and_per_feed(tmp_path):
    config = tconfig.parse(
        "allow_private_addresses: true\nfeeds:\n"
        "  - {name: a, kind: rss, url: 'https://x.example/a.xml'}\n"
        "  - {name: b, kind: rss, url: 'https://x.example/b.xml', allow_private_addresses: false}\n",
        tmp_path / "feeds.yaml")
    assert [f.allow_private_addresses for f in config.feeds] == [True, False]
    with pytest.raises(ConfigError) as exc:
        tconfig.parse("feeds:\n  - {name: a, kind: rss, url: 'https://x.example/a.xml', "
                      "allow_private_addresses: yes-please}\n", tmp_path / "feeds.yaml")
    assert "feed 'a': key 'allow_private_addresses' must be true or false." in str(exc.value)


def test_through_a_proxy_the_name_is_vetted_before_the_request(public, monkeypatch):
    # the proxy (a public stand-in) would resolve intranet.test itself: the name is vetted here first
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", public.url)
    fetcher = Fetcher(UA, sleep=lambda s: None, obey_robots=False,
                      resolver=resolver({"intranet.test": "127.0.0.1"}))
    own = fetcher.for_feed(FeedStats(), addresses=fetcher.address_policy("http://example.org/feed.xml"))
    with pytest.raises(AddressRefused, match="intranet.test resolves to 127.0.0.1"):
        own.get("http://intranet.test/secret")
    assert public.paths == []
    fetcher.close()
