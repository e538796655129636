"""Extraction benchmark: per-field accuracy on the labelled set and enrich() speed.

Usage: python bench/extraction/run.py [--repeat N] [--misses]

Speed is measured on a typical article page: title, abstract and a ~30 KB
main text with sections and a reference list, built from the labelled
set's own article and news bodies (no network, deterministic).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tracker.extract import enrich  # noqa: E402
from tracker.extract.evaluate import load_items, score  # noqa: E402
from tracker.models import Article  # noqa: E402

ITEMS_DIR = ROOT / "tests" / "extraction" / "items"        # the tuning set
HELDOUT_DIR = ROOT / "tests" / "extraction" / "heldout"   # never tuned on
PAGE_CHARS = 30_000


def typical_page(items: list[tuple[str, dict]]) -> dict:
    """An article-page-sized record: the bodies and abstracts of the set, in sections, plus references."""
    paragraphs = [d["input"].get("body") or d["input"].get("abstract") or "" for _, d in items]
    body, i = [], 0
    while sum(len(p) for p in body) < PAGE_CHARS:
        heading = ("Introduction", "Methods", "Results", "Discussion")[i % 4]
        body.append(f"{heading}\n{paragraphs[i % len(paragraphs)]}")
        i += 1
    refs = "\n".join(f"{n}. Author A, et al. Title {n}. J Crohns Colitis. 20{10 + n % 14};{n}:1-9." for n in range(1, 61))
    first = items[0][1]["input"]
    return {"title": first["title"], "abstract": first.get("abstract"), "published": "2024-01-01",
            "body": "\n\n".join(body) + "\n\nReferences\n" + refs}


def time_enrich(page: dict, repeat: int) -> list[float]:
    times = []
    for i in range(repeat):
        # A distinct text each run, so no per-text cache makes later runs look faster.
        article = Article.from_dict({**page, "body": page["body"] + f"\nPage {i}."})
        start = time.perf_counter()
        enrich(article)
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--misses", action="store_true", help="list every wrong field")
    parser.add_argument("--heldout", action="store_true",
                        help="score the held-out set only (no timing); for reporting, never for tuning")
    args = parser.parse_args()
    if args.heldout:
        report = score(load_items(HELDOUT_DIR))
        print(json.dumps(report.summary(), indent=2))
        if args.misses:
            print("\n".join(report.misses) or "no misses")
        return

    items = load_items(ITEMS_DIR)
    start = time.perf_counter()
    report = score(items)  # first call also pays the one-off regex compilation
    first_run = time.perf_counter() - start
    summary = report.summary()
    page = typical_page(items)
    times = time_enrich(page, args.repeat)
    summary.update({
        "typical_page_chars": len(page["body"]) + len(page["abstract"] or ""),
        "typical_page_median_ms": round(median(times), 2),
        "typical_page_p95_ms": round(sorted(times)[int(len(times) * 0.95) - 1], 2),
        "labelled_set_first_pass_s": round(first_run, 2),
        "python": platform.python_version(),
    })
    print(json.dumps(summary, indent=2))
    if args.misses:
        print("\n".join(report.misses) or "no misses")


if __name__ == "__main__":
    main()
