"""Fault tolerance on a loopback fault server: every broken feed becomes an
error in its own summary line, the healthy feed completes, retries stay
within their bounds, and hostile XML is refused without harm."""

from __future__ import annotations

import gzip
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tracker import config as cfg
from tracker.fetch.http import MAX_RETRIES
from tracker.pipeline import crawl

GOOD_RSS = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>ok</title><link>http://x/</link>'
            b"<description>d</description>"
            + b"".join(b"<item><title>Crohn's disease and vedolizumab %d</title><link>http://j.example.org/%d</link>"
                       b"<description>Crohn's disease cohort.</description></item>" % (i, i) for i in range(5))
            + b"</channel></rss>")

LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                     for i in range(1, 10))
          + b']><rss version="2.0"><channel><title>&lol9;</title></channel></rss>')
XXE_ATOM = (b'<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            b'<feed xmlns="http://www.w3.org/2005/Atom"><title>&xxe;</title></feed>')
XXE_PUBMED = (b'<?xml version="1.0"?><!DOCTYPE PubmedArticleSet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
              b"<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article>"
              b"<ArticleTitle>&xxe;</ArticleTitle></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>")


class FaultServer:
    """Each path misbehaves in its own way; hits are counted per path."""

    def __init__(self):
        self.hits: dict[str, int] = {}
        srv = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def send(self, status, body=b"", ctype="application/rss+xml", extra=None):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                for k, v in (extra or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                path = self.path.split("?")[0]
                srv.hits[path] = srv.hits.get(path, 0) + 1
                if path == "/robots.txt":
                    host = self.headers.get("Host", "")
                    return self.send(200, b"User-agent: *\nDisallow: /\n" if host.startswith("localhost")
                                     else b"User-agent: *\nAllow: /\n", "text/plain")
                if path == "/good.xml":
                    return self.send(200, GOOD_RSS)
                if path == "/storm429.xml":
                    return self.send(429, b"slow down", "text/plain", {"Retry-After": "1"})
                if path == "/storm503.xml":
                    return self.send(503, b"busy", "text/plain")
                if path == "/html-error.xml":
                    return self.send(200, b"<!DOCTYPE html><html><body>Maintenance</body></html>", "text/html")
                if path == "/truncated.xml":
                    return self.send(200, GOOD_RSS[:60])
                if path == "/bad-utf8.xml":
                    return self.send(200, GOOD_RSS.replace(b"vedolizumab 1", b"vedolizumab \xff\xfe 1"))
                if path == "/bomb.xml":
                    return self.send(200, gzip.compress(b" " * 30_000_000), extra={"Content-Encoding": "gzip"})
                if path == "/huge.xml":
                    return self.send(200, b"<rss>" + b"x" * 3_000_000)
                if path == "/loop.xml":
                    return self.send(302, extra={"Location": "/loop.xml"})
                if path == "/ftp.xml":
                    return self.send(302, extra={"Location": "ftp://example.org/feed.xml"})
                if path == "/laughs.xml":
                    return self.send(200, LAUGHS)
                if path == "/xxe.xml":
                    return self.send(200, XXE_ATOM)
                if path == "/reset.xml":
                    self.send_response(200)
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    self.wfile.write(GOOD_RSS[:200])
                    self.wfile.flush()
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    self.connection.close()
                    return
                if path == "/trickle.xml":
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(GOOD_RSS)))
                    self.end_headers()
                    for byte in GOOD_RSS[:40]:
                        try:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                        except OSError:
                            return
                        time.sleep(0.1)
                    return
                if path == "/eutils/esearch.fcgi":
                    return self.send(200, b'{"esearchresult": {"count": "1", "webenv": "W", "querykey": "1"}}',
                                     "application/json")
                if path == "/eutils/efetch.fcgi":
                    return self.send(200, XXE_PUBMED, "text/xml")
                return self.send(404, b"no", "text/plain")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.port = self.httpd.server_address[1]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


FEEDS = ["good", "storm429", "storm503", "html-error", "truncated", "bad-utf8", "bomb", "huge", "loop",
         "ftp", "laughs", "xxe", "reset", "trickle"]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    server = FaultServer()
    # a port with nothing listening: connection refused
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    dead_port = probe.getsockname()[1]
    probe.close()
    home = tmp_path_factory.mktemp("faults")
    base = f"http://127.0.0.1:{server.port}"
    lines = ["index: idx\ndefaults:\n  rate_limit: 1000\n  timeout: 1\n  max_bytes: 1000000\nfeeds:"]
    lines += [f"  - name: {n}\n    kind: rss\n    url: {base}/{n}.xml" for n in FEEDS]
    lines[-2:] = [line + "\n    timeout: 0.25" for line in lines[-2:]]   # reset, trickle: keep the suite fast
    lines.append(f"  - name: refused\n    kind: rss\n    url: http://127.0.0.1:{dead_port}/feed.xml")
    lines.append(f"  - name: robots-all\n    kind: rss\n    url: http://localhost:{server.port}/good.xml")
    lines.append(f"  - name: pubmed-xxe\n    kind: pubmed\n    query: crohn\n    base_url: {base}/eutils/")
    (home / "feeds.yaml").write_text("\n".join(lines) + "\n")
    sleeps: list[float] = []
    config = cfg.load(home / "feeds.yaml")
    t0 = time.monotonic()
    rep = crawl(config, fetcher_options={"sleep": sleeps.append, "backoff": 0.01})
    elapsed = time.monotonic() - t0
    yield {f.name: f.stats for f in rep.feeds}, server.hits, sleeps, elapsed, rep
    server.close()


def test_healthy_feed_completes_and_exit_code_says_some_failed(report):
    stats, _, _, _, rep = report
    assert stats["good"]["new"] == 5 and stats["good"].feed_error is None
    assert rep.exit_code == 1
    assert rep.records == 5


@pytest.mark.parametrize("name, words", [
    ("storm429", "429"), ("storm503", "503"), ("html-error", "HTML page"), ("truncated", "not a readable"),
    ("bomb", "max_bytes"), ("huge", "max_bytes"), ("loop", "redirect"), ("ftp", "ftp"),
    ("laughs", "entities"), ("xxe", "entities"), ("reset", ""), ("trickle", ""), ("refused", ""),
])
def test_each_fault_is_a_feed_error_of_one_sentence(report, name, words):
    stats = report[0][name]
    assert stats.feed_error, name
    assert words.lower() in stats.feed_error.lower()
    assert "\n" not in stats.feed_error and "Traceback" not in stats.feed_error


def test_invalid_utf8_is_read_not_fatal(report):
    stats = report[0]["bad-utf8"]
    # the same five items as the good feed: read despite the bad bytes, merged, not duplicated
    assert stats.feed_error is None and stats["fetched"] == 5


def test_robots_disallow_all_is_a_skip_not_an_error(report):
    stats = report[0]["robots-all"]
    assert stats["robots_skipped"] == 1 and stats["fetched"] == 0


def test_hostile_pubmed_xml_is_refused(report):
    stats = report[0]["pubmed-xxe"]
    assert stats["new"] == 0 and stats["errors"] >= 1


def test_retries_stay_within_bounds(report):
    _, hits, sleeps, elapsed, _ = report
    assert hits["/storm429.xml"] == 1 + MAX_RETRIES
    assert hits["/storm503.xml"] == 1 + MAX_RETRIES
    assert hits["/robots.txt"] <= 2          # once per host (127.0.0.1 and localhost)
    assert any(0.9 <= s <= 1.0 for s in sleeps)   # Retry-After: 1 obeyed
    assert elapsed < 60

