"""Merging an incoming batch into the store: identity, merge, outcomes.

Pure logic over a `find(key)` lookup of stored records; tracker.store.db
runs it and writes the plan in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tracker.models import Article, keys_conflict, merge


@dataclass
class UpsertResult:
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    outcome: dict[int, str] = field(default_factory=dict)  # batch position -> new/updated/unchanged


@dataclass
class Stored:
    """A stored record as the identity lookup finds it."""

    row: int
    id: str
    record: dict[str, Any]


@dataclass
class Write:
    article: Article
    row: int | None     # record number kept: the oldest stored record it joined (None: a new number)


@dataclass
class Plan:
    writes: list[Write] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)    # stored ids merged into a record of another id


def comparable(record: dict[str, Any]) -> dict[str, Any]:
    """A stored record without what changes on every store (the upsert compares these)."""
    return {k: v for k, v in record.items() if k not in ("fetched_at",)}


def plan(find: Callable[[str], list[Stored]], articles: list[Article], now: str) -> tuple[UpsertResult, Plan]:
    """Merge each article into what is stored (or staged earlier in the batch)
    and say what to write; an unchanged record is not written again."""
    result = UpsertResult()
    batch = _Batch(find)
    for pos, art in enumerate(articles):
        if art.id is None:
            continue
        parts, origin, row, born = batch.join(art)
        art.first_seen = art.first_seen or now
        art.fetched_at = now
        merged = art
        for part in reversed(parts):
            merged = merge(part, merged)
        rid = merged.id
        assert rid is not None      # merging keeps the identity art had
        batch.stage(rid, merged, parts, origin, row, born)
        if origin is None:
            result.outcome[pos] = "updated" if parts else "new"
        elif comparable(origin) == comparable(merged.to_dict()):
            result.outcome[pos] = "unchanged"
        else:
            result.outcome[pos] = "updated"
    out = Plan(removed=[sid for sid in batch.loaded if sid not in batch.staged])
    # new records take their numbers in the order they were first seen, so the
    # first of several papers at one URL is the first on every later run too
    for rid, art in sorted(batch.staged.items(), key=lambda kv: batch.born[kv[0]]):
        orig = batch.origins.get(rid)
        if orig is not None and orig.get("id") == rid and comparable(orig) == comparable(art.to_dict()):
            art.fetched_at = orig.get("fetched_at")
            continue
        out.writes.append(Write(art, batch.rows.get(rid)))
    for pos, outcome in result.outcome.items():
        getattr(result, outcome).append(articles[pos].id)
    return result, out


class _Batch:
    """What one batch has staged so far, and the stored records it has joined."""

    def __init__(self, find: Callable[[str], list[Stored]]):
        self.find = find
        self.staged: dict[str, Article] = {}            # id -> merged record to write
        self.origins: dict[str, dict | None] = {}       # id -> stored record it replaces
        self.rows: dict[str, int | None] = {}           # id -> record number it keeps
        self.alias: dict[str, list[str]] = {}           # identity key -> staged ids known by it
        self.loaded: dict[str, int] = {}                # stored ids already joined -> their row
        self.born: dict[str, int] = {}                  # id -> when its first part was staged
        self.seen = 0                                   # articles joined so far

    def join(self, art: Article) -> tuple[list[Article], dict | None, int | None, int]:
        """The records `art` is the same paper as, in key order: staged ones
        (taken out of the batch) and stored ones not yet joined; the first
        stored record among them (its origin), the oldest record number and
        the staging order of the earliest staged one.

        Identity, in one place: DOI, then PMID, then canonical URL. A record
        found by any of these keys joins unless its strong identifiers (DOI,
        PMID, NCT number) disagree with those of `art` or of a record already
        joined (models.keys_conflict): a shared URL never makes two papers one.
        Among the records a key finds, the oldest record number comes first,
        so an item with only a URL that several papers share joins the first
        of them, and the URL stays with it.
        """
        parts: list[Article] = []
        origin: dict | None = None
        row: int | None = None
        born = self.seen = self.seen + 1
        held = set(art.identity_keys())     # the strong identifiers of everything joined so far
        for key in art.identity_keys():
            for _, sid, stored, found in self._candidates(key):
                keys = found.identity_keys()
                if keys_conflict(held, keys):
                    continue    # another paper at the same URL (or a bad PMID): it stays its own record
                held.update(keys)
                parts.append(found)
                if stored is None:
                    del self.staged[sid]
                    born = min(born, self.born.pop(sid))
                    origin = origin or self.origins.pop(sid, None)
                    row = _older(row, self.rows.pop(sid, None))
                else:
                    self.loaded[stored.id] = stored.row
                    origin = origin or stored.record
                    row = _older(row, stored.row)
        return parts, origin, row, born

    def _candidates(self, key: str) -> list[tuple[tuple, str, Stored | None, Article]]:
        """Staged and stored records known by `key`, oldest record number first
        (new records last, in staging order)."""
        out: list[tuple[tuple, str, Stored | None, Article]] = []
        for sid in dict.fromkeys(self.alias.get(key, ())):
            if sid in self.staged:
                r = self.rows.get(sid)
                out.append(((r is None, self.born[sid] if r is None else r), sid, None, self.staged[sid]))
        for stored in self.find(key):
            if stored.id not in self.loaded:
                out.append(((False, stored.row), stored.id, stored, Article.from_dict(stored.record)))
        out.sort(key=lambda c: c[0])
        return out

    def stage(self, rid: str, merged: Article, parts: list[Article], origin: dict | None, row: int | None,
              born: int) -> None:
        self.staged[rid] = merged
        self.born[rid] = born
        self.origins[rid] = origin
        self.rows[rid] = row
        for part in (*parts, merged):
            for key in part.identity_keys():
                self.alias.setdefault(key, []).append(rid)


def _older(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)
