"""Merging an incoming batch into the store: identity, merge, outcomes.

Pure logic over a `find(key)` lookup of stored records; tracker.store.db
runs it and writes the plan in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tracker.models import Article, merge


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
        parts, origin, row = batch.join(art)
        art.first_seen = art.first_seen or now
        art.fetched_at = now
        merged = art
        for part in reversed(parts):
            merged = merge(part, merged)
        rid = merged.id
        assert rid is not None      # merging keeps the identity art had
        batch.stage(rid, merged, parts, origin, row)
        if origin is None:
            result.outcome[pos] = "updated" if parts else "new"
        elif comparable(origin) == comparable(merged.to_dict()):
            result.outcome[pos] = "unchanged"
        else:
            result.outcome[pos] = "updated"
    out = Plan(removed=[sid for sid in batch.loaded if sid not in batch.staged])
    for rid, art in batch.staged.items():
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
        self.alias: dict[str, str] = {}                 # identity key -> staged id
        self.loaded: dict[str, int] = {}                # stored ids already joined -> their row

    def join(self, art: Article) -> tuple[list[Article], dict | None, int | None]:
        """The records `art` is the same paper as, in key order: staged ones
        (taken out of the batch) and stored ones not yet joined; the first
        stored record among them (its origin) and the oldest record number.

        Identity, in one place: DOI, then PMID, then canonical URL, and a
        record matched by any one of its keys joins (so a page later found
        to carry a DOI joins the registry record of that DOI).
        """
        parts: list[Article] = []
        origin: dict | None = None
        row: int | None = None
        for key in art.identity_keys():
            sid = self.alias.get(key)
            if sid is not None and sid in self.staged:
                parts.append(self.staged.pop(sid))
                origin = origin or self.origins.pop(sid, None)
                row = _older(row, self.rows.pop(sid, None))
                continue
            for stored in self.find(key):
                if stored.id in self.loaded:
                    continue
                self.loaded[stored.id] = stored.row
                parts.append(Article.from_dict(stored.record))
                origin = origin or stored.record
                row = _older(row, stored.row)
        return parts, origin, row

    def stage(self, rid: str, merged: Article, parts: list[Article], origin: dict | None, row: int | None) -> None:
        self.staged[rid] = merged
        self.origins[rid] = origin
        self.rows[rid] = row
        for part in (*parts, merged):
            for key in part.identity_keys():
                self.alias[key] = rid


def _older(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)
