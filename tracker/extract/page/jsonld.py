"""JSON-LD in a page -> candidate field values.

Handles a single object, a list, an @graph array, nested mainEntity,
@type given as a list or with a schema.org prefix, and @id references
between graph nodes. Malformed scripts are skipped silently: the other
layers of the cascade still apply.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from tracker.extract.page.rules import (
    MAX_JSONLD_CHARS,
    MAX_JSONLD_NODES,
    ORGANIZATION_TYPES,
    PAGE_TYPES,
    PERIODICAL_TYPES,
    SCHOLARLY_TYPES,
)
from tracker.models import normalize_doi

if TYPE_CHECKING:
    from bs4 import BeautifulSoup

_WRAPPER = re.compile(r"^\s*(?:<!--|<!\[CDATA\[)|(?:-->|\]\]>)\s*$")
_DOI_IN = re.compile(r"10\.\d{4,9}/[^\s\"'<>]+")


def _types(node: dict) -> set[str]:
    raw = node.get("@type") or node.get("type") or []
    if isinstance(raw, str):
        raw = [raw]
    out = set()
    for t in raw if isinstance(raw, list) else []:
        if isinstance(t, str):
            out.add(re.sub(r"^(?:https?://schema\.org/|schema:)", "", t.strip()).lower())
    return out


def _load(text: str) -> Any:
    text = _WRAPPER.sub("", text[:MAX_JSONLD_CHARS]).strip()
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        pass
    # a common publisher slip: a trailing comma before } or ]
    try:
        return json.loads(re.sub(r",\s*([}\]])", r"\1", text))
    except ValueError:
        return None


def _walk(data: Any) -> Iterator[dict]:
    """Every dict node, breadth first, without recursion and within bounds."""
    queue = [data]
    seen = 0
    while queue and seen < MAX_JSONLD_NODES:
        item = queue.pop(0)
        if isinstance(item, list):
            queue.extend(item[:500])
            continue
        if not isinstance(item, dict):
            continue
        seen += 1
        yield item
        for key in ("@graph", "mainEntity"):
            child = item.get(key)
            if isinstance(child, (dict, list)):
                queue.append(child)


def jsonld_nodes(soup: BeautifulSoup) -> list[dict]:
    nodes: list[dict] = []
    for script in soup.find_all("script", type=re.compile(r"ld\+json", re.I)):
        data = _load(script.string or script.get_text() or "")
        if data is not None:
            nodes.extend(_walk(data))
    return nodes


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        for key in ("@value", "name", "value", "text"):
            if isinstance(value.get(key), str):
                return value[key]
    if isinstance(value, list) and value:
        return _text(value[0])
    return None


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _resolve(value: Any, ids: dict[str, dict]) -> Any:
    if isinstance(value, dict) and set(value) <= {"@id"} and value.get("@id") in ids:
        return ids[value["@id"]]
    return value


def _authors(node: dict, ids: dict[str, dict]) -> list[tuple[str, bool]]:
    """(name, is_organization) pairs."""
    out = []
    for raw in _as_list(node.get("author") or node.get("creator"))[:500]:
        raw = _resolve(raw, ids)
        if isinstance(raw, str):
            out.append((raw, False))
        elif isinstance(raw, dict):
            name = _text(raw.get("name"))
            if not name and (raw.get("familyName") or raw.get("givenName")):
                family, given = _text(raw.get("familyName")) or "", _text(raw.get("givenName")) or ""
                name = f"{family}, {given}" if family and given else family or given
            if name:
                out.append((name, bool(_types(raw) & ORGANIZATION_TYPES)))
    return out


def _periodical(node: dict, ids: dict[str, dict]) -> str | None:
    """Name of the journal: follow isPartOf (issue -> volume -> periodical)."""
    current: Any = node
    for _ in range(4):
        parent = _resolve(current.get("isPartOf"), ids) if isinstance(current, dict) else None
        if isinstance(parent, list):
            parent = _resolve(parent[0], ids) if parent else None
        if isinstance(parent, str):
            return parent
        if not isinstance(parent, dict):
            return None
        types = _types(parent)
        if "periodical" in types or not types:
            return _text(parent.get("name"))
        if not types & PERIODICAL_TYPES:
            return None  # a WebSite or publisher, not the journal
        current = parent
    return None


def _dois(node: dict) -> list[str]:
    found: list[str] = []
    for key in ("identifier", "sameAs", "@id", "url"):
        for value in _as_list(node.get(key))[:50]:
            if isinstance(value, dict):
                prop = str(value.get("propertyID") or value.get("name") or "").lower()
                value = value.get("value") or value.get("@id") or value.get("url")
                if prop and prop != "doi" and not str(value or "").startswith(("doi:", "10.")):
                    continue
            if isinstance(value, str):
                match = _DOI_IN.search(value) if "doi" in value.lower() or value.startswith("10.") else None
                doi = normalize_doi(match.group(0)) if match else None
                if doi:
                    found.append(doi)
    return found


def _pick(nodes: list[dict]) -> tuple[dict | None, bool]:
    """The node describing this page, and whether it is a scholarly work."""
    for node in nodes:
        if _types(node) & SCHOLARLY_TYPES:
            return node, True
    for node in nodes:
        if _types(node) & PAGE_TYPES:
            return node, False
    return None, False


def read_jsonld(soup: BeautifulSoup) -> dict[str, Any]:
    """Candidate values keyed like the cascade's fields; scholarly ones only
    when the chosen node is a ScholarlyArticle (or a subtype)."""
    nodes = jsonld_nodes(soup)
    node, scholarly = _pick(nodes)
    if node is None:
        return {}
    ids = {n["@id"]: n for n in nodes if isinstance(n.get("@id"), str) and len(n) > 1}
    out: dict[str, Any] = {
        "title": _text(node.get("headline")) or _text(node.get("name")),
        "abstract": _text(node.get("abstract")) or _text(node.get("description")),
        "authors": _authors(node, ids),
        "published": _text(node.get("datePublished")) or _text(node.get("dateCreated")),
        "language": _text(node.get("inLanguage")),
        "keywords": [k for k in (_text(v) for v in _as_list(node.get("keywords"))) if k],
        "scholarly": scholarly,
    }
    if scholarly:
        out["journal"] = _periodical(node, ids)
        out["year_date"] = out["published"] or _text(node.get("copyrightYear"))
        dois = _dois(node)
        out["doi"] = dois[0] if dois else None
    return {k: v for k, v in out.items() if v not in (None, "", [])}
