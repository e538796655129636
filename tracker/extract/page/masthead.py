"""The journal and year a publisher page shows in its header instead of its meta tags.

Read from the first lines of the page's visible text, before cleaning drops
the header (see MASTHEAD_* in rules.py for the bounds). In order of trust:

    1. a citation line: "World J Gastroenterol. Apr 14, 2016; 22(14)",
       "Rev. esp. enferm. dig. vol.109 no.8 Madrid ago. 2017",
       "Journal of X: December 2020 - Volume 32 - Issue 12",
       "Thorax, Volume 76, Issue 2, Pages 120-127, February 2021";
    2. a labelled line: "Journal: Scientific Reports, 2023", "ISSUE: Name | 2018 | VOLUME 4";
    3. a breadcrumb: "Journals » Clinical and Experimental Gastroenterology » Volume 14";
    4. a line that is only a journal's name, when an issue line ("Volume 53,
       Issue 6 | March 2021") is also shown.

The year is the citation's or label's own; else an issue line's; else a
"Published 3 March 2021" line's. Impact-factor lines ("Impact Factor: 2.566
(2019)") are skipped: their year is the metric's, not the article's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tracker.extract.journals import cited_journal
from tracker.extract.page.rules import MASTHEAD_LINE_CHARS, MASTHEAD_LINES, MASTHEAD_NEAR, MASTHEAD_SKIP
from tracker.lexicon.journals import lookup

_YEAR = r"(?:19[5-9]\d|20[0-4]\d)"
_SKIP = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in MASTHEAD_SKIP if w.isalpha() or " " in w) + r")|©", re.I)
_LABELLED = re.compile(r"^\s*(?:journal|revista|peri[oó]dico|issue|source|fuente|fonte|published\s+in|publicado\s+en)"
                       r"\s*:\s*([^|,;(\n]{3,150})", re.I)
_CRUMB_SPLIT = re.compile(r"\s+[»›>|/]\s+")
_AFTER_CRUMB = re.compile(r"^(?:vol(?:ume)?\b|issue\b|no\.|number\b|n[º°]|" + _YEAR + r"\b|articles?\b|current\b|"
                          r"early\s+view|online\s+first|ahead\s+of\s+print)", re.I)
# An issue line: a volume, or an issue number with a year ("Issue 42 of our newsletter" is not one).
_ISSUE = re.compile(r"\bvol(?:ume)?\.?\s*\d|\b(?:issue|number|n[º°]|n[úu]mero)\s*\d.*\b" + _YEAR + r"\b"
                    r"|\b" + _YEAR + r"\b.*\b(?:issue|number|n[º°]|n[úu]mero)\s*\d", re.I)
_ISSUE_YEAR = re.compile(r"(?<![\d:/.-])(" + _YEAR + r")(?![\d:/])")
_PUBLISHED = re.compile(r"^\s*(?:published(?:\s+online)?|first\s+published|publication\s+date|publicado|"
                        r"publica[cç][aã]o)"
                        r"\b[^\n]{0,30}?\b(" + _YEAR + r")\b", re.I)
# A line citing someone's work ("Moens A, et al. Aliment Pharmacol Ther. 2020;51:129"), not the page's own.
_CITED_WORK = re.compile(r"(?i:\bet\s+al\b)|^\s*(?:\[?\d{1,3}[.\])]\s+)?[A-Z][\w'-]+\s+[A-Z]{1,3}[,.]\s")
_NAME_TAIL = re.compile(r"\s*(?:,\s*)?(?:\bISSN\b|\bversi[oó]n\b|\bvers[aã]o\b|\bprint\b|\bonline\b|\be-?ISSN\b).*$",
                        re.I)


_ISSN_LINE = re.compile(r"^\s*(?:versi[oó]n|vers[aã]o|print|on-?line|electronic)\b[^\n]{0,30}\bISSN\b", re.I)
# A title: capitalised words, joined by short lower-case ones ("Revista Científica Ciencia Médica").
_TITLE_CASED = re.compile(r"^[A-ZÀ-Þ][\w'’.&-]*(?:\s+(?:[A-ZÀ-Þ][\w'’.&:-]*|[a-zà-ÿ]{1,4}|&)){1,12}\s*$")


@dataclass
class Masthead:
    journal: str | None = None
    year: int | None = None


def _name_line(line: str) -> str | None:
    """The journal a line names and nothing else ("Gastroenterology Research, ISSN 1918-2805")."""
    name = _NAME_TAIL.sub("", line).strip(" .,:;|")
    if not name or len(name) > 120 or not name[0].isalpha():
        return None
    return lookup(name)


def _crumb(line: str) -> str | None:
    """The journal in a breadcrumb: a listed name before an issue crumb or after "Journals";
    any title-cased name between the two ("Journals » Patient Preference and Adherence » Volume 12")."""
    parts = [p.strip() for p in _CRUMB_SPLIT.split(line)]
    for i, part in enumerate(parts[:-1] if len(parts) > 1 else []):
        issue_after, journals_before = _AFTER_CRUMB.match(parts[i + 1]), i and "journal" in parts[i - 1].lower()
        if issue_after or journals_before:
            title = lookup(part)
            if title:
                return title
            if issue_after and journals_before and _TITLE_CASED.match(part):
                return part
    return None


def _issn_title(lines: list[str], n: int) -> str | None:
    """An unlisted journal's title: the line above a SciELO-style "print version ISSN ..." line."""
    if n + 1 < len(lines) and _ISSN_LINE.match(lines[n + 1]) and _TITLE_CASED.match(lines[n]):
        return lines[n].strip()
    return None


