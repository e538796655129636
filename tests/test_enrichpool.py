"""Extraction in a worker process beside the crawl (tracker.enrichpool)."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from tracker import enrichpool
from tracker.enrichpool import EnrichPool, OrderedEnricher
from tracker.errors import TrackerError
from tracker.extract import enrich
from tracker.extract.evaluate import load_items
from tracker.fetch.stats import FeedStats
from tracker.models import Article
from tracker.pipeline import FeedResult, _Run
from tracker.settings import Filters

pytestmark = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
MAIN = os.getpid()
DRUGS = ["adalimumab", "infliximab"]


def art(i: int) -> Article:
    return Article(title=f"Infliximab in Crohn's disease #{i}", doi=f"10.5555/t.{i}",
                   abstract=f"We report a cohort of {20 + i} patients with Crohn's disease treated with "
                            f"adalimumab.")


def tag_worker(a: Article) -> None:
    a.keywords = a.keywords + [f"pid{os.getpid()}"]
    enrich(a)


def raise_on_7(a: Article) -> None:
    a.keywords = ["touched"]
    if a.doi and a.doi.endswith(".7"):
        raise ValueError("bad item 7")
    enrich(a)


def die_in_worker(a: Article) -> None:
    if os.getpid() != MAIN and a.doi and a.doi.endswith(".40"):
        os.kill(os.getpid(), signal.SIGKILL)
    enrich(a)


def run(enricher: OrderedEnricher, n: int) -> list:
    out = []
    for i in range(n):
        out.extend(enricher.put(art(i), i))
    out.extend(enricher.drain())
    return out


@pytest.fixture
def pool(request):
    p = EnrichPool(request.param, workers=1)
    yield p
    p.close()


@pytest.mark.parametrize("pool", [tag_worker], indirect=True)
def test_order_is_kept_and_the_work_runs_in_the_worker(pool):
    out = run(OrderedEnricher(pool, pool.enrich), 200)
    assert [tag for _, tag, _ in out] == list(range(200))
    assert all(err is None for _, _, err in out)
    assert pool.started and not pool.broken
    pids = {a.keywords[-1] for a, _, _ in out}
    assert f"pid{MAIN}" not in pids                      # every chunk, the last partial one too
    assert all(a.drugs == DRUGS for a, _, _ in out)   # the extracted fields came back


@pytest.mark.parametrize("pool", [tag_worker], indirect=True)
def test_a_few_items_never_start_the_pool(pool):
    out = run(OrderedEnricher(pool, pool.enrich), enrichpool.CHUNK - 1)
    assert len(out) == enrichpool.CHUNK - 1 and not pool.started
    assert {a.keywords[-1] for a, _, _ in out} == {f"pid{MAIN}"}


@pytest.mark.parametrize("pool", [raise_on_7], indirect=True)
def test_a_raising_extraction_costs_one_item_with_its_error(pool):
    out = run(OrderedEnricher(pool, pool.enrich), 100)
    errors = {tag: err for _, tag, err in out if err is not None}
    assert errors == {7: "ValueError: bad item 7"}
    assert [a.keywords for a, _, _ in out] == [["touched"]] * 100   # partial changes kept, as inline
    assert sum(a.drugs == DRUGS for a, _, _ in out) == 99
    assert not pool.broken


@pytest.mark.parametrize("pool", [die_in_worker], indirect=True)
def test_a_killed_worker_falls_back_inline_and_loses_nothing(pool, caplog):
    caplog.set_level(logging.WARNING, "tracker.crawl")
    out = run(OrderedEnricher(pool, pool.enrich), 300)
    assert [tag for _, tag, _ in out] == list(range(300))
    assert all(err is None and a.drugs == DRUGS for a, _, err in out)
    assert pool.broken
    assert len([r for r in caplog.records if "extraction worker failed" in r.message]) == 1
    more = run(OrderedEnricher(pool, pool.enrich), 100)     # the rest of the run: inline
    assert len(more) == 100


def test_results_equal_inline_extraction_on_the_labelled_set():
    items = [d["input"] for _, d in load_items(Path(__file__).parent / "extraction" / "items")
             if "html" not in d["input"]][:120]
    assert len(items) >= 60
    inline = [enrich(Article.from_dict(d)) for d in items]
    pool = EnrichPool(enrich, workers=1)
    try:
        enricher = OrderedEnricher(pool, enrich)
        out = []
        for i, d in enumerate(items):
            out.extend(enricher.put(Article.from_dict(d), i))
        out.extend(enricher.drain())
        assert pool.started
    finally:
        pool.close()
    assert [(a.to_dict(), a.provenance) for a, _, _ in out] == [(a.to_dict(), a.provenance) for a in inline]


class FakeStore:
    def __init__(self):
        self.records: list[Article] = []

    def upsert(self, articles):
        self.records.extend(articles)
        return SimpleNamespace(outcome={i: "new" for i in range(len(articles))})


class FailingSource:
    def __init__(self, n: int):
        self.n = n

    def items(self, ctx):
        for i in range(self.n):
            yield art(i)
        raise TrackerError("feed: the server closed the connection mid-feed.")


def feed_ctx(name: str, stats: FeedStats, filters: Filters | None = None) -> SimpleNamespace:
    return SimpleNamespace(stats=stats, full=False, progress=None, item_error=stats.error,
                           feed=SimpleNamespace(name=name, filters=filters or Filters()))


def test_a_source_failing_mid_feed_keeps_the_items_in_flight(tmp_path):
    from tracker.state import State

    stats = FeedStats()
    store = FakeStore()
    index = SimpleNamespace(store=store, catch_up=lambda: None, directory=Path("."))
    reported: list[FeedResult] = []
    pool = EnrichPool(enrich, workers=1)
    state = State(tmp_path / "state.sqlite")
    run = _Run(index, state, OrderedEnricher(pool, enrich), reported.append)
    try:
        run.feed(FailingSource(150), feed_ctx("feed", stats, Filters(include_any=("crohn",))),  # type: ignore[arg-type]
                 FeedResult("feed", "rss", stats))
        assert pool.started
        assert stats.feed_error == "feed: the server closed the connection mid-feed."
        run.finish()
    finally:
        pool.close()
        state.close()
    assert [a.doi for a in store.records] == [f"10.5555/t.{i}" for i in range(150)]
    assert all(a.drugs == DRUGS for a in store.records)
    assert (stats["fetched"], stats["new"]) == (150, 150)
    assert [r.name for r in reported] == ["feed"]


CHILD = textwrap.dedent("""
    import multiprocessing, sys, time
    from tracker.enrichpool import EnrichPool
    from tracker.extract import enrich
    from tracker.models import Article
    pool = EnrichPool(enrich, workers=1)
    pool.submit([Article(title="x")]).result()
    print(multiprocessing.active_children()[0].pid, flush=True)
    time.sleep(60)
