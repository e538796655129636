"""Counts of records by year, journal, drug, study type or feed, and charts of them.

matplotlib is optional (the `plot` extra) and imported only by `plot()`.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tracker.errors import TrackerError

# --by value -> record field; list fields count each member once per record.
BY_FIELDS = {"year": "year", "journal": "journal", "drug": "drugs",
             "study_type": "study_type", "feed": "feeds"}
UNKNOWN_YEAR = "unknown"
NONE = "(none)"
PLOT_SUFFIXES = (".png", ".svg")
TOP_DRUGS = 6        # lines drawn on the per-year chart
TOP_BARS = 25        # bars drawn on the other charts
MISSING_MATPLOTLIB = "Plotting needs matplotlib: pip install 'tracker[plot]'."


def count_by(records: Iterable[dict], by: str) -> list[tuple[str, int]]:
    """[(key, count)] of `records` grouped by `by` (a key of BY_FIELDS).

    A record naming several drugs (or feeds) counts once under each; a
    missing value counts under "unknown" (year) or "(none)". Years come
    sorted by year with "unknown" last; other keys by count, then name.
    """
    return _sorted(_count(records, _field(by)), by)


def plot(records: Iterable[dict], by: str, path: str | os.PathLike[str]) -> Path:
    """Draw the counts to `path` (.png or .svg) and return the path.

    by=year draws publications per year for the most frequent drugs (one
    line each) and for all records; other groupings draw a horizontal bar
    chart of the largest groups. Raises TrackerError if matplotlib is not
    installed or the suffix is not .png or .svg.
    """
    field = _field(by)
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in PLOT_SUFFIXES:
        raise TrackerError(f"Cannot draw {target.name!r}: the plot file must end in .png or .svg.")
    try:
        # Figure without pyplot: no global state, no GUI backend (Agg/SVG canvas).
        from matplotlib.figure import Figure
    except ImportError:
        raise TrackerError(MISSING_MATPLOTLIB) from None

    if by == "year":
        fig = _year_figure(Figure, records)
    else:
        fig = _bar_figure(Figure, _sorted(_count(records, field), by), by)
    try:
        fig.savefig(target, format=suffix[1:], dpi=150)
    except OSError as exc:
        raise TrackerError(f"Cannot write {target}: {exc.strerror or exc}.") from None
    return target


def _field(by: str) -> str:
    if by not in BY_FIELDS:
        raise TrackerError(f"Cannot count by {by!r}; choose one of {', '.join(BY_FIELDS)}.")
    return BY_FIELDS[by]


def _keys(record: dict, field: str) -> list[str]:
    value: Any = record.get(field)
    if field == "year":
        return [str(value) if value is not None else UNKNOWN_YEAR]
    if isinstance(value, (list, tuple)):
        members = sorted({str(v) for v in value if v})
        return members or [NONE]
    return [str(value) if value not in (None, "") else NONE]


def _count(records: Iterable[dict], field: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for record in records:
        counts.update(_keys(record, field))
    return counts


def _sorted(counts: Counter[str], by: str) -> list[tuple[str, int]]:
    if by == "year":
        return sorted(counts.items(), key=lambda kv: (kv[0] == UNKNOWN_YEAR, _year_key(kv[0])))
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _year_key(key: str) -> int:
    try:
        return int(key)
    except ValueError:
        return 0


def _year_figure(Figure: Any, records: Iterable[dict]) -> Any:
    per_drug: Counter[tuple[int, str]] = Counter()
    totals: Counter[int] = Counter()
    drug_totals: Counter[str] = Counter()
    undated = 0
    for record in records:
        year = record.get("year")
        if year is None:
            undated += 1
            continue
        totals[year] += 1
        for drug in set(record.get("drugs") or []):
            per_drug[(year, drug)] += 1
            drug_totals[drug] += 1
    fig = Figure(figsize=(9, 5), layout="constrained")
    ax = fig.add_subplot()
    years = list(range(min(totals), max(totals) + 1)) if totals else []
    if years:
        ax.plot(years, [totals[y] for y in years], color="#444444", linestyle="--",
                linewidth=1.5, label="all records")
        top = sorted(drug_totals, key=lambda d: (-drug_totals[d], d))[:TOP_DRUGS]
        for drug in top:
            ax.plot(years, [per_drug[(y, drug)] for y in years], marker="o", markersize=3,
                    linewidth=1.8, label=drug)
        ax.legend(frameon=False, fontsize=9)
        ax.xaxis.get_major_locator().set_params(integer=True)
    else:
        ax.text(0.5, 0.5, "no records with a year", ha="center", va="center", transform=ax.transAxes)
    title = "Publications per year"
    if undated:
        title += f" ({undated} without a year not shown)"
    ax.set_title(title)
    ax.set_xlabel("year")
    ax.set_ylabel("records")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.grid(axis="y", alpha=0.3)
    return fig


def _bar_figure(Figure: Any, counts: list[tuple[str, int]], by: str) -> Any:
    shown = counts[:TOP_BARS]
    height = max(2.5, 0.32 * len(shown) + 1.2)
    fig = Figure(figsize=(9, height), layout="constrained")
    ax = fig.add_subplot()
    labels = [k if len(k) <= 48 else k[:47] + "…" for k, _ in reversed(shown)]
    ax.barh(labels, [n for _, n in reversed(shown)], color="#3b6ea8")
    title = f"Records by {by.replace('_', ' ')}"
    if len(counts) > len(shown):
        title += f" (top {len(shown)} of {len(counts)})"
    ax.set_title(title)
    ax.set_xlabel("records")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(axis="x", alpha=0.3)
    return fig
