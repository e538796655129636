"""The bundled journal list (tracker/data/journals.tsv) and name resolution.

`resolve(name)` maps a title, NLM/ISO abbreviation or variant to the one
canonical full title; `variants(title)` lists the names a search should try.

Resolution order: exact key (accents, case, punctuation, "&"/"and" and a
leading "The" ignored), then the key with a trailing "(Place)" dropped, then
a fuzzy match (rapidfuzz, if installed) for long names only.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from tracker.lexicon import DATA_DIR
from tracker.textutil import fold

_TSV = DATA_DIR / "journals.tsv"
_PAREN_TAIL = re.compile(r"\s*\([^()]*\)\s*$")
_NAME_PUNCT = re.compile(r"[^\w\s&]")
_NAME_WS = re.compile(r"\s+")
# Fuzzy matching is for misspelt long titles; short keys fuzzily match the wrong journal.
_FUZZY_MIN_LEN = 14
_FUZZY_CUTOFF = 93.0


def norm_key(text: str) -> str:
    """Comparison key for names: folded, lower, '&' -> 'and', no punctuation or leading 'the'."""
    text = fold(unicodedata.normalize("NFC", text)).lower()
    text = text.replace("'s", "s").replace("'", "")
    text = _NAME_PUNCT.sub(" ", text).replace("&", " and ")
    text = _NAME_WS.sub(" ", text).strip()
    if text.startswith("the "):
        text = text[4:]
    return text


def _load() -> tuple[list[tuple[str, list[str]]], dict[str, str]]:
    entries: list[tuple[str, list[str]]] = []
    index: dict[str, str] = {}
    for line in _TSV.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        title = cols[0].strip()
        names = [title]
        if len(cols) > 1 and cols[1].strip():
            names.append(cols[1].strip())
        if len(cols) > 2:
            names += [v.strip() for v in cols[2].split("|") if v.strip()]
        entries.append((title, names))
        for name in names:
            index.setdefault(norm_key(name), title)
    # Second pass: names without a trailing "(Place)", unless that is another journal's name.
    for title, names in entries:
        for name in names:
            bare = _PAREN_TAIL.sub("", name)
            if bare != name:
                index.setdefault(norm_key(bare), title)
    return entries, index


_ENTRIES, BY_KEY = _load()    # BY_KEY: norm_key of every listed name -> full title
_BY_TITLE = {title: names for title, names in _ENTRIES}
TITLES: tuple[str, ...] = tuple(_BY_TITLE)


@lru_cache(maxsize=2048)
def resolve(name: str | None) -> str | None:
    """Canonical full title for a journal name, abbreviation or variant; None if unknown."""
    if not name or not name.strip():
        return None
    key = norm_key(name)
    if not key:
        return None
    hit = BY_KEY.get(key)
    if hit:
        return hit
    bare = norm_key(_PAREN_TAIL.sub("", name))
    if bare in BY_KEY:
        return BY_KEY[bare]
    if key.endswith(" journal") and key[:-8] in BY_KEY:   # "Gut journal"
        return BY_KEY[key[:-8]]
    return _fuzzy(key)


def _fuzzy(key: str) -> str | None:
    if len(key) < _FUZZY_MIN_LEN:
        return None
    try:
        from rapidfuzz import fuzz, process
    except ImportError:  # optional dependency: exact matching only
        return None
    best = process.extractOne(key, list(BY_KEY), scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF)
    return BY_KEY[best[0]] if best else None


def variants(full_title: str) -> list[str]:
    """Every listed name for a journal: title, NLM abbreviation, its dotted form, variants."""
    title = resolve(full_title) or full_title
    names = list(_BY_TITLE.get(title, [title]))
    if len(names) > 1:
        names.insert(2, _dotted(names[1]))
    return list(dict.fromkeys(names))


def _dotted(abbr: str) -> str:
    """'Rev Med Chil' -> 'Rev. Med. Chil.'; acronyms and parentheses left alone."""
    if "(" in abbr:
        head, _, tail = abbr.partition("(")
        return _dotted(head.strip()) + " (" + tail
    words = abbr.split()
    if len(words) < 2:
        return abbr
    return " ".join(w if (w.isupper() and len(w) > 1) or not w.isalpha() else w + "." for w in words)
