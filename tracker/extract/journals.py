"""Journal names in running text, for the prose extractor and page mastheads.

- `find_journals`: every name of the hand-kept list, by one trie regex;
- `names_after`: the longest name (hand-kept list, then catalog) in the
  capitalised words at given positions (where a cue ends);
- `cited_names` / `cited_journal`: names right before a citation tail
  ("Eur Respir J. 2019;54:", "Thorax, Volume 76, Issue 2, February 2021",
  "Rev. esp. enferm. dig. vol.109 no.8 Madrid ago. 2017"), with the year.

The catalog is only ever consulted at such positions, never scanned.
"""

from __future__ import annotations

import re
from functools import lru_cache

from tracker.extract.textutil import trie_pattern
from tracker.lexicon.journals import BY_KEY, lookup, resolve
from tracker.textutil import fold

# Date words of EN/ES/PT citations and prose (the prose extractor shares them).
MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
         r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|enero|febrero|marzo|abril|mayo|junio|julio|agosto|"
         r"septiembre|setiembre|octubre|noviembre|diciembre|janeiro|fevereiro|marco|maio|junho|julho|"
         r"setembro|outubro|novembro|dezembro|ene|abr|ago|dic|fev|mai|set|out|dez)")
YEAR = r"(?:19[5-9]\d|20[0-4]\d)"

# Citation tails are tried only where a year or volume word starts.
_TAIL_ANCHOR = re.compile(r"\b(?:19[5-9]\d|20[0-4]\d|[Vv]ol|v\.\s?\d)")
# Rarer tail starts, each found from a cheap literal: "©", an ISSN line, "15(3): e36123" / "22, 118 (2022)".
_COPYRIGHT_ANCHOR = re.compile(r"©")
_ISSN_ANCHOR = re.compile(r"\b(?:versi[oó]n|vers[aã]o|print|on-?line)(?=\s+(?:\w+\s+)?ISSN\b)", re.I)
_PAGES_AFTER_VOLUME = re.compile(r"\(\d+\)\s*:\s*e?\d|,\s*e?\d+\s*\((?:19|20)\d\d\)")
_VOLUME_BEFORE = re.compile(r"(?<![\w.])\d{1,4}\s*$")
# "Apr 14, 2010;" and PubMed's month ranges, "Jul-Aug 2016;22(7)".
_MONTH_DAY_BEFORE = re.compile(r"(?:^|\s)(?:\d{1,2}\s+)?(?:" + MONTH + r"\.?-)?" + MONTH + r"\.?\s+(?:\d{1,2},\s*)?$",
                               re.I)
# A citation tail: what follows a journal's name in a reference.
_TAIL = re.compile(
    # Gut. 2021 Mar;70 / Apr 14, 2010; 16 / ahead of print with an eLocator, "2023 Oct 5:jjad170"
    r"(?:(" + YEAR + r")(?:(?:\s+" + MONTH + r"\.?(?:\s+\d{1,2})?)?\s*[;:]\s*(?:\d|[a-z]{2,6}\d{2,})"
    r"|,\s*\d+\s*\(\d+\)"                                                             # J. Clin. Med. 2022, 11(3)
    r"|(?=[ \t]*(?:\n|$)))"                                                # Front. Immunol., 03 March 2023 (line end)
    r"|(" + YEAR + r")\s*[-–|]\s*(?:volume|vol\.?)\s*\d"                              # X: December 2020 - Volume 32
    r"|v(?:ol)?\.\s?\d+\s+n(?:o|um)?\.\s?\d+[^\n\d]{0,40}(" + YEAR + r")"           # X vol.57 no.2 São Paulo 2020
    r"|(?:volume|vol\.?)\s*\d+(?:,\s*(?:issue|number|no\.?)\s*\d+)?"                 # X, Volume 15, Issue 3,
    r"(?:,[^\n]{0,30}?\b(" + YEAR + r"))?"                                              # ... March 2021
    r"|©\s*(" + YEAR + r")\b"                                                           # X, © 2013 Publisher
    # Cureus 15(3): e36123; BMC Gastroenterol 22, 118 (2022)
    r"|\d{1,4}\s*(?:\(\d+\)\s*:\s*e?\d+|,\s*e?\d+\s*\((" + YEAR + r")\))"
    # a masthead line over "versión impresa ISSN 0212-7199" / "Print version ISSN ..."
    r"|(?:versi[oó]n|vers[aã]o|print|on-?line)\s+(?:impresa|impressa|on-?line|version)?\s*ISSN\b)",
    re.I)
