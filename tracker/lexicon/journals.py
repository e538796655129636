"""The bundled journal lists and name resolution.

Two lists: the field's own, kept by hand (tracker/data/journals.tsv, ~450
titles, loaded on import), and a catalog of ~20,000 biomedical titles with
their NLM and ISO abbreviations (journal_catalog.tsv, built from CC0 lists;
see its header). The catalog is read on first use only, and only by callers
that ask for it: extraction and indexing do, search does not.

`resolve(name)` maps a title, NLM/ISO abbreviation or variant to the one
canonical full title; `variants(title)` lists the names a search should try.

Resolution order: exact key (accents, case, punctuation, "&"/"and" and a
leading "The" ignored), then the key with a trailing "(Place)" dropped, then
(with catalog=True) the same two in the catalog, then a fuzzy match
(rapidfuzz, if installed) against the hand-kept list, for long names only.
The hand-kept list always wins: its spelling of a title is the canonical one.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from tracker.lexicon import DATA_DIR
from tracker.textutil import fold

_TSV = DATA_DIR / "journals.tsv"
_CATALOG_TSV = DATA_DIR / "journal_catalog.tsv"
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


@lru_cache(maxsize=1)
def _catalog() -> tuple[dict[str, int], list[tuple[str, str, str]]]:
    """(key -> row, rows of (title, NLM abbreviation, ISO abbreviation)); keys are precomputed."""
    index: dict[str, int] = {}
    rows: list[tuple[str, str, str]] = []
    for line in _CATALOG_TSV.read_text(encoding="utf-8").splitlines():
        if not line or line[0] == "#":
            continue
        title, nlm, iso, keys = line.split("\t")
        for key in keys.split("|"):
            index.setdefault(key, len(rows))
        rows.append((title, nlm, iso))
    return index, rows


def _in(table: dict[str, str] | dict[str, int], key: str, bare: str) -> str | None:
    """The key itself, its "(Place)"-less form, or a "... journal" form found in the table."""
    for candidate in (key, bare, key[:-8] if key.endswith(" journal") else ""):   # "Gut journal"
        if candidate and candidate in table:
            return candidate
    return None


@lru_cache(maxsize=8192)
def resolve(name: str | None, catalog: bool = False, fuzzy: bool = True) -> str | None:
    """Canonical full title for a journal name, abbreviation or variant; None if unknown.

    With catalog=True, names the hand-kept list lacks are looked up in the catalog.
    """
    if not name or not name.strip():
        return None
    key = norm_key(name)
    if not key:
        return None
    bare = key
    if name.rstrip().endswith(")") or " : " in name:   # "Cell Cycle (Georgetown, Tex.)", "Current biology : CB"
        bare = norm_key(_PAREN_TAIL.sub("", name.split(" : ")[0]))
    hit = _in(BY_KEY, key, bare)
    if hit:
        return BY_KEY[hit]
    if catalog:
        index, rows = _catalog()
        hit = _in(index, key, bare)
        if hit:
            title = rows[index[hit]][0]
            return BY_KEY.get(norm_key(title), title)   # the hand-kept spelling, if it has one
    return _fuzzy(key) if fuzzy else None


def lookup(name: str) -> str | None:
    """The journal a name exactly is (hand-kept list, then catalog; no fuzzy matching): for names
    read off running text, where a near miss is another journal ("Central European Journal of
    Gastroenterology" is not the European one)."""
    return resolve(name, catalog=True, fuzzy=False)


def is_common_word(title: str) -> bool:
    """Titles that are ordinary words ("Gut", "Blood", "Internal Medicine"): in prose they
    name a journal only in a citation context."""
    key = norm_key(title)
    return " " not in key or key in COMMON_WORD_TITLES


# Multi-word titles that read as ordinary phrases (department and specialty names).
COMMON_WORD_TITLES = frozenset({
    "internal medicine", "clinical medicine", "clinical nutrition", "drug safety", "public health",
    "infectious diseases", "critical care", "emergency medicine", "family practice", "general surgery",
    "gut microbes", "clinical immunology", "clinical epidemiology", "clinical therapeutics",
    "pediatric surgery", "digestive diseases", "clinical endoscopy", "visceral medicine",
    "clinical case reports", "case reports in medicine",
})


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
    names = _BY_TITLE.get(title)
    if names is None:
        names = [title]
        title = resolve(full_title, catalog=True) or full_title
        index, rows = _catalog()
        row = index.get(norm_key(title))
        if row is not None:
            names = [title] + [n for n in rows[row][1:] if n]
    names = list(names)
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
