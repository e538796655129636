"""What's-new digests for a mail from cron: Markdown or a self-contained HTML page.

`render(records, fmt, since=..., now=...)` takes the records tracker first
stored in the period (the caller selects them, e.g. first_seen >= since)
and groups them by drug (a record naming several drugs appears under each;
one naming none under "Other"), then by study type. The CLI's --since
value becomes a timestamp through tracker.dates.resolve_since.
"""

from __future__ import annotations

import html
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from tracker.dates import normal
from tracker.errors import TrackerError
from tracker.models import STUDY_TYPES, utcnow

FORMATS = ("markdown", "html")
TITLE = "What's new in the Crohn's disease literature"
OTHER_DRUG = "Other"

# Section headings per study type, in the DESIGN table's order.
STUDY_LABELS = {
    "case_report": ("case report", "case reports"),
    "case_series": ("case series", "case series"),
    "cohort": ("cohort study", "cohort studies"),
    "rct": ("randomised trial", "randomised trials"),
    "meta_analysis": ("meta-analysis", "meta-analyses"),
    "review": ("review", "reviews"),
    "other": ("other study", "other studies"),
    None: ("unclassified item", "unclassified items"),
}
_TYPE_ORDER = {t: i for i, t in enumerate((*STUDY_TYPES, None))}

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>])")

# Inline styles only: mail clients drop <style> blocks and never run scripts.
_S = {
    "body": "margin:0;padding:16px;background:#ffffff;color:#1f1f1f;"
            "font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.45;",
    "wrap": "max-width:720px;margin:0 auto;",
    "h1": "font-size:22px;margin:0 0 8px;",
    "lead": "margin:0 0 16px;color:#444444;",
    "h2": "font-size:18px;margin:24px 0 4px;padding-bottom:4px;border-bottom:1px solid #dddddd;",
    "h3": "font-size:15px;margin:12px 0 4px;color:#444444;",
    "ul": "margin:0 0 8px;padding-left:20px;",
    "li": "margin:0 0 10px;",
    "a": "color:#0b57d0;text-decoration:underline;",
    "meta": "color:#555555;",
    "url": "color:#555555;font-size:13px;word-break:break-all;",
    "count": "color:#777777;font-weight:normal;",
}


def render(records: Iterable[dict], fmt: str = "markdown", *, since: str,
           now: str | None = None) -> str:
    """The digest of `records` as Markdown or HTML text.

    `since` and `now` (ISO 8601, default: the current UTC time) only label
    the period; filtering is the caller's. Each item shows its title linked
    to the DOI (else its URL), journal, year, case count and the link.
    """
    if fmt not in FORMATS:
        raise TrackerError(f"Unknown digest format {fmt!r}; choose markdown or html.")
    digest = _Digest.collect(records)
    period = (_day(since), _day(now or utcnow()))
    return _markdown(digest, period) if fmt == "markdown" else _html(digest, period)


def _day(stamp: str) -> str:
    return normal(stamp)[:10]


class _Digest:
    """Items grouped drug -> study type, with the counts the header needs."""

    def __init__(self) -> None:
        self.groups: dict[str, dict[str | None, list[dict]]] = defaultdict(lambda: defaultdict(list))
        self.total = 0
        self.types: Counter[str | None] = Counter()

    @classmethod
    def collect(cls, records: Iterable[dict]) -> _Digest:
        digest = cls()
        for record in records:
            item = _item(record)
            stype = record.get("study_type") if record.get("study_type") in STUDY_LABELS else None
            digest.total += 1
            digest.types[stype] += 1
            for drug in sorted(set(record.get("drugs") or [])) or [OTHER_DRUG]:
                digest.groups[drug][stype].append(item)
        return digest

    def drugs(self) -> list[str]:
        """Drugs by number of items, then name; Other last."""
        def size(drug: str) -> int:
            return sum(len(v) for v in self.groups[drug].values())
        named = sorted((d for d in self.groups if d != OTHER_DRUG), key=lambda d: (-size(d), d))
        return named + ([OTHER_DRUG] if OTHER_DRUG in self.groups else [])

    def sections(self, drug: str) -> list[tuple[str | None, list[dict]]]:
        by_type = self.groups[drug]
        return [(t, sorted(by_type[t], key=_item_order))
                for t in sorted(by_type, key=lambda t: _TYPE_ORDER[t])]

    def count(self, drug: str) -> int:
        return sum(len(v) for v in self.groups[drug].values())


def _item(record: dict) -> dict[str, Any]:
    return {
        "title": record.get("title") or "(untitled)",
        "link": _safe_link(record),
        "journal": record.get("journal"),
        "year": record.get("year"),
        "cases": record.get("case_count"),
        "preprint": bool(record.get("preprint")),
        "was_preprint": record.get("preprint_doi"),
        "trial": " ".join(filter(None, (record.get("phase"), (record.get("trial_status") or "").replace("_", " "))))
        if str(record.get("id", "")).startswith("nct:") else None,
    }


