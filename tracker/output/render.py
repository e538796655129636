"""Text rendering for the CLI (returns strings; cli.py prints them)."""

from __future__ import annotations

import re
import textwrap
from typing import Any

from tracker.dates import normal_dates

_MARK = re.compile(r"\[\[(.+?)\]\]")
_BOLD, _HIT, _RESET = "\x1b[1m", "\x1b[1;33m", "\x1b[0m"

# Result table columns after the title: (name, preferred width, least width).
# When the terminal is narrow they shrink, then drop in DROP_ORDER; the title
# keeps at least TITLE_SHARE of the width.
# The id is not a column: it starts each snippet line, whole, since `tracker
# show ID` needs all of it.
COLUMNS = (("journal", 22, 10), ("year", 4, 4), ("cases", 5, 5), ("drugs", 20, 10), ("type", 13, 6))
DROP_ORDER = ("drugs", "journal", "type", "cases")
TITLE_SHARE = 0.4
TYPE_LABELS = {"case_report": "case report", "case_series": "case series", "rct": "RCT",
               "meta_analysis": "meta-analysis"}


def _cut(text: str, width: int) -> str:
    text = text or ""
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def _layout(width: int) -> tuple[int, list[tuple[str, int]]]:
    """Title width and the other columns' widths for a terminal `width`."""
    cols = {name: pref for name, pref, _ in COLUMNS}
    least = {name: low for name, _, low in COLUMNS}
    title_min = max(20, int(width * TITLE_SHARE))

    def used() -> int:
        return sum(w + 2 for w in cols.values())

    for name in DROP_ORDER:          # shrink first ...
        while used() > width - title_min and cols[name] > least[name]:
            cols[name] -= 1
    for name in DROP_ORDER:          # ... then drop
        if used() > width - title_min:
            del cols[name]
    order = [(n, cols[n]) for n, _, _ in COLUMNS if n in cols]
    return max(title_min, width - used()), order


def _segments(marked: str) -> list[tuple[str, bool]]:
    """'a [[b]] c' -> [('a ', False), ('b', True), (' c', False)]."""
    out, at = [], 0
    for m in _MARK.finditer(marked):
        if m.start() > at:
            out.append((marked[at:m.start()], False))
        out.append((m.group(1), True))
        at = m.end()
    if at < len(marked):
        out.append((marked[at:], False))
    return out


