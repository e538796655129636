"""Shared helpers for the registry sources: markup flattening, names, JSON.

Registry records carry titles and abstracts with inline markup (PubMed XML
elements, Europe PMC HTML, Crossref JATS). The record wants plain text, so
markup is dropped, block elements become spaces and section headings become
"Heading: " labels, the way PubMed renders labelled abstracts.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from html.parser import HTMLParser
from typing import Any
from xml.etree.ElementTree import Element

from tracker.errors import ParseError
from tracker.models import single_spaced

# Elements that end a run of text: a space keeps words from gluing together.
_BLOCK = frozenset({
    "p", "br", "div", "li", "ul", "ol", "tr", "td", "th", "table", "section", "sec",
    "list", "list-item", "caption", "label", "def-list", "disp-quote", "blockquote",
})
# Elements whose text is a section heading, rendered as "Heading: ".
_HEADING = frozenset({"title", "h1", "h2", "h3", "h4", "h5", "h6"})
# Elements whose content is never prose (MathML annotations carry TeX source).
_SKIP = frozenset({"script", "style", "annotation", "annotation-xml", "object-id"})
# Headings that only announce the abstract itself ("Abstract", "Summary").
_DROPPED_HEADINGS = frozenset({"abstract", "summary", "graphical abstract"})


def squash(text: str | None) -> str | None:
    """Whitespace normalised; None when nothing is left."""
    if text is None:
        return None
    out = single_spaced(text).strip()
    return out or None


def _local(tag: str) -> str:
    """'jats:p' -> 'p', '{ns}mi' -> 'mi'."""
    if "}" in tag:
        tag = tag.rsplit("}", 1)[1]
    return tag.rsplit(":", 1)[-1].lower()


class _Flattener(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.heading: list[str] | None = None
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        name = _local(tag)
        if name in _SKIP:
            self.skip += 1
        elif name in _HEADING:
            self.heading = []
        elif name in _BLOCK:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: Any) -> None:
        if _local(tag) in _BLOCK:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        name = _local(tag)
        if name in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif name in _HEADING and self.heading is not None:
            text = squash("".join(self.heading)) or ""
            self.heading = None
            if text and text.lower().rstrip(":.") not in _DROPPED_HEADINGS:
                self.parts.append(f" {text}{'' if text[-1] in ':.?!' else ':'} ")
        elif name in _BLOCK:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        (self.heading if self.heading is not None else self.parts).append(data)


def flatten_markup(text: str | None) -> str | None:
    """HTML or JATS fragment -> plain text; entities decoded, headings labelled."""
    if not text:
        return None
    if "<" not in text and "&" not in text:
        return squash(text)
    parser = _Flattener()
    parser.feed(text)
    parser.close()
    if parser.heading:  # an unclosed heading still holds words
        parser.parts.extend(parser.heading)
    return squash("".join(parser.parts))


def element_text(el: Element | None) -> str | None:
    """All text inside an XML element, inline markup (i, sup, mml:...) dropped."""
    if el is None:
        return None
    return squash("".join(_itertext(el)))


def _itertext(el: Element) -> Iterable[str]:
    if _local(el.tag) in _SKIP:
        return
    if el.text:
        yield el.text
    for child in el:
        yield from _itertext(child)
        if child.tail:
            yield child.tail


def initials(given: str | None) -> str:
    """'John A.' -> 'JA', 'Jean-Pierre' -> 'JP', 'M' -> 'M'."""
    if not given:
        return ""
    return "".join(part[0] for part in re.split(r"[\s.\-‐]+", given) if part and part[0].isalpha()).upper()


def person(family: str | None, given_initials: str | None) -> str | None:
    """'Family Initials', the record's author form."""
    family = squash(family)
    given_initials = squash(given_initials)
    if family and given_initials:
        return f"{family} {given_initials}"
    return family or given_initials


def dedupe(values: Iterable[str | None]) -> list[str]:
    """Non-empty values in first-seen order, case-insensitively unique."""
    seen: set[str] = set()
    out: list[str] = []
    for value in values:
        text = squash(value)
        if text and text.lower() not in seen:
            seen.add(text.lower())
            out.append(text)
    return out


def _finite(text: str) -> float | None:
    # 1e999 reads as infinity: no field of a record can use it, so it reads as null
    value = float(text)
    return value if math.isfinite(value) else None


def _bounded_int(text: str) -> int | None:
    # Past 4,300 digits int() raises for the whole document; no identifier or count is that long.
    return int(text) if len(text) <= 100 else None


def load_json(body: bytes, service: str) -> Any:
    """A registry response's JSON; ParseError naming `service` and how the body began.

    NaN, Infinity and numbers beyond a float's range or a hundred digits read
    as null, so one odd value costs at most that field; a document nested too
    deeply to parse is a ParseError (one page), never a RecursionError.
    """
    try:
        # strict=False tolerates raw control characters in strings
        return json.loads(body, strict=False, parse_constant=lambda _name: None,
                          parse_float=_finite, parse_int=_bounded_int)
    except RecursionError:
        raise ParseError(f"{service} returned JSON nested too deeply to read.") from None
    except (UnicodeDecodeError, ValueError):
        snippet = body[:60].decode("utf-8", "replace").strip()
        raise ParseError(f"{service} did not return JSON (it began {snippet!r}).") from None
