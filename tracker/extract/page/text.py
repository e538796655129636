"""The main text of a page: boilerplate and reference lists removed.

Steps, in order: (1) one pass over the tree drops boilerplate by tag, ARIA
role, hidden flags and id/class words, and reference-list containers; the
containers of the main content are protected from the id/class rules (a
<body class="has-sidebar"> must survive); (2) a "References" heading cuts
itself and everything after it; (3) the main container is [itemprop=
articleBody], then <article>, <main>, role=main, else the element holding
the most paragraph text, else <body>; (4) its text is serialised with one
line per block. Every walk is iterative so deeply nested HTML cannot
exhaust the stack, and every per-element check reads bounded text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tracker.extract.page.rules import (
    ABSTRACT_HEADINGS,
    ABSTRACT_SELECTORS,
    BLOCK_TAGS,
    BOILERPLATE_SUBSTRINGS,
    BOILERPLATE_TOKENS,
    DROP_ROLES,
    DROP_TAGS,
    LAYOUT_TOKENS,
    MAIN_SELECTORS,
    MAX_ABSTRACT_CHARS,
    MAX_BODY_CHARS,
    MIN_MAIN_CHARS,
    REFERENCE_HEADINGS,
    REFERENCE_MARKERS,
)

if TYPE_CHECKING:
    from bs4 import BeautifulSoup, Tag

_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_REFERENCE = re.compile(
    r"(?:^|[\s_-])(?:" + "|".join(re.escape(m) for m in REFERENCE_MARKERS) + r")(?:$|[\s_\d-])")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_PROTECTED_NAMES = frozenset({"[document]", "html", "body", "main", "article"})
_HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6", "p", "strong", "b", "span", "div", "dt", "summary")
_NEWLINE = object()
_INVISIBLE = frozenset({"script", "style", "noscript", "template", "svg", "head", "title", "meta", "link"})


def _ident(tag: "Tag") -> str:
    """id and class of a tag, bounded (attributes may be megabytes long)."""
    cls = tag.get("class")
    cls = " ".join(cls) if isinstance(cls, list) else str(cls or "")
    return f"{str(tag.get('id') or '')[:200]} {cls[:300]}".strip()


def _boilerplate(ident: str) -> str | None:
    """'layout' when only layout words match, 'strong' for any other
    boilerplate word, None when the id/class says nothing."""
    if not ident:
        return None
    lowered = ident.lower()
    hits = {s for s in BOILERPLATE_SUBSTRINGS if s in lowered}
    tokens = set(_NON_WORD.split(_CAMEL.sub(" ", ident).lower())) & BOILERPLATE_TOKENS
    hits |= tokens
    if not hits:
        return None
    return "layout" if hits <= LAYOUT_TOKENS else "strong"


def _main_candidates(soup: "BeautifulSoup", limit: int = 40) -> list["Tag"]:
    """Main-content candidates in document order (one pass over the tree)."""
    return soup.select(", ".join(MAIN_SELECTORS), limit=limit)


def _with_ancestors(tags: list["Tag"]) -> set[int]:
    """ids of the tags and all their ancestors (each node visited once)."""
    keep: set[int] = set()
    for tag in tags:
        node = tag
        while node is not None and id(node) not in keep:
            keep.add(id(node))
            node = node.parent
    return keep


def _densest(soup: "BeautifulSoup") -> "Tag | None":
    """The element whose own <p> children hold the most text."""
    scores: dict[int, tuple[int, "Tag"]] = {}
    for p in soup.find_all("p", limit=5000):
        parent = p.parent
        if parent is not None:
            total = scores.get(id(parent), (0, parent))[0] + len(p.get_text()[:5000].strip())
            scores[id(parent)] = (total, parent)
    if not scores:
        return None
    total, parent = max(scores.values(), key=lambda pair: pair[0])
    return parent if total >= MIN_MAIN_CHARS else None


def _drop(tag: "Tag", keep: set[int], soft: set[int]) -> bool:
    """keep: main candidates and ancestors, never removed for layout or
    id/class reasons; soft: the densest block and ancestors, spared from
    layout words only."""
    name = tag.name
    if name in DROP_TAGS:
        # a <header> wrapping the whole page must not take the article with it
        return name not in ("header", "footer") or (id(tag) not in keep and id(tag) not in soft)
    if tag.has_attr("hidden") or str(tag.get("aria-hidden", "")).lower() == "true":
        return id(tag) not in keep
    role = str(tag.get("role") or "").lower()[:40]
    if role in DROP_ROLES or "bibliography" in str(tag.get("epub:type") or "")[:40]:
        return True
    ident = _ident(tag)
    if ident and _REFERENCE.search(ident.lower()):
        return True
    if id(tag) in keep or name in _PROTECTED_NAMES:
        return False
    kind = _boilerplate(ident)
    return kind == "strong" or (kind == "layout" and id(tag) not in soft)


def strip_boilerplate(soup: "BeautifulSoup", candidates: list["Tag"]) -> None:
    from bs4 import Tag

    keep = _with_ancestors(candidates)
    dense = _densest(soup)
    soft = _with_ancestors([dense]) if dense is not None else set()
    stack: list[Tag] = [soup]
    while stack:
        node = stack.pop()
        for child in list(node.contents):
            if isinstance(child, Tag):
                if _drop(child, keep, soft):
                    child.extract()
                else:
                    stack.append(child)


def _short_text(tag: "Tag", limit: int = 60, steps: int = 40) -> str | None:
    """The text of a small element, or None when it is long or deep.

    Walks by hand: bs4's .descendants first seeks the subtree's last node,
    which is linear in the subtree and quadratic over nested candidates.
    """
    from bs4 import NavigableString

    out: list[str] = []
    size = 0
    stack: list[object] = list(reversed(tag.contents))
    for _ in range(steps):
        if not stack:
            text = " ".join("".join(out).split())
            return text if len(text) <= limit else None
        node = stack.pop()
        if isinstance(node, NavigableString):
            size += len(node)
            if size > limit * 3:
                return None
            out.append(str(node))
        else:
            stack.extend(reversed(node.contents))
    return None


def _has_text(tag: object) -> bool:
    from bs4 import NavigableString, Tag

    if isinstance(tag, NavigableString):
        return bool(tag.strip())
    if isinstance(tag, Tag):
        return any(s.strip() for s in tag.strings)
    return False


def in_boilerplate(tag: Tag, depth: int = 30) -> bool:
    """Whether a tag sits in navigation, an aside, a footer, a reference list or a block whose
    id/class marks boilerplate ("related-articles", "sidebar")."""
    node: Tag | None = tag
    for _ in range(depth):
        node = node.parent if node is not None else None
        if node is None or node.name in _PROTECTED_NAMES:
            return False
        if node.name in ("nav", "aside", "footer") or str(node.get("role") or "").lower() in DROP_ROLES:
            return True
        ident = _ident(node)
        if ident and (_REFERENCE.search(ident.lower()) or _boilerplate(ident) == "strong"):
            return True
    return False


def cut_reference_sections(soup: "BeautifulSoup") -> list[str]:
    """Remove each "References" heading and what follows it; return the text
    of each removed section (a news story's one-entry "Reference" is its study)."""
    from bs4 import NavigableString, Tag

    removed: list[str] = []
    for heading in soup.find_all(_HEADING_TAGS):
        if heading.parent is None:
            continue
        if heading.name not in _HEADING_TAGS[:6] and (
                len(heading.contents) > 2
                or not any(isinstance(c, NavigableString) and c.strip() for c in heading.contents)
                and not (len(heading.contents) == 1 and getattr(heading.contents[0], "name", "") in ("b", "strong"))):
            continue  # a pseudo-heading is a short element with its own text (or one <b>)
        text = _short_text(heading)
        if not text or text.lower().rstrip(":. ") not in REFERENCE_HEADINGS:
            continue
        node = heading
        section: list[str] = []
        for _ in range(4):
            cut = False
            for sib in list(node.next_siblings):
                if _has_text(sib):
                    cut = True
                    section.append(serialise(sib) if isinstance(sib, Tag) else str(sib).strip())
                sib.extract()
            parent = node.parent
            if node is heading or not _has_text(node):
                node.extract()
            if cut or parent is None or parent.name in _PROTECTED_NAMES or parent.get("role") == "main":
                break
            node = parent
        removed.append("\n".join(line for line in section if line))
    return removed


def serialise(root: "Tag", limit: int = MAX_BODY_CHARS, skip_tags: frozenset[str] = frozenset()) -> str:
    """Text with one line per block element, whitespace normalised, at most `limit` characters."""
    from bs4 import Comment, Declaration, Doctype, NavigableString, ProcessingInstruction

    skip = (Comment, Declaration, Doctype, ProcessingInstruction)
    parts: list[str] = []
    size = 0
    stack: list[object] = [root]
    while stack and size < limit * 2:
        item = stack.pop()
        if item is _NEWLINE:
            parts.append("\n")
        elif isinstance(item, NavigableString):
            if not isinstance(item, skip):
                # a newline in the source is a space; only blocks break lines
                parts.append(str(item).replace("\n", " "))
                size += len(item)
        elif getattr(item, "name", None) not in skip_tags:
            if item.name in BLOCK_TAGS:
                parts.append("\n")
                stack.append(_NEWLINE)
            elif item.name in ("td", "th"):
                parts.append(" ")
            stack.extend(reversed(item.contents))
    lines = (_SPACES.sub(" ", line).strip() for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)[:limit]


def _attached(tag: "Tag", soup: "BeautifulSoup") -> bool:
    node = tag
    while node.parent is not None:
        node = node.parent
    return node is soup


def _text_len(tag: "Tag") -> int:
    return sum(len(s.strip()) for s in tag.find_all(string=True, limit=20000))


def main_container(soup: "BeautifulSoup", candidates: list["Tag"]) -> "Tag":
    best, best_len = None, 0
    for tag in candidates:
        if not _attached(tag, soup):
            continue  # inside a block removed as boilerplate
        size = _text_len(tag)
        if size > best_len:
            best, best_len = tag, size
    if best is not None and best_len >= MIN_MAIN_CHARS:
        return best
    dense = _densest(soup)
    if dense is not None:
        return dense
    return soup.body or soup


@dataclass
class MainContent:
    text: str                       # the main text, serialised
    links: list[str]                # hrefs of the links in it, in order
    cut_sections: list[str]         # text of each reference section removed from it


def main_content(soup: BeautifulSoup) -> MainContent:
    """Clean the soup in place; the main text, its links and the reference sections cut."""
    candidates = _main_candidates(soup)
    strip_boilerplate(soup, candidates)
    cut = cut_reference_sections(soup)
    root = main_container(soup, candidates)
    links = [str(a["href"])[:2000] for a in root.find_all("a", href=True, limit=500)]
    return MainContent(serialise(root), links, cut)


def main_text(soup: "BeautifulSoup") -> str:
    """Clean the soup in place and return the main text."""
    return main_content(soup).text


def head_text(soup: BeautifulSoup, limit: int) -> str:
    """The first `limit` characters of the page's visible text, one line per block, before any
    cleaning: mastheads, breadcrumbs and issue lines live in the header that cleaning drops."""
    root = soup.body or soup
    lines = serialise(root, limit=limit, skip_tags=_INVISIBLE).split("\n")
    for n, line in enumerate(lines):
        if line.lower().rstrip(":. ") in REFERENCE_HEADINGS:
            return "\n".join(lines[:n])   # a reference list is nobody's masthead
    return "\n".join(lines)


def abstract_section(soup: "BeautifulSoup") -> str | None:
    """The first paragraph(s) of an abstract block in the HTML, if any."""
    for tag in soup.select(", ".join(ABSTRACT_SELECTORS), limit=10):
        if tag.find_parent(["nav", "aside", "footer"]):
            continue
        paras = [serialise(p) for p in tag.find_all("p", limit=40)] or [serialise(tag)]
        lines = [line for para in paras for line in para.split("\n")]
        while lines and lines[0].lower().rstrip(":. ") in ABSTRACT_HEADINGS:
            lines.pop(0)
        text = " ".join(lines)[:MAX_ABSTRACT_CHARS].strip()
        if len(text) >= 40:
            return text
    return None
