"""Does this checkout's enrich() give exactly what another revision's gives?

Usage: python bench/extraction/identical.py [--base main] [--n 300] [--mixed 2000]

Inputs (built once, by this checkout's parsers, so only enrich() differs):
the tuning set (tests/extraction/items, never heldout/), the sample server's
synthetic corpus at several sizes and word counts through the real source
parsers, and seeded mixtures of the tuning set's own sentences (other
lengths, languages, casings and metadata than either set holds alone).
Each side runs enrich() in its own process, the base revision from
`git archive`; every item's to_dict() must be equal. Exit 1 on a difference.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

# (items per kind, words of filler): sizes move the dates, words the text length
CORPORA = ((120, 220), (60, 80), (60, 500), (40, 30))
# characters whose case-insensitive match differs from a lower-cased one's
_ODD = ("\u017f", "\u0131", "\u0130", "\u212a")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def mixed_dicts(tuning: list[dict[str, Any]], n: int, seed: int) -> Iterator[dict[str, Any]]:
    """Records made of the tuning set's sentences, paragraphs and metadata, recombined."""
    rnd = random.Random(seed)
    sentences = [s for d in tuning for key in ("title", "abstract", "body")
                 for s in _SENTENCE.split(d.get(key) or "") if s.strip()]
    paragraphs = [p for d in tuning for p in (d.get("body") or "").split("\n") if p.strip()]
    fields = {key: [d[key] for d in tuning if d.get(key)] for key in
              ("title", "journal", "year", "published", "language", "publication_types", "keywords",
               "drugs", "conditions", "study_type", "case_count", "nct_ids")}
    for k in range(n):
        def pick(key: str, p: float) -> Any:
            return rnd.choice(fields[key]) if fields[key] and rnd.random() < p else None

        out: dict[str, Any] = {"title": pick("title", 0.9) or rnd.choice(sentences)}
        if rnd.random() < 0.8:
            out["abstract"] = " ".join(rnd.sample(sentences, rnd.randint(1, 14)))
        if rnd.random() < 0.4:
            out["body"] = "\n".join(rnd.sample(paragraphs, min(len(paragraphs), rnd.randint(1, 40))))
        for key, p in (("journal", 0.4), ("year", 0.3), ("published", 0.5), ("language", 0.2),
                       ("publication_types", 0.4), ("keywords", 0.2), ("drugs", 0.1),
                       ("conditions", 0.1), ("study_type", 0.1), ("case_count", 0.05), ("nct_ids", 0.05)):
            value = pick(key, p)
            if value is not None:
                out[key] = value
        for key in ("abstract", "body"):
            text = out.get(key)
            if text and rnd.random() < 0.1:
                text = text.upper() if rnd.random() < 0.5 else text.lower()
            if text and rnd.random() < 0.05:
                at = rnd.randrange(len(text))
                text = text[:at] + rnd.choice(_ODD) + text[at:]
            if text:
                out[key] = text
        out["provenance"] = {key: rnd.choice(("registry", "metadata", "text"))
                             for key in ("journal", "year", "study_type", "case_count") if key in out}
        out["url"] = f"https://mixed.example.org/{seed}/{k}"
        yield out


def build_inputs(n: int, mixed: int) -> list[tuple[str, dict[str, Any]]]:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(HERE))
    from items import corpus_dicts, tuning_dicts  # type: ignore[import-not-found]

    inputs = [(f"tuning:{name}", d) for name, d in tuning_dicts()]
    tuning = [d for _, d in inputs]
    for size, words in CORPORA:
        count = max(1, n * size // 120)
        inputs += [(f"corpus{count}x{words}:{i}", d) for i, d in enumerate(corpus_dicts(count, words))]
    for seed in (1, 2, 3, 4):
        inputs += [(f"mixed{seed}:{i}", d) for i, d in enumerate(mixed_dicts(tuning, mixed // 4, seed))]
    return inputs


def export(ref: str, into: Path) -> Path:
    """The tracker package as of `ref`, unpacked under `into`."""
    data = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "tracker"], check=True,
                          capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into


def run_side(root: Path, inputs: Path, outputs: Path) -> float:
    proc = subprocess.run([sys.executable, __file__, "--worker", str(root), str(inputs), str(outputs)],
                          check=True, capture_output=True, text=True)
    return float(proc.stdout.strip())


def worker(root: str, inputs: str, outputs: str) -> None:
    sys.path.insert(0, root)
    from tracker.extract import enrich
    from tracker.models import Article

    spent = 0.0
    with open(inputs, encoding="utf-8") as src, open(outputs, "w", encoding="utf-8") as out:
        for line in src:
            article = Article.from_dict(json.loads(line)[1])
            start = time.perf_counter()
            try:
                enrich(article)
                result: Any = article.to_dict()
            except Exception as exc:  # the same failure on both sides is the same result
                result = {"error": f"{type(exc).__name__}: {exc}"}
            spent += time.perf_counter() - start
            out.write(json.dumps(result, sort_keys=True, default=str) + "\n")
    print(spent)


def main() -> int:
    if sys.argv[1:2] == ["--worker"]:
        worker(*sys.argv[2:5])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="main", help="git revision to compare with (default: main)")
    parser.add_argument("--n", type=int, default=300, help="synthetic corpus items per kind, largest size")
    parser.add_argument("--mixed", type=int, default=2000, help="recombined tuning-set records")
    args = parser.parse_args()

    inputs = build_inputs(args.n, args.mixed)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "inputs.jsonl"
        path.write_text("".join(json.dumps(item) + "\n" for item in inputs), encoding="utf-8")
        base = export(args.base, Path(tmp) / "base")
        t_base = run_side(base, path, Path(tmp) / "base.jsonl")
        t_here = run_side(ROOT, path, Path(tmp) / "here.jsonl")
        got_base = (Path(tmp) / "base.jsonl").read_text(encoding="utf-8").splitlines()
        got_here = (Path(tmp) / "here.jsonl").read_text(encoding="utf-8").splitlines()

    differ = [name for (name, _), a, b in zip(inputs, got_base, got_here) if a != b]
    groups: dict[str, int] = {}
    for name, _ in inputs:
        group = name.split(":", 1)[0].rstrip("0123456789") if name.startswith("mixed") else name.split(":", 1)[0]
        groups[group] = groups.get(group, 0) + 1
    print(f"items: {len(inputs)} ({', '.join(f'{g} {c}' for g, c in groups.items())})")
    print(f"enrich seconds: base {t_base:.2f}, here {t_here:.2f} (one run each, not a benchmark)")
    if len(got_base) != len(got_here) or len(got_here) != len(inputs):
        print("a side stopped early")
        return 1
    print(f"identical: {len(inputs) - len(differ)}, different: {len(differ)}")
    for name in differ[:20]:
        print("  differs:", name)
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
