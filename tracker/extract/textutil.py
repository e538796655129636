"""Small text helpers shared by the extractors: trie regexes, reference-section
and boilerplate stripping, sentence spans. Accent folding is tracker.textutil's.

Everything here is pure and cheap; patterns compile once at import.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable

# Headings after which a page lists references, not its own prose.
_REFERENCE_HEADING = re.compile(
    r"(?:^|\n)[ \t#*]*(?:\d+\.?\s*)?(?:references?|bibliography|literature cited|works cited|"
    r"referencias(?: bibliogr[aá]ficas)?|refer[eê]ncias(?: bibliogr[aá]ficas)?|bibliograf[ií]a|"
    r"r[ée]f[ée]rences|literatur(?:verzeichnis)?|bibliografia)[ \t:]*(?:\n|$)",
    re.I,
)


def strip_references(text: str | None) -> str:
    """Main text only: cut at a 'References' heading found after the first fifth of the text."""
    if not text:
        return ""
    for m in _REFERENCE_HEADING.finditer(text):
        if m.start() > len(text) // 5:
            return text[: m.start()]
    return text


# Navigation and link lines: "Home | News | Treatments", "Related: ...", "Read more: ...".
_MENU_SEPARATORS = re.compile(r"\s[|•·»/]\s|\s>\s")
_LINK_LINE = re.compile(r"^\s*(?:related(?:\s+(?:articles?|stories|content|reading))?|read\s+more|see\s+also|more\s+on|"
                        r"leia\s+(?:tamb[eé]m|mais)|veja\s+tamb[eé]m|lee\s+tambi[eé]n|m[aá]s\s+informaci[oó]n|"
                        r"te\s+puede\s+interesar|saiba\s+mais|tags?|share|compartir|compartilhar)\s*[:|>-]", re.I)


def strip_boilerplate(text: str) -> str:
    """Drop menu-like lines (three or more separators between short items) and link lines."""
    if not text:
        return ""
    kept = []
    for line in text.split("\n"):
        if _LINK_LINE.match(line):
            continue
        parts = _MENU_SEPARATORS.split(line)
        if len(parts) >= 4 and sum(len(p) for p in parts) / len(parts) < 30:
            continue
        kept.append(line)
    return "\n".join(kept)


def trie_pattern(terms: Iterable[str], sep: str = r"[\s\-]?", apostrophe_s: bool = False) -> str:
    """A regex alternation shaped as a trie, so each position tries few branches.

    A space in a term stands for `sep`; with `apostrophe_s`, an 's' may be
    preceded by an apostrophe ("crohns" matches "Crohn's").
    """
    trie: dict = {}
    for term in terms:
        if not term:
            continue
        node = trie
        for ch in term:
            node = node.setdefault(ch, {})
        node[""] = True

    def build(node: dict) -> str:
        ends = "" in node
        branches = []
        for ch in sorted(k for k in node if k):
            if ch == " ":
                head = sep
            elif ch == "s" and apostrophe_s:
                head = r"'?s"
            else:
                head = re.escape(ch)
            branches.append(head + build(node[ch]))
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if ends:
            return "(?:" + body + ")?"
        return body

    return build(trie)


_SENT_END = re.compile(r"(?<=[A-Za-z0-9%)\]])[.!?](?=\s+[A-Z¿¡\"“(])|\n\s*\n")
_ABBREV_TAIL = re.compile(r"(?:\b[A-Z][a-z]{0,4}|\b[A-Z]{1,3}|\bet al|\b[a-z]{1,2}|\b[vV]s"
                          r"|\b(?:No|Vol|Fig|Dr|Mr|Mrs|Ms|St|Jr|Inc|Ltd|Co))$")


def _is_boundary(text: str, m: re.Match) -> bool:
    """False for the period of an abbreviation ("Rev. Med. Chil.", "et al.", "Dr.")."""
    if m.group().startswith("\n"):
        return True
    return not _ABBREV_TAIL.search(text, max(0, m.start() - 8), m.start())


def sentence_bounds(text: str, pos: int) -> tuple[int, int]:
    """Start and end offsets of the sentence holding `pos` (rough: period + capital)."""
    start = 0
    for m in _SENT_END.finditer(text, max(0, pos - 600), pos):
        if _is_boundary(text, m):
            start = m.end()
    end = min(len(text), pos + 400)
    for m in _SENT_END.finditer(text, pos, end):
        if _is_boundary(text, m):
            end = m.end()
            break
    return start, end


class Sentences:
    """Sentence boundaries of one text, found once; `bounds(pos)` by bisection."""

    def __init__(self, text: str) -> None:
        self._len = len(text)
        self._ends = [m.end() for m in _SENT_END.finditer(text) if _is_boundary(text, m)]

    def spans(self) -> list[tuple[int, int]]:
        """(start, end) of every sentence, in order."""
        starts = [0, *self._ends]
        ends = [*self._ends, self._len]
        return [(a, b) for a, b in zip(starts, ends) if b > a]

    def bounds(self, pos: int) -> tuple[int, int]:
        i = bisect_right(self._ends, pos)
        start = self._ends[i - 1] if i else 0
        end = self._ends[i] if i < len(self._ends) else self._len
        return start, end


def as_blocks(text: str) -> str:
    """A page body keeps one block (heading, paragraph, list item) per line, so
    every line ends a sentence: a headline never runs into the paragraph under it."""
    return re.sub(r"\n+", "\n\n", text)


# Characters re.I matches to an ASCII letter that str.lower() keeps apart ("ı" is "i" to re.I),
# or whose lower case is longer ("İ").
_ODD_CASE = ("\u0131", "\u017f", "\u0130")


def lowered_for_tests(text: str) -> str | None:
    """`text` in lower case, offsets unchanged, for substring tests that stand before
    case-insensitive patterns of ASCII words (see `holds_any`); None when a character
    would make such a test miss a match."""
    if not text.isascii() and any(c in text for c in _ODD_CASE):
        return None
    return text.lower()


def holds_any(lowered: str | None, words: Iterable[str]) -> bool:
    """False only when `lowered` (from lowered_for_tests) holds none of `words`: a
    case-insensitive pattern that needs one of them cannot match, so its search is skipped
    (a search that finds nothing reads the whole text)."""
    return lowered is None or any(map(lowered.__contains__, words))  # map: no generator frame per word


def join_text(*parts: str | None) -> str:
    return "\n\n".join(p for p in parts if p)
