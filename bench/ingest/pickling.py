"""What sending extraction to a worker costs the crawl's process, per item.

Synthetic records like the ingest benchmark's (~220-word abstracts): the
time to enrich one inline, against what the crawl process pays when a worker
does it (pickle the chunk out, unpickle the changed fields back, apply them),
and the bytes each way. Run: python bench/ingest/pickling.py [N]
"""

from __future__ import annotations

import pickle
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(HERE / "examples" / "offline"))
sys.path.insert(0, str(HERE))

from sample_server import Corpus  # noqa: E402

from tracker.enrichpool import CHUNK, enrich_one  # noqa: E402
from tracker.extract import enrich  # noqa: E402
from tracker.models import Article  # noqa: E402


def articles(n: int) -> list[Article]:
    corpus = Corpus(words=220)
    out = []
    for i in range(n):
        r = corpus.record("pubmed", i)
        out.append(Article(title=r["title"], abstract=r["abstract"], journal=r["journal"], doi=r["doi"],
                           pmid=r["pmid"], published=r["date"].isoformat(), feeds=["pubmed"],
                           authors=[f"{a} {b}" for a, b in r["authors"]], publication_types=[r["ptype"]]))
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2048
    arts = articles(n)
    t = time.perf_counter()
    for a in articles(n):
        enrich(a)
    inline = (time.perf_counter() - t) / n
    chunks = [arts[i:i + CHUNK] for i in range(0, n, CHUNK)]
    t = time.perf_counter()
    out_blobs = [pickle.dumps(c, pickle.HIGHEST_PROTOCOL) for c in chunks]
    send = time.perf_counter() - t
    # the worker's side (not the crawl's): unpickle, enrich, diff
    results = [[enrich_one(enrich, a) for a in pickle.loads(b)] for b in out_blobs]
    back_blobs = [pickle.dumps(r, pickle.HIGHEST_PROTOCOL) for r in results]
    t = time.perf_counter()
    for chunk, blob in zip(chunks, back_blobs, strict=True):
        for a, (changed, _err) in zip(chunk, pickle.loads(blob), strict=True):
            for name, value in changed.items():
                setattr(a, name, value)
    back = time.perf_counter() - t
    print(f"{n} items, chunks of {CHUNK}: enrich inline {inline * 1e3:.3f} ms/item; the crawl's share "
          f"with a worker: pickle out {send / n * 1e3:.3f} ms/item + unpickle and apply "
          f"{back / n * 1e3:.3f} ms/item; bytes out {sum(map(len, out_blobs)) / n:.0f}/item, "
          f"back {sum(map(len, back_blobs)) / n:.0f}/item")


if __name__ == "__main__":
    main()
