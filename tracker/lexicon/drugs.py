"""The IBD drug lexicon (tracker/data/drugs.json) and its lookups.

Per generic name: its class, brand and biosimilar names, development codes,
misspellings and case-sensitive abbreviations. Search code imports this
module to expand queries, so it loads with the standard library alone.
"""

from __future__ import annotations

import json
import re

from tracker.lexicon import DATA_DIR

_LEXICON = json.loads((DATA_DIR / "drugs.json").read_text(encoding="utf-8"))

# generic -> {"class", "names", "codes", "misspellings", "abbrev"}, as in drugs.json.
DRUGS: dict[str, dict] = _LEXICON["drugs"]
GENERICS: tuple[str, ...] = tuple(DRUGS)

# Separators that may sit between the parts of a name or code ("CT-P13" = "CT P13" = "CTP13").
SEPARATORS = re.compile(r"[\s\-\u2010\u2011\u2013,]+")


def name_key(text: str) -> str:
    """A name as the lexicon compares it: lower case, no separators."""
    return SEPARATORS.sub("", text.lower())


def _build() -> tuple[dict[str, str], dict[str, str], dict[str, list[str]]]:
    by_key: dict[str, str] = {}      # name_key of a generic, name, code or misspelling -> generic
    abbrevs: dict[str, str] = {}     # exact abbreviation -> generic
    classes: dict[str, list[str]] = {}
    for generic, entry in DRUGS.items():
        classes.setdefault(entry["class"], []).append(generic)
        for name in [generic, *entry["names"], *entry["codes"], *entry["misspellings"]]:
            by_key.setdefault(name_key(name), generic)
        for abbr in entry["abbrev"]:
            abbrevs[abbr] = generic
    for cls, aliases in _LEXICON["classes"].items():
        members = classes.setdefault(cls, [])
        for alias in aliases:
            classes.setdefault(alias.lower(), members)
    return by_key, abbrevs, classes


_BY_KEY, ABBREVIATIONS, CLASSES = _build()

# Every brand, code, variant (as written in the lexicon, lower case) -> generic.
BRANDS: dict[str, str] = {}
for _generic, _entry in DRUGS.items():
    for _name in [*_entry["names"], *_entry["codes"], *_entry["misspellings"]]:
        BRANDS[_name.lower()] = _generic
        BRANDS.setdefault(name_key(_name), _generic)


def generic_of(name: str) -> str | None:
    """The generic a generic, brand, code or misspelling names, however separated; else None."""
    return _BY_KEY.get(name_key(name))