def snippet(marked: str, width: int, color: bool) -> str:
    """One line of `width` visible characters around the first match; matches bold on a tty."""
    segs = _segments(" ".join(marked.split()))
    plain = "".join(t for t, _ in segs)
    first = next((sum(len(t) for t, _ in segs[:i]) for i, (_, hit) in enumerate(segs) if hit), 0)
    start = 0
    if len(plain) > width and first > width // 3:
        start = plain.rfind(" ", 0, first - width // 4) + 1
    out, pos, room = [], 0, width - (1 if start else 0)
    for text, hit in segs:
        lo, hi = max(start, pos), min(start + room, pos + len(text))
        pos += len(text)
        if lo >= hi:
            continue
        piece = text[lo - (pos - len(text)):hi - (pos - len(text))]
        out.append(f"{_HIT}{piece}{_RESET}" if hit and color else piece)
    line = ("…" if start else "") + "".join(out)
    if start + room < len(plain):
        line = line[:-1] + "…" if not line.endswith(_RESET) else line + "…"
    return line


def _cells(rec: dict[str, Any]) -> dict[str, str]:
    return {
        "journal": rec.get("journal") or "", "year": str(rec.get("year") or ""),
        "cases": "" if rec.get("case_count") is None else str(rec["case_count"]),
        "drugs": ", ".join(rec.get("drugs") or []),
        "type": TYPE_LABELS.get(rec.get("study_type") or "", rec.get("study_type") or ""),
        "id": rec.get("id") or "",
    }


def table(hits: list, total: int, *, width: int = 120, color: bool = False) -> str:
    """Hits as a table that fits `width`, each with a one-line snippet of matched text."""
    if not hits:
        return "no results"
    title_w, cols = _layout(width)
    head = f"{'title':<{title_w}}  " + "  ".join(f"{n:<{w}}" for n, w in cols)
    lines = [f"{_BOLD}{head.rstrip()}{_RESET}" if color else head.rstrip()]
    for hit in hits:
        rec, cells = hit.record, _cells(hit.record)
        row = f"{_cut(rec.get('title') or '(untitled)', title_w):<{title_w}}  " + \
            "  ".join(f"{_cut(cells[n], w):<{w}}" for n, w in cols)
        lines.append(row.rstrip())
        hl = hit.highlights or {}
        marked = hl.get("abstract") or hl.get("body") or hl.get("title") or ""
        prefix = f"{cells['id']}  "
        if marked or prefix:
            lines.append(("  " + prefix + snippet(marked, max(10, width - 2 - len(prefix)), color)).rstrip())
    lines.append(f"{len(hits)} of {total} results")
    return "\n".join(lines)


def facet(name: str, counts: list[tuple[str, int]], top: int = 20) -> str:
    lines = [f"{name}:"]
    for key, n in counts[:top]:
        lines.append(f"  {n:>6}  {key}")
    if len(counts) > top:
        lines.append(f"  … {len(counts) - top} more")
    return "\n".join(lines)


def counts(by: str, rows: list[tuple[str, int]], total: int) -> str:
    width = max([len(str(k)) for k, _ in rows] + [len(by)])
    lines = [f"{by:<{width}}  count", f"{'-' * width}  -----"]
    lines += [f"{str(k):<{width}}  {n:>5}" for k, n in rows]
    lines.append(f"{'records':<{width}}  {total:>5}")
    return "\n".join(lines)


_SHOW_ORDER = ("id", "title", "authors", "journal", "year", "published", "study_type", "case_count",
               "drugs", "conditions", "doi", "pmid", "pmcid", "url", "language", "feeds",
               "first_seen", "fetched_at", "nct_ids", "phase", "trial_status", "preprint", "preprint_doi")
# shown only where set: most records are neither trials nor preprints
_SHOW_IF_SET = frozenset({"nct_ids", "phase", "trial_status", "preprint", "preprint_doi"})


def record(rec: dict[str, Any], links: dict[str, list[dict[str, Any]]] | None = None) -> str:
    """One record for `show`; `links` (per NCT number, the records that are or
    report that trial) lists a registration's papers and a paper's trials."""
    rec = normal_dates(rec)
    prov = rec.get("provenance") or {}
    lines = []
    for name in _SHOW_ORDER:
        value = rec.get(name)
        if name in _SHOW_IF_SET and not value:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        if isinstance(value, list):
            value = "; ".join(value)
        if value in (None, ""):
            value = "—"
        src = f"  [{prov[name]}]" if name in prov else ""
        lines.append(f"{name:<11} {value}{src}")
        if name == "case_count" and rec.get("case_count_evidence"):
            lines.append(f"{'':<11} from: \"{rec['case_count_evidence']}\"")
    if rec.get("preprint_doi") and rec.get("journal"):
        lines.append(f"{'':<11} preprint {rec['preprint_doi']} now published in {rec['journal']}")
    lines.extend(_trial_lines(rec, links or {}))
    if rec.get("abstract"):
        lines.append("")
        lines.append(textwrap.fill(rec["abstract"], 100))
    return "\n".join(lines)


def _brief(rec: dict[str, Any]) -> str:
    extra = ", ".join(str(v) for v in (rec.get("year"), rec.get("trial_status")) if v)
    return f"{rec.get('id')}  {_cut(rec.get('title') or '', 80)}" + (f" ({extra})" if extra else "")


def _trial_lines(rec: dict[str, Any], links: dict[str, list[dict[str, Any]]]) -> list[str]:
    if str(rec.get("id", "")).startswith("nct:"):
        papers = [r for found in links.values() for r in found if not str(r.get("id", "")).startswith("nct:")]
        return ["", f"papers reporting this trial ({len(papers)}):", *(f"  {_brief(r)}" for r in papers)]
    lines = []
    for nct, found in links.items():
        regs = [r for r in found if r.get("id") == f"nct:{nct}"]
        lines.append(f"  {_brief(regs[0])}" if regs else f"  nct:{nct}  (registration not in the index)")
    return ["", f"trials ({len(lines)}):", *lines] if lines else []
