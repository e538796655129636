"""Build the bench corpus once: a Whoosh index and an SQLite FTS5 table of the same records.

    python bench/search/build.py [--n 100000] [--out bench/out/search]

Both are cached under bench/out/ (git-ignored); delete the directory to
rebuild. The records go into a record store (tracker.store) and the Whoosh index is
built from it with procs/multisegment writer options (bench only: the
crawler upserts in batches) and tracker's own document mapping.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import records  # noqa: E402

from tracker.index import Index, rebuild  # noqa: E402


def build_whoosh(out: Path, n: int, procs: int) -> float:
    """The records into a record store, then the Whoosh index built from it
    with procs/multisegment writer options (as `tracker reindex` builds it,
    with more processes)."""
    start = time.perf_counter()
    ix = Index.open(out / "whoosh", create=True)
    arts = []
    for art in records(n):
        art.fetched_at = art.first_seen
        arts.append(art)
    ix.store.write_all(arts)
    print(f"  store {n} records, {time.perf_counter() - start:.0f} s", flush=True)
    rebuild(out / "whoosh", ix.store, procs=procs, multisegment=procs > 1, limitmb=256)
    ix.close()
    return time.perf_counter() - start


def build_fts(path: Path, n: int) -> float:
    start = time.perf_counter()
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE docs(id TEXT PRIMARY KEY, year INT, case_count INT, study_type TEXT, journal TEXT,
                          record TEXT);
        CREATE VIRTUAL TABLE fts USING fts5(title, abstract, journal, authors, drugs,
                                            tokenize = 'porter unicode61 remove_diacritics 2');
    """)
    rows, texts = [], []
    for art in records(n):
        rec = art.to_dict()
        rows.append((art.id, art.year, art.case_count, art.study_type, art.journal, json.dumps(rec)))
        texts.append((art.title, art.abstract, art.journal, "; ".join(art.authors), ", ".join(art.drugs)))
    db.executemany("INSERT INTO docs VALUES (?,?,?,?,?,?)", rows)
    db.executemany("INSERT INTO fts(rowid, title, abstract, journal, authors, drugs) VALUES (?,?,?,?,?,?)",
                   [(i + 1, *t) for i, t in enumerate(texts)])
    db.execute("CREATE INDEX docs_year ON docs(year)")
    db.commit()
    db.close()
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--out", default="bench/out/search")
    ap.add_argument("--procs", type=int, default=2)
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    info = {"n": args.n}
    if not (out / "whoosh").exists():
        info["whoosh_build_s"] = round(build_whoosh(out, args.n, args.procs), 1)
    fts = out / "fts.sqlite"
    if not fts.exists():
        info["fts_build_s"] = round(build_fts(fts, args.n), 1)
    print(json.dumps(info))
    (out / "build.json").write_text(json.dumps(info) + "\n")


if __name__ == "__main__":
    main()
