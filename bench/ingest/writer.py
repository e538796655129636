"""Segment writers compared: whoosh's SegmentWriter against tracker's BulkWriter.

The same N documents (the sample server's synthetic records, as tracker's
schema indexes them, tracker's codec) are written to a fresh index in one
commit, and in five commits of N/5, the last merging the four segments
before it into its own (commit(optimize=True): Writer.add_reader). Each run is its own process, so its peak RSS
is its own; the median of the repeats is reported.

    python bench/ingest/writer.py [--repeats 3] 10000 [40000 ...]
    python bench/ingest/writer.py --batch-mb 64

--batch-mb: one commit of documents with bodies (ten abstracts each) up to
that much text, the largest batch a crawl hands the writer, through
BulkWriter alone: its peak RSS, beside the process's RSS before writing.
"""

from __future__ import annotations

import json
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "examples" / "offline"))
sys.path.insert(0, str(ROOT))

WRITERS = ("whoosh", "bulk")


def documents(n: int) -> list[dict]:
    from sample_server import Corpus

    from tracker.index.schema import document, journal_variants
    from tracker.models import Article

    corpus = Corpus(n_pubmed=n, n_epmc=0, n_crossref=0, n_rss_feeds=0, n_html=0)
    variants = journal_variants()
    docs = []
    for i in range(n):
        r = corpus.record("pubmed", i)
        art = Article(title=r["title"], abstract=r["abstract"], journal=r["journal"], doi=r["doi"],
                      pmid=r["pmid"], authors=[f"{family} {initials}" for family, initials in r["authors"]],
                      year=r["date"].year, published=r["date"].isoformat(), study_type=r["ptype"],
                      case_count=i % 300 or None, drugs=["infliximab"] if i % 3 else [])
        docs.append(document(art, variants, i))
    return docs


def one(kind: str, n: int, commits: int) -> dict:
    """Time one writer in this process: N documents in `commits` commits."""
    from whoosh import index as wix
    from whoosh.writing import SegmentWriter

    from tracker.index.formats import Codec
    from tracker.index.schema import build_schema
    from tracker.index.writer import BulkWriter

    docs = documents(n)
    text_mb = sum(len(d["title"]) + len(d["abstract"]) + len(d["body"]) for d in docs) / 2 ** 20
    writer_class = SegmentWriter if kind == "whoosh" else BulkWriter
    with tempfile.TemporaryDirectory(prefix="tracker-writer-") as tmp:
        ix = wix.create_in(tmp, build_schema(), indexname="records")
        size = -(-n // commits)
        t0 = time.perf_counter()
        for start in range(0, n, size):
            w = writer_class(ix, codec=Codec(), limitmb=128)
            for doc in docs[start:start + size]:
                w.add_document(**doc)
            w.commit(optimize=commits > 1 and start + size >= n)
        seconds = time.perf_counter() - t0
        with ix.reader() as r:
            assert r.doc_count() == n and len(r.leaf_readers()) == 1
    return {"seconds": seconds, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "text_mb": text_mb}


def batch(mb: int) -> dict:
    """One BulkWriter commit of documents streamed up to `mb` MB of text."""
    from whoosh import index as wix

    from tracker.index.formats import Codec
    from tracker.index.schema import build_schema
    from tracker.index.writer import BulkWriter

    proto = documents(200)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with tempfile.TemporaryDirectory(prefix="tracker-writer-") as tmp:
        ix = wix.create_in(tmp, build_schema(), indexname="records")
        t0 = time.perf_counter()
        w = BulkWriter(ix, codec=Codec())
        text = n = 0
        while text < mb * 2 ** 20:
            doc = dict(proto[n % len(proto)], id=f"doc{n}", row=n, doi=f"10.1/{n}", pmid=str(n))
            doc["body"] = " ".join(proto[(n + k) % len(proto)]["abstract"] for k in range(10))
            text += len(doc["title"]) + len(doc["abstract"]) + len(doc["body"])
            w.add_document(**doc)
            n += 1
        held_to_the_end = w._bulk    # False: it passed its limit and went on through whoosh's pool
        w.commit()
        seconds = time.perf_counter() - t0
    return {"docs": n, "text_mb": round(text / 2 ** 20, 1), "seconds": round(seconds, 1),
            "rss_before_mb": round(before), "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "bulk_to_the_end": held_to_the_end}


def main() -> None:
    args = sys.argv[1:]
    if args and args[0] == "--batch-mb":
        print(json.dumps(batch(int(args[1]))))
        return
    if args and args[0] == "--one":
        print(json.dumps(one(args[1], int(args[2]), int(args[3]))))
        return
    repeats = 3
    if args and args[0] == "--repeats":
        repeats, args = int(args[1]), args[2:]
    rows = []
    for n in [int(a) for a in args] or [10000]:
        for commits in (1, 5):
            for kind in WRITERS:
                runs = [json.loads(subprocess.run([sys.executable, __file__, "--one", kind, str(n), str(commits)],
                                                  check=True, capture_output=True, text=True).stdout)
                        for _ in range(repeats)]
                seconds = statistics.median(r["seconds"] for r in runs)
                rows.append({"n": n, "commits": commits, "writer": kind, "seconds": round(seconds, 2),
                             "docs_per_s": round(n / seconds), "peak_rss_mb": round(max(r["peak_rss_mb"] for r in runs)),
                             "text_mb": round(runs[0]["text_mb"], 1), "repeats": repeats})
                print(json.dumps(rows[-1]), flush=True)
    print(json.dumps({"machine": platform.machine(), "python": platform.python_version(),
                      "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}))


if __name__ == "__main__":
    main()
