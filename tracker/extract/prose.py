"""Journal and year of the study a text reports on, read from its prose.

"A study published in 'Revista Médica de Chile' in 2017 reported on three
cases" -> ("Revista Médica de Chile", 2017). The year is the cited study's,
never the page's own date (the caller passes that as `published`, used only
for "last year" / "this year").

Where a name can come from, in the order they are gathered:
1. the hand-kept journal list, found anywhere by one trie regex;
2. the catalog (~20,000 titles), looked up only where evidence points: the
   capitalised words after a cue ("published in", "the journal", "según
   publica la revista") and the words before a citation tail
   ("Eur Respir J. 2019;54:", "Thorax, Volume 76, Issue 2");
3. an unlisted name after a strong cue: quoted, or title-cased and
   journal-like ("Journal of Rare Gut Things").

A name counts only with evidence that it is the venue of a study: a cue
before it or a citation after it. A title that is an ordinary word ("Gut",
"Blood", "Chest") needs a citation context: a strong cue, "the journal" /
"la revista" right before it, or a citation after it. The best candidate has
the most evidence, then comes first; at one position the longest name wins
("Cancer Research" over "Cancer").
"""

from __future__ import annotations

import re

from tracker.extract.journals import MONTH as _MONTH
from tracker.extract.journals import YEAR as _YEAR
from tracker.extract.journals import cited_names, find_journals, header_year, names_after
from tracker.extract.textutil import Sentences, sentence_bounds
from tracker.lexicon.journals import is_common_word, lookup
from tracker.textutil import fold

_DATE = r"(?:" + _MONTH + r"\.?\s+(?:\d{1,2},?\s+)?(?:de\s+)?" + _YEAR + r"|" + _YEAR + r")"
# Words that may stand between "journal"/"revista" and the name ("la revista científica estadounidense").
_ADJECTIVES = (r"(?:(?:peer[- ]reviewed|prestigious|leading|medical|scientific|specialist|specialized|online|"
               r"international|british|american|european|us|u\.s\.|cientifica|medica|especializada|prestigiosa|"
               r"internacional|estadounidense|norteamericana|britanica|americana|europea|europeia|"
               r"cientifico|medico|especializado|norte-americana|inglesa|brasileira)\s+){0,3}")
_VENUE_NOUN = r"(?:journal|revista|periodico|publicacion|publicacao|magazine)"

# A labelled source line: "Source: Gut, published online ...", "journal: Therap Adv Gastroenterol".
_LABEL = (r"\b(?:source|journal|fuente|fonte|revista|periodico|published\s+in|publicado\s+en|"
          r"publicado\s+em)\s*:\s*")
# Evidence before a name (matched against the folded text just before it).
_CUE_STRONG = re.compile(
    r"(?:published|appeared|appearing|appears?|reported|reports?|describe[sd]?|presented|write|writes|wrote|"
    r"publicad[oa]s?|public(?:o|aron|an|a|ou|aram|ara)|divulgad[oa]s?|aparecid[oa]s?|reportad[oa]s?|"
    r"publie(?:e|s|es)?|veroffentlicht|pubblicat[oaie])"
    r"(?:\s+(?:online|recently|today|yesterday|this\s+\w+|last\s+\w+|early|earlier|recientemente|recentemente|"
    r"hoy|ayer|hoje|ontem|esta\s+semana|nesta\s+semana|em\s+\d{4}|en\s+\d{4}|in\s+\d{4}|"
    r"(?:on|el|na|no)\s+\w+(?:-feira)?|\(\s*[^()]{1,20}\))){0,3}\s+"
    r"(?:in|en|em|na|no|by|dans|im|su|on|por|pela|pelo)\s+(?:the\s+|la\s+|el\s+|a\s+|o\s+|le\s+|der\s+)?"
    r"(?:" + _DATE + r",?\s+)?"
    r"(?:" + _ADJECTIVES + r"(?:" + _VENUE_NOUN + r"|publication|issue\s+of(?:\s+the)?|edition\s+of(?:\s+the)?|"
    r"edicion\s+de|edicao\s+d[aeo])\s+" + _ADJECTIVES + r")?"
    r"[\"'«(]?\s*$", re.I)
