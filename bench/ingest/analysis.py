"""Index-time analysis: Whoosh's analyzer chains against tracker.index.analysis.

The documents are the search bench's synthetic Crohn's disease records
(bench/search/corpus.py), mapped to index documents as the crawl does
(tracker.index.schema.document). For every text field each path turns each
text into {term: [positions]}; the script prints tokens/s (tokens as the
tokenizer cuts them) for both, per chain and overall, best of R runs (the
first fast run starts with an empty word cache and is printed too), and
checks once that both give the same terms. Times are the process's CPU
time, which other jobs on a shared machine disturb less than wall time. "abstract+α" is each abstract
with a Greek letter added, so the tokenizer's regex runs instead of the
ASCII shortcut.

    python bench/ingest/analysis.py [N_DOCS=5000] [REPEATS=3]
"""

from __future__ import annotations

import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench" / "search"))
sys.path.insert(0, str(ROOT))

from corpus import records  # noqa: E402
from whoosh.analysis.tokenizers import default_pattern  # noqa: E402

from tracker.index.analysis import fast_analysers  # noqa: E402
from tracker.index.schema import build_schema, document  # noqa: E402


def whoosh_path(analyzer):
    def analyse(text: str) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for t in analyzer(text, positions=True, mode="index"):
            positions = out.get(t.text)
            if positions is None:
                out[t.text] = [t.pos]
            else:
                positions.append(t.pos)
        return out
    return analyse


def timed(fn, texts: list[str]) -> float:
    start = time.process_time()
    for text in texts:
        fn(text)
    return time.process_time() - start


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    schema = build_schema()
    fast = fast_analysers(schema)
    docs = [document(a) for a in records(n)]
    texts = {name: [d[name] for d in docs if d.get(name)] for name in fast}
    # the same abstracts with one Greek letter each: no ASCII shortcut
    fast["abstract+α"] = fast["abstract"]
    texts["abstract+α"] = [t + " (TNF-α)" for t in texts["abstract"]]
    slow = {name: whoosh_path(schema[name.split("+")[0]].analyzer) for name in fast}

    bad = sum(fast[name](t) != slow[name](t) for name in fast for t in texts[name])
    fast = fast_analysers(schema)  # an empty word cache again
    fast["abstract+α"] = fast["abstract"]
    print(f"python {platform.python_version()} on {platform.machine()}, {n} documents, "
          f"best of {repeats}; differing texts: {bad}")
    total_tokens = total_slow = total_fast = 0.0
    for name in sorted(fast):
        if not texts[name]:
            continue  # the synthetic records have no body
        tokens = sum(len(default_pattern.findall(t)) for t in texts[name])
        cold = timed(fast[name], texts[name])
        best_fast = min([cold] + [timed(fast[name], texts[name]) for _ in range(repeats - 1)])
        best_slow = min(timed(slow[name], texts[name]) for _ in range(repeats))
        print(f"{name:10} {tokens:>9} tokens  whoosh {tokens / best_slow:>11,.0f}/s  "
              f"fast {tokens / best_fast:>11,.0f}/s (cold cache {tokens / cold:>11,.0f}/s)  "
              f"x{best_slow / best_fast:.1f}")
        if not name.endswith("α"):  # the total counts each text once
            total_tokens += tokens
            total_slow += best_slow
            total_fast += best_fast
    print(f"{'all':10} {total_tokens:>9.0f} tokens  whoosh {total_tokens / total_slow:>11,.0f}/s  "
          f"fast {total_tokens / total_fast:>11,.0f}/s  x{total_slow / total_fast:.1f}")


if __name__ == "__main__":
    main()
