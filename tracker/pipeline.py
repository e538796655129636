"""Crawl orchestration: feeds -> sources -> filter -> extract -> store + index.

Items are streamed from each feed's source, skipped when their content hash
is unchanged, judged by the feed's filters (which read only the title,
abstract and body, fields extraction leaves alone, so an item turned away
is never extracted), enriched in a worker process beside the crawl
(tracker.enrichpool; results in order) and upserted in batches. Feeds
overlap: the next feed is fetched while the last one's items are still
being extracted, so a batch may hold items of several feeds. Each batch
is three commits, in this order: the record store (the source of truth),
the index (which replays every store change it has not seen), then the
crawl state (item hashes; and the cursors, validators and pages of the
feeds whose items are all stored by then). A crawl killed between the
first two leaves the index behind the store, and the next crawl (or
check, or reindex) replays what it missed before anything else; killed
before the third, it repeats at most one batch, and the store's merge
makes the repeat change nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock, Timeout

from tracker import extract, sources
from tracker.enrichpool import EnrichPool, OrderedEnricher
from tracker.errors import ConfigError, IndexFailure, LockedError, TrackerError
from tracker.fetch.http import Fetcher
from tracker.fetch.stats import FeedStats
from tracker.index import Index, Rebuilt
from tracker.models import Article, utcnow
from tracker.settings import Config, FeedConfig, Filters
from tracker.sources.base import FetchContext
from tracker.state import STATE_FILE, State
from tracker.textutil import fold

log = logging.getLogger("tracker.crawl")

# A batch is committed when its size or its age reaches a bound, not after a
# fixed count: each commit costs a segment (and, now and then, a merge), so
# a fast crawl commits large batches, while the time bound caps what a killed
# crawl repeats and the size bound (text plus a per-record allowance) caps
# the memory a batch and its index segment take. Fewer, larger segments also
# mean less merge work: at 100k records, batches of 24 MB (~9,000 records of
# the bench corpus) rewrite 72,000 documents in merges, batches of 12 MB 162,000.
BATCH_BYTES = 24_000_000
BATCH_SECONDS = 60.0
RECORD_BYTES = 1_000      # identifiers, authors, extracted fields and object overhead of one record
LOCK_FILE = "crawl.lock"
LOCK_INFO = "crawl.lock.json"


@dataclass
class FeedResult:
    name: str
    kind: str
    stats: FeedStats
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return self.stats.feed_error is not None


@dataclass
class CrawlReport:
    feeds: list[FeedResult] = field(default_factory=list)
    started: str = ""
    seconds: float = 0.0
    records: int = 0
    rebuilt: Rebuilt | None = None   # the index rebuilt from the record store first, and why

    @property
    def upgraded(self) -> int | None:
        """Records rebuilt into the index of a new tracker version first."""
        return self.rebuilt.records if self.rebuilt is not None and self.rebuilt.upgrade else None

    @property
    def exit_code(self) -> int:
        return 1 if any(f.failed for f in self.feeds) else 0

    def as_dict(self) -> dict:
        return {
            "started": self.started, "seconds": round(self.seconds, 3), "records": self.records,
            "exit_code": self.exit_code, "upgraded": self.upgraded,
            "rebuilt": None if self.rebuilt is None else {"records": self.rebuilt.records,
                                                          "reason": self.rebuilt.reason},
            "feeds": [{"name": f.name, "kind": f.kind, "seconds": round(f.seconds, 3), **f.stats.as_dict()}
                      for f in self.feeds],
        }


def _fold(text: str) -> str:
    return fold(text).lower()


def relevant(article: Article, filters: Filters) -> bool:
    """include_any/exclude_any on title+abstract+body, case- and accent-insensitive."""
    if not filters.include_any and not filters.exclude_any:
        return True
    text = _fold(" ".join(filter(None, (article.title, article.abstract, article.body))))
    if filters.exclude_any and any(_fold(t) in text for t in filters.exclude_any):
        return False
    if filters.include_any:
        return any(_fold(t) in text for t in filters.include_any)
    return True


def content_hash(article: Article, feed: FeedConfig) -> str:
    """What a source said about an item, plus the filters that judged it."""
    data = article.to_dict()
    data.pop("first_seen", None)
    data.pop("fetched_at", None)
    blob = json.dumps([data, list(feed.filters.include_any), list(feed.filters.exclude_any)],
                      sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha1(blob.encode("utf-8")).hexdigest()


class CrawlLock:
    """One crawl per index. The OS drops the lock when its holder dies."""

    def __init__(self, directory: Path):
        self.directory = directory
        self._lock: FileLock | None = None

    def __enter__(self) -> CrawlLock:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._lock = FileLock(str(self.directory / LOCK_FILE))
            self._lock.acquire(timeout=0)
        except Timeout:
            holder = _read_holder(self.directory / LOCK_INFO)
            raise LockedError(f"another crawl is running on {self.directory}{holder}; try again later.") from None
        except OSError as exc:
            raise IndexFailure(f"{self.directory}: cannot lock the index for writing "
                               f"({exc.strerror or exc}); is the directory writable?") from None
        info = {"pid": os.getpid(), "started": utcnow()}
        tmp = self.directory / (LOCK_INFO + ".tmp")
        try:
            tmp.write_text(json.dumps(info), encoding="utf-8")
            os.replace(tmp, self.directory / LOCK_INFO)
        except OSError:
            pass  # the lock itself is held; the holder note is a courtesy
        return self

    def __exit__(self, *exc) -> None:
        try:
            (self.directory / LOCK_INFO).unlink()
        except OSError:
            pass
        if self._lock is not None:
            self._lock.release()


def _read_holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        return f" (pid {info['pid']}, started {info['started']})"
    except (OSError, ValueError, KeyError, TypeError):
        return ""


def crawl(config: Config, *, index_dir: Path | None = None, feeds: list[str] | None = None,
          full: bool = False, progress: Callable[[str], None] | None = None,
          on_feed_done: Callable[[FeedResult], None] | None = None,
          fetcher_options: dict | None = None) -> CrawlReport:
    """Crawl the selected feeds into the index; one feed's failure never stops the others.

    Feeds overlap: the next feed is fetched while the last one's items are
    still being extracted; a feed is reported (on_feed_done) once its items
    are stored, in the order of the feeds.
    fetcher_options go to tracker.fetch.http.Fetcher (tests pass a recording sleep).
    """
    directory = Path(index_dir or config.index_dir)
    selected = _select(config, feeds)
    report = CrawlReport(started=utcnow())
    t0 = time.monotonic()

    def finished(result: FeedResult) -> None:
        report.feeds.append(result)
        if on_feed_done:
            on_feed_done(result)

    with CrawlLock(directory):
        # a new tracker version or a damaged index: the nightly crawl rebuilds the
        # index from the record store itself (beside the old one, swapped in when
        # complete), and replays what an interrupted run left out of it
        index = Index.open(directory, create=True)
        report.rebuilt = index.rebuilt
        state = State(directory / STATE_FILE)
        fetcher = Fetcher(config.user_agent, validators=state.validators, **(fetcher_options or {}))
        pool = EnrichPool(extract.enrich)
        try:
            run = _Run(index, state, OrderedEnricher(pool, extract.enrich), finished)
            for feed in selected:
                result = FeedResult(feed.name, feed.kind, FeedStats())
                if full:
                    state.reset_feed(feed.name)
                source = sources.get(feed.kind)()
                ctx = FetchContext.for_source(source, config, feed, fetcher, state.feed(feed.name),
                                              result.stats, full=full, progress=progress)
                run.feed(source, ctx, result)
            run.finish()
        finally:
            pool.close()
            fetcher.close()
            state.close()
            report.records = index.store.count()
            index.close()
    report.seconds = time.monotonic() - t0
    return report


def _select(config: Config, names: list[str] | None) -> list[FeedConfig]:
    if not names:
        return [f for f in config.feeds if f.enabled]
    known = {f.name: f for f in config.feeds}
    missing = [n for n in names if n not in known]
    if missing:
        raise ConfigError(f"no feed named {', '.join(repr(m) for m in missing)} in {config.path} "
                          f"(feeds: {', '.join(known) or 'none'}).")
    return [known[n] for n in names]


@dataclass
class _Feed:
    """A feed of this run whose items are not all stored yet."""

    ctx: FetchContext
    result: FeedResult
    started: float
    mark: int | None = None   # items the run had handed on when this feed's source ended


class _Run:
    """The crawl's items, across feeds, through extraction into batches.

    A feed's source is read to its end while earlier feeds' items are still
    with the extraction worker; a batch holds items of several feeds. Each
    batch is committed store, index, then state; the state of a feed (its
    cursors, validators, pages) is committed with the batch that stores its
    last item (State.seal), and the feed is reported then.
    """

    def __init__(self, index, state: State, enricher: OrderedEnricher,
                 finished: Callable[[FeedResult], None]):
        self.index = index
        self.state = state
        self.enricher = enricher
        self.finished = finished
        self.batch: list[tuple[Article, _Feed, str, str]] = []
        self.batch_bytes = 0
        self.batch_started = time.monotonic()
        self.handed = 0        # items handed on to extraction
        self.accepted = 0      # of those, back and batched
        self.open: deque[_Feed] = deque()

    def feed(self, source, ctx: FetchContext, result: FeedResult) -> None:
        """Read one feed's source to its end; its items go on through extraction."""
        feed = _Feed(ctx, result, time.monotonic())
        self.open.append(feed)
        stats = ctx.stats
        try:
            self._read(source, feed)
        except IndexFailure:
            raise  # the index or state cannot be written: no feed can go on
        except TrackerError as exc:   # what was fetched before the failure is kept
            stats.fail(str(exc))
        except Exception as exc:  # a bug in one source must not sink the others
            log.debug("feed %s crashed", ctx.feed.name, exc_info=True)
            stats.fail(f"{ctx.feed.name}: unexpected {type(exc).__name__}: {exc}")
        feed.mark = self.handed
        self.state.seal(self.handed)
        if not self.enricher.busy:   # nothing of it in flight: settle it now
            self.flush()

    def _read(self, source, feed: _Feed) -> None:
        ctx = feed.ctx
        stats, name = ctx.stats, ctx.feed.name
        for art in source.items(ctx):
            stats.inc("fetched")
            if ctx.progress and stats["fetched"] % 50 == 0:
                ctx.progress(f"{name}: {stats['fetched']} fetched")
            key = art.id
            if key is None:
                ctx.item_error(f"{name}: an item without DOI, PMID or URL was skipped.")
                continue
            art.feeds = [name]
            digest = content_hash(art, ctx.feed)
            if not ctx.full:
                seen = self.state.item_hash(name, key)
                if seen is not None and seen[0] == digest:
                    stats.inc("unchanged" if seen[1] else "filtered")
                    continue
            # the filters read only what extraction leaves alone (title, abstract,
            # body): an item they turn away is not extracted at all
            if not relevant(art, ctx.feed.filters):
                stats.inc("filtered")
                self.state.stage_item(name, key, digest, "")
                continue
            self.handed += 1
            for done in self.enricher.put(art, (feed, key, digest)):
                self._accept(*done)

    def finish(self) -> None:
        """Every item in flight stored, every feed settled."""
        if self.batch:   # this commit overlaps the worker's last chunks
            self.flush()
        for done in self.enricher.drain():
            self._accept(*done)
        self.flush()

    def _accept(self, art: Article, tag: tuple[_Feed, str, str], error: str | None) -> None:
        feed, key, digest = tag
        ctx = feed.ctx
        self.accepted += 1
        if error is not None:  # extraction bugs cost one item, not the feed
            log.debug("extraction failed for %s: %s", key, error)
            ctx.item_error(f"{key}: extraction failed ({error}).")
        self.batch.append((art, feed, key, digest))
        self.batch_bytes += RECORD_BYTES + sum(len(t) for t in (art.title, art.abstract, art.body) if t)
        if self.batch_bytes >= BATCH_BYTES or time.monotonic() - self.batch_started >= BATCH_SECONDS:
            self.flush()

    def flush(self) -> None:
        """The record store first, then the index, then the state that describes them."""
        if self.batch:
            try:
                result = self.index.store.upsert([a for a, _, _, _ in self.batch])
                self.index.catch_up()
            except OSError as exc:   # Whoosh writing; the store's own failures are IndexFailures
                self.batch = []
                self.state.rollback()
                raise IndexFailure(
                    f"{self.index.directory}: cannot write the index ({exc.strerror or exc}); the records of "
                    f"this batch are saved in the record store, and the next crawl (or 'tracker reindex') "
                    f"brings the index up to date.") from None
            for pos, (art, feed, key, digest) in enumerate(self.batch):
                feed.ctx.stats.inc(result.outcome.get(pos, "unchanged"))  # new, updated or unchanged
                self.state.stage_item(feed.ctx.feed.name, key, digest, art.id or key)
            self.batch = []
        self.batch_bytes = 0
        self.batch_started = time.monotonic()
        # the items handed on and not back yet are in no batch: the state their
        # feeds staged waits (State.seal) for the commit that stores them
        done = self.accepted if self.enricher.busy else None
        try:
            self.state.commit(done)
        except sqlite3.Error as exc:
            raise IndexFailure(f"{self.state.path}: cannot save the crawl state ({exc}); the records are "
                               f"saved and the next crawl repeats this batch.") from None
        while self.open and self.open[0].mark is not None and (done is None or self.open[0].mark <= done):
            feed = self.open.popleft()
            feed.result.seconds = time.monotonic() - feed.started
            self.finished(feed.result)
