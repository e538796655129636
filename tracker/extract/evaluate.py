"""Score `enrich` against a labelled set (tests/extraction/items/*.json).

Each item is {"about", "input": Article fields, "expected": {journal, year,
case_count, drugs, conditions, study_type[, doi]}}. A whole-page item's input
is {"html": "<file beside the item>", "url": ...}: the page is parsed first,
as a crawl would. Used by the test gate and by bench/extraction/run.py; no
test framework imports here.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from typing import Any

from tracker.extract import enrich
from tracker.extract.page.parse import extract_page
from tracker.lexicon.journals import norm_key
from tracker.models import Article

SCALARS = ("journal", "year", "study_type")


@dataclass
class Report:
    items: int = 0
    correct: dict[str, int] = field(default_factory=lambda: {k: 0 for k in SCALARS})
    doi_items: int = 0
    doi_correct: int = 0
    count_stated: int = 0
    count_exact: int = 0
    count_unstated: int = 0
    count_null: int = 0
    drug_tp: int = 0
    drug_fp: int = 0
    drug_fn: int = 0
    cond_tp: int = 0
    cond_fp: int = 0
    cond_fn: int = 0
    ms: list[float] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)

    def accuracy(self, name: str) -> float:
        return self.correct[name] / self.items if self.items else 0.0

    @property
    def case_exact(self) -> float:
        return self.count_exact / self.count_stated if self.count_stated else 1.0

    @property
    def case_null(self) -> float:
        return self.count_null / self.count_unstated if self.count_unstated else 1.0

    @staticmethod
    def _f1(tp: int, fp: int, fn: int) -> float:
        return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0

    @property
    def drugs_f1(self) -> float:
        return self._f1(self.drug_tp, self.drug_fp, self.drug_fn)

    @property
    def conditions_f1(self) -> float:
        return self._f1(self.cond_tp, self.cond_fp, self.cond_fn)

    def summary(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "journal": round(self.accuracy("journal"), 3),
            "year": round(self.accuracy("year"), 3),
            "study_type": round(self.accuracy("study_type"), 3),
            "case_count_exact_where_stated": round(self.case_exact, 3),
            "case_count_null_where_unstated": round(self.case_null, 3),
            "doi": round(self.doi_correct / self.doi_items, 3) if self.doi_items else None,
            "drugs_f1": round(self.drugs_f1, 3),
            "conditions_f1": round(self.conditions_f1, 3),
            "median_ms": round(median(self.ms), 2) if self.ms else None,
        }


def load_items(directory: Path) -> list[tuple[str, dict[str, Any]]]:
    items = []
    for path in sorted(directory.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if "html" in data["input"]:     # the page file sits beside its item
            data["input"]["html"] = str(path.parent / data["input"]["html"])
        items.append((path.stem, data))
    return items


def _same_journal(got: str | None, want: str | None) -> bool:
    if got is None or want is None:
        return got is want
    return norm_key(got) == norm_key(want)


def run_one(data: dict[str, Any]) -> tuple[Article, float]:
    given = data["input"]
    start = time.perf_counter()     # a page's time includes parsing it
    if "html" in given:
        article = extract_page(Path(given["html"]).read_bytes(), given["url"])
    else:
        article = Article.from_dict(given)
    enrich(article)
    return article, (time.perf_counter() - start) * 1000


def score(items: list[tuple[str, dict[str, Any]]]) -> Report:
    report = Report()
    for name, data in items:
        article, ms = run_one(data)
        want = data["expected"]
        report.items += 1
        report.ms.append(ms)
        checks = {
            "journal": _same_journal(article.journal, want.get("journal")),
            "year": article.year == want.get("year"),
            "study_type": article.study_type == want.get("study_type"),
        }
        for key, ok in checks.items():
            if ok:
                report.correct[key] += 1
            else:
                report.misses.append(f"{name}: {key} got {getattr(article, key)!r} want {want.get(key)!r}")
        if want.get("case_count") is None:
            report.count_unstated += 1
            report.count_null += article.case_count is None
        else:
            report.count_stated += 1
            report.count_exact += article.case_count == want["case_count"]
        if article.case_count != want.get("case_count"):
            report.misses.append(f"{name}: case_count got {article.case_count!r} want {want.get('case_count')!r}")
        if "doi" in want:
            report.doi_items += 1
            if article.doi == want["doi"]:
                report.doi_correct += 1
            else:
                report.misses.append(f"{name}: doi got {article.doi!r} want {want['doi']!r}")
        for kind in ("drugs", "conditions"):
            got, exp = set(getattr(article, kind)), set(want.get(kind) or [])
            tp, fp, fn = len(got & exp), len(got - exp), len(exp - got)
            if kind == "drugs":
                report.drug_tp += tp; report.drug_fp += fp; report.drug_fn += fn  # noqa: E702
            else:
                report.cond_tp += tp; report.cond_fp += fp; report.cond_fn += fn  # noqa: E702
            if fp or fn:
                report.misses.append(f"{name}: {kind} extra {sorted(got - exp)} missing {sorted(exp - got)}")
    return report