# "the journal", "la revista científica", "según publica la revista": a venue noun right before the name.
_CUE_VENUE = re.compile(
    r"(?:\b" + _VENUE_NOUN + r"|\bissue\s+of(?:\s+the)?|\bedition\s+of(?:\s+the)?)\s+" + _ADJECTIVES
    + r"[\"'«]?\s*$|" + _LABEL + r"$", re.I)
_CUE_WEAK = re.compile(
    r"(?:(?:study|trial|paper|article|report|research|analysis|review|letter|meta-analysis|findings|results|"
    r"data|estudio|estudo|articulo|artigo|trabajo|pesquisa|ensayo|ensaio|investigacion|case\s+series)"
    r"[^.;]{0,50}?\s(?:in|en|em|na|no|from|de|da|do)\s+(?:the\s+|la\s+|el\s+|a\s+|o\s+)?"
    r"|(?:according\s+to(?:\s+the)?|segun(?:\s+la)?|segundo\s+a?)\s+)[\"'«]?\s*$", re.I)
# Evidence after a name: an NLM-style citation, a bracketed year, a volume, a DOI.
_CITATION_AFTER = re.compile(
    r"\.?,?\s*(?:\(\s*(" + _YEAR + r")\s*\)|(" + _YEAR + r")(?:\s+" + _MONTH + r"\.?(?:\s*\d{1,2})?)?\s*[;:]\s*"
    r"(?:\d|[a-z]{2,6}\d{2,})"
    r"|" + _MONTH + r"\.?\s+\d{1,2},\s+(" + _YEAR + r")\s*;\s*\d"
    r"|(?:volume|vol\.?)\s*\d|v(?:ol)?\.\s?\d+\s+n(?:o|um)?\.\s?\d|doi\s*:?\s*10\.|©\s*(" + _YEAR + r")\b)", re.I)
# A year shortly after the name: "... in 2017", "in March 2019", ", 2018", "(March 2019)".
_YEAR_AFTER = re.compile(
    r"[\"'»)]?\s*(?:[,(]\s*|\s+(?:in|en|em|no|on|during|durante|el|the)\s+(?:" + _MONTH + r"\s+(?:de\s+|of\s+)?)?)?"
    r"(?:(?:published|publicad[oa])\s+(?:online\s+)?(?:on\s+|el\s+|em\s+)?)?"
    r"(?:(?:early|late|mid-?|principios\s+de|finales\s+de|inicio\s+de)\s+)?"
    r"(?:(?:\d{1,2}\s+(?:de\s+)?)?" + _MONTH + r"\.?\s+(?:\d{1,2},?\s+)?(?:de\s+)?)?"
    r"(" + _YEAR + r")\b(?!\s*(?:patients|pacientes|cases|casos|[-–]\s*\d))", re.I)
_YEAR_ANY = re.compile(r"(?<![\d.,/-])(" + _YEAR + r")(?:(?=-[01]\d-[0-3]\d\b)|"
                       r"(?![\d%]|\s*[-–]\s*\d|\s*(?:patients|pacientes|cases|casos)))")
# Years that are a study period, not a publication date.
_PERIOD = re.compile(
    r"(?:between|from|since|desde|entre|de|from\s+\w+)\s+(?:" + _MONTH + r"\s+)?" + _YEAR
    + r"\s+(?:and|to|until|through|y|e|a|hasta|ate|al)\s+(?:" + _MONTH + r"\s+)?" + _YEAR
    + r"|" + _YEAR + r"\s*[-–/]\s*(?:" + _YEAR + r"|\d\d)\b(?!-\d)", re.I)
