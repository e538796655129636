"""Ingest benchmark: `tracker crawl` end to end against a loopback server.

N synthetic items are served through the pubmed, europepmc, rss and html
kinds (40/20/30/10 %). The script times the first crawl (articles/s, peak
RSS of the crawl process), a re-crawl of the unchanged corpus, and the same
documents added to a fresh index by a bare Whoosh writer loop: the floor.
Peak memory: the crawl process's own peak RSS, and the peak proportional
set size of the crawl and every process it starts (sampled every 0.1 s),
so an indexing process beside the crawl counts too.

    python bench/ingest/run.py [--root CHECKOUT] 10000 [100000 ...]

--root times another checkout's code (the sample server stays this one's).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[2]
ROOT = HERE
if len(sys.argv) > 2 and sys.argv[1] == "--root":
    ROOT = Path(sys.argv[2]).resolve()
    del sys.argv[1:3]
sys.path.insert(0, str(HERE / "examples" / "offline"))
sys.path.insert(0, str(ROOT))

from sample_server import Corpus, SampleServer  # noqa: E402

PER_FEED = 500


def corpus_for(n: int) -> Corpus:
    n_rss = int(n * 0.3)
    return Corpus(n_pubmed=int(n * 0.4), n_epmc=int(n * 0.2), n_crossref=0,
                  n_rss_feeds=max(1, n_rss // PER_FEED), per_feed=min(PER_FEED, n_rss),
                  n_html=int(n * 0.1), words=220)


def tree_pss_kib(pid: int) -> int:
    """Proportional set size (KiB) of a process and its descendants (Linux
    /proc): pages a forked child still shares with its parent count once."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            if b"tracker" not in f.read():
                return 0        # not yet exec'd: still a copy of this script
    except OSError:
        return 0
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                total += next((int(line.split()[1]) for line in f if line.startswith("Pss:")), 0)
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo += [int(c) for c in f.read().split()]
        except (OSError, ValueError):
            pass
    return total


def timed_crawl(config: Path, *extra: str) -> tuple[float, int, dict, int, float]:
    """Wall seconds, peak RSS (KiB) of the crawl process, its JSON report, the
    peak summed PSS (KiB) of the crawl and its children, sampled every 0.1 s,
    and the CPU seconds of the crawl and its extraction worker together."""
    cmd = [sys.executable, "-m", "tracker", "--config", str(config), "crawl", "--json", *extra]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)))
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.1):
            peak[0] = max(peak[0], tree_pss_kib(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out = proc.stdout.read()
    done.set()
    sampler.join()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"crawl failed with exit code {proc.returncode}")
    return seconds, usage.ru_maxrss, json.loads(out), peak[0], usage.ru_utime + usage.ru_stime


def bare_writer(index_dir: Path, target: Path) -> tuple[float, int]:
    """Every stored record of `index_dir` written by a plain Whoosh writer loop."""
    from whoosh import index as wix

    from tracker.index import Index
    from tracker.index.schema import build_schema, document
    from tracker.models import Article

    with Index.open(index_dir) as ix:
        docs = [document(Article.from_dict(r)) for r in ix.iter_records()]
    target.mkdir(parents=True)
    fresh = wix.create_in(str(target), build_schema(), indexname="bare")
    t0 = time.perf_counter()
    writer = fresh.writer()
    for doc in docs:
        writer.add_document(**doc)
    writer.commit()
    return time.perf_counter() - t0, len(docs)


def bench(n: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="tracker-ingest-") as tmp, SampleServer(corpus_for(n)) as srv:
        home = Path(tmp)
        config = home / "feeds.yaml"
        config.write_text(srv.feeds_yaml(rate_limit=100000), encoding="utf-8")
        first_s, first_rss, report, first_tree, first_cpu = timed_crawl(config)
        fetched = sum(f["fetched"] for f in report["feeds"])
        stored = report["records"]
        errors = sum(f["errors"] for f in report["feeds"])
        again_s, _, again, _, _ = timed_crawl(config)
        bare_s, bare_n = bare_writer(home / "index", home / "bare")
        return {
            "n": n, "fetched": fetched, "stored": stored, "errors": errors,
            "first_s": round(first_s, 1), "first_per_s": round(fetched / first_s, 1),
            "first_cpu_s": round(first_cpu, 1),
            "first_peak_rss_mb": round(first_rss / 1024, 1),
            "first_peak_tree_pss_mb": round(first_tree / 1024, 1),
            "recrawl_s": round(again_s, 1), "recrawl_ratio": round(again_s / first_s, 3),
            "recrawl_new": sum(f["new"] for f in again["feeds"]),
            "bare_s": round(bare_s, 1), "bare_per_s": round(bare_n / bare_s, 1),
            "e2e_vs_bare": round((fetched / first_s) / (bare_n / bare_s), 2),
        }


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [10000]
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    print(f"# {platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{time.strftime('%Y-%m-%d %H:%M')}, code {ROOT} at {commit}, load {os.getloadavg()[0]:.2f}")
    for n in sizes:
        print(json.dumps(bench(n)), flush=True)


if __name__ == "__main__":
    main()