def _item_order(item: dict) -> tuple:
    year = item["year"]
    return (0 if year is not None else 1, -(year or 0), item["title"].lower())


def _safe_link(record: dict) -> str | None:
    # Only http(s) links: a javascript: or data: URL from a page must not become clickable.
    link = f"https://doi.org/{record['doi']}" if record.get("doi") else record.get("url")
    if not link or not re.match(r"^https?://", link, re.I):
        return None
    return quote(link, safe=":/?#[]@!$&'*+,;=%~-._")


def _plural(n: int, stype: str | None) -> str:
    one, many = STUDY_LABELS[stype]
    return f"{n} {one if n == 1 else many}"


def _summary(digest: _Digest, period: tuple[str, str]) -> str:
    head = f"{digest.total} new record{'s' if digest.total != 1 else ''} from {period[0]} to {period[1]} (UTC)"
    if not digest.total:
        return head + "."
    kinds = ", ".join(_plural(n, t) for t, n in sorted(digest.types.items(), key=lambda kv: _TYPE_ORDER[kv[0]]))
    named = sum(1 for d in digest.groups if d != OTHER_DRUG)
    return f"{head}: {kinds}; {named} drug{'s' if named != 1 else ''} named."


def _facts(item: dict) -> list[str]:
    if item.get("trial") is not None:     # a registration: no journal to name
        facts = ["ClinicalTrials.gov" + (f", {item['trial']}" if item["trial"] else "")]
    elif item.get("was_preprint"):
        facts = [f"preprint {item['was_preprint']} now published in {item['journal'] or 'a journal'}"]
    elif item.get("preprint"):
        facts = [f"preprint ({item['journal'] or 'preprint server'})"]
    else:
        facts = [item["journal"] or "journal unknown"]
    if item["year"] is not None:
        facts.append(str(item["year"]))
    if item["cases"] is not None:
        facts.append(f"{item['cases']} case{'s' if item['cases'] != 1 else ''}")
    return facts


def _heading(drug: str) -> str:
    return drug if drug == OTHER_DRUG else drug[:1].upper() + drug[1:]


# ---------------------------------------------------------------- Markdown

def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def _md_url(url: str) -> str:
    return url.replace("(", "%28").replace(")", "%29")


def _markdown(digest: _Digest, period: tuple[str, str]) -> str:
    lines = [f"# {_md(TITLE)}", "", _md(_summary(digest, period)), ""]
    for drug in digest.drugs():
        lines += [f"## {_md(_heading(drug))} ({digest.count(drug)})", ""]
        for stype, items in digest.sections(drug):
            lines += [f"### {_md(STUDY_LABELS[stype][1].capitalize())} ({len(items)})", ""]
            for item in items:
                title = _md(item["title"])
                link = item["link"]
                head = f"[{title}]({_md_url(link)})" if link else title
                lines.append(f"- {head}  ")
                lines.append(f"  {_md(' · '.join(_facts(item)))}" + ("  " if link else ""))
                if link:
                    lines.append(f"  <{_md_url(link)}>")
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


# ---------------------------------------------------------------- HTML

def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _html(digest: _Digest, period: tuple[str, str]) -> str:
    s = {k: _e(v) for k, v in _S.items()}
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8" />',
        '<meta name="viewport" content="width=device-width, initial-scale=1" />',
        f"<title>{_e(TITLE)}</title>",
        "</head>",
        f'<body style="{s["body"]}">',
        f'<div style="{s["wrap"]}">',
        f'<h1 style="{s["h1"]}">{_e(TITLE)}</h1>',
        f'<p style="{s["lead"]}">{_e(_summary(digest, period))}</p>',
    ]
    for drug in digest.drugs():
        out.append(f'<h2 style="{s["h2"]}">{_e(_heading(drug))} '
                   f'<span style="{s["count"]}">({digest.count(drug)})</span></h2>')
        for stype, items in digest.sections(drug):
            out.append(f'<h3 style="{s["h3"]}">{_e(STUDY_LABELS[stype][1].capitalize())} '
                       f'<span style="{s["count"]}">({len(items)})</span></h3>')
            out.append(f'<ul style="{s["ul"]}">')
            for item in items:
                link = item["link"]
                title = (f'<a href="{_e(link)}" style="{s["a"]}">{_e(item["title"])}</a>'
                         if link else f"<strong>{_e(item['title'])}</strong>")
                facts = _e(" · ".join(_facts(item)))
                row = f'<li style="{s["li"]}">{title}<br /><span style="{s["meta"]}">{facts}</span>'
                if link:
                    row += f'<br /><a href="{_e(link)}" style="{s["url"]}">{_e(link)}</a>'
                out.append(row + "</li>")
            out.append("</ul>")
    out += ["</div>", "</body>", "</html>"]
    return "\n".join(out) + "\n"
