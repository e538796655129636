"""Benchmark: stream N synthetic records to CSV and JSONL; rows/s and peak memory.

    python bench/export/run.py                 # 10,000 and 100,000 rows, csv and jsonl
    python bench/export/run.py --rows 50000 --formats csv

Each (format, rows) pair runs in a fresh subprocess so ru_maxrss (a
high-water mark for the whole process) is not inherited from a larger run.
In the child, timed passes (best of --repeat) run without tracemalloc (it slows Python
allocation several times); a second pass under tracemalloc gives the peak
of Python allocations. Records come from a generator, as they will from
the index, so a flat peak means the writer holds nothing per row.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tracker.output import export  # noqa: E402

WORDS = ("crohn disease patients natalizumab vedolizumab ustekinumab infliximab adalimumab "
         "remission endoscopic clinical response week induction maintenance therapy biologic "
         "anti-tnf integrin mucosal healing fistula perianal ileal colonic stricture surgery "
         "cohort randomised placebo trial safety leukoencephalopathy progressive multifocal "
         "jc virus serology risk infection adverse events outcome follow-up months years "
         "median interquartile range confidence interval odds ratio hazard significant").split()
DRUGS = ("natalizumab", "vedolizumab", "ustekinumab", "infliximab", "adalimumab",
         "risankizumab", "upadacitinib", "certolizumab", "golimumab", "tofacitinib")
JOURNALS = ("Journal of Crohn's and Colitis", "Gut", "Inflammatory Bowel Diseases",
            "Alimentary Pharmacology & Therapeutics", "Gastroenterology", "Revista Médica de Chile")
POOL = 256
FAMILIES = ("Smith", "Müller", "García", "Nakamura", "O'Brien", "van der Berg", "Kowalski", "Rossi")


def synthetic(n: int, seed: int = 7) -> Iterator[dict]:
    """n PubMed-like records: ~12-word title, 220-word abstract, 6 authors, 1-3 drugs.

    Texts are drawn from a fixed pool of 256 built up front (about 0.5 MB),
    so generating a row costs little next to writing it; every row is still
    a fresh dict, as it would be coming out of the index.
    """
    rnd = random.Random(seed)
    titles = [" ".join(rnd.choice(WORDS) for _ in range(12)).capitalize() for _ in range(POOL)]
    abstracts = [" ".join(rnd.choice(WORDS) for _ in range(220)) for _ in range(POOL)]
    authors = [[f"{rnd.choice(FAMILIES)} {chr(65 + rnd.randrange(26))}{chr(65 + rnd.randrange(26))}"
                for _ in range(6)] for _ in range(POOL)]
    drugs = [sorted(rnd.sample(DRUGS, rnd.randint(1, 3))) for _ in range(POOL)]
    types = ("case_report", "case_series", "cohort", "rct", "review", None)
    for i in range(n):
        k = (i * 7919) % POOL  # a prime stride mixes the pools
        year = 2005 + i % 22
        title = titles[k]
        if i % 50 == 0:
            title = "=HYPERLINK(\"x\") " + title  # exercise formula neutralisation
        yield {
            "id": f"doi:10.1000/bench.{i}",
            "title": title,
            "abstract": abstracts[(k + i) % POOL],
            "authors": list(authors[k]),
            "journal": JOURNALS[i % len(JOURNALS)],
            "year": year,
            "published": f"{year}-{1 + i % 12:02d}-{1 + i % 28:02d}",
            "doi": f"10.1000/bench.{i}",
            "pmid": str(30000000 + i),
            "pmcid": f"PMC{8000000 + i}" if i % 3 == 0 else None,
            "url": f"https://pubmed.ncbi.nlm.nih.gov/{30000000 + i}/",
            "study_type": types[i % len(types)],
            "case_count": (None, 1, 3, 12, 240)[i % 5],
            "drugs": list(drugs[(k + 3) % POOL]),
            "conditions": ["crohns_disease"],
            "language": "en",
            "feeds": ["pubmed-crohns-biologics"],
            "first_seen": "2026-11-25T17:40:00Z",
            "fetched_at": "2026-11-25T17:40:00Z",
            "body": None,
            "provenance": {"title": "registry", "journal": "registry"},
            "publication_types": ["Journal Article"],
            "keywords": [],
        }


def generation_only(rows: int) -> float:
    start = time.perf_counter()
    for _ in synthetic(rows):
        pass
    return time.perf_counter() - start


def one(fmt: str, rows: int, repeat: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"out.{fmt}"
        seconds = float("inf")
        for _ in range(repeat):  # best of `repeat`: the machine is shared
            start = time.perf_counter()
            with export.atomic_output(path) as fh:
                written = export.write(synthetic(rows), fmt, fh)
            seconds = min(seconds, time.perf_counter() - start)
        size = path.stat().st_size
        tracemalloc.start()
        with export.atomic_output(path) as fh:
            export.write(synthetic(rows), fmt, fh)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert written == rows
    gen = min(generation_only(rows) for _ in range(repeat))
    return {"format": fmt, "rows": rows, "seconds": round(seconds, 3),
            "writer_rows_per_s": round(rows / max(seconds - gen, 1e-9)),
            "rows_per_s": round(rows / seconds), "mb_written": round(size / 1e6, 1),
            "tracemalloc_peak_kib": round(peak / 1024),
            "ru_maxrss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--formats", nargs="+", default=["csv", "jsonl"], choices=export.FORMATS)
    parser.add_argument("--repeat", type=int, default=3, help="timed passes; the best counts")
    parser.add_argument("--child", nargs=2, metavar=("FORMAT", "ROWS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one(args.child[0], int(args.child[1]), args.repeat)))
        return

    print(f"# {date.today()} · Python {platform.python_version()} · {platform.machine()} · "
          f"nproc {os.cpu_count()} · {platform.system()} {platform.release()}")
    print("| format | rows | seconds | rows/s | writer alone, rows/s | MB written "
          "| tracemalloc peak (KiB) | ru_maxrss (MiB) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for fmt in args.formats:
        for rows in args.rows:
            out = subprocess.run([sys.executable, __file__, "--child", fmt, str(rows),
                                  "--repeat", str(args.repeat)],
                                 check=True, capture_output=True, text=True).stdout
            r = json.loads(out)
            print(f"| {r['format']} | {r['rows']:,} | {r['seconds']} | {r['rows_per_s']:,} | "
                  f"{r['writer_rows_per_s']:,} | "
                  f"{r['mb_written']} | {r['tracemalloc_peak_kib']:,} | {r['ru_maxrss_mib']} |")


if __name__ == "__main__":
    main()
