"""Index care: verify that the record store, the index and the crawl state
agree; rebuild the index from the store."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from tracker.errors import IndexFailure
from tracker.index import Index
from tracker.index import reindex as rebuild_index
from tracker.pipeline import CrawlLock
from tracker.state import STATE_FILE


@dataclass
class CheckReport:
    records: int = 0
    state_items: int = 0
    replayed: int = 0       # store changes the index had missed (an interrupted crawl), applied first
    problems: list[str] = field(default_factory=list)


def check(directory: Path) -> CheckReport:
    """Under the crawl lock (so a running crawl is never taken for damage):
    bring the index up to date with the store, then report every
    disagreement between the store, the index and the crawl state."""
    directory = Path(directory)
    if not directory.is_dir():
        raise IndexFailure(f"{directory}: no index here yet; run 'tracker crawl' first.")
    report = CheckReport()
    with CrawlLock(directory), Index.open(directory) as index:
        report.replayed = index.catch_up()
        store = index.store
        ids, report.problems = store.problems()
        report.records = len(ids)
        _compare(index, ids, report.problems)
        try:
            index.verify()
        except IndexFailure as exc:
            report.problems.append(str(exc))
        keys = store.keys()
    _check_state(directory / STATE_FILE, ids.keys() | keys, report)
    return report


def _compare(index: Index, ids: dict[str, int], problems: list[str]) -> None:
    """The index holds one document per stored record, under its record number."""
    seen: dict[str, int] = {}
    twice = extra = moved = 0
    for rid, row in index.documents():
        if rid in seen:
            twice += 1
        seen[rid] = row
        if rid not in ids:
            extra += 1
        elif ids[rid] != row:
            moved += 1
    missing = len(ids.keys() - seen.keys())
    for n, what in ((twice, "are in the index twice"), (extra, "are in the index but not in the record store"),
                    (missing, "are in the record store but not in the index"),
                    (moved, "are in the index under another record number")):
        if n:
            problems.append(f"{index.directory}: {n} records {what}; 'tracker reindex' rebuilds the index "
                            f"from the record store.")


def _check_state(state_path: Path, known: set[str], report: CheckReport) -> None:
    if not state_path.exists():
        report.problems.append(f"{state_path}: no crawl state; the next crawl refetches everything.")
        return
    try:
        db = sqlite3.connect(f"file:{state_path}?mode=ro", uri=True)
        try:
            verdict = db.execute("PRAGMA integrity_check").fetchone()[0]
            if verdict != "ok":
                report.problems.append(f"{state_path}: sqlite integrity check failed ({verdict}).")
            missing = 0
            for (record_id,) in db.execute("SELECT record_id FROM items WHERE record_id != ''"):
                report.state_items += 1
                if record_id not in known:
                    missing += 1
            if missing:
                report.problems.append(
                    f"{missing} crawl-state entries point at records missing from the record store; "
                    f"run 'tracker crawl --full' to fetch them again.")
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        report.problems.append(f"{state_path}: the crawl state cannot be read ({exc}).")


def reindex(directory: Path) -> int:
    """Rebuild the index from the record store (moving an older index's
    records into a new store first); returns the number of records."""
    if not Path(directory).exists():
        raise IndexFailure(f"{directory}: no index here yet; run 'tracker crawl' first.")
    with CrawlLock(Path(directory)):
        return rebuild_index(Path(directory))
