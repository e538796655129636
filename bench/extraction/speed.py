"""enrich() cost per item, this checkout beside another revision.

Usage: flock /tmp/bench.lock python bench/extraction/speed.py [--base main] [--repeat 3] [--n 300]

Two item sets: the bench corpus (examples/offline/sample_server.py's
Corpus(words=220) through the real parsers: PubMed, Europe PMC, RSS items and
their journal pages, news pages; n of each) and the tuning set
(tests/extraction/items). Each revision runs in its own process (the base
from `git archive`, as in identical.py), one warm-up pass, then `repeat`
timed passes over fresh Article objects; the median pass is reported in
milliseconds per item, wall clock and CPU time of the process.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def worker(root: str, inputs: str, repeat: int) -> None:
    sys.path.insert(0, root)
    from tracker.extract import enrich
    from tracker.models import Article

    sets: dict[str, list[dict]] = {}
    for line in Path(inputs).read_text(encoding="utf-8").splitlines():
        name, data = json.loads(line)
        sets.setdefault(name, []).append(data)
    out = {}
    for name, dicts in sets.items():
        for data in dicts:      # warm-up: regexes compile, caches fill
            enrich(Article.from_dict(json.loads(json.dumps(data))))
        walls, cpus = [], []
        for _ in range(repeat):
            articles = [Article.from_dict(json.loads(json.dumps(d))) for d in dicts]
            w0, c0 = time.perf_counter(), time.process_time()
            for article in articles:
                enrich(article)
            walls.append((time.perf_counter() - w0) * 1000 / len(dicts))
            cpus.append((time.process_time() - c0) * 1000 / len(dicts))
        out[name] = {"items": len(dicts), "wall_ms": round(median(walls), 3), "cpu_ms": round(median(cpus), 3),
                     "wall_runs": [round(w, 3) for w in walls]}
    print(json.dumps(out))


def main() -> int:
    if sys.argv[1:2] == ["--worker"]:
        worker(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="main")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--n", type=int, default=300, help="bench corpus items per kind")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(HERE))
    from identical import export  # type: ignore[import-not-found]
    from items import corpus_dicts, tuning_dicts  # type: ignore[import-not-found]

    lines = [json.dumps(["bench corpus", d]) for d in corpus_dicts(args.n, 220)]
    lines += [json.dumps(["tuning set", d]) for _, d in tuning_dicts()]
    with tempfile.TemporaryDirectory() as tmp:
        inputs = Path(tmp) / "inputs.jsonl"
        inputs.write_text("\n".join(lines) + "\n", encoding="utf-8")
        results = {}
        for label, root in (("base " + args.base, export(args.base, Path(tmp) / "base")), ("here", ROOT)):
            proc = subprocess.run([sys.executable, __file__, "--worker", str(root), str(inputs), str(args.repeat)],
                                  check=True, capture_output=True, text=True)
            results[label] = json.loads(proc.stdout)
    print(json.dumps(results, indent=1))
    base, here = results.values()
    for name in here:
        print(f"{name}: {base[name]['wall_ms']} -> {here[name]['wall_ms']} ms/item wall "
              f"({base[name]['wall_ms'] / here[name]['wall_ms']:.2f}x), "
              f"{base[name]['cpu_ms']} -> {here[name]['cpu_ms']} ms/item CPU "
              f"({base[name]['cpu_ms'] / here[name]['cpu_ms']:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