_TITLE_TOKEN = re.compile(r"[a-z]{0,2}[A-Z][\w'’\-&.]*:?|&")
_CONNECTORS = frozenset({"of", "and", "&", "for", "in", "on", "the", "de", "del", "y", "e", "do", "da", "dos", "das",
                         "la", "el", "des", "du", "fur", "für", "und", "et", "di", "della"})
_SPACES = re.compile(r"\s*")
_LETTERS = re.compile(r"[^\W\d_]+")
# A capitalised word (or a connector) without closing punctuation: the name before a tail
# starts earlier ("Central European Journal of ..." is not "European Journal of ...").
_TITLE_WORD = re.compile(r"[A-Z][\w'’&-]*$")


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


@lru_cache(maxsize=2)
def scan_pattern(ignore_case: bool = True) -> re.Pattern:
    """Trie regex over folded text: any listed journal name, dots and commas allowed between words."""
    body = trie_pattern(_scan_terms(), sep=r"[\s.,:\-]{1,3}", apostrophe_s=True)
    return re.compile(r"(?<![\w])(?:the\s+)?(" + body + r")\.?(?![\w])", re.I if ignore_case else 0)


def find_journals(text: str) -> list[tuple[int, int, str]]:
    """(start, end, canonical title) for every listed journal name in `text`, capitalised as names are."""
    folded = fold(text)
    low = folded.lower()
    # the trie runs about twice as fast case-sensitively, over lower-cased text of the same length
    matches = scan_pattern(False).finditer(low) if len(low) == len(folded) else scan_pattern().finditer(folded)
    out = []
    for m in matches:
        start, end = m.span(1)
        if not text[start].isupper() and not text[start].isdigit():
            continue  # "gut microbiota", "in medicine": common words, not titles
        title = resolve(text[start:end])
        if title:
            out.append((start, end, title))
    return out


def _title_run(text: str, pos: int) -> list[int]:
    """End offsets of the title-cased words starting at `pos` (connectors may join them)."""
    ends: list[int] = []
    i = pos
    while len(ends) < 14:
        j = _SPACES.match(text, i).end() if ends else i  # type: ignore[union-attr]
        tok = _TITLE_TOKEN.match(text, j)
        word = _LETTERS.match(text, j, j + 12)
        if tok and tok.end() > j:
            ends.append(tok.end())
            i = tok.end()
        elif word and word.group().lower() in _CONNECTORS and ends:
            ends.append(word.end())
            i = word.end()
        else:
            break
    return ends


def _longest_name(text: str, start: int, ends: list[int]) -> tuple[int, str] | None:
    """(end, canonical title) of the longest prefix of a title run that names a journal."""
    for end in reversed(ends):
        name = text[start:end].rstrip(" .,:;")
        last = name.rsplit(None, 1)[-1].lower() if name else ""
        if not name or last in _CONNECTORS:
            continue
        title = lookup(name)
        if title and not _runs_on(text, name, start + len(name), ends[-1]):
            return start + len(name), title
    return None


def _runs_on(text: str, name: str, end: int, run_end: int) -> bool:
    """A one-word name the title goes on from ("Journal" in "Journal of Rare Gut Things") is not that name."""
    if end >= run_end or " " in name:
        return False
    nxt = re.match(r"\s+(\w+)", text[end:end + 20])
    return nxt is not None and nxt.group(1).lower() in _CONNECTORS


def names_after(text: str, positions: list[int]) -> list[tuple[int, int, str]]:
    """(start, end, title) of the longest journal name (hand-kept list, then catalog) in the
    capitalised words starting at each position (a cue's end, for the prose extractor)."""
    out = []
    for pos in positions:
        hit = _longest_name(text, pos, _title_run(text, pos))
        if hit:
            out.append((pos, hit[0], hit[1]))
    return out