def _labelled(line: str) -> tuple[str, int | None] | None:
    """"Journal: Scientific Reports, 2023"; an unlisted name counts when the line is an issue
    line too ("ISSUE: Name | 2018 | VOLUME 4")."""
    label = _LABELLED.match(line)
    if not label:
        return None
    name = label.group(1).strip()
    stated = _ISSUE_YEAR.search(line, label.end())
    journal = lookup(name) or (name if stated and _TITLE_CASED.match(name) else None)
    return (journal, int(stated.group(1)) if stated else None) if journal else None


def _issue_year(lines: list[str], n: int) -> int | None:
    """The year of an issue line; "Vol. 35. Issue 8." may have it on the next line ("(October 2012)")."""
    stated = _ISSUE_YEAR.search(lines[n]) or (_ISSUE_YEAR.search(lines[n + 1]) if n + 1 < len(lines) else None)
    return int(stated.group(1)) if stated else None


def read_masthead(head: str) -> Masthead:
    """Journal and year from the head of a page's text (one line per block)."""
    lines = [ln for ln in head.split("\n")[:MASTHEAD_LINES]
             if len(ln) <= MASTHEAD_LINE_CHARS and not _SKIP.search(ln) and not _CITED_WORK.search(ln)]
    found: list[tuple[int, str, int | None]] = []          # (trust, journal, year)
    bare: list[tuple[int, int, str]] = []                  # (trust, line, journal): a name alone on its line
    issue_lines: list[int] = []
    issue_year = published_year = None
    for n, line in enumerate(lines):
        cited, labelled = cited_journal(line), _labelled(line)
        if cited:
            found.append((1, cited[0], cited[1]))
        if labelled:
            found.append((2, labelled[0], labelled[1]))
        crumb = _crumb(line) if _CRUMB_SPLIT.search(line) else None
        if crumb:
            found.append((3, crumb, None))
        if _ISSUE.search(line):
            issue_lines.append(n)
            issue_year = issue_year or _issue_year(lines, n)
        elif cited or labelled:
            issue_lines.append(n)
        published = _PUBLISHED.match(line)
        if published and published_year is None:
            published_year = int(published.group(1))
        if not cited and not _LABELLED.match(line):
            listed = _name_line(line)
            if listed:
                bare.append((4, n, listed))
            elif _issn_title(lines, n):
                bare.append((5, n, line.strip()))
    # a bare name counts beside an issue line only: a menu entry "Science" is not a masthead
    found += [(trust, name, None) for trust, n, name in bare if any(abs(n - i) <= MASTHEAD_NEAR for i in issue_lines)]
    if not found:
        return Masthead()
    _, journal, year = min(found, key=lambda f: f[0])
    return Masthead(journal, year or issue_year or published_year)
