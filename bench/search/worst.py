"""Worst-case and fuzzed queries on the 100k bench index: the slowest valid
query must answer within a second, and an over-limit one must be refused fast.

    python bench/search/build.py          # once (cached under bench/out/search)
    python bench/search/worst.py [--fuzz 300] [--repeat 3]

Each query runs through tracker.search.run(limit=20, highlights on), the
whole library call `tracker search` makes after startup; its best of
`--repeat` runs is reported (the machine is shared; the best run is the
query's own cost). The hand-written cases sit at the limits of one query
(tracker.query.parser.MAX_CHARS, MAX_TERMS, tracker.query.lex.MAX_DEPTH);
the fuzzed ones are random mixes of the query language's pieces, seeded.
Writes bench/out/search/worst.json (or --json PATH).
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import CLINICAL  # noqa: E402

from tracker import search  # noqa: E402
from tracker.errors import QueryError  # noqa: E402
from tracker.index import Index  # noqa: E402
from tracker.lexicon.drugs import BRANDS, GENERICS  # noqa: E402
from tracker.query.lex import MAX_DEPTH  # noqa: E402
from tracker.query.parser import MAX_CHARS, MAX_PREFIXES, MAX_TERMS  # noqa: E402

_COMMON = ["patients", "disease", "crohn", "treatment", "study", "response", "therapy", "clinical",
           "remission", "outcomes", "infliximab", "adalimumab", "pregnancy", "fistula", "surgery"]


def _fit(words: list[str], joiner: str) -> str:
    """`words` joined, as many as MAX_CHARS and MAX_TERMS allow."""
    out: list[str] = []
    size = 0
    terms = 0
    prefixes = 0
    for w in words:
        p = w.endswith("*")
        n = 2 if p else len(w.split()) - w.count("NOT")    # "certolizumab pegol" is two terms, a prefix two
        if terms + n > MAX_TERMS or size + len(w) + len(joiner) > MAX_CHARS or prefixes + p > MAX_PREFIXES:
            break
        out.append(w)
        terms += n
        prefixes += p
        size += len(w) + len(joiner)
    return joiner.join(out)


def cases() -> dict[str, str]:
    names = sorted(set(GENERICS) | {b for b in BRANDS if b.isalpha()})
    rng = random.Random(7)
    nested = "natalizumab"
    for i in range(MAX_DEPTH):
        nested = f"({_COMMON[i % len(_COMMON)]} OR {nested})"
    # the corpus's most frequent words, each once: no repeat to share work between
    frequent = list(dict.fromkeys(w for w in CLINICAL if "-" not in w))
    return {
        "OR of every drug name (PubMed style)": _fit(names * 3, " OR "),
        "OR of distinct frequent words": _fit(frequent, " OR "),
        "AND of distinct frequent words": _fit(frequent, " "),
        "OR of distinct frequent word pairs": _fit([f'"{a} {b}"' for a, b in zip(frequent, frequent[1:])], " OR "),
        "OR of distinct prefixes": _fit(list(dict.fromkeys(w[:3] + "*" for w in frequent + names)), " OR "),
        "OR of distinct prefixes, then words": _fit(list(dict.fromkeys(w[:3] + "*" for w in frequent))[:MAX_PREFIXES // 2]
                                                    + frequent[::-1], " OR "),
        "AND of common words": _fit([rng.choice(_COMMON) for _ in range(2000)], " "),
        "OR of common words": _fit([rng.choice(_COMMON) for _ in range(2000)], " OR "),
        "OR of prefixes": _fit([w[:3] + "*" for w in names], " OR "),
        "OR of drug classes": _fit(["anti-tnf", "jak", "s1p", "anti-integrin", "anti-il-23"] * 200, " OR "),
        "OR of common phrases": _fit(['"crohn\'s disease"', '"clinical remission"', '"loss of response"'] * 400,
                                     " OR "),
        "NOT of common words": _fit(["crohn"] + ["NOT " + rng.choice(_COMMON) for _ in range(1000)], " "),
        f"{MAX_DEPTH} nested OR groups": nested,
        "ranges and fields": _fit([f"(year:{y}..{y + 3} drug:infliximab cases:>=3)" for y in range(1990, 2026)]
                                  * 20, " OR "),
        "one 10,000-character word": "a" * MAX_CHARS,
    }


_PIECES = ["(", ")", '"', "AND", "OR", "NOT", "-", "*", "year:", "cases:", "drug:", "journal:", "type:",
           "natalizumab", "crohn", "pml", "anti-tnf", "tysabri", "disease", "2015..2020", ">=3", "patients",
           "review", "rct", "é", " ", " ", " "]


def fuzzed(n: int, seed: int = 17) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 60))) for _ in range(n)]


def timed(ix: Index, text: str, repeat: int) -> tuple[float, str]:
    best, outcome = float("inf"), ""
    for _ in range(repeat):
        start = time.perf_counter()
        try:
            out = search.run(ix, text, limit=20)
            outcome = f"{out.result.total} hits"
        except QueryError as exc:
            outcome = f"refused: {exc}"
        best = min(best, time.perf_counter() - start)
    return best, outcome


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="bench/out/search")
    ap.add_argument("--fuzz", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", help="where to write the summary (default: OUT/worst.json; a shared index is read-only)")
    args = ap.parse_args()
    out = Path(args.out)
    rows = []
    with Index.open(out / "whoosh") as ix:
        search.run(ix, "natalizumab", limit=20)       # warm: arrays and lexicons loaded
        for name, text in cases().items():
            seconds, outcome = timed(ix, text, args.repeat)
            rows.append({"case": name, "chars": len(text), "ms": round(seconds * 1000), "outcome": outcome[:70]})
            print(f"{name:<40} {len(text):>6} chars {seconds * 1000:>7.0f} ms  {outcome[:60]}", flush=True)
        for name, text in (("1 MB query (refused)", "natalizumab " * 87_000),
                           (f"{MAX_TERMS + 1} terms (refused)", "pml OR " * MAX_TERMS + "pml")):
            seconds, outcome = timed(ix, text, 1)
            rows.append({"case": name, "chars": len(text), "ms": round(seconds * 1000), "outcome": outcome[:70]})
            print(f"{name:<40} {len(text):>6} chars {seconds * 1000:>7.0f} ms  {outcome[:60]}", flush=True)
        fuzz = []
        for text in fuzzed(args.fuzz):
            seconds, outcome = timed(ix, text, 1)
            fuzz.append((seconds, text, outcome))
    fuzz.sort(reverse=True)
    ok = [s for s, _, o in fuzz if not o.startswith("refused")]
    summary = {
        "date": date.today().isoformat(), "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "cases": rows, "fuzz_n": len(fuzz), "fuzz_valid": len(ok),
        "fuzz_max_ms": round(fuzz[0][0] * 1000) if fuzz else None,
        "fuzz_p50_ms": round(sorted(ok)[len(ok) // 2] * 1000) if ok else None,
        "fuzz_slowest": [{"ms": round(s * 1000), "query": t, "outcome": o[:60]} for s, t, o in fuzz[:3]],
    }
    print(f"fuzz: {len(fuzz)} queries ({len(ok)} valid), p50 {summary['fuzz_p50_ms']} ms, "
          f"max {summary['fuzz_max_ms']} ms: {fuzz[0][1][:60]!r}" if fuzz else "fuzz: none")
    Path(args.json or out / "worst.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    slowest = max([r["ms"] for r in rows] + [summary["fuzz_max_ms"] or 0])
    sys.exit(0 if slowest <= 1000 else 1)


if __name__ == "__main__":
    main()