_AGE_OR_QTY = re.compile(r"\s*(?:-?year|anos|años|patients|pacientes|mg|%)", re.I)
# Year stated about a study without a journal: "a 2019 study", "published in 2019".
_STUDY_YEAR = re.compile(
    r"\b(?:an?|the|in\s+a|este|un|um|una|uma)\s+(" + _YEAR + r")\s+(?:\w+\s+){0,2}"
    r"(?:study|trial|paper|report|analysis|review|meta-analysis|estudio|estudo|articulo|artigo|ensayo|ensaio)"
    r"|(?:published|publicad[oa]|publie|appeared)\s+(?:online\s+)?(?:in|en|em|no)\s+(?:" + _MONTH
    + r"\s+(?:de\s+)?)?(" + _YEAR + r")\b"
    r"|\b(?:study|trial|paper|estudio|estudo|trabajo|ensayo|ensaio|artigo),?\s+(?:from|of|de|do)\s+"
    r"(" + _YEAR + r")\b(?!\s*(?:[a-z]+\s+)?(?:patients|pacientes|people|participants|adults|"
    r"children|cases|casos|personas|pessoas))")   # lower case, run on lower-cased text: no re.I, ~3x faster
# Relative publication years, resolved against the page's own date (lower case: run on lower-cased text).
_RELATIVE = [
    (re.compile(r"\b(?:last\s+year|el\s+ano\s+pasado|el\s+pasado\s+ano|(?:n?o\s+)?ano\s+passado|"
                r"l'annee\s+derniere)\b"), -1),
    (re.compile(r"\b(?:(?:earlier\s+)?this\s+year|este\s+ano|neste\s+ano|deste\s+ano|cette\s+annee)\b"), 0),
    (re.compile(r"\b(?:published|publicad[oa]|publie|publica)\s+(?:online\s+)?(?:this\s+(?:week|month)|today|yesterday|"
                r"esta\s+semana|este\s+mes|hoy|ayer|hoje|ontem|nesta\s+semana|neste\s+mes)\b"), 0),
    (re.compile(r"\b(?:two\s+years\s+ago|hace\s+dos\s+anos|ha\s+dois\s+anos)\b"), -2),
]

# Where to look a name up in the catalog: the words after a cue ...
_CUE_START = re.compile(
    r"(?:(?:published|appeared|appears?|appearing|reported|reports?|describe[sd]?|write|writes|publicad[oa]s?|"
    r"public(?:o|aron|an|a|ou|aram|ara)|publie(?:e|s)?|divulgad[oa])"
    r"(?:\s+(?:online|recently|today|yesterday|this\s+\w+|last\s+\w+|recientemente|recentemente|hoy|ayer|hoje|"
    r"ontem|esta\s+semana|nesta\s+semana|(?:on|el|na|no)\s+\w+(?:-feira)?|\(\s*[^()]{1,20}\)|"
    r"(?:in|en|em)\s+" + _DATE + r")){0,3}\s+"
    r"(?:in|en|em|na|no|dans|by|por|pela|pelo)\s+(?:the\s+|la\s+|el\s+|a\s+|o\s+)?"
    r"(?:" + _DATE + r",?\s+)?"
    r"(?:" + _ADJECTIVES + r"(?:" + _VENUE_NOUN + r"|issue\s+of(?:\s+the)?)\s+" + _ADJECTIVES
    + r"(?!of\b|de\b|do\b|da\b))?"
    r"|\b" + _VENUE_NOUN + r"\s+" + _ADJECTIVES + r"(?!of\b|de\b|do\b|da\b)"
    r"|\b(?:source|journal|fuente|fonte|revista|periodico)\s*:\s*)", re.I)
# Cheap anchors: the cue and tail patterns are tried only where one of these words starts.
_CUE_ANCHOR = re.compile(r"\b(?:publi|appear|report|describ|write|wrote|divulgad|journal|revista|periodico|magazine|"
                         r"source|fuente|fonte)")
