"""Extraction beside the crawl: enrich() in a worker process, results in order.

The crawl's one process fetches, parses, hashes, stores and indexes; with a
second core free, extraction (half of a crawl's CPU time) runs in a forked
worker. Items go out in chunks, at most IN_FLIGHT chunks ahead of the
consumer (memory stays flat), and come back in the order they were sent.
The worker returns only the fields enrich() changed, and an item whose
extraction raised comes back with the error text and those partial changes,
as inline extraction would leave it.

The pool starts lazily, when a feed has a whole chunk pending, so a crawl of
a few items never forks. One CPU, no fork, or a worker that died (killed,
crashed): extraction runs inline for the rest of the run, nothing lost.
Workers die with the crawl (PR_SET_PDEATHSIG on Linux, a parent watch
elsewhere): they must not outlive it holding its inherited lock.
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from tracker.models import Article

log = logging.getLogger("tracker.crawl")

CHUNK = 32        # items per round trip: pickling overhead is per chunk, latency per item
# chunks sent ahead of the consumer (~4,000 items, ~20 s of extraction, ~25 MB):
# the worker goes on through a commit of the crawl process
IN_FLIGHT = 128

Enrich = Callable[[Article], Any]
# (article, the caller's tag, error text or None)
Done = tuple[Article, Any, "str | None"]

_FIELDS = tuple(f.name for f in dataclasses.fields(Article))


def default_workers() -> int:
    """One worker per CPU beyond the crawl's own; none without fork or with one CPU."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 0
    return max(0, (os.cpu_count() or 1) - 1)


def _snapshot(article: Article) -> dict[str, Any]:
    # lists and the provenance dict are changed in place by enrich: copy them
    return {name: (value.copy() if isinstance(value, (list, dict)) else value)
            for name in _FIELDS for value in (getattr(article, name),)}


def enrich_one(enrich: Enrich, article: Article) -> tuple[dict[str, Any], str | None]:
    """Run enrich on one article; the fields it changed and the error text, if it raised."""
    before = _snapshot(article)
    error = None
    try:
        enrich(article)
    except Exception as exc:  # extraction bugs cost one item, not the chunk
        log.debug("extraction failed", exc_info=True)
        error = f"{type(exc).__name__}: {exc}"
    changed = {name: getattr(article, name) for name in _FIELDS if getattr(article, name) != before[name]}
    return changed, error


def _inline(enrich: Enrich, article: Article) -> str | None:
    try:
        enrich(article)
    except Exception as exc:
        log.debug("extraction failed", exc_info=True)
        return f"{type(exc).__name__}: {exc}"
    return None


def _run_chunk(enrich: Enrich, articles: list[Article]) -> list[tuple[dict[str, Any], str | None]]:
    return [enrich_one(enrich, art) for art in articles]


def _apply(article: Article, changed: dict[str, Any]) -> None:
    for name, value in changed.items():
        setattr(article, name, value)


def _die_with_parent(parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C is the crawl's to handle
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(1, signal.SIGKILL, 0, 0, 0) == 0:   # PR_SET_PDEATHSIG
            if os.getppid() != parent:   # the parent died before prctl took effect
                os.kill(os.getpid(), signal.SIGKILL)
            return
    except (OSError, AttributeError):
        pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, daemon=True).start()


class EnrichPool:
    """The worker processes of one crawl, started on first use, shared by its feeds."""

    def __init__(self, enrich: Enrich, workers: int | None = None):
        self.enrich = enrich
        self.workers = default_workers() if workers is None else workers
        self.broken = self.workers < 1
        self._executor: ProcessPoolExecutor | None = None

    @property
    def started(self) -> bool:
        return self._executor is not None

    def submit(self, articles: list[Article]) -> Future | None:
        """A future of the chunk's results, or None: extract inline."""
        if self.broken:
            return None
        try:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    self.workers, mp_context=multiprocessing.get_context("fork"),
                    initializer=_die_with_parent, initargs=(os.getpid(),))
            return self._executor.submit(_run_chunk, self.enrich, articles)
        except (BrokenProcessPool, OSError, RuntimeError) as exc:
            self.fail(exc)
            return None

    def fail(self, exc: BaseException) -> None:
        if not self.broken:
            log.warning("extraction worker failed (%s); extracting in the crawl process from here on.",
                        type(exc).__name__)
        self.broken = True

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None


class OrderedEnricher:
    """One feed's items through the pool, handed back enriched in the order put."""

    def __init__(self, pool: EnrichPool | None, enrich: Enrich):
        self.pool = pool
        self.enrich = enrich
        self.pending: list[tuple[Article, Any]] = []
        self.inflight: deque[tuple[list[tuple[Article, Any]], Future | None]] = deque()
        self._handing = False

    @property
    def busy(self) -> bool:
        """Items put and not yet handed back."""
        return bool(self.pending or self.inflight or self._handing)

    def put(self, article: Article, tag: Any) -> Iterator[Done]:
        """Queue one item; yields the items whose extraction is done, oldest first."""
        self.pending.append((article, tag))
        if len(self.pending) >= CHUNK:
            self._send()
            while len(self.inflight) > IN_FLIGHT:
                yield from self._receive()

    def drain(self) -> Iterator[Done]:
        """Everything queued, enriched, in order."""
        if self.pending:
            self._send(partial=True)
        while self.inflight:
            yield from self._receive()

    def _send(self, partial: bool = False) -> None:
        chunk, self.pending = self.pending, []
        future = None
        # a feed's last partial chunk does not start a pool (tiny crawls never fork)
        if self.pool is not None and (self.pool.started or not partial):
            future = self.pool.submit([a for a, _ in chunk])
        self.inflight.append((chunk, future))

    def _receive(self) -> Iterator[Done]:
        chunk, future = self.inflight.popleft()
        results = None
        if future is not None:
            try:
                results = future.result()
            except BrokenProcessPool as exc:   # a worker died: the originals are still here
                assert self.pool is not None
                self.pool.fail(exc)
            except Exception:   # this chunk could not travel (pickling): extract it here
                log.debug("a chunk failed in the worker; extracting it inline", exc_info=True)
        if results is None:
            results = [({}, _inline(self.enrich, art)) for art, _ in chunk]
        else:
            for (art, _), (changed, _err) in zip(chunk, results, strict=True):
                _apply(art, changed)
        self._handing = True        # the rest of this chunk is not with the caller yet
        for (art, tag), (_changed, error) in zip(chunk, results, strict=True):
            yield art, tag, error
        self._handing = False
