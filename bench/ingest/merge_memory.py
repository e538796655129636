"""Peak memory of a commit that merges big segments (tracker's tiered policy).

An index of four segments of N documents each (the sample server's
synthetic records as a crawl of bench/ingest/run.py's corpus indexes them:
220 words of abstract, a page body for a third of them) is built once and
copied; the measured commit adds N/2 more documents through BulkWriter with
tracker.index.merging.tiered, which merges the full tier into the commit's
new segment of 4.5N documents, as the crawl's catch-up does at 100,000
records (N = 8,000: a 36,000-document segment). The process's RSS is sampled
every 5 ms during the commit; reported beside the RSS before it.

    python bench/ingest/merge_memory.py [--repeats 3] [N]
"""

from __future__ import annotations

import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "examples" / "offline"))
sys.path.insert(0, str(ROOT))


def documents(start: int, n: int) -> list[dict]:
    from sample_server import Corpus

    from tracker.index.schema import document, journal_variants
    from tracker.models import Article

    corpus = Corpus(n_pubmed=start + n, n_epmc=0, n_crossref=0, n_rss_feeds=0, n_html=0, words=220)
    variants = journal_variants()
    docs = []
    for i in range(start, start + n):
        r = corpus.record("pubmed", i)
        art = Article(title=r["title"], abstract=r["abstract"], journal=r["journal"], doi=r["doi"],
                      pmid=r["pmid"], authors=[f"{family} {initials}" for family, initials in r["authors"]],
                      year=r["date"].year, published=r["date"].isoformat(), study_type=r["ptype"],
                      body=corpus.filler if i % 3 == 0 else None,
                      case_count=i % 300 or None, drugs=["infliximab"] if i % 3 else [])
        docs.append(document(art, variants, i))
    return docs


def rss_kib() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4


def build(folder: Path, n: int) -> None:
    """Four segments of n documents (a commit merges the segments it finds: none here)."""
    from whoosh import index as wix

    from tracker.index.formats import Codec
    from tracker.index.merging import tiered
    from tracker.index.schema import build_schema
    from tracker.index.writer import BulkWriter

    folder.mkdir(parents=True)
    ix = wix.create_in(str(folder), build_schema(), indexname="records")
    for k in range(4):
        w = BulkWriter(ix, codec=Codec())
        for doc in documents(k * n, n):
            w.add_document(**doc)
        w.commit(mergetype=tiered)
    with ix.reader() as r:
        assert len(r.leaf_readers()) == 4


def one(base: Path, n: int) -> dict:
    from whoosh import index as wix

    from tracker.index.formats import Codec
    from tracker.index.merging import tiered
    from tracker.index.writer import BulkWriter

    docs = documents(4 * n, n // 2)
    with tempfile.TemporaryDirectory(prefix="tracker-merge-") as tmp:
        shutil.copytree(base, Path(tmp) / "ix")
        ix = wix.open_dir(str(Path(tmp) / "ix"), indexname="records")
        before = rss_kib()
        peak = [before]
        done = threading.Event()

        def sample():
            while not done.wait(0.005):
                peak[0] = max(peak[0], rss_kib())

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        t0 = time.perf_counter()
        w = BulkWriter(ix, codec=Codec())
        for doc in docs:
            w.add_document(**doc)
        w.commit(mergetype=tiered)
        seconds = time.perf_counter() - t0
        done.set()
        sampler.join()
        peak_mb = max(peak[0], rss_kib()) / 1024
        with ix.reader() as r:
            assert r.doc_count() == 4 * n + n // 2 and len(r.leaf_readers()) == 1
    return {"seconds": seconds, "rss_before_mb": before / 1024, "peak_rss_mb": peak_mb}


def main() -> None:
    args = sys.argv[1:]
    if args and args[0] == "--one":
        print(json.dumps(one(Path(args[1]), int(args[2]))))
        return
    repeats = 3
    if args and args[0] == "--repeats":
        repeats, args = int(args[1]), args[2:]
    n = int(args[0]) if args else 8000
    with tempfile.TemporaryDirectory(prefix="tracker-merge-base-") as tmp:
        base = Path(tmp) / "base"
        build(base, n)
        runs = [json.loads(subprocess.run([sys.executable, __file__, "--one", str(base), str(n)],
                                          check=True, capture_output=True, text=True).stdout)
                for _ in range(repeats)]
    print(json.dumps({"merged_docs": 4 * n + n // 2, "repeats": repeats,
                      "seconds": round(statistics.median(r["seconds"] for r in runs), 1),
                      "docs_per_s_added": round(n // 2 / statistics.median(r["seconds"] for r in runs)),
                      "rss_before_mb": round(statistics.median(r["rss_before_mb"] for r in runs)),
                      "peak_rss_mb": round(max(r["peak_rss_mb"] for r in runs)),
                      "peak_over_before_mb": round(max(r["peak_rss_mb"] - r["rss_before_mb"] for r in runs)),
                      "machine": platform.machine(), "python": platform.python_version(),
                      "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}))


if __name__ == "__main__":
    main()
