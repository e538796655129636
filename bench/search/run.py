"""Time 30 queries on the bench index: in-process, cold CLI, and SQLite FTS5 over the same records.

    python bench/search/build.py          # once (cached under bench/out/search)
    python bench/search/run.py [--repeat 5] [--cold-runs 7]

In-process: tracker.search.run(limit=20, highlights on), the path the CLI
takes after startup (parse + expand, search, total count, load and
highlight 20 hits). Cold CLI: a new `tracker search` process per run, output
to a pipe. FTS5: the same 20 hits with bm25() weights like ours, snippet()
and a count(*) for the total, expansions written out by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from tracker import search
from tracker.index import Index

# (tracker query, FTS5 MATCH, extra SQL condition on docs d)
QUERIES: list[tuple[str, str, str]] = [
    ("natalizumab", "natalizumab", ""),
    ("pml", 'pml OR "progressive multifocal leukoencephalopathy"', ""),
    ("pregnancy", "pregnancy", ""),
    ("fistula", "fistula", ""),
    ("immunogenicity", "immunogenicity", ""),
    ("calprotectin", "calprotectin", ""),
    ('"mucosal healing"', '"mucosal healing"', ""),
    ('"progressive multifocal leukoencephalopathy"', '"progressive multifocal leukoencephalopathy"', ""),
    ('"loss of response"', '"loss of response"', ""),
    ('"therapeutic drug monitoring"', '"therapeutic drug monitoring"', ""),
    ("natalizumab pml", 'natalizumab AND (pml OR "progressive multifocal leukoencephalopathy")', ""),
    ("vedolizumab pregnancy", "vedolizumab AND pregnancy", ""),
    ("infliximab biosimilar switching", "infliximab AND biosimilar AND switching", ""),
    ("pediatric adalimumab", "pediatric AND adalimumab", ""),
    ("natalizumab cases:>=3 year:>=2015", "natalizumab", "d.case_count >= 3 AND d.year >= 2015"),
    ("drug:vedolizumab type:rct", "drugs:vedolizumab", "d.study_type = 'rct'"),
    ("ustekinumab year:2015..2020", "ustekinumab", "d.year BETWEEN 2015 AND 2020"),
    ("infliximab type:case_report cases:1..5", "infliximab", "d.study_type = 'case_report' AND d.case_count BETWEEN 1 AND 5"),
    ('journal:"J Crohns Colitis" vedolizumab', 'journal:(crohn* AND colitis*) AND vedolizumab', ""),
    ("tysabri", "tysabri OR natalizumab", ""),
    ("entyvio crohn", "(entyvio OR vedolizumab) AND crohn*", ""),
    ("remicade", "remicade OR infliximab", ""),
    ("humira biosimilar", "(humira OR adalimumab) AND biosimilar", ""),
    ("anti-tnf pregnancy", '(infliximab OR adalimumab OR "certolizumab pegol" OR golimumab OR "anti tnf") AND pregnancy', ""),
    ("jak", "jak OR tofacitinib OR upadacitinib OR filgotinib", ""),
    ("anti-il-23", '"anti il 23" OR risankizumab OR mirikizumab OR guselkumab OR brazikumab', ""),
    ("vedoli*", "vedoli*", ""),
    ("upadacitinib OR tofacitinib", "upadacitinib OR tofacitinib", ""),
    ("infliximab NOT type:review", "infliximab", "d.study_type != 'review'"),
    ("regional enteritis", '"regional enteritis"', ""),
]
COLD_QUERIES = ["natalizumab pml", "tysabri", "natalizumab cases:>=3 year:>=2015", '"mucosal healing"',
                "anti-tnf pregnancy"]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def bench_whoosh(ix: Index, repeat: int) -> dict:
    per_query, samples, first = {}, [], []
    for text, _, _ in QUERIES:
        times = []
        for i in range(repeat + 1):
            t = time.perf_counter()
            out = search.run(ix, text, limit=20)
            ms = (time.perf_counter() - t) * 1000
            (first if i == 0 else times).append(ms)
        samples += times
        per_query[text] = {"median_ms": round(statistics.median(times), 1), "total": out.result.total}
    return {"p50_ms": round(pct(samples, 50), 1), "p95_ms": round(pct(samples, 95), 1),
            "max_ms": round(max(samples), 1), "first_run_p50_ms": round(pct(first, 50), 1),
            "first_run_max_ms": round(max(first), 1), "queries": per_query}


def bench_fts(path: Path, repeat: int) -> dict:
    db = sqlite3.connect(path)
    samples, per_query = [], {}
    for text, match, cond in QUERIES:
        where = f"fts MATCH ?{' AND ' + cond if cond else ''}"
        top = (f"SELECT d.record, bm25(fts, 2.5, 1.0, 0.5, 0.7, 1.5), snippet(fts, 1, '[[', ']]', '…', 24) "
               f"FROM fts JOIN docs d ON d.rowid = fts.rowid WHERE {where} ORDER BY rank LIMIT 20")
        count = f"SELECT count(*) FROM fts JOIN docs d ON d.rowid = fts.rowid WHERE {where}"
        times = []
        for i in range(repeat + 1):
            t = time.perf_counter()
            rows = [(json.loads(r[0]), r[1], r[2]) for r in db.execute(top, (match,))]
            total = db.execute(count, (match,)).fetchone()[0]
            if i:
                times.append((time.perf_counter() - t) * 1000)
        samples += times
        per_query[text] = {"median_ms": round(statistics.median(times), 1), "total": total, "hits": len(rows)}
    return {"p50_ms": round(pct(samples, 50), 1), "p95_ms": round(pct(samples, 95), 1),
            "max_ms": round(max(samples), 1), "queries": per_query}


def bench_cold(index_dir: Path, runs: int) -> dict:
    exe = str(Path(sys.executable).with_name("tracker"))
    env = dict(os.environ, COLUMNS="120")
    samples, per_query = [], {}
    for text in COLD_QUERIES:
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            subprocess.run([exe, "--index", str(index_dir), "search", text], env=env, check=True, capture_output=True)
            times.append(time.perf_counter() - t)
        samples += times
        per_query[text] = round(statistics.median(times), 3)
    bare = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        bare.append(time.perf_counter() - t)
    return {"median_s": round(statistics.median(samples), 3), "max_s": round(max(samples), 3),
            "bare_python_s": round(statistics.median(bare), 3), "queries": per_query}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="bench/out/search")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--cold-runs", type=int, default=7)
    args = ap.parse_args()
    out = Path(args.out)
    with Index.open(out / "whoosh") as ix:
        docs = ix.doc_count()
        whoosh = bench_whoosh(ix, args.repeat)
    report = {
        "date": date.today().isoformat(), "nproc": os.cpu_count(), "python": platform.python_version(),
        "machine": platform.machine(), "docs": docs, "whoosh": whoosh,
        "cold_cli": bench_cold(out / "whoosh", args.cold_runs),
        "fts5": bench_fts(out / "fts.sqlite", args.repeat), "sqlite": sqlite3.sqlite_version,
    }
    (out / "results.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: v for k, v in report.items() if k not in ("whoosh", "fts5", "cold_cli")}))
    print(f"{'query':<45} {'whoosh ms':>9} {'hits':>6} {'fts5 ms':>8} {'hits':>6}")
    for text, _, _ in QUERIES:
        w, f = whoosh["queries"][text], report["fts5"]["queries"][text]
        print(f"{text:<45} {w['median_ms']:>9} {w['total']:>6} {f['median_ms']:>8} {f['total']:>6}")
    for name in ("whoosh", "fts5"):
        r = report[name]
        print(f"{name}: p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, max {r['max_ms']} ms")
    print(f"first run of each query: p50 {whoosh['first_run_p50_ms']} ms, max {whoosh['first_run_max_ms']} ms")
    c = report["cold_cli"]
    print(f"cold CLI: median {c['median_s']} s, max {c['max_s']} s (bare python {c['bare_python_s']} s)")


if __name__ == "__main__":
    main()
