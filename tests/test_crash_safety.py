"""A crawl killed with SIGKILL at any point loses nothing once re-run.

The crawl runs in a child process against a loopback server and is killed
at a spread of moments (fetching, extracting, committing the store, the
index or the state), and at each gap between those three commits. After
every kill the store must open and hold no duplicates; after a final
complete run the store must equal that of an uninterrupted crawl and the
index must hold exactly the stored records.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from loopback import Loopback

from tracker.index import Index
from tracker.query.parser import parse
from tracker.store import Store

N_FEEDS, N_ITEMS = 3, 250
DRUGS = ["natalizumab", "vedolizumab", "ustekinumab", "infliximab", "adalimumab", "upadacitinib"]


def feed_xml(f: int) -> bytes:
    items = []
    for i in range(N_ITEMS):
        drug = DRUGS[(f + i) % len(DRUGS)]
        # every third item also appears in the next feed: cross-feed merges under fire
        doi = f"10.5555/crash.{f}.{i}" if i % 3 else f"10.5555/crash.shared.{(f + 1) % N_FEEDS}.{i}"
        items.append(
            f"<item><title>{drug.title()} in Crohn's disease: cohort {f}-{i}</title>"
            f"<link>http://journal.example.org/a/{f}/{i}</link><prism:doi>{doi}</prism:doi>"
            f"<pubDate>Mon, 02 Nov 2026 09:{i % 60:02d}:00 GMT</pubDate>"
            f"<description>A retrospective cohort of {40 + i} patients with Crohn's disease "
            f"treated with {drug}. Remission at week 52 was reported in {i % 90}%.</description></item>")
    return ('<?xml version="1.0"?><rss version="2.0" xmlns:prism="http://prismstandard.org/namespaces/basic/2.0/">'
            f"<channel><title>Crash feed {f}</title><link>http://x/</link><description>d</description>"
            + "".join(items) + "</channel></rss>").encode()


def write_config(directory: Path, server: str) -> Path:
    feeds = "\n".join(f"  - name: feed{f}\n    kind: rss\n    url: {server}/feed{f}.xml" for f in range(N_FEEDS))
    path = directory / "feeds.yaml"
    path.write_text(f"index: idx\ndefaults:\n  rate_limit: 1000\nfeeds:\n{feeds}\n", encoding="utf-8")
    return path


def crawl_cmd(config: Path) -> list[str]:
    return [sys.executable, "-m", "tracker", "--config", str(config), "crawl", "--quiet"]


def snapshot(index_dir: Path) -> dict[str, dict]:
    """The stored records (ids are unique in the store by construction)."""
    with Store.open(index_dir) as store:
        out = {}
        for rec in store.select().records():
            assert rec["id"] not in out, f"duplicate record {rec['id']}"
            rec = {k: v for k, v in rec.items() if k not in ("first_seen", "fetched_at")}
            out[rec["id"]] = rec
        return out


def assert_index_holds_the_store(index_dir: Path) -> None:
    with Index.open(index_dir) as ix:
        docs = [rid for rid, _ in ix.documents()]
        assert len(docs) == len(set(docs)) == ix.doc_count(), "a document is in the index twice"
        assert sorted(docs) == sorted(r["id"] for r in ix.store.select().records())
        assert ix.search(parse("crohn", ix.analyser), limit=1).total == ix.store.count()


@pytest.fixture(scope="module")
def server():
    with Loopback() as lb:
        for f in range(N_FEEDS):
            lb.add(f"/feed{f}.xml", feed_xml(f), "application/rss+xml")
        yield lb


@pytest.fixture(scope="module")
def clean(server, tmp_path_factory):
    """The records of an uninterrupted crawl, and how long it took."""
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    clean_dir = tmp_path_factory.mktemp("clean")
    cfg = write_config(clean_dir, server.url)
    t0 = time.monotonic()
    subprocess.run(crawl_cmd(cfg), check=True, env=env, timeout=300)
    reference = snapshot(clean_dir / "idx")
    assert len(reference) > N_FEEDS * N_ITEMS * 0.6
    return reference, time.monotonic() - t0


def test_sigkill_at_many_points_then_rerun_equals_clean_crawl(tmp_path, server, clean):
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    reference, full_time = clean

    crash_dir = tmp_path / "crash"
    crash_dir.mkdir()
    cfg = write_config(crash_dir, server.url)
    kills = 0
    # Kill moments spread over the whole run, from start-up to the last commit.
    for frac in (0.15, 0.3, 0.45, 0.6, 0.7, 0.8, 0.9, 1.0):
        proc = subprocess.Popen(crawl_cmd(cfg), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(full_time * frac)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait(timeout=60)
        if (crash_dir / "idx" / "records.sqlite").exists():
            snapshot(crash_dir / "idx")        # opens, no duplicates
    assert kills >= 3
    done = subprocess.run(crawl_cmd(cfg), env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert snapshot(crash_dir / "idx") == reference
    assert_index_holds_the_store(crash_dir / "idx")
    # and the state agrees with the store and the index
    check = subprocess.run([sys.executable, "-m", "tracker", "--config", str(cfg), "check"],
                           env=env, capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stderr


# A crawl that kills itself at the n-th passage through one gap between its
# commits: "store" (the store committed a batch, the index not yet), "mark"
# (the index committed, index.json not yet moved), "state" (both committed,
# the crawl state not yet).
KILLER = """
import os, signal, sys
import tracker.index.core as core
import tracker.pipeline as pipeline
import tracker.state as state
from tracker.cli import main

