"""Journal and year of the study a text reports on, read from its prose.

"A study published in 'Revista Médica de Chile' in 2017 reported on three
cases" -> ("Revista Médica de Chile", 2017). The year is the cited study's,
never the page's own date (the caller passes that as `published`, used only
for "last year" / "this year").

A journal name found in the text counts only with evidence that it is the
venue of a study: a cue before it ("published in", "publicado en la
revista") or a citation after it ("2017;145(2):1-9", "(2019)"). The best
candidate is the one with the most evidence, then the earliest.
"""

from __future__ import annotations

import re

from tracker.extract.journals import find_journals
from tracker.extract.textutil import sentence_bounds
from tracker.lexicon.journals import resolve
from tracker.textutil import fold

_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
          r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|enero|febrero|marzo|abril|mayo|junio|julio|agosto|"
          r"septiembre|setiembre|octubre|noviembre|diciembre|janeiro|fevereiro|marco|maio|junho|julho|"
          r"setembro|outubro|novembro|dezembro)")
_YEAR = r"(?:19[5-9]\d|20[0-4]\d)"

# Evidence before a journal name (matched against the folded text just before it).
_CUE_STRONG = re.compile(
    r"(?:published|appeared|appearing|reported|described|presented|publicad[oa]s?|divulgad[oa]s?|aparecid[oa]s?|"
    r"reportad[oa]s?|publie(?:e|s|es)?|veroffentlicht|pubblicat[oaie])"
    r"(?:\s+(?:online|recently|today|this\s+\w+|last\s+\w+|early|earlier|recientemente|recentemente|"
    r"hoy|hoje|em\s+\d{4}|en\s+\d{4}|in\s+\d{4}))*\s+"
    r"(?:in|en|em|na|no|by|dans|im|su|on)\s+(?:the\s+|la\s+|el\s+|a\s+|o\s+|le\s+|der\s+)?"
    r"(?:(?:peer[- ]reviewed\s+|prestigious\s+|medical\s+|scientific\s+|prestigios[ao]\s+)?"
    r"(?:journal|revista|periodico|publication|issue\s+of(?:\s+the)?|edition\s+of(?:\s+the)?|edicion\s+de|edicao\s+d[aeo])\s+)?"
    r"[\"'«(]?\s*$", re.I)
_CUE_WEAK = re.compile(
    r"(?:(?:study|trial|paper|article|report|research|analysis|review|letter|meta-analysis|findings|results|"
    r"data|estudio|estudo|articulo|artigo|trabajo|pesquisa|ensayo|ensaio|investigacion|case\s+series)"
    r"[^.;]{0,50}?\s(?:in|en|em|na|no|from|de|da|do)\s+(?:the\s+|la\s+|el\s+|a\s+|o\s+)?"
    r"|(?:journal|revista|according\s+to(?:\s+the)?|segun(?:\s+la)?|segundo\s+a?)\s+)[\"'«]?\s*$", re.I)
# Evidence after a name: an NLM-style citation or a bracketed year.
_CITATION_AFTER = re.compile(
    r"\.?,?\s*(?:\(\s*(" + _YEAR + r")\s*\)|(" + _YEAR + r")(?:\s+" + _MONTH + r"\.?(?:\s*\d{1,2})?)?\s*[;:]\s*\d)", re.I)
# A year shortly after the name: "... in 2017", "in March 2019", ", 2018", "(March 2019)".
_YEAR_AFTER = re.compile(
    r"[\"'»)]?\s*(?:[,(]\s*|\s+(?:in|en|em|no|on|during|durante|el|the)\s+(?:" + _MONTH + r"\s+(?:de\s+|of\s+)?)?)?"
    r"(?:(?:early|late|mid-?|principios\s+de|finales\s+de|inicio\s+de)\s+)?(?:" + _MONTH + r"\.?\s+(?:\d{1,2},?\s+)?(?:de\s+)?)?"
    r"(" + _YEAR + r")\b(?!\s*(?:patients|pacientes|cases|casos|[-–]\s*\d))", re.I)
_YEAR_ANY = re.compile(r"(?<![\d.,/-])(" + _YEAR + r")(?![\d%]|\s*[-–]\s*\d|\s*(?:patients|pacientes|cases|casos))")
# Years that are a study period, not a publication date.
_PERIOD = re.compile(
    r"(?:between|from|since|desde|entre|de|from\s+\w+)\s+(?:" + _MONTH + r"\s+)?" + _YEAR
    + r"\s+(?:and|to|until|through|y|e|a|hasta|ate|al)\s+(?:" + _MONTH + r"\s+)?" + _YEAR
    + r"|" + _YEAR + r"\s*[-–/]\s*(?:" + _YEAR + r"|\d\d)\b", re.I)
_AGE_OR_QTY = re.compile(r"\s*(?:-?year|anos|años|patients|pacientes|mg|%)", re.I)
# Year stated about a study without a journal: "a 2019 study", "published in 2019".
_STUDY_YEAR = re.compile(
    r"\b(?:an?|the|in\s+a|este|un|um|una|uma)\s+(" + _YEAR + r")\s+(?:\w+\s+){0,2}"
    r"(?:study|trial|paper|report|analysis|review|meta-analysis|estudio|estudo|articulo|artigo|ensayo|ensaio)"
    r"|(?:published|publicad[oa]|publie|appeared)\s+(?:online\s+)?(?:in|en|em|no)\s+(?:" + _MONTH
    + r"\s+(?:de\s+)?)?(" + _YEAR + r")\b", re.I)
