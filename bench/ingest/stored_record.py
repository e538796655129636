"""Should Whoosh keep a copy of each record beside the record store?

    python bench/ingest/stored_record.py [N]        # default 10,000

The same N PubMed-like records (bench/search/corpus.py) are indexed twice in
5 batches (one commit each, as a crawl commits): once with the record stored
in Whoosh as JSON (index schema 3, before the record store), once with only
the id and record number (schema 4). Reported: indexing docs/s, index size,
the record store's write rate and size for the same records, and the cost
of loading records the way search and export do — 20 hits by id, and 5,000
matches — from Whoosh's stored fields versus from the store.
"""

from __future__ import annotations

import json
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench" / "search"))

from corpus import records  # noqa: E402
from whoosh import fields as F  # noqa: E402

from tracker.index import INDEX_NAME  # noqa: E402
from tracker.index.formats import Codec  # noqa: E402
from tracker.index.schema import build_schema, document, journal_variants  # noqa: E402
from tracker.index.storage import open_storage  # noqa: E402
from tracker.store import Store  # noqa: E402
from tracker.store.upsert import Plan, Write  # noqa: E402

BATCHES = 5


def size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def index_all(wdir: Path, docs: list[dict], stored: bool) -> float:
    """Seconds to add `docs` to a new index in BATCHES commits; `stored` adds the record field."""
    schema = build_schema()
    if stored:
        schema.add("record", F.STORED())
    wdir.mkdir(parents=True)
    ix = open_storage(wdir).create_index(schema, indexname=INDEX_NAME)
    step = len(docs) // BATCHES
    start = time.perf_counter()
    for i in range(0, len(docs), step):
        writer = ix.writer(codec=Codec())
        for doc in docs[i:i + step]:
            writer.add_document(**doc)
        writer.commit()
    seconds = time.perf_counter() - start
    ix.close()
    return seconds


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    arts = list(records(n))
    for a in arts:
        a.fetched_at = a.first_seen
    variants = journal_variants()
    print(f"# {platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{time.strftime('%Y-%m-%d')}, {n:,} records")
    with tempfile.TemporaryDirectory(prefix="tracker-stored-") as tmp:
        base = Path(tmp)
        # the record store, written as the crawl writes it (one transaction per batch)
        store_dir = base / "store"
        store = Store.open(store_dir, create=True)
        step = n // BATCHES
        start = time.perf_counter()
        for i in range(0, n, step):
            store.write(Plan(writes=[Write(a, None) for a in arts[i:i + step]]))
        store_s = time.perf_counter() - start
        rows = {rid: row for row, rid, _ in store.rows("csv")}
        results = {}
        for stored in (True, False):
            docs = []
            for a in arts:
                doc = document(a, variants, rows[a.id])
                if stored:
                    doc["record"] = json.dumps(a.to_dict(), ensure_ascii=False, separators=(",", ":"))
                docs.append(doc)
            wdir = base / ("with-record" if stored else "id-only")
            results[stored] = (index_all(wdir, docs, stored), size_mb(wdir))
        rnd = random.Random(1)
        hits = rnd.sample([a.id for a in arts], 20)
        matches = sorted(rnd.sample([a.id for a in arts], 5000))
        wix = open_storage(base / "with-record").open_index(INDEX_NAME)
        with wix.searcher() as s:
            start = time.perf_counter()
            for _ in range(10):
                [json.loads(s.document(id=h)["record"]) for h in hits]
            whoosh_hits = (time.perf_counter() - start) / 10
            docnums = [s.document_number(id=m) for m in matches]
            start = time.perf_counter()
            [json.loads(s.stored_fields(d)["record"]) for d in docnums]
            whoosh_matches = time.perf_counter() - start
        wix.close()
        start = time.perf_counter()
        for _ in range(10):
            store.by_ids(hits)
        store_hits = (time.perf_counter() - start) / 10
        wanted = sorted(rows[m] for m in matches)
        start = time.perf_counter()
        list(store.select(rows=wanted).records())
        store_matches = time.perf_counter() - start
        store.close()
        store_mb = size_mb(store_dir)
    (with_s, with_mb), (without_s, without_mb) = results[True], results[False]
    print("| | Whoosh with the record (schema 3) | Whoosh id + number (schema 4) | record store |")
    print("|---|---:|---:|---:|")
    print(f"| writing, records/s | {n / with_s:,.0f} | {n / without_s:,.0f} | {n / store_s:,.0f} |")
    print(f"| size on disk, MB | {with_mb:.1f} | {without_mb:.1f} | {store_mb:.1f} |")
    print(f"| 20 hits by id, ms | {whoosh_hits * 1000:.2f} | — | {store_hits * 1000:.2f} |")
    print(f"| 5,000 matches, ms | {whoosh_matches * 1000:.0f} | — | {store_matches * 1000:.0f} |")


if __name__ == "__main__":
    main()