# Words without which a cue pattern cannot match (substring tests are far cheaper than the patterns).
_STRONG_WORDS = ("publi", "appear", "report", "describ", "present", "write", "wrote", "divulg", "aparec",
                 "veroff", "pubblic")
_VENUE_WORDS = ("journal", "revista", "periodico", "magazine", "publicac", "issue", "edition", "edici", "edica",
                "source", "fuente", "fonte", "published in", "publicado e")
_WEAK_WORDS = ("stud", "trial", "paper", "artic", "report", "research", "analys", "review", "letter", "finding",
               "result", "data", "estud", "trabaj", "pesquis", "ensa", "investig", "case", "meta", "according", "segun")
# Unlisted journal in quotes after a strong cue.
_QUOTED = re.compile(r'"([A-Z][^"\n]{2,118})"|“([A-Z][^”\n]{2,118})”|«([A-Z][^»\n]{2,118})»|'
                     r"‘([A-Z][^’\n]{2,118})’|'([A-Z](?:[^'\n]|'(?=s\b)){2,118})'")
# Unlisted, unquoted journal after a strong cue: a capitalised title that looks like a journal.
_TITLE_WORDS = re.compile(
    r"([A-Z][\w'’\-]*(?:\s+(?:of|and|&|for|in|de|del|y|e|do|da|dos|das|la|el|the|[A-Z][\w'’\-]*)){0,9})")
_TRAILING_CONNECTORS = re.compile(r"(?:\s+(?:of|and|&|for|in|de|del|y|e|do|da|dos|das|la|el|the))+$")
_JOURNALISH = re.compile(r"\b(?:journal|revista|annals|anais|archives|arquivos|archivos|acta|reports?|review|"
                         r"medicine|medicina|gastroenterolog\w*|hepatolog\w*|proceedings|bulletin|boletin|gazette|"
                         r"gaceta|jornal|cadernos|clinic\w*)\b", re.I)
# One-word catalog titles that are a month, a language or a place after "published in".
_NOT_A_VENUE = frozenset(
    "january february march april may june july august september october november december english spanish "
    "portuguese french german italian chinese japanese america americas africa asia europe australia china india "
    "japan brazil canada mexico spain portugal france germany italy britain england london print press "
    "journal revista bulletin annals review reports proceedings archives acta current forum news today update "
    "letters research health focus transactions".split())

Candidate = tuple[int, int, int, str, "int | None"]   # (score, start, end, journal, year from a citation tail)


def _page_year(published: str | None) -> int | None:
    m = re.match(r"\s*(\d{4})", published or "")
    return int(m.group(1)) if m else None


def _ends_with_cue(pattern: re.Pattern, before: str, low: str, words: tuple[str, ...]) -> bool:
    """Whether `before` ends with a cue: the pattern (which starts with one of `words` and ends
    at $) is tried only where those words occur, not at every position."""
    for word in words:
        i = low.find(word)
        while i >= 0:
            if pattern.match(before, i):
                return True
            i = low.find(word, i + 1)
    return False


def _evidence(text: str, folded: str, start: int, end: int) -> tuple[int, bool]:
    """(score, citation context?) for a name at text[start:end]."""
    before = folded[max(0, start - 120):start]
    low = before.lower()
    score, context = 0, False
    if _ends_with_cue(_CUE_STRONG, before, low, _STRONG_WORDS):
        score, context = 3, True
    elif _ends_with_cue(_CUE_VENUE, before, low, _VENUE_WORDS):
        score, context = 2, True
    elif _ends_with_cue(_CUE_WEAK, before, low, _WEAK_WORDS):
        score = 2
    if _CITATION_AFTER.match(text, end):
        score += 3
        context = True
    elif score and _YEAR_AFTER.match(folded, end):
        score += 1
    return score, context


def _cue_ends(folded: str) -> list[int]:
    """Offsets just after each cue ("published in the", "la revista científica")."""
    ends = []
    for anchor in _CUE_ANCHOR.finditer(folded.lower()):   # same offsets: fold() keeps lengths
        cue = _CUE_START.match(folded, anchor.start())
        if cue:
            ends.append(cue.end())
    return ends