# Relative publication years, resolved against the page's own date.
_RELATIVE = [
    (re.compile(r"\b(?:last\s+year|el\s+ano\s+pasado|el\s+pasado\s+ano|(?:n?o\s+)?ano\s+passado|l'annee\s+derniere)\b", re.I), -1),
    (re.compile(r"\b(?:(?:earlier\s+)?this\s+year|este\s+ano|neste\s+ano|deste\s+ano|cette\s+annee)\b", re.I), 0),
    (re.compile(r"\b(?:published|publicad[oa]|publie)\s+(?:online\s+)?(?:this\s+(?:week|month)|today|yesterday|"
                r"esta\s+semana|este\s+mes|hoy|ayer|hoje|ontem|nesta\s+semana|neste\s+mes)\b", re.I), 0),
    (re.compile(r"\b(?:two\s+years\s+ago|hace\s+dos\s+anos|ha\s+dois\s+anos)\b", re.I), -2),
]
# Unlisted journal in quotes after a strong cue.
_QUOTED = re.compile(r'"([A-Z][^"\n]{2,118})"|“([A-Z][^”\n]{2,118})”|«([A-Z][^»\n]{2,118})»|'
                     r"‘([A-Z][^’\n]{2,118})’|'([A-Z](?:[^'\n]|'(?=s\b)){2,118})'")
# Unlisted, unquoted journal after a strong cue: a capitalised title that looks like a journal.
_TITLE_WORDS = re.compile(
    r"([A-Z][\w'’\-]*(?:\s+(?:of|and|&|for|in|de|del|y|e|do|da|dos|das|la|el|the|[A-Z][\w'’\-]*)){0,9})")
_JOURNALISH = re.compile(r"\b(?:journal|revista|annals|anais|archives|arquivos|archivos|acta|reports?|review|"
                         r"medicine|medicina|gastroenterolog\w*|hepatolog\w*|proceedings|bulletin|boletin|gazette|"
                         r"gaceta|jornal|cadernos|clinic\w*)\b", re.I)


def _page_year(published: str | None) -> int | None:
    m = re.match(r"\s*(\d{4})", published or "")
    return int(m.group(1)) if m else None


def _candidates(text: str, folded: str) -> list[tuple[int, int, int, str]]:
    """(score, start, end, journal) for each name with venue evidence."""
    out = []
    for start, end, title in find_journals(text):
        before = folded[max(0, start - 90):start]
        score = 0
        if _CUE_STRONG.search(before):
            score += 3
        elif _CUE_WEAK.search(before):
            score += 2
        if _CITATION_AFTER.match(text, end):
            score += 3
        elif _YEAR_AFTER.match(folded, end) and score:
            score += 1
        if score >= 2:
            out.append((score, start, end, title))
    return out


def _unlisted(text: str, folded: str, taken: set[int]) -> list[tuple[int, int, int, str]]:
    """Journal names not in the list, after a strong cue: quoted, or title-cased and journal-like."""
    out = []
    for cue in _CUE_START.finditer(folded):
        pos = cue.end()
        if pos in taken:
            continue
        q = _QUOTED.match(text, pos)
        if q:
            idx = next(i for i in range(1, 6) if q.group(i))
            name = q.group(idx).strip(" .,;")
            out.append((4, q.start(idx), q.end(idx), resolve(name) or name))
            continue
        t = _TITLE_WORDS.match(text, pos)
        if t:
            name = t.group(1).rstrip(" ,.;")
            name = re.sub(r"\s+(?:of|and|&|for|in|de|del|y|e|do|da|dos|das|la|el|the)$", "", name)
            if _JOURNALISH.search(name) and len(name.split()) >= 2:
                out.append((3, t.start(1), t.start(1) + len(name), resolve(name) or name))
    return out


_CUE_START = re.compile(
    r"(?:published|appeared|publicad[oa]s?|publie(?:e|s)?|divulgad[oa])"
    r"(?:\s+(?:online|recently|today|this\s+\w+|last\s+\w+|recientemente|recentemente|hoy|hoje))*\s+"
    r"(?:in|en|em|na|no|dans)\s+(?:the\s+|la\s+|el\s+|a\s+|o\s+)?"
    r"(?:(?:medical\s+|scientific\s+)?(?:journal|revista|periodico)\s+(?!of\b|de\b|do\b|da\b))?", re.I)


def _year_for(text: str, folded: str, start: int, end: int, published: str | None) -> int | None:
    cite = _CITATION_AFTER.match(text, end)
    if cite:
        return int(cite.group(1) or cite.group(2))
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
    for pattern, delta in _RELATIVE:
        if pattern.search(sentence):
            return base + delta
    return None


def journal_and_year(text: str | None, published: str | None = None) -> tuple[str | None, int | None]:
    """(journal, year) of the study the text reports on; either may be None."""
    if not text:
        return None, None
    folded = fold(text)
    cands = _candidates(text, folded)
    cands += _unlisted(text, folded, {s for _, s, _, _ in cands})
    if cands:
        score, start, end, journal = min(cands, key=lambda c: (-c[0], c[1]))
        return journal, _year_for(text, folded, start, end, published)
    return None, _study_year(folded, published)


def _study_year(folded: str, published: str | None) -> int | None:
    """Year of a study named without its journal: "a 2019 study", "published last year"."""
    m = _STUDY_YEAR.search(folded)
    if m:
        return int(m.group(1) or m.group(2))
    for cue in re.finditer(r"\b(?:published|publicad[oa]|study|estudio|estudo|trial)\b", folded, re.I):
        s0, s1 = sentence_bounds(folded, cue.start())
        year = _relative_year(folded[s0:s1], published)
        if year:
            return year
    return None
