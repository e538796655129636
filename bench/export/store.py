"""Benchmark: whole-library export from the record store against Python's own writers.

    python bench/export/store.py                         # 20,000 and 100,000 records
    python bench/export/store.py --records 20000 50000

For each library size, in one run on one machine:

1. a record store of N synthetic records (run.py's generator: 220-word
   abstracts, ~2.4 KB of CSV per row), written through Store.upsert in
   batches of 5,000 as a crawl writes them (cached under bench/out/export/);
2. the floors: the same rows read into a list in memory first, then written
   to a file by csv.writer (the cells tracker's CSV writer makes) and by
   json.dumps per line (the dicts a JSONL export writes); best of 3;
3. `tracker export -f csv|jsonl -o FILE` as a new process, best of 3, minus
   its start-up (the same command on an empty library, best of 3): rows/s
   beyond start-up, and the process's peak RSS;
4. the same export in-process (export.write_rows over store.select()), best
   of 3, and its tracemalloc peak;
5. `tracker show ID` as a new process: median and max of 10.

The Whoosh index is not built: none of these commands reads it.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import synthetic  # noqa: E402

from tracker.models import Article  # noqa: E402
from tracker.output import export  # noqa: E402
from tracker.store import STORE_FILE, Store  # noqa: E402

OUT = ROOT / "bench" / "out" / "export"
BATCH = 5000
REPEAT = 3


def library(n: int) -> Path:
    """An index directory holding a store of n records (built once)."""
    directory = OUT / f"store-{n}"
    if (directory / STORE_FILE).exists():
        return directory
    directory.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with Store.open(directory, create=True) as store:
        batch = []
        for rec in synthetic(n):
            batch.append(Article.from_dict(rec))
            if len(batch) == BATCH:
                store.upsert(batch)
                batch = []
        store.upsert(batch)
        assert store.count() == n
    print(f"  built a store of {n:,} records in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    return directory


def best(fn, repeat: int = REPEAT) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def process(args: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of `python -m tracker ARGS`."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "tracker", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"tracker {' '.join(args)} failed: {proc.stderr.read().decode()}")
    return seconds, usage.ru_maxrss


def floors(directory: Path, target: Path) -> dict[str, float]:
    """Seconds for Python's csv and json modules to write the rows from memory,
    measured in a child process: a parent holding every row in memory would
    lend its resident pages to every process it forks (and spoil their peak RSS)."""
    out = subprocess.run([sys.executable, __file__, "--floors", str(directory), str(target)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def measure_floors(directory: Path, target: Path) -> dict[str, float]:
    with Store.open(directory) as store:
        records = list(store.select().records())
    rows = [[export._safe_cell(r.get(c)) for c in export.CSV_COLUMNS] for r in records]

    def write_csv() -> None:
        with open(target, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\r\n")
            writer.writerow(export.CSV_COLUMNS)
            writer.writerows(rows)

    def write_jsonl() -> None:
        with open(target, "w", encoding="utf-8", newline="") as fh:
            for r in records:
                fh.write(json.dumps(r, ensure_ascii=False))
                fh.write("\n")

    return {"csv": best(write_csv), "jsonl": best(write_jsonl)}


def in_process(directory: Path, fmt: str, target: Path) -> tuple[float, int]:
    """Seconds (best of 3) and tracemalloc peak (bytes) of export.write_rows over the store."""
    def run() -> None:
        with Store.open(directory) as store, export.atomic_output(target) as fh:
            export.write_rows(store.select(), fmt, fh)

    seconds = best(run)
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, peak


def bench(n: int, empty: Path) -> list[dict]:
    directory = library(n)
    size_mb = sum(p.stat().st_size for p in directory.glob(STORE_FILE + "*")) / 1e6
    out = []
    with tempfile.TemporaryDirectory(prefix="tracker-export-") as tmp:
        target = Path(tmp) / "out"
        floor = floors(directory, target)
        for fmt in ("csv", "jsonl"):
            args = ["-q", "--index", str(directory), "export", "-f", fmt, "-o", str(target)]
            startup = min(process(["-q", "--index", str(empty), "export", "-f", fmt, "-o", str(target)])[0]
                          for _ in range(REPEAT))
            runs = [process(args) for _ in range(REPEAT)]
            cli_s = min(s for s, _ in runs)
            rss = max(r for _, r in runs)
            inproc_s, peak = in_process(directory, fmt, target)
            floor_rate = n / floor[fmt]
            cli_rate = n / (cli_s - startup)
            out.append({
                "format": fmt, "records": n, "store_mb": round(size_mb, 1),
                "floor_rows_per_s": round(floor_rate), "cli_s": round(cli_s, 3), "startup_s": round(startup, 3),
                "cli_rows_per_s": round(cli_rate), "cli_ratio": round(cli_rate / floor_rate, 2),
                "cli_rss_mib": round(rss / 1024, 1),
                "inproc_rows_per_s": round(n / inproc_s), "inproc_ratio": round((n / inproc_s) / floor_rate, 2),
                "tracemalloc_peak_kib": round(peak / 1024),
            })
    return out


def cold_show(directory: Path, n: int, runs: int = 10) -> tuple[float, float]:
    times = [process(["--index", str(directory), "show", f"doi:10.1000/bench.{n // 2}"])[0] for _ in range(runs)]
    return statistics.median(times), max(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--floors", nargs=2, metavar=("DIR", "TARGET"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floors:
        print(json.dumps(measure_floors(Path(args.floors[0]), Path(args.floors[1]))))
        return
    empty = OUT / "store-0"
    empty.mkdir(parents=True, exist_ok=True)
    Store.open(empty, create=True).close()
    print(f"# {date.today()} · Python {platform.python_version()} · {platform.machine()} · "
          f"nproc {os.cpu_count()} · {platform.system()} {platform.release()}")
    print("| format | records | store MB | floor rows/s | `tracker export` s (start-up s) | rows/s beyond start-up "
          "| ratio | peak RSS MiB | in-process rows/s | ratio | tracemalloc peak KiB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in args.records:
        for r in bench(n, empty):
            print(f"| {r['format']} | {r['records']:,} | {r['store_mb']} | {r['floor_rows_per_s']:,} | "
                  f"{r['cli_s']} ({r['startup_s']}) | {r['cli_rows_per_s']:,} | **{r['cli_ratio']}** | "
                  f"{r['cli_rss_mib']} | {r['inproc_rows_per_s']:,} | {r['inproc_ratio']} | "
                  f"{r['tracemalloc_peak_kib']:,} |", flush=True)
    for n in args.records:
        median, worst = cold_show(library(n), n)
        print(f"\ncold `tracker show ID` at {n:,} records: median {median:.3f} s, max {worst:.3f} s (10 runs)")


if __name__ == "__main__":
    main()
