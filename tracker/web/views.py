"""What the pages show, computed apart from HTTP: facet links, snippets, links out, the year chart."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from markupsafe import Markup, escape

from tracker.output.render import TYPE_LABELS

FACETS = ("year", "journal", "drug", "study_type")
FACET_TITLES = {"year": "Year", "journal": "Journal", "drug": "Drug", "study_type": "Design"}
SORTS = ("relevance", "year", "-year", "cases")
SORT_TITLES = {"relevance": "relevance", "year": "oldest first", "-year": "newest first", "cases": "most cases"}
NONE = "(none)"     # the facet value of records without one (tracker.index)

# The order and names of a record page's fields (provenance shown beside each where the record has it).
RECORD_FIELDS = ("title", "authors", "journal", "year", "published", "study_type", "case_count", "drugs",
                 "conditions", "doi", "pmid", "pmcid", "url", "language", "feeds", "first_seen", "fetched_at")


def clause(facet: str, value: str) -> str:
    """The query clause a facet value's link adds."""
    if facet == "year":
        return f"year:{value}"
    if facet == "study_type":
        return f"type:{value}"
    if facet == "drug":
        return f"drug:{value}" if re.fullmatch(r"[\w-]+", value) else f'drug:"{value}"'
    return f'journal:"{value.replace(chr(34), "")}"'


def with_clause(query: str, facet: str, value: str) -> str:
    added = clause(facet, value)
    query = query.strip()
    return added if query in ("", "*") else f"{query} {added}"


def search_url(query: str, **params: Any) -> str:
    pairs = [("q", query)] + [(k, v) for k, v in params.items() if v not in (None, "", "relevance", 1)]
    return "/?" + urlencode(pairs)


def record_url(record_id: str) -> str:
    return "/record/" + quote(record_id, safe=":")


def type_label(value: str | None) -> str:
    return TYPE_LABELS.get(value or "", (value or "").replace("_", " "))


def marked(text: str | None) -> Markup:
    """A highlight ([[word]] around matches) as HTML: everything escaped, the marks as <mark>."""
    safe = str(escape(text or ""))
    return Markup(safe.replace("[[", "<mark>").replace("]]", "</mark>"))


def snippet(highlights: dict[str, str], record: dict[str, Any], width: int = 300) -> Markup:
    text = highlights.get("abstract") or highlights.get("body")
    if text:
        return marked(text)
    abstract = record.get("abstract") or ""
    return Markup(escape(abstract if len(abstract) <= width else abstract[:width].rsplit(" ", 1)[0] + " …"))


def title(highlights: dict[str, str], record: dict[str, Any]) -> Markup:
    """The whole title, its matched words marked; a highlight that is only a fragment of it is not used."""
    full = record.get("title") or ""
    hl = highlights.get("title") or ""
    if hl and hl.replace("[[", "").replace("]]", "") == full:
        return marked(hl)
    return Markup(escape(full or "(untitled)"))


def links_out(record: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, URL) of the record elsewhere; only http(s) addresses are ever linked."""
    out = []
    if record.get("doi"):
        out.append(("DOI", "https://doi.org/" + quote(record["doi"], safe="/:;()._-")))
    if record.get("pmid") and str(record["pmid"]).isdigit():
        out.append(("PubMed", f"https://pubmed.ncbi.nlm.nih.gov/{record['pmid']}/"))
    pmcid = str(record.get("pmcid") or "")
    if re.fullmatch(r"PMC\d+", pmcid):
        out.append(("PMC", f"https://www.ncbi.nlm.nih.gov/pmc/articles/{pmcid}/"))
    if is_web(record.get("url")):
        out.append(("Page", record["url"]))
    return out


def is_web(url: Any) -> bool:
    if not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def shown(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return "—" if value in (None, "") else str(value)


def year_chart(counts: list[tuple[str, int]], query: str, width: int = 230, height: int = 120) -> dict[str, Any]:
    """Bars of records per year (the year facet), oldest left; each bar links to its year."""
    years = sorted((int(v), n) for v, n in counts if v.isdigit())
    if not years:
        return {"bars": [], "width": width, "height": height}
    first, last = years[0][0], years[-1][0]
    span = last - first + 1
    top = max(n for _, n in years)
    slot = width / span
    bars = []
    for year, n in years:
        h = max(1.0, (height - 30) * n / top)     # 14 px for the labels below, 16 above
        bars.append({"x": round((year - first) * slot, 1), "y": round(height - 14 - h, 1),
                     "w": round(max(1.0, slot - 1), 1), "h": round(h, 1), "year": year, "n": n,
                     "href": search_url(with_clause(query, "year", str(year)))})
    return {"bars": bars, "width": width, "height": height, "first": first, "last": last, "top": top}
