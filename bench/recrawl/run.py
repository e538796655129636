"""Re-crawl politeness and dead hosts: requests of a second run, time of six dead feeds.

1. A mix of feeds (pubmed, europepmc, crossref, two rss feeds with
   fetch_articles, a paged html listing) served by
   examples/offline/sample_server.py, crawled twice with `tracker crawl` as a
   separate process; the server counts the requests of each run. Twice:
   a server that sends no validators (no ETag, never 304), as many journal
   and news sites do, and one that does.
2. Six feeds (three rss, three html) on a host that cannot be reached, timed
   as one `tracker crawl` process: a closed loopback port (connection
   refused), a name without DNS entry (the child's resolver fails for
   `.invalid` names, so nothing leaves the machine) and a port that never
   completes the handshake (a listening socket whose backlog is full: a
   connect timeout, with `timeout: 5`).

Everything runs on 127.0.0.1. `--root DIR` crawls with the tracker of
another checkout (the sample server is always this one), for before/after.

    python bench/recrawl/run.py [--root DIR] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "examples" / "offline"))

from sample_server import Corpus, SampleServer  # noqa: E402

DEAD_FEEDS = 6


def tracker(root: Path, config: Path, *args: str, dns_fails: bool = False) -> tuple[float, dict]:
    """Wall seconds and the --json report of one `tracker crawl` process."""
    cmd = [sys.executable, __file__, "--child-dns", "--"] if dns_fails else [sys.executable, "-m", "tracker"]
    cmd += ["--config", str(config), "crawl", "--json", *args]
    t0 = time.perf_counter()
    # cwd: `python -m` puts the working directory first on sys.path, ahead of PYTHONPATH
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=config.parent,
                          env=dict(os.environ, PYTHONPATH=str(root)))
    seconds = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"crawl failed with exit code {proc.returncode}: {proc.stderr[-500:]}")
    return seconds, json.loads(proc.stdout)


def group(path: str) -> str:
    if path == "/robots.txt":
        return "robots.txt"
    if path.startswith("/news/index"):
        return "html listing"
    if path.startswith("/news/"):
        return "html pages"
    if path.startswith("/articles/"):
        return "rss pages"
    if path.startswith("/rss/"):
        return "rss feeds"
    return "registry APIs"


def recrawl(root: Path, validators: bool) -> dict:
    corpus = Corpus(n_pubmed=100, n_epmc=50, n_crossref=50, n_rss_feeds=2, per_feed=20, n_html=120)
    with tempfile.TemporaryDirectory(prefix="tracker-recrawl-") as tmp, \
            SampleServer(corpus, validators=validators, rss_pages=True) as srv:
        config = Path(tmp) / "feeds.yaml"
        config.write_text(srv.feeds_yaml(index=str(Path(tmp) / "index")), encoding="utf-8")
        runs = []
        for _ in range(2):
            before = len(srv.requests)
            seconds, report = tracker(root, config)
            runs.append((Counter(group(p) for p in srv.requests[before:]), seconds, report))
        (first, first_s, _), (second, second_s, report) = runs
        return {
            "validators": validators, "feeds": len(report["feeds"]),
            "first_requests": sum(first.values()), "second_requests": sum(second.values()),
            "second_by_kind": dict(sorted(second.items())),
            "second_unchanged": sum(f["unchanged"] for f in report["feeds"]),
            "second_new_or_updated": sum(f["new"] + f["updated"] for f in report["feeds"]),
            "first_s": round(first_s, 2), "second_s": round(second_s, 2),
        }


def dead_feeds(base: str, timeout: float | None = None) -> str:
    extra = f"\n    timeout: {timeout:g}" if timeout else ""
    lines = [f"  - name: dead-rss-{i}\n    kind: rss\n    url: {base}/feed{i}.xml{extra}" for i in range(3)]
    lines += [f"  - name: dead-news-{i}\n    kind: html\n    url: {base}/news{i}/\n    article_links: a{extra}"
              for i in range(DEAD_FEEDS - 3)]
    return "\n".join(lines)


def dead_host(root: Path, mode: str) -> dict:
    keep: list[socket.socket] = []
    if mode == "refused":
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        base = f"http://127.0.0.1:{probe.getsockname()[1]}"
        probe.close()
    elif mode == "dns":
        base = "http://dead-host.invalid"
    else:  # a listening socket never accepting: once its backlog is full, SYNs go unanswered
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        keep.append(listener)
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            try:
                filler.connect(("127.0.0.1", port))
            except BlockingIOError:
                pass
            keep.append(filler)
        time.sleep(0.2)
        base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="tracker-dead-") as tmp:
        config = Path(tmp) / "feeds.yaml"
        config.write_text(f"index: {Path(tmp) / 'index'}\nfeeds:\n"
                          + dead_feeds(base, 5 if mode == "timeout" else None) + "\n", encoding="utf-8")
        wall, report = tracker(root, config, dns_fails=(mode == "dns"))
    for sock in keep:
        sock.close()
    errors = {f["feed_error"].split(": ", 1)[1] for f in report["feeds"] if f["feed_error"]}
    return {"mode": mode, "failed": sum(1 for f in report["feeds"] if f["feed_error"]),
            "crawl_s": report["seconds"], "wall_s": round(wall, 2),
            "requests": sum(f["requests"] for f in report["feeds"]),
            "retries": sum(f["retries"] for f in report["feeds"]),
            "distinct_reasons": len(errors), "reason": sorted(errors)[-1] if errors else None}


def child_dns(args: list[str]) -> None:
    """`tracker` with a resolver that fails for .invalid names (and only those)."""
    real = socket.getaddrinfo

    def resolver(host, *rest, **kwargs):
        if str(host).endswith(".invalid"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *rest, **kwargs)

    socket.getaddrinfo = resolver
    from tracker.cli import cli

    cli.main(args=args, prog_name="tracker")


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child-dns":
        child_dns(sys.argv[3:])
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", type=Path, default=ROOT, help="checkout whose tracker crawls (default: this one)")
    ap.add_argument("--repeat", type=int, default=1, help="dead-host runs per mode")
    args = ap.parse_args()
    root = args.root.resolve()
    print(f"# {platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{time.strftime('%Y-%m-%d')}, tracker from {root}")
    for validators in (False, True):
        print(json.dumps(recrawl(root, validators)), flush=True)
    for mode in ("refused", "dns", "timeout"):
        for _ in range(args.repeat):
            print(json.dumps(dead_host(root, mode)), flush=True)


if __name__ == "__main__":
    main()