""")


def alive(pid: int) -> bool:
    try:   # a dead worker nobody has reaped yet is a zombie ("Z")
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_workers_die_with_a_killed_crawl():
    proc = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    try:
        assert proc.stdout is not None
        worker = int(proc.stdout.readline())
        os.kill(worker, 0)                      # alive beside its parent
        proc.kill()
        proc.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and alive(worker):
            time.sleep(0.05)
        if alive(worker):
            os.kill(worker, signal.SIGKILL)
            pytest.fail("the worker outlived the killed crawl")
    finally:
        proc.kill()
        proc.wait(10)


def test_a_chunk_that_cannot_be_pickled_is_extracted_inline():
    pool = EnrichPool(enrich, workers=1)
    try:
        enricher = OrderedEnricher(pool, enrich)
        items = [art(i) for i in range(3 * enrichpool.CHUNK)]
        items[40].provenance = {"odd": lambda: None}   # type: ignore[dict-item]
        out = []
        for i, a in enumerate(items):
            out.extend(enricher.put(a, i))
        out.extend(enricher.drain())
        assert not pool.broken                         # one chunk, not the pool
    finally:
        pool.close()
    assert [tag for _, tag, _ in out] == list(range(3 * enrichpool.CHUNK))
    assert all(a.drugs == DRUGS for a, _, _ in out)


class CursorSource:
    """n items, then the cursor a source stages when it has yielded them all."""

    def __init__(self, name: str, n: int):
        self.name, self.n = name, n

    def items(self, ctx):
        for i in range(self.n):
            yield Article(title=f"Crohn's disease, {self.name} #{i}", doi=f"10.5555/{self.name}.{i}",
                          abstract="Adalimumab in 30 patients.")
        ctx.state.stage("until", f"{self.name}-done")


def test_a_feeds_cursor_is_committed_only_with_its_last_item_stored(tmp_path, monkeypatch):
    """Feeds overlap: feed b is read while a's items are still in the worker, and
    commits for stored items go on meanwhile. A commit must not take a's cursor
    before every item of a is stored: killed then, the next run would start past
    them. Each commit is checked against what the store holds at that moment."""
    from tracker import pipeline
    from tracker.state import State

    monkeypatch.setattr(pipeline, "BATCH_BYTES", 1)      # every accepted item closes a batch
    store = FakeStore()
    seen: list[tuple[dict, set]] = []

    class Watched(State):
        def commit(self, done=None):
            super().commit(done)
            rows = self.db.execute("SELECT feed, value FROM cursors").fetchall()
            seen.append(({f: v for f, v in rows}, {a.doi for a in store.records}))

    state = Watched(tmp_path / "state.sqlite")
    reported: list[tuple[str, int]] = []
    pool = EnrichPool(enrich, workers=1)
    run = _Run(SimpleNamespace(store=store, catch_up=lambda: None, directory=Path(".")), state,
               OrderedEnricher(pool, enrich), lambda r: reported.append((r.name, len(store.records))))
    n = 3 * enrichpool.CHUNK
    try:
        for name in ("a", "b"):
            stats = FeedStats()
            ctx = feed_ctx(name, stats)
            ctx.state = state.feed(name)
            run.feed(CursorSource(name, n), ctx, FeedResult(name, "rss", stats))  # type: ignore[arg-type]
        assert pool.started and len(store.records) < 2 * n   # b was read with items still in flight
        run.finish()
    finally:
        pool.close()
        state.close()
    assert len(store.records) == 2 * n
    for cursors, stored in seen:
        for name in cursors:
            assert {f"10.5555/{name}.{i}" for i in range(n)} <= stored, f"{name}'s cursor before its items"
    assert seen[-1][0] == {"a": '"a-done"', "b": '"b-done"'}
    assert any(cursors == {"a": '"a-done"'} for cursors, _ in seen)   # a's, before b's items were all in
    assert reported == [("a", n), ("b", 2 * n)]     # each feed reported once its items are stored


def test_sealed_state_waits_for_its_mark_and_reads_see_it(tmp_path):
    from tracker.state import State

    state = State(tmp_path / "state.sqlite")
    url = "https://example.org/feed.xml"
    state.stage_cursor("a", "since", "2026-12-01")
    state.validators.stage(url, '"e1"', None)
    state.seal(5)                                   # feed a handed on items 1..5
    state.stage_cursor("b", "since", "2026-12-02")  # feed b, still being read
    state.stage_item("a", "doi:10.1/x", "h1", "doi:10.1/x")
    assert state.get_cursor("a", "since") == "2026-12-01"     # staged values are read back
    assert state.validators.get(url) == ('"e1"', None)

    def committed() -> tuple:
        fresh = State(tmp_path / "state.sqlite")
        try:
            return (fresh.get_cursor("a", "since"), fresh.get_cursor("b", "since"),
                    fresh.validators.get(url), fresh.item_hash("a", "doi:10.1/x"))
        finally:
            fresh.close()

    state.commit(4)                                  # item 5 not stored yet
    assert committed() == (None, None, (None, None), ("h1", "doi:10.1/x"))
    state.commit(5)
    assert committed() == ("2026-12-01", None, ('"e1"', None), ("h1", "doi:10.1/x"))
    state.validators.stage(url, '"e2"', None)
    state.seal(9)
    state.validators.forget(url)                     # sealed or not, a forgotten URL is fetched in full
    state.commit()
    assert committed() == ("2026-12-01", "2026-12-02", (None, None), ("h1", "doi:10.1/x"))
    state.close()


def test_items_the_filters_turn_away_are_not_extracted(tmp_path):
    from tracker.state import State

    extracted: list[str] = []

    def recording(a: Article) -> None:
        extracted.append(a.doi or "")
        enrich(a)

    stats = FeedStats()
    store = FakeStore()
    state = State(tmp_path / "state.sqlite")
    items = [art(i) for i in range(4)]
    items[2].title, items[2].abstract = "Ulcerative colitis only", "A cohort of 40 patients."
    run = _Run(SimpleNamespace(store=store, catch_up=lambda: None, directory=Path(".")), state,
               OrderedEnricher(EnrichPool(recording, workers=0), recording), lambda r: None)
    run.feed(SimpleNamespace(items=lambda ctx: iter(items)),
             feed_ctx("feed", stats, Filters(include_any=("crohn",))),  # type: ignore[arg-type]
             FeedResult("feed", "rss", stats))
    run.finish()
    state.close()
    assert extracted == ["10.5555/t.0", "10.5555/t.1", "10.5555/t.3"]
    assert (stats["new"], stats["filtered"]) == (3, 1)
    fresh = State(tmp_path / "state.sqlite")
    seen = fresh.item_hash("feed", items[2].id or "")
    assert seen is not None and seen[1] == ""        # remembered as turned away: not fetched into extraction again
    fresh.close()
