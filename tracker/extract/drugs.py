"""`find_drugs(text)`: the drug lexicon (tracker.lexicon.drugs) applied to text.

1. exact names, brands and codes, case-insensitive, hyphen/space optional
   between parts ("CT-P13" = "CT P13" = "CTP13");
2. abbreviations ("IFX", "MTX", "6-MP") case-sensitive, whole words only;
3. near-misses of long generic names ("natalizimab", "adalimumb"): same
   first four letters, edit distance 1 (2 for names of 11+ letters).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from tracker.extract.textutil import trie_pattern
from tracker.lexicon.drugs import ABBREVIATIONS, DRUGS, GENERICS, SEPARATORS, generic_of

# Words after a drug name that make it a metabolite or assay, not the drug.
_NOT_DRUG_AFTER = re.compile(r"\s*(?:nucleotides?|levels? of 6|methyltransferase|[\s\-]binding)", re.I)


def _term_form(name: str) -> str:
    """Lexicon name -> trie term: lower case, parts separated by one space."""
    return " ".join(p for p in SEPARATORS.split(name.lower()) if p)


@lru_cache(maxsize=1)
def _patterns() -> tuple[re.Pattern, re.Pattern | None]:
    """(names, abbreviations). `names` holds lower-case terms and matches lower-cased text:
    case-sensitive matching of the ~1,000-term trie is two to three times faster than re.I."""
    terms = {_term_form(n) for e in DRUGS.values()
             for n in [*e["names"], *e["codes"], *e["misspellings"], *e["variants"]]}
    terms |= {_term_form(g) for g in GENERICS}
    names = re.compile(r"(?<![\w])" + trie_pattern(sorted(terms), sep=r"[\s\-\u2010\u2011\u2013,]?")
                       + r"(?![\w])")
    abbr = None
    if ABBREVIATIONS:
        # no lookbehind in front (find_drugs checks the character before): a pattern that opens on
        # the abbreviations' first letters lets the engine skip to capitals and digits
        abbr = re.compile(r"(?:" + "|".join(
            re.escape(a) for a in sorted(ABBREVIATIONS, key=len, reverse=True)) + r")(?![\w\-/])")
    return names, abbr


_ABBR_BEFORE = re.compile(r"[\w\-/]")   # an abbreviation is not part of a longer word or code


def _abbreviations(abbr: re.Pattern, text: str) -> Iterator[str]:
    """What finditer of `(?<![\\w\\-/])` + abbr would find: a match after such a character
    is dropped and the search goes on from the next position, as the lookbehind would."""
    pos = 0
    while (m := abbr.search(text, pos)) is not None:
        start = m.start()
        if start and _ABBR_BEFORE.match(text, start - 1):
            pos = start + 1
            continue
        yield m.group()
        pos = m.end()


# Fuzzy pass: long generics indexed by their first four letters.
_FUZZY_MIN_LEN = 9
_FUZZY_INDEX: dict[str, list[str]] = {}
for _g in GENERICS:
    if len(_g) >= _FUZZY_MIN_LEN and " " not in _g:
        _FUZZY_INDEX.setdefault(_g[:4], []).append(_g)
_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]{8,}")


def _distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, giving up once it exceeds `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) > limit:
            return limit + 1
        prev = cur
    return prev[-1]


@lru_cache(maxsize=4096)
def _fuzzy(word: str) -> str | None:
    for generic in _FUZZY_INDEX.get(word[:4], ()):
        limit = 2 if len(generic) >= 11 else 1
        if _distance(word, generic, limit) <= limit:
            return generic
    return None


def find_drugs(text: str | None) -> set[str]:
    """Generic names (lower case) of every lexicon drug named in `text`."""
    if not text:
        return set()
    names, abbr = _patterns()
    found: set[str] = set()
    lowered = text.lower()
    if len(lowered) != len(text):  # a character whose lower case is longer ("İ"): match as written
        names, lowered = re.compile(names.pattern, re.I), text
    for m in names.finditer(lowered):
        generic = generic_of(m.group())
        if generic and not _NOT_DRUG_AFTER.match(text, m.end()):
            found.add(generic)
    if abbr is not None:
        for name in _abbreviations(abbr, text):
            found.add(ABBREVIATIONS[name])
    # each distinct word once: a page repeats its long words many times
    for word in {w.lower() for w in _WORD.findall(text)}:
        # a listed name (its own key: letters only, lower case) was matched above
        if word[:4] in _FUZZY_INDEX and generic_of(word) is None:
            generic = _fuzzy(word)
            if generic:
                found.add(generic)
    return found
