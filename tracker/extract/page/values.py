"""Small normalisers for values read from page metadata."""

from __future__ import annotations

import html
import re

from tracker.extract.page.rules import NAME_PARTICLES, ORGANIZATION_WORDS
from tracker.models import clean_text

_TAG = re.compile(r"<[^<>]{0,2000}>")
_INITIALS = re.compile(r"^[A-Z]{1,4}$")
_WORD = re.compile(r"^[^\W\d_][\w'’.-]*$")


def plain(value: str | None) -> str | None:
    """Markup removed, entities decoded, whitespace normalised."""
    if value is None:
        return None
    text = _TAG.sub(" ", str(value)) if "<" in str(value) else str(value)
    return clean_text(html.unescape(text))


def split_list(values: list[str], seps: str = ";,") -> list[str]:
    out: dict[str, None] = {}
    for value in values:
        for part in re.split(f"[{re.escape(seps)}]", value):
            part = plain(part)
            if part:
                out.setdefault(part, None)
    return list(out)


def _initials(given: str) -> str:
    letters = []
    for token in re.split(r"[\s.]+", given):
        for piece in token.split("-"):
            if piece and piece[0].isalpha():
                letters.append(piece[0].upper())
    return "".join(letters)


def is_organization(name: str) -> bool:
    words = {w.lower().strip(".,") for w in name.split()}
    return bool(words & ORGANIZATION_WORDS) or len(words) > 6


def author_name(raw: str | None) -> str | None:
    """'Last, First M.' or 'First M. Last' -> 'Last FM'; otherwise as given.

    Only unambiguous shapes are rewritten: two names, or given names plus
    initials, or a family name led by a particle (van, de, da...). A run of
    three full words could hold a double family name (García López), so it
    stays as given.
    """
    name = plain(raw)
    if not name or name.lower().startswith(("http://", "https://")):
        return None
    if is_organization(name) or name.isupper():
        return name
    if name.count(",") == 1:
        family, given = (p.strip() for p in name.split(","))
        if given.lower().rstrip(".") in ("jr", "sr", "ii", "iii", "md", "phd"):
            return name
        if family and given and all(_WORD.match(w) for w in (family + " " + given).split()):
            initials = _initials(given)
            return f"{family} {initials}" if initials else family
        return name
    if "," in name:
        return name
    words = name.split()
    if len(words) < 2 or not all(_WORD.match(w) for w in words):
        return name
    if _INITIALS.match(words[-1]) and len(words) >= 2:
        return name  # already "Family Initials"
    lowered = [w.lower() for w in words]
    for i in range(1, len(words) - 1):
        if lowered[i] in NAME_PARTICLES:
            return f"{' '.join(words[i:])} {_initials(' '.join(words[:i]))}"
    if len(words) == 2:
        return f"{words[1]} {_initials(words[0])}"
    middle = words[1:-1]
    if all(len(w.rstrip(".")) == 1 for w in middle):
        return f"{words[-1]} {_initials(' '.join(words[:-1]))}"
    return name
