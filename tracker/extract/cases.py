"""case_count: how many patients or cases the study reports, from its prose.

Every pattern below proposes (number, score); the highest score wins and,
at equal score, the earliest mention (title and abstract come first). The
scores encode the precedence: an explicit total > enrolled/randomised/
included > a reported series > a single case description > "n = 45" > a
bare "45 patients". Subgroups ("of whom 12", "12 (26%) patients"), screened
numbers and cases from the literature ("23 previously reported cases") are
dropped. Number words are turned into digits first (text2num, EN/ES/PT).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tracker.extract.textutil import Sentences
from tracker.textutil import fold

# Nouns that count people (folded, so "niños" is "ninos").
NOUN = (r"(?:patients?|pts|cases?|subjects?|participants?|individuals?|children|adults?|adolescents?|women|men|"
        r"males?|females?|persons?|people|infants?|volunteers?|recipients?|users?|pacientes?|casos?|sujetos?|"
        r"participantes?|individuos?|ninos?|ninas?|adultos?|mujeres|hombres|varones|enfermos?|personas?|"
        r"sujeitos?|criancas?|mulheres|homens|doentes?|pessoas?|voluntarios?|pregnancies|embarazos|gestacoes|gravidezes|respondents|encuestados|entrevistados)\b")
# Up to three modifiers between number and noun ("45 consecutive adult patients"), never a unit or link word.
_MODS = (r"(?:(?!(?:of|with|and|or|in|from|to|per|at|for|years?|months?|weeks?|days?|hours?|mg|kg|ml|times|"
         r"doses?|infusions?|studies|trials|articles|publications|reports|centers|centres|sites|hospitals|de|del|"
         r"con|com|e|y|anos|meses|semanas|dias|estudios|estudos|ensayos|ensaios|articulos|artigos|centros)\b)"
         r"[A-Za-z][\w'\-]*\s+){0,3}")
_VERB_STRONG = (r"(?:enrolled|included|randomi[sz]ed|randomly\s+assigned|recruited|analy[sz]ed|incluid[oa]s|"
                r"inclu[ií]d[oa]s|aleatorizad[oa]s|randomizad[oa]s|reclutad[oa]s|recrutad[oa]s|analisad[oa]s|"
                r"analizad[oa]s|enrolad[oa]s|arrolad[oa]s)")
_VERB_MEDIUM = (r"(?:identified|evaluated|assessed|treated|followed(?:\s+up)?|studied|examined|reviewed|observed|"
                r"involved|evaluad[oa]s|avaliad[oa]s|tratad[oa]s|seguid[oa]s|acompanhad[oa]s|estudad[oa]s|"
                r"estudad[oa]s|identificad[oa]s|revisad[oa]s)")
_REPORT = (r"(?:report(?:s|ed)?(?:\s+on)?|describe[sd]?|present(?:s|ed)?|document(?:s|ed)?|discuss(?:es|ed)?|"
           r"presentamos|describimos|reportamos|comunicamos|relatamos|descrevemos|apresentamos|"
           r"se\s+(?:presentan|describen|reportan|comunican)|(?:relatam|descrevem|apresentam)-se)")

# (score, pattern with the count in group "n"). Patterns run on folded text with number words as digits.
PATTERNS: list[tuple[int, str]] = [
    (10, r"\b(?:a|1|un|um)\s+total\s+(?:of\s+|de\s+)?<N>(?=\s+" + _MODS + NOUN + r"|\s+(?:were|was|fueron|foram)\b)"),
    (10, r"\bin\s+total,?\s+<N>\s+" + _MODS + NOUN),
    (10, r"\b(?:\d+|several|multiple)\s+(?:studies|trials|articles|estudios|estudos)\s+(?:\(\w+\s*=\s*\d+\)\s+)?"
         r"(?:including|involving|comprising|with|enrolling|totaling|totalling|incluyendo|con|incluindo|com|"
         r"que\s+incluyeron|que\s+inclu[ií]ram)\s+(?:a\s+total\s+of\s+|un\s+total\s+de\s+|um\s+total\s+de\s+)?<N>\s+" + _MODS + NOUN),
    (9, r"\bpooled\s+(?:data\s+|analysis\s+)?(?:from|of|on)\s+<N>\s+" + _MODS + NOUN),
    (9, r"\b<N>\s+" + _MODS + NOUN + r"(?:\s+\([^)]{0,40}\))?\s+(?:were|was|had\s+been|fueron|foram|se)\s+"
        r"(?:(?:prospectively|retrospectively|consecutively|successfully|finally|ultimately|eventually)\s+)?" + _VERB_STRONG),
    (9, r"\b<N>\s+(?:were|fueron|foram)\s+" + _VERB_STRONG),
    (9, r"\b<N>\s+" + _MODS + NOUN + r"\s+(?:with|who|from|in|on|con|com|de)\b[^.;]{0,140}?\s(?:were|fueron|foram)\s+"
        r"(?:(?:prospectively|retrospectively|consecutively|then|subsequently)\s+)?" + _VERB_STRONG),
    (9, r"\b(?:we|investigators|researchers|the\s+(?:study|trial|authors))?\s*" + _VERB_STRONG.replace("(?:", "(?:enroll(?:ed|s|ing)?|include[sd]?|including|randomi[sz]ing|", 1)
        + r"\s+(?:a\s+total\s+of\s+|data\s+(?:from|on)\s+)?<N>\s+" + _MODS + NOUN),
    (9, r"\b(?:se\s+(?:incluyeron|incluyo\s+a|analizaron|reclutaron|aleatorizaron|estudiaron|evaluaron)|"
        r"foram\s+(?:incluid[oa]s|inclu[ií]d[oa]s|avaliad[oa]s|randomizad[oa]s|estudad[oa]s|analisad[oa]s|recrutad[oa]s))\s+<N>\b"),
    (9, r"\b" + _REPORT + r"\s+(?:(?:a|the|our|una|la|uma|a)\s+)?(?:(?:series|serie|serie)\s+(?:of|de)\s+)?<N>\s+" + _MODS + NOUN),
    (8, r"\b(?:series|serie|cohort|cohorte|coorte|sample|muestra|amostra|population|poblacion|populacao|group|grupo|"
        r"study|estudio|estudo|registry|registro|database|data|datos|dados)\s+(?:of|de|from|with|including|com|con)\s+"
        r"(?:the\s+|los\s+|os\s+)?<N>\s+" + _MODS + NOUN),
    (8, r"\b(?:analizo|incluyo|evaluo|estudio|siguio|recluto|avaliou|incluiu|analisou|acompanhou|estudou|recrutou)\s+(?:a\s+)?<N>\s+" + _MODS + NOUN),
    (8, r"\b" + _VERB_MEDIUM.replace("(?:", "(?:involving|enrolling|including|following|studying|treating|", 1)
        + r"\s+(?:a\s+total\s+of\s+)?<N>\s+" + _MODS + NOUN),
    (8, r"\b<N>\s+" + _MODS + NOUN + r"(?:\s+\([^)]{0,40}\))?\s+(?:were|was|fueron|foram)\s+" + _VERB_MEDIUM),
    (7, r"\b<N>[-\s](?:patient|case|subject|participant|person)\b"),
    (7, r"(?:^|[.;:]\s+|\b(?:of|among|in)\s+(?:the|these|all|our)?\s*)(?:of|among|in|de|entre|em|dos|das|nos|nas)\s+"
        r"(?:the\s+|these\s+|all\s+|los\s+|las\s+|os\s+|as\s+)?<N>\s+" + _MODS + NOUN + r"\s*(?:included|enrolled|studied|\)|,)"),
    (5, r"\b[nN]\s*=\s*<N>\b"),
    (4, r"\b<N>\s+" + _MODS + NOUN),
    (3, r"\bboth\s+(?P<both>patients|cases)\b"),
]
# One patient: a case report's self-description.
SINGLE_CASE: list[tuple[int, str]] = [
    (8, r"\b(?:we|authors)\s+(?:report|describe|present|discuss|document)\s+(?:here\s+)?(?:the\s+|a\s+|an\s+|one\s+)"
        r"(?:[\w\-]+\s+){0,3}?(?:case|patient)\b(?!s)"),
    (8, r"\b(?:we|authors)\s+(?:report|describe|present)\s+(?:here\s+)?(?:a|an)\s+\d{1,3}[\s\-]*(?:year|yr|month)s?[\s\-]*old\b"),
    (8, r"\b(?:presentamos|describimos|reportamos|comunicamos|se\s+presenta|se\s+describe|se\s+reporta|se\s+comunica|"
        r"relatamos|descrevemos|apresentamos|relata-se|descreve-se|apresenta-se)\s+(?:el|un|o|um|a|uma)\s+caso\b"),
    (7, r"\b(?:case|caso)\s+(?:clinico\s+)?(?:of|de|do|da)\s+(?:una?|uma?|an?|o|a|el|la)\s+(?:\d{1,3}[\s\-]*(?:year|yr)s?[\s\-]*old\s+)?"
        r"(?:paciente|patient|mujer|woman|man|varon|hombre|mulher|homem|nino|nina|crianca|boy|girl|adolescente?|joven|jovem|"
        r"lactante|lactente|male|female|menino|menina)\b"),
    (6, r"\b(?:a|an)\s+\d{1,3}[\s\-]*(?:year|yr)s?[\s\-]*old\s+(?:\w+\s+){0,2}?(?:man|woman|male|female|boy|girl|patient|"
        r"lady|gentleman|caucasian|adolescent|child)\b"),
    (6, r"\b(?:una?|uma?)\s+(?:paciente|mujer|varon|hombre|mulher|homem|nino|nina|crianca|adolescente)\s+"
        r"(?:\w+\s+){0,4}?(?:de|com)\s+\d{1,3}\s+anos\b"),
    (6, r"\bpaciente\s+do\s+sexo\s+(?:feminino|masculino)\b"),
    (2, r"^[^\n]{0,200}\b(?:a\s+case\s+report|case\s+report|reporte\s+de\s+(?:un\s+)?caso|relato\s+de\s+caso|"
        r"informe\s+de\s+un\s+caso)\b"),
]
# Context that makes a number something other than this study's count.
_SUBGROUP_BEFORE = re.compile(r"(?:of\s+whom|of\s+which|of\s+these|of\s+them|among\s+them|among\s+whom|including|"
                              r"de\s+los\s+cuales|de\s+las\s+cuales|de\s+ellos|dos\s+quais|das\s+quais|destes|deles|"
                              r"entre\s+ellos|sendo|only|solo|apenas)\W{0,3}$", re.I)
_PERCENT_AFTER = re.compile(r"(?:\s+" + _MODS + NOUN + r")?\s*[(\[,]\s*\d+(?:[.,]\d+)?\s*%", re.I)
_OF_TOTAL_AFTER = re.compile(r"\s*(?:of|/|de|out\s+of)\s*(?:the\s+|los\s+|os\s+)?\d", re.I)
_SCREENED_AFTER = re.compile(r"[^.;]{0,60}?\b(?:screened|assessed\s+for\s+eligibility|eligible|invited|approached|"
                             r"excluded|excluid[oa]s|elegibles?|eleg[ií]veis|tamizad[oa]s|triad[oa]s)\b", re.I)
_LITERATURE = re.compile(r"\b(?:previously\s+(?:reported|published|described)|(?:in|of|from)\s+the\s+literature|"
                         r"have\s+been\s+(?:reported|described|published)|has\s+been\s+reported|worldwide|to\s+date|"
                         r"literature\s+review|review\s+of\s+the\s+literature|reported\s+cases|post-?marketing|"
                         r"en\s+la\s+literatura|na\s+literatura|descritos\s+previamente|previamente\s+(?:descritos|reportados|publicados)|"
                         r"han\s+(?:sido\s+)?(?:reportado|descrito|publicado)|foram\s+(?:descritos|relatados)\s+(?:na|em))\b", re.I)
# A study states its size early (abstract, methods, first paragraphs of a news story);
# deep text adds cost and numbers from other studies.
_SCAN_CHARS = 15_000
_SINGLE_CASE_CHARS = 6_000
_NOUN_AFTER = re.compile(r"\s+" + _MODS + NOUN, re.I)
_POOLED = frozenset({10})
# In a review, a count is the review's own only when it speaks in the first person.
_SELF = re.compile(r"\b(?:we|our|nosotros|nuestr[oa]s?|n[oó]s|nossa|nosso)\b", re.I)
# "A total of 95 patients with UC and 61 with CD": the total is the sum.
_SUM = re.compile(r"\b(?:a|1|un|um)\s+total\s+(?:of\s+|de\s+)?(?P<n>\d+)\s+" + _MODS + NOUN
                  + r"\s+(?:with|con|com|de)\s+[^,;.\d]{2,60}?\s+(?:and|y|e)\s+(?P<m>\d+)\s+(?:" + NOUN
                  + r"\s+)?(?:with|con|com|de)\b", re.I)
_ARM = re.compile(r"\b[nN]\s*=\s*\d")
_MAX_COUNT = 5_000_000
# Spanish/Portuguese articles must stay words: "una paciente" is not a count, "un total de" is a phrase.
_ARTICLES = re.compile(r"\b(un|una|um|uma)\b", re.I)
_ARTICLES_BACK = re.compile(r"\bQQ(un|una|um|uma)\b", re.I)
_NUMBER_LANGS = {"en": "en", "es": "es", "pt": "pt", "fr": "fr", "de": "de", "it": "it"}


@dataclass(frozen=True)
class Candidate:
    count: int
    score: int
    pos: int
    first_person: bool = False


_NUM_BODY = r"\d{1,3}(?:,\d{3})+|\d{1,3}(?:\.\d{3})+(?=\s)|\d{1,3}(?:\u00a0\d{3})+|\d+"
_NUM_GROUP = r"(?<![\w.,/\-])(?P<n>" + _NUM_BODY + r")(?![\w]|[.,]\d|\s*%)"
_COMPILED = [(s, re.compile(p.replace("<N>", _NUM_GROUP), re.I | re.M), "<N>" in p) for s, p in PATTERNS]
_DIGIT = re.compile(r"\d")
_COMPILED_SINGLE = [(s, re.compile(p, re.I | re.M)) for s, p in SINGLE_CASE]


def _digits(text: str, lang: str) -> str:
    """Number words -> digits ("three cases" -> "3 cases"); articles and "a" stay words."""
    try:
        from text_to_num import alpha2digit
    except ImportError:  # text2num is a dependency; without it digits still work
        return text
    protected = _ARTICLES.sub(r"QQ\1", text) if lang in ("es", "pt") else text
    try:
        converted = alpha2digit(protected, _NUMBER_LANGS.get(lang, "en"), threshold=0)
    except Exception:  # a parser error on odd input must not lose the item
        return text
    return _ARTICLES_BACK.sub(r"\1", converted)


def _to_int(raw: str) -> int | None:
    digits = re.sub(r"[,.\u00a0]", "", raw)
    if not digits.isdigit():
        return None
    value = int(digits)
    return value if 0 < value <= _MAX_COUNT else None


def _excluded(text: str, m: re.Match, score: int, sentences: Sentences) -> bool:
    start, end = m.span("n")
    if score < 10 and _SUBGROUP_BEFORE.search(text, max(0, start - 20), start):
        return True
    if _PERCENT_AFTER.match(text, end):
        return True
    if score < 10 and _OF_TOTAL_AFTER.match(text, end):
        return True  # "12 of 45 patients": 12 is a part, 45 is proposed by its own match
    if _SCREENED_AFTER.match(text, end):
        return True
    value = _to_int(m.group("n")) or 0
    if 1900 <= value <= 2100 and not _NOUN_AFTER.match(text, end):
        return True  # a year ("from 2014 to 2019 were analysed"), not a count
    s0, s1 = sentences.bounds(start)
    if score < 10 and _LITERATURE.search(text, s0, s1):
        return True
    return False


def _numbered_spans(text: str, sentences: Sentences) -> list[tuple[int, int]]:
    """Runs of sentences that hold a digit: the only places a counted pattern can match.

    Scanning only these is the main saving on long texts. Each span starts a
    few characters early so a pattern anchored on the previous sentence's
    full stop still matches.
    """
    spans: list[tuple[int, int]] = []
    for s0, s1 in sentences.spans():
        if _DIGIT.search(text, s0, s1):
            if spans and spans[-1][1] >= s0 - 3:
                spans[-1] = (spans[-1][0], s1)
            else:
                spans.append((max(0, s0 - 3), s1))
    return spans


def candidates(text: str, lang: str = "en") -> list[Candidate]:
    """Every count the rules propose, with its score and position."""
    if not text:
        return []
    work = _digits(fold(text[:_SCAN_CHARS]), lang)
    sentences = Sentences(work)
    found: list[Candidate] = []
    numbered = _numbered_spans(work, sentences)
    whole = [(0, len(work))]
    for score, pattern, needs_number in _COMPILED:
        for m in (m for s0, s1 in (numbered if needs_number else whole)
                  for m in pattern.finditer(work, s0, s1)):
            if m.groupdict().get("both"):
                found.append(Candidate(2, score, m.start()))
                continue
            value = _to_int(m.group("n"))
            if value is None or _excluded(work, m, score, sentences):
                continue
            if score == 5:  # "n = 45": several in one sentence are arm sizes, not the total
                s0, s1 = sentences.bounds(m.start())
                if len(_ARM.findall(work, s0, s1)) > 1:
                    score = 3
            s0, s1 = sentences.bounds(m.start("n"))
            found.append(Candidate(value, score, m.start("n"), bool(_SELF.search(work, s0, s1))))
    for m in _SUM.finditer(work):
        found.append(Candidate(int(m.group("n")) + int(m.group("m")), 11, m.start("n")))
    for score, pattern in _COMPILED_SINGLE:
        for m in pattern.finditer(work, 0, _SINGLE_CASE_CHARS):
            s0, s1 = sentences.bounds(m.start())
            if not _LITERATURE.search(work, s0, s1) or score >= 8:
                found.append(Candidate(1, score, m.start()))
    return found


def case_count(text: str | None, lang: str = "en", pooled_only: bool = False) -> int | None:
    """The study's number of patients/cases, or None when the text does not state it.

    `pooled_only` (for narrative reviews) accepts only explicit totals, since
    the other numbers in a review belong to the studies it cites.
    """
    found = candidates(text or "", lang)
    if pooled_only:
        found = [c for c in found if c.score >= 10 or (c.score >= 8 and c.first_person)]
    if not found:
        return None
    best = min(found, key=lambda c: (-c.score, c.pos))
    return best.count