pipeline.BATCH_BYTES = 60_000   # batches of ~50 items: several commits in a run of 750

point, nth = os.environ["KILL_AT"].split(":")
passages = [0]


def passage():
    passages[0] += 1
    if passages[0] == int(nth):
        os.kill(os.getpid(), signal.SIGKILL)


if point == "store":
    catch_up = core.Index.catch_up

    def patched(self):
        if self.store.last_seq() > core.read_meta(self.directory / core.META_FILE).indexed:
            passage()
        return catch_up(self)

    core.Index.catch_up = patched
elif point == "mark":
    write_meta = core.write_meta

    def patched(path, indexed=0, pending=None):
        if pending is None:
            passage()
        return write_meta(path, indexed, pending)

    core.write_meta = patched
else:
    commit = state.State.commit

    def patched(self, *args, **kwargs):
        passage()
        return commit(self, *args, **kwargs)

    state.State.commit = patched
sys.argv[0] = "tracker"
main()
"""


@pytest.mark.parametrize("point", ["store", "mark", "state"])
def test_a_kill_between_the_commits_is_repaired_by_the_next_run(tmp_path, server, clean, point):
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    reference, _ = clean

    cfg = write_config(tmp_path, server.url)
    args = ["--config", str(cfg), "crawl", "--quiet"]
    for nth in (1, 2):      # killed at the first passage, then at the next run's second
        proc = subprocess.run([sys.executable, "-c", KILLER, *args], env=dict(env, KILL_AT=f"{point}:{nth}"),
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == -signal.SIGKILL, proc.stderr
        snapshot(tmp_path / "idx")
    if point == "store":        # the store is ahead of the index
        with Store.open(tmp_path / "idx") as store, Index.open(tmp_path / "idx") as ix:
            assert ix.doc_count() < store.count()
    done = subprocess.run(crawl_cmd(cfg), env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert snapshot(tmp_path / "idx") == reference
    assert_index_holds_the_store(tmp_path / "idx")
    check = subprocess.run([sys.executable, "-m", "tracker", "--config", str(cfg), "check"],
                           env=env, capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stderr


def test_second_crawl_exits_75_naming_the_holder(tmp_path, server):
    from tracker.pipeline import CrawlLock

    cfg = write_config(tmp_path, server.url)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    with CrawlLock(tmp_path / "idx"):
        res = subprocess.run(crawl_cmd(cfg), env=env, capture_output=True, text=True, timeout=60)
    assert res.returncode == 75
    assert f"(pid {os.getpid()}, started " in res.stderr
    assert res.stderr.count("\n") == 1


def test_stale_lock_from_dead_process_is_taken_over(tmp_path, server):
    cfg = write_config(tmp_path, server.url)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    holder = subprocess.Popen([sys.executable, "-c",
                               "import sys,time; from pathlib import Path; from tracker.pipeline import CrawlLock;"
                               f"l=CrawlLock(Path({str(tmp_path / 'idx')!r})); l.__enter__(); print('held', flush=True);"
                               "time.sleep(60)"], env=env, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=10)
    assert json.loads((tmp_path / "idx" / "crawl.lock.json").read_text())["pid"] == holder.pid
    res = subprocess.run(crawl_cmd(cfg), env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr


def test_searches_keep_working_while_a_crawl_writes(tmp_path, server):
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    cfg = write_config(tmp_path, server.url)
    # a first small crawl so an index exists, then a full one running beside the searches
    subprocess.run(crawl_cmd(cfg) + ["--feed", "feed0"], check=True, env=env, timeout=300)
    proc = subprocess.Popen(crawl_cmd(cfg) + ["--full"], env=env, stderr=subprocess.PIPE)
    searches, counts = 0, []
    try:
        while proc.poll() is None and searches < 500:
            with Index.open(tmp_path / "idx") as ix:
                res = ix.search(parse("crohn", ix.analyser), limit=5)
                counts.append(res.total)
            searches += 1
    finally:
        proc.wait(timeout=300)
    assert proc.returncode == 0, proc.stderr.read()
    assert searches >= 3
    assert counts == sorted(counts)         # readers see whole commits only, never fewer records
    assert counts[0] >= N_ITEMS * 0.6


def test_log_file_records_a_crawl_that_found_the_lock_held(tmp_path, server):
    from tracker.pipeline import CrawlLock

    cfg = write_config(tmp_path, server.url)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    log = tmp_path / "crawl.log"
    with CrawlLock(tmp_path / "idx"):
        res = subprocess.run(crawl_cmd(cfg) + ["--log-file", str(log)], env=env, capture_output=True,
                             text=True, timeout=60)
    assert res.returncode == 75
    line = log.read_text().splitlines()[-1]
    assert "crawl status=not-run exit=75" in line and "another crawl is running" in line
    res = subprocess.run(crawl_cmd(cfg) + ["--log-file", str(log)], env=env, timeout=300)
    assert res.returncode == 0
    assert sum("feed=feed0 status=ok" in ln for ln in log.read_text().splitlines()) == 1
