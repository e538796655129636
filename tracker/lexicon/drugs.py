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

# generic -> {"class", "names", "codes", "misspellings", "abbrev"}, as in drugs.json,
# plus "variants": the regular Spanish/Portuguese forms of its names (romance_forms).
DRUGS: dict[str, dict] = _LEXICON["drugs"]
GENERICS: tuple[str, ...] = tuple(DRUGS)

# Separators that may sit between the parts of a name or code ("CT-P13" = "CT P13" = "CTP13").
SEPARATORS = re.compile(r"[\s\-\u2010\u2011\u2013,]+")


# Regular INN endings in Spanish and Portuguese: English -> (ES/PT forms). Portuguese adds
# "-e" to -mab, -nib, -mod; both languages turn -ine/-ide/-one/-ate into -ina/-ida/-ona/-ato.
_ENDINGS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("mab", ("mabe",)), ("nib", ("nibe",)), ("mod", ("mode",)),
    ("xacin", ("xacino", "xacina")), ("ine", ("ina",)), ("ide", ("ida",)), ("one", ("ona",)),
    ("ate", ("ato",)), ("ole", ("ol",)), ("en", ("eno",)), ("ac", ("aco",)), ("in", ("ina",)),
)
# Spelling: th -> t, ph -> f, y -> i, chl -> cl, ll -> l; k -> qu before e/i, else c.
_SPELLING = (("th", "t"), ("ph", "f"), ("y", "i"), ("chl", "cl"), ("ll", "l"),
             ("ke", "que"), ("ki", "qui"), ("k", "c"))
# Generated forms that are ordinary words are never used (another drug's name is skipped too).
_NOT_VARIANTS = frozenset({"medicina", "vitamina", "proteina", "gasolina", "disciplina", "rutina", "doctrina"})
_MIN_VARIANT_STEM = 7


def romance_forms(name: str) -> set[str]:
    """Regular Spanish/Portuguese spellings of a one-word lower-case INN name.

    "ustekinumab" -> {"ustekinumabe", "ustequinumab", "ustequinumabe"}; "azathioprine" ->
    {"azathioprina", "azatioprine", "azatioprina"}. Brands (capitalised), codes and names
    shorter than seven letters get none.
    """
    if len(name) < _MIN_VARIANT_STEM or not name.isalpha() or not name.islower():
        return set()
    spelled = name
    for old, new in _SPELLING:
        spelled = spelled.replace(old, new)
    forms = {spelled}
    for english, romance in _ENDINGS:
        if name.endswith(english):
            for stem in {name[: -len(english)], spelled[: -len(english)]}:
                forms.update(stem + ending for ending in romance)
            break
    return {f for f in forms if f != name and f not in _NOT_VARIANTS}


def _add_variants() -> None:
    listed = {name_key(n) for e in DRUGS.values() for n in [*e["names"], *e["codes"], *e["misspellings"]]}
    listed |= {name_key(g) for g in DRUGS}
    for generic, entry in DRUGS.items():
        variants: set[str] = set()
        for name in [generic, *entry["names"]]:
            variants |= romance_forms(name)
        entry["variants"] = sorted(v for v in variants if name_key(v) not in listed)


def name_key(text: str) -> str:
    """A name as the lexicon compares it: lower case, no separators."""
    return SEPARATORS.sub("", text.lower())


_add_variants()


def _build() -> tuple[dict[str, str], dict[str, str], dict[str, list[str]]]:
    by_key: dict[str, str] = {}      # name_key of a generic, name, code or misspelling -> generic
    abbrevs: dict[str, str] = {}     # exact abbreviation -> generic
    classes: dict[str, list[str]] = {}
    for generic, entry in DRUGS.items():
        classes.setdefault(entry["class"], []).append(generic)
        for name in [generic, *entry["names"], *entry["codes"], *entry["misspellings"], *entry["variants"]]:
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
    for _name in [*_entry["names"], *_entry["codes"], *_entry["misspellings"], *_entry["variants"]]:
        BRANDS[_name.lower()] = _generic
        BRANDS.setdefault(name_key(_name), _generic)


def generic_of(name: str) -> str | None:
    """The generic a generic, brand, code or misspelling names, however separated; else None."""
    return _BY_KEY.get(name_key(name))
