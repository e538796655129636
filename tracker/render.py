"""Text rendering for the CLI (returns strings; cli.py prints them)."""

from __future__ import annotations

import re
import textwrap
from typing import Any

_MARK = re.compile(r"\[\[(.+?)\]\]")


def _cut(text: str, width: int) -> str:
    text = text or ""
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def _snippet(hl: dict[str, str], color: bool) -> str:
    text = hl.get("abstract") or hl.get("body") or hl.get("title") or ""
    if color:
        return _MARK.sub(lambda m: f"\x1b[1;33m{m.group(1)}\x1b[0m", text)
    return _MARK.sub(lambda m: m.group(1).upper() if len(m.group(1)) < 3 else f"*{m.group(1)}*", text)


def table(hits: list, total: int, *, width: int = 120, color: bool = False) -> str:
    if not hits:
        return "no results"
    cols = [("year", 4), ("cases", 5), ("type", 12), ("drugs", 22), ("journal", 24), ("id", 28)]
    fixed = sum(w + 2 for _, w in cols)
    title_w = max(20, width - fixed)
    head = f"{'title':<{title_w}}  " + "  ".join(f"{n:<{w}}" for n, w in cols)
    lines = [head.rstrip(), "-" * min(width, len(head))]
    for hit in hits:
        r = hit.record
        cells = {
            "year": str(r.get("year") or ""), "cases": str(r.get("case_count") or ""),
            "type": r.get("study_type") or "", "drugs": ", ".join(r.get("drugs") or []),
            "journal": r.get("journal") or "", "id": r.get("id") or "",
        }
        row = f"{_cut(r.get('title') or '(untitled)', title_w):<{title_w}}  " + \
            "  ".join(f"{_cut(cells[n], w):<{w}}" for n, w in cols)
        lines.append(row.rstrip())
        snip = _snippet(hit.highlights, color)
        if snip:
            plain_len = len(_MARK.sub(r"\1", hit.highlights.get("abstract") or hit.highlights.get("body")
                                      or hit.highlights.get("title") or ""))
            if plain_len > width - 4 and not color:
                snip = textwrap.shorten(snip, width - 4, placeholder=" …")
            lines.append(f"    {snip}")
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
               "first_seen", "fetched_at")


def record(rec: dict[str, Any]) -> str:
    prov = rec.get("provenance") or {}
    lines = []
    for name in _SHOW_ORDER:
        value = rec.get(name)
        if isinstance(value, list):
            value = "; ".join(value)
        if value in (None, ""):
            value = "—"
        src = f"  [{prov[name]}]" if name in prov else ""
        lines.append(f"{name:<11} {value}{src}")
    if rec.get("abstract"):
        lines.append("")
        lines.append(textwrap.fill(rec["abstract"], 100))
    return "\n".join(lines)
