"""Journal names in running text: the journal list (tracker.lexicon.journals)
as one trie regex, for the prose extractor.
"""

from __future__ import annotations

import re
from functools import lru_cache

from tracker.extract.textutil import trie_pattern
from tracker.lexicon.journals import BY_KEY, resolve
from tracker.textutil import fold



def _scan_terms() -> list[str]:
    """Keys for the text scanner: folded, lower, punctuation as single spaces."""
    terms: set[str] = set()
    for key in BY_KEY:
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
