"""The bundled journal list (tracker/data/journals.tsv) and name resolution.

`resolve(name)` maps a title, NLM/ISO abbreviation or variant to the one
canonical full title; `variants(title)` lists the names a search should try.
`scan_pattern()` is the compiled trie regex the prose extractor uses to spot
journal names in running text.

Resolution order: exact key (accents, case, punctuation, "&"/"and" and a
leading "The" ignored), then the key with a trailing "(Place)" dropped, then
a fuzzy match (rapidfuzz, if installed) for long names only.
"""

from __future__ import annotations

import re
from functools import lru_cache

from tracker.extract.textutil import DATA_DIR, norm_key, trie_pattern
from tracker.textutil import fold

_TSV = DATA_DIR / "journals.tsv"
_PAREN_TAIL = re.compile(r"\s*\([^()]*\)\s*$")
# Fuzzy matching is for misspelt long titles; short keys fuzzily match the wrong journal.
_FUZZY_MIN_LEN = 14
_FUZZY_CUTOFF = 93.0


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


_ENTRIES, _INDEX = _load()
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
    hit = _INDEX.get(key)
    if hit:
        return hit
    bare = norm_key(_PAREN_TAIL.sub("", name))
    if bare in _INDEX:
        return _INDEX[bare]
    if key.endswith(" journal") and key[:-8] in _INDEX:   # "Gut journal"
        return _INDEX[key[:-8]]
    return _fuzzy(key)


def _fuzzy(key: str) -> str | None:
    if len(key) < _FUZZY_MIN_LEN:
        return None
    try:
        from rapidfuzz import fuzz, process
    except ImportError:  # optional dependency: exact matching only
        return None
    best = process.extractOne(key, list(_INDEX), scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF)
    return _INDEX[best[0]] if best else None


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


def _scan_terms() -> list[str]:
    """Keys for the text scanner: folded, lower, punctuation as single spaces."""
    terms: set[str] = set()
    for key in _INDEX:
        if len(key) < 3:
            continue
        terms.add(key)
        if " and " in key:
            terms.add(key.replace(" and ", " & "))
    return sorted(terms)


@lru_cache(maxsize=1)
def scan_pattern() -> re.Pattern:
    """Trie regex over folded text: any listed journal name, dots and commas allowed between words."""
    body = trie_pattern(_scan_terms(), sep=r"[\s.,:\-]{1,3}", apostrophe_s=True)
    return re.compile(r"(?<![\w])(?:the\s+)?(" + body + r")\.?(?![\w])", re.I)


def find_journals(text: str) -> list[tuple[int, int, str]]:
    """(start, end, canonical title) for every listed journal name in `text`, capitalised as names are."""
    folded = fold(text)
    out = []
    for m in scan_pattern().finditer(folded):
        start, end = m.span(1)
        if not text[start].isupper() and not text[start].isdigit():
            continue  # "gut microbiota", "in medicine": common words, not titles
        title = resolve(text[start:end])
        if title:
            out.append((start, end, title))
    return out