_SOURCE_HEADING = re.compile(
    r"(?:^|\n)[ \t#*]*(?:references?|sources?|journal\s+reference|referencias?|refer[eê]ncias?|fuentes?|fontes?)"
    r"[ \t:]*\n+([^\n]{20,600})\s*$", re.I)


def source_note(body: str | None) -> str | None:
    """The one entry of a closing "Reference" section with one entry: a news story's study
    ("Reference\nNguyen V, et al. Clin Infect Dis. 2022;75:410-8."). Longer lists are references."""
    if not body:
        return None
    m = _SOURCE_HEADING.search(body[-1200:])
    return m.group(1).strip() if m else None


def _allowed(text: str, title: str, start: int, end: int, context: bool) -> bool:
    """Ordinary-word titles only in a citation context; not "Blood Cancer", not "published in March"."""
    if fold(text[start:end]).lower().strip(" .") in _NOT_A_VENUE:
        return False   # "reported in Europe": the catalog has a journal of that name, the sentence does not
    if not is_common_word(title):
        return True
    if not context:
        # a weak cue ("a study in Gut") will do, unless the word runs into more capitalised words
        return bool(re.match(r"\s*(?:[,.;:)]|$|[a-z]|\d)", text[end:end + 3]))
    return True


# A citation opened by a parenthesis inside a sentence, not on a line or sentence of its own.
_INLINE_REFERENCE = re.compile(r"\w[^.\n()]*\($")
_HEADER_SPAN = 400   # a journal page's header: name, then volume line and dates


def _candidates(text: str, folded: str, cue_ends: list[int],
                cited: list[tuple[int, int, str, int | None]]) -> list[Candidate]:
    """(score, start, end, journal, citation year) for each name with venue evidence; one per start."""
    found: list[Candidate] = [(0, s, e, t, None) for s, e, t in find_journals(text)]
    found += [(0, s, e, t, None) for s, e, t in names_after(text, cue_ends)]
    cited_at = {s for s, _, _, _ in cited}
    found += [(0, s, e, t, y) for s, e, t, y in cited]
    best: dict[int, Candidate] = {}
    for cand in found:
        kept = best.get(cand[1])
        if kept is None or cand[2] > kept[2] or (cand[2] == kept[2] and cand[4] and not kept[4]):
            best[cand[1]] = cand
    out = []
    reach = 0
    for _, start, end, title, year in sorted(best.values(), key=lambda c: c[1]):
        if start < reach:
            continue   # inside a longer name ("Gut" in "Gut and Liver")
        reach = end
        score, context = _evidence(text, folded, start, end)
        if year or start in cited_at:   # a citation tail or masthead line follows the name
            score, context = max(score, 3), True
        if _INLINE_REFERENCE.search(text, max(0, start - 80), start):
            score -= 1   # "earlier work (N Engl J Med. 2010;362:1383)": a reference backing a sentence
        if score >= 2 and _allowed(text, title, start, end, context):
            out.append((score, start, end, title, year))
    return out


def _unlisted(text: str, folded: str, cue_ends: list[int], taken: set[int]) -> list[Candidate]:
    """Journal names in no list, after a strong cue: quoted, or title-cased and journal-like."""
    out: list[Candidate] = []
    for pos in cue_ends:
        before = folded[max(0, pos - 160):pos]
        if pos in taken or not _ends_with_cue(_CUE_STRONG, before, before.lower(), _STRONG_WORDS):
            continue
        q = _QUOTED.match(text, pos)
        if q:
            idx = next(i for i in range(1, 6) if q.group(i))
            name = q.group(idx).strip(" .,;")
            out.append((4, q.start(idx), q.end(idx), lookup(name) or name, None))
            continue
        t = _TITLE_WORDS.match(text, pos)
        if t:
            name = t.group(1).rstrip(" ,.;")
            name = _TRAILING_CONNECTORS.sub("", name)
            if _JOURNALISH.search(name) and len(name.split()) >= 2:
                out.append((3, t.start(1), t.start(1) + len(name), lookup(name) or name, None))
    return out


