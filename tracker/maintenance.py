"""Index care: verify that the index and the crawl state agree; rebuild."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from tracker.errors import IndexFailure
from tracker.index import Index, rebuild
from tracker.pipeline import CrawlLock
from tracker.state import STATE_FILE


@dataclass
class CheckReport:
    records: int = 0
    state_items: int = 0
    problems: list[str] = field(default_factory=list)


def check(directory: Path) -> CheckReport:
    """Open everything read-only and report every disagreement found."""
    report = CheckReport()
    ids: set[str] = set()
    keys: set[str] = set()
    with Index.open(directory) as index:
        for rec in index.iter_records():
            report.records += 1
            rid = rec.get("id")
            if not rid:
                report.problems.append("a stored record has no id.")
                continue
            if rid in ids:
                report.problems.append(f"record {rid} is stored twice.")
            ids.add(rid)
            for name, prefix in (("doi", "doi:"), ("pmid", "pmid:"), ("url", "url:")):
                if rec.get(name):
                    keys.add(prefix + str(rec[name]))
        if index.doc_count() != report.records:
            report.problems.append(f"the index counts {index.doc_count()} documents but holds "
                                   f"{report.records} stored records.")
        try:
            index.verify()
        except IndexFailure as exc:
            report.problems.append(str(exc))
    state_path = Path(directory) / STATE_FILE
    if not state_path.exists():
        report.problems.append(f"{state_path}: no crawl state; the next crawl refetches everything.")
        return report
    try:
        db = sqlite3.connect(f"file:{state_path}?mode=ro", uri=True)
        try:
            verdict = db.execute("PRAGMA integrity_check").fetchone()[0]
            if verdict != "ok":
                report.problems.append(f"{state_path}: sqlite integrity check failed ({verdict}).")
            missing = 0
            for (record_id,) in db.execute("SELECT record_id FROM items WHERE record_id != ''"):
                report.state_items += 1
                if record_id not in ids and record_id not in keys:
                    missing += 1
            if missing:
                report.problems.append(
                    f"{missing} crawl-state entries point at records missing from the index; "
                    f"run 'tracker crawl --full' to fetch them again.")
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        report.problems.append(f"{state_path}: the crawl state cannot be read ({exc}).")
    return report


def reindex(directory: Path) -> int:
    if not Path(directory).exists():
        raise IndexFailure(f"{directory}: no index here yet; run 'tracker crawl' first.")
    with CrawlLock(Path(directory)):
        return rebuild(directory)