def _tail_starts(text: str) -> list[int]:
    """Offsets where a citation tail may start, in order."""
    starts = [m.start() for m in _TAIL_ANCHOR.finditer(text)]
    if "©" in text:
        starts += [m.start() for m in _COPYRIGHT_ANCHOR.finditer(text)]
    if "ISSN" in text:
        starts += [m.start() for m in _ISSN_ANCHOR.finditer(text)]
    for m in _PAGES_AFTER_VOLUME.finditer(text):
        volume = _VOLUME_BEFORE.search(text, max(0, m.start() - 6), m.start())
        if volume:
            starts.append(volume.start())
    return sorted(set(starts))


def cited_names(text: str) -> list[tuple[int, int, str, int | None]]:
    """(start, end, title, year) of each journal named right before a citation tail:
    "Eur Respir J. 2019;54", "Thorax, Volume 76, Issue 2, February 2021"."""
    out: list[tuple[int, int, str, int | None]] = []
    for start in _tail_starts(text):
        tail = _TAIL.match(text, start)
        if not tail:
            continue
        cut = start
        month_day = _MONTH_DAY_BEFORE.search(text, max(0, cut - 16), cut) if tail.group(1) or tail.group(2) else None
        if month_day:
            cut = month_day.start()
        elif len(tail.group()) == 4:
            continue   # a bare year closing a line is a date only after its day and month
        while cut > 0 and text[cut - 1] in " .,:":      # the separator before the tail
            cut -= 1
        if cut > 0 and text[cut - 1] == "\n" and not text[cut:start].strip(" .,:"):
            # the name closes the line above: "Inflammatory Bowel Diseases logoLink to ...\n. 2019 Aug;25(8)"
            cut -= 1
            while cut > 0 and text[cut - 1] in " .,:":
                cut -= 1
        elif cut == start or "\n" in text[cut:start]:
            continue
        line_start = text.rfind("\n", 0, cut) + 1
        window = text[max(line_start, cut - 120):cut]
        offset = cut - len(window)
        starts = [m.start() for m in re.finditer(r"\S+", window)][-10:]
        year = next((int(g) for g in tail.groups() if g), None)
        for k, s in enumerate(starts):                  # longest suffix first
            name = window[s:].strip(" .,:;()[]|")
            if len(name) < 2 or not name[0].isalpha():
                continue
            title = lookup(name)
            before = window[starts[k - 1]:s].strip() if k else ""
            if title and not (_TITLE_WORD.match(before) or before.lower() in _CONNECTORS):
                begin = offset + s + (len(window[s:]) - len(window[s:].lstrip(" .,:;()[]")))
                out.append((begin, cut, title, year))
                break
    return out


def cited_journal(text: str) -> tuple[str, int | None] | None:
    """(journal, year) of the first citation in `text` ("Eur Respir J. 2019;54:", "Thorax, Volume 76,
    Issue 2, February 2021", "Rev. esp. enferm. dig. vol.109 no.8 Madrid ago. 2017"), if any."""
    found = cited_names(text)
    if not found:
        return None
    _, _, title, year = min(found, key=lambda c: c[0])
    return title, year


_PUBLISHED_DATE = re.compile(
    r"\b(?:published|publicado|publication\s+date|date\s+of\s+publication)(?:\s+online)?\s*:?\s*(?:on\s+)?"
    r"(?:\d{1,2}\s+(?:de\s+)?)?(?:" + MONTH + r"\.?\s+(?:\d{1,2},?\s+)?(?:de\s+)?)?(" + YEAR + r")\b", re.I)


def header_year(text: str, start: int, end: int) -> int | None:
    """Year of a journal page's header between `start` and `end`: a citation tail's
    ("vol.20 no.1 ene. 2003", "Gut. 2021;70:"), else a "Published 3 June 2021" date."""
    for at in _tail_starts(text[:end]):
        if at < start:
            continue
        tail = _TAIL.match(text, at)
        year = next((int(g) for g in tail.groups() if g), None) if tail else None
        if year:
            return year
    published = _PUBLISHED_DATE.search(text, start, end)
    return int(published.group(1)) if published else None