def _year_for(text: str, folded: str, start: int, end: int, published: str | None) -> int | None:
    cite = _CITATION_AFTER.match(text, end)
    cited = next((g for g in cite.groups() if g), None) if cite else None
    if cited:
        return int(cited)
    after = _YEAR_AFTER.match(folded, end)
    if after:
        return int(after.group(1))
    s0, s1 = sentence_bounds(text, start)
    sentence = folded[s0:s1]
    blocked = [m.span() for m in _PERIOD.finditer(sentence)]
    best = None
    for m in _YEAR_ANY.finditer(sentence):
        if any(a <= m.start() < b for a, b in blocked) or _AGE_OR_QTY.match(sentence, m.end()):
            continue
        dist = abs(s0 + m.start() - start)
        if best is None or dist < best[0]:
            best = (dist, int(m.group(1)))
    if best:
        return best[1]
    return _relative_year(sentence, published)


def _relative_year(sentence: str, published: str | None) -> int | None:
    base = _page_year(published)
    if base is None:
        return None
    low = sentence.lower()
    for pattern, delta in _RELATIVE:
        if pattern.search(low):
            return base + delta
    return None


def journal_and_year(text: str | None, published: str | None = None) -> tuple[str | None, int | None]:
    """(journal, year) of the study the text reports on; either may be None."""
    if not text:
        return None, None
    folded = fold(text)
    cue_ends = _cue_ends(folded)
    cited = cited_names(text)
    cands = _candidates(text, folded, cue_ends, cited)
    cands += _unlisted(text, folded, cue_ends, {c[1] for c in cands})
    if cands:
        score, start, end, journal, year = min(cands, key=lambda c: (-c[0], c[1]))
        year = year or _year_for(text, folded, start, end, published)
        if year is None and any(c[0] == start for c in cited):
            year = header_year(text, end, end + _HEADER_SPAN)   # a masthead's volume line or "Published" date
        if year is None:
            stated = _stated_study_year(folded.lower())   # "El estudio, de 2023, siguió ..." in a later sentence
            year = int(next(g for g in stated.groups() if g)) if stated else None
        return journal, year
    return None, _study_year(folded, published)


_STUDY_WORD = re.compile(r"\b(?:published|publicad[oa]|study|estudio|estudo|trial)\b")
# Every relative date above holds one of these words.
_RELATIVE_WORDS = ("year", "ano", "annee", "week", "month", "today", "yesterday", "semana", "mes", "hoy", "ayer",
                   "hoje", "ontem")


_YEAR_DIGITS = re.compile(_YEAR)


def _stated_study_year(low: str) -> re.Match | None:
    """_STUDY_YEAR's first match, tried only around the years in the text (each of its forms holds one)."""
    for year in _YEAR_DIGITS.finditer(low):
        m = _STUDY_YEAR.search(low, max(0, year.start() - 60), year.end() + 60)
        if m:
            return m
    return None


def _study_year(folded: str, published: str | None) -> int | None:
    """Year of a study named without its journal: "a 2019 study", "published last year"."""
    low = folded.lower()
    m = _stated_study_year(low)
    if m:
        return int(next(g for g in m.groups() if g))
    if _page_year(published) is None:
        return None
    seen: set[int] = set()
    sentences = Sentences(folded)   # one pass, then each cue's sentence by bisection
    for cue in _STUDY_WORD.finditer(low):
        s0, s1 = sentences.bounds(cue.start())
        if s0 in seen:
            continue
        seen.add(s0)
        sentence = low[s0:s1]
        if any(word in sentence for word in _RELATIVE_WORDS):   # a cheap test before the patterns
            year = _relative_year(sentence, published)
            if year:
                return year
    return None
