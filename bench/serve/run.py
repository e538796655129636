"""Load test of `tracker serve`: 50 concurrent clients on loopback over the 100k bench index.

    python bench/search/build.py          # once: bench/out/search/whoosh (100,000 records)
    python bench/serve/run.py [--index bench/out/search/whoosh] [--clients 50] [--seconds 40] [--think 10 5 1 0]
                              [--uncached]

The server runs in a subprocess (`tracker serve`, as a user starts it). Each
client is a thread with its own keep-alive connection asking for search
pages (the bench/search queries, with sorts, second pages and a facet
clause) one after another: `--think 0` is the saturating load (a new request
the moment the last answer arrived); `--think S` waits S seconds between a
client's requests, as a person reading the page does. `--uncached` turns
every request into query text not asked recently (the same query in
parentheses, padded with spaces), so the server's cache of searches never
answers: the cost of a page the server computes from scratch. Latency is from sending
the request to the last byte. Writes bench/out/serve/results.json.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench" / "search"))

from run import QUERIES  # noqa: E402


def pages() -> list[str]:
    out = []
    for text, _, _ in QUERIES:
        out.append("/?" + urlencode({"q": text}))
        out.append("/?" + urlencode({"q": text, "sort": "-year"}))
        out.append("/?" + urlencode({"q": text, "page": 2}))
        out.append("/?" + urlencode({"q": f"{text} year:2020"}))
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(index: Path, port: int) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "tracker", "--index", str(index), "serve", "--port", str(port)],
                            env=env, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start")


_ASKED = itertools.count()


def uncached(path: str) -> str:
    """The same page under query text no one asked recently: the query in
    parentheses with k spaces before the closing one (k counts requests
    modulo 900), so the server's cache of searches (100 a process) never
    answers while the search itself is unchanged."""
    args = parse_qs(path[2:])
    args["q"] = [f"({args['q'][0]}{' ' * (next(_ASKED) % 900)})"]
    return "/?" + urlencode(args, doseq=True)


def client(port: int, paths: list[str], stop: float, think: float, seed: int, out: list, errors: list,
           fresh: bool = False) -> None:
    rnd = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    while time.monotonic() < stop:
        path = rnd.choice(paths)
        if fresh:
            path = uncached(path)
        start = time.perf_counter()
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            resp.read()
            if resp.status != 200:
                errors.append((path, resp.status))
        except (OSError, http.client.HTTPException) as exc:
            errors.append((path, repr(exc)))
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            continue
        out.append((time.monotonic(), (time.perf_counter() - start) * 1000))
        if think:
            time.sleep(rnd.uniform(0.5 * think, 1.5 * think))
    conn.close()


def server_cpu(pid: int) -> float:
    """CPU seconds used so far by the server process and its workers (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    try:
        pids += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        pass
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick     # utime, stime
    return total


def load(port: int, clients: int, seconds: float, think: float, pid: int, fresh: bool = False) -> dict:
    paths = pages()
    cpu0 = server_cpu(pid)
    samples: list[tuple[float, float]] = []
    errors: list = []
    begin = time.monotonic()
    stop = begin + seconds
    threads = [threading.Thread(target=client, args=(port, paths, stop, think, i, samples, errors, fresh))
               for i in range(clients)]
    for t in threads:
        t.start()
        if think:
            time.sleep(think / clients)     # users arrive spread over one think time, not all at once
    for t in threads:
        t.join()
    cpu = server_cpu(pid) - cpu0
    ms = sorted(m for _, m in samples)
    q = statistics.quantiles(ms, n=100)
    return {"clients": clients, "think_s": think, "uncached": fresh, "seconds": seconds, "requests": len(ms),
            "errors": len(errors), "first_errors": errors[:5],
            "throughput_rps": round(len(ms) / (time.monotonic() - begin), 1),
            "p50_ms": round(q[49], 1), "p95_ms": round(q[94], 1), "p99_ms": round(q[98], 1),
            "max_ms": round(ms[-1], 1), "server_cpu_ms_per_page": round(cpu * 1000 / max(1, len(ms)), 1),
            "load_average_1min": round(os.getloadavg()[0], 2)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", default=str(ROOT / "bench/out/search/whoosh"))
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=40)
    ap.add_argument("--think", type=float, nargs="*", default=[1.0, 0.0])
    ap.add_argument("--uncached", action="store_true",
                    help="every request a query not asked before: the server's search cache never answers")
    ap.add_argument("--out", default=str(ROOT / "bench/out/serve"))
    args = ap.parse_args()
    port = free_port()
    proc = start_server(Path(args.index), port)
    try:
        warm = {"requests": 0}
        for path in pages():        # every page once: per-segment arrays loaded, as after a while in service
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            conn.request("GET", path)
            conn.getresponse().read()
            conn.close()
            warm["requests"] += 1
        runs = [load(port, args.clients, args.seconds, think, proc.pid, args.uncached) for think in args.think]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    info = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": platform.machine(),
            "cpus": os.cpu_count(), "python": platform.python_version(), "index": args.index,
            "pages": len(pages()), "runs": runs}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / ("results-uncached.json" if args.uncached else "results.json")).write_text(json.dumps(info, indent=2) + "\n")
    print(json.dumps(info, indent=2))


if __name__ == "__main__":
    main()
