"""study_type from registry publication types, MeSH design headings and text cues.

Precedence (applied in `study_type`): PubMed/Europe PMC publication types,
then cues in the title, then self-describing cues in the abstract/body
("we conducted a randomised...", "this review..."), then MeSH design
headings, then generic cues. The case_report/case_series split follows the
patient count when one is known.
"""

from __future__ import annotations

import re

from tracker.textutil import fold

# Publication type (lower case) -> study type, most specific first.
PUBLICATION_TYPES: list[tuple[str, str]] = [
    (r"meta-?analysis|systematic[- ]review|network meta", "meta_analysis"),
    (r"randomi[sz]ed controlled trial|randomi[sz]ed-controlled-trial|^rct$", "rct"),
    (r"case reports?|case-report", "case_report"),
    (r"observational study|cohort", "cohort"),
    (r"\breview\b|review-article|systematic-review", "review"),
    (r"editorial|comment|guideline|consensus|news|interview|biography|retracted|erratum|historical article", "other"),
]
# MeSH study-design headings (registry keywords), used when types and text say nothing.
MESH_DESIGNS: list[tuple[str, str]] = [
    (r"^(?:cohort|retrospective|prospective|follow-up|longitudinal) studies$", "cohort"),
    (r"^(?:case-control|cross-sectional) studies$", "other"),
]

_FEW_EN = r"(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty)"
_FEW_ES_PT = r"(?:dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|dois|duas|tr[eê]s|quatro|sete|oito|nove|dez)"
_META = (r"meta-?analy[sz]\w*|meta-?an[aá]lis[ie]s|metan[aá]lis[ie]s?|systematic\s+(?:literature\s+)?review|"
         r"revisi[oó]n\s+sistem[aá]tica|revis[aã]o\s+sistem[aá]tica|pooled\s+analysis|revue\s+syst[eé]matique")
_RCT = (r"randomi[sz]ed,?\s+(?:double|single|triple|observer|assessor)[- ]blind\w*|double[- ]blind\w*,?\s+(?:randomi[sz]ed|placebo)|"
        r"placebo[- ]controlled|randomi[sz]ed\s+(?:\w+[- ]?\w*\s+){0,3}?(?:trial|study)\b|phase\s+(?:2|3|ii|iii|2b|iib)\b[^.]{0,40}\btrial\b|"
        r"ensayo\s+(?:cl[ií]nico\s+)?(?:aleatori[sz]ado|controlado|fase)|ensaio\s+(?:cl[ií]nico\s+)?(?:randomizado|aleatori[sz]ado|controlado)|"
        r"estudio\s+aleatori[sz]ado|estudo\s+randomizado|head-to-head\s+(?:[\w'-]+\s+){0,2}?(?:trial|study)")
_RCT_SELF = (r"\b(?:we\s+(?:conducted|performed|carried\s+out|undertook|report)\s+(?:a|an)\s+(?:\w+[, -]+){0,4}?randomi[sz]ed|"
             r"(?:this|our|the\s+present|in\s+this)\s+(?:\w+[, -]+){0,4}?(?:randomi[sz]ed|double-blind)|"
             r"patients\s+were\s+randomi[sz]ed|were\s+randomly\s+assigned|were\s+randomi[sz]ed\s+(?:\(|\d|to|in)|"
             r"fueron\s+aleatori[sz]ados|foram\s+randomizados|foram\s+aleatori[sz]ados)")
_SERIES = (r"case\s+series|series\s+of\s+\d+\s+(?:\w+\s+)?(?:cases|patients)|serie\s+de\s+(?:\d+\s+)?casos|s[eé]rie\s+de\s+(?:\d+\s+)?casos|"
           r"\b(?:we|authors)\s+(?:report|describe|present)\s+(?:\d+|two|three|four|five|six|seven|eight|nine|ten)\s+(?:\w+\s+)?(?:cases|patients)|"
           r"(?:presentamos|describimos|reportamos|relatamos|descrevemos|apresentamos)\s+(?:\d+|dos|tres|cuatro|cinco|dois|duas|tr[eê]s|quatro)\s+(?:casos|pacientes)|"
           r"\b(?:report(?:ed|s|ing)?|describe[sd]?|describing|present(?:ed|s|ing)?)\s+(?:on\s+)?(?:\d+|" + _FEW_EN + r")\s+(?:\w+\s+)?cases\b|"
           # "doctors have described three patients": a few patients described is a series
           r"\b(?:reported|described|describe[sd]?|present(?:ed|s)?)\s+(?:[2-9]|1\d|" + _FEW_EN + r")\s+(?:\w+\s+)?patients\b|"
           r"\b(?:describieron|reportaron|presentaron|comunicaron|describen|relataram|descreveram|apresentaram|relatam|descrevem)\s+"
           r"(?:\d+|" + _FEW_ES_PT + r")\s+(?:\w+\s+)?(?:casos|pacientes)\b")
_CASE = (r"case\s+report|\b(?:we|authors)\s+(?:report|describe|present)\s+(?:here\s+)?(?:the\s+|a\s+|an\s+)(?:[\w-]+\s+){0,3}?(?:case|patient)\b(?!s)|"
         r"reporte\s+de\s+(?:un\s+)?caso|relato\s+de\s+caso|caso\s+cl[ií]nico|informe\s+de\s+un\s+caso|"
         r"(?:presentamos|describimos|reportamos|se\s+presenta|se\s+describe|relatamos|descrevemos|apresentamos|relata-se|descreve-se)\s+"
         r"(?:el|un|o|um)\s+caso\b|^(?:an?\s+)?\d{1,3}[- ]year[- ]old\s+(?:\w+\s+)?(?:man|woman|male|female|boy|girl|patient)")
_REVIEW_SELF = (r"\b(?:this|the\s+present|our|in\s+this)\s+(?:narrative\s+|comprehensive\s+|clinical\s+|brief\s+|mini-?\s*)?review|"
                r"\bwe\s+(?:review|summari[sz]e|discuss|provide\s+an?\s+(?:overview|update))\b|\bhere,?\s+we\s+(?:review|summari[sz]e)|"
                r"\b(?:esta|la\s+presente)\s+revisi[oó]n|\b(?:esta|nesta|a\s+presente)\s+revis[aã]o|\brevisamos\b")
_COHORT = (r"\bcohort\b|retrospective|prospective|observational|registry|real[- ]world|population[- ]based|chart\s+review|"
           r"medical\s+records|\bdatabase\b|base\s+de\s+datos|cohorte|coorte|retrospectiv[oa]|prospectiv[oa]|observacional|longitudinal|multicent(?:er|re|ric)\s+study")
_REVIEW = (r"\breview\b|\boverview\b|state[- ]of[- ]the[- ]art|\bupdate\s+on\b|revisi[oó]n|revis[aã]o|recent\s+advances|"
           r"current\s+(?:evidence|perspectives|concepts)|narrative")
_OTHER_DESIGN = r"case[- ]control|cross[- ]sectional|\bsurvey\b|questionnaire|caso[- ]control|transversal|in\s+vitro|\bmice\b|murine"
# Guideline/editorial words count only in a title; in a text they usually cite other documents.
_OTHER = _OTHER_DESIGN + r"|editorial|guideline|consensus"

# "Two cases and a review of the literature": a title naming a few cases is a
# case series, whatever else it names (the review is of earlier reports).
_TITLE_FEW_CASES = (r"\b(?:[2-9]|1\d|20|" + _FEW_EN + "|" + _FEW_ES_PT + r")\s+(?:new\s+|consecutive\s+|"
                    r"(?:p(?:a)?ediatric|adult|fatal|unusual|nuevos|novos)\s+)?(?:cases|casos)\b")
TITLE_CUES: list[tuple[str, str]] = [(_META, "meta_analysis"), (_RCT, "rct"), (_SERIES, "case_series"),
                                     (_TITLE_FEW_CASES, "case_series"),
                                     (_CASE, "case_report"), (_COHORT, "cohort"), (_REVIEW, "review"), (_OTHER, "other")]
TEXT_CUES: list[tuple[str, str]] = [(_META, "meta_analysis"), (_SERIES, "case_series"), (_CASE, "case_report"),
                                    (_REVIEW_SELF, "review"), (_RCT_SELF, "rct"), (_RCT, "rct"), (_COHORT, "cohort"),
                                    (_OTHER_DESIGN, "other")]

_PUB = [(re.compile(p, re.I), t) for p, t in PUBLICATION_TYPES]
_MESH = [(re.compile(p, re.I), t) for p, t in MESH_DESIGNS]
_TITLE = [(re.compile(p, re.I | re.M), t) for p, t in TITLE_CUES]
_TEXT = [(re.compile(p, re.I | re.M), t) for p, t in TEXT_CUES]
_TEXT_SPAN = 4000  # design is stated early; deep body text cites other studies


def from_publication_types(types: list[str]) -> str | None:
    joined = [t.strip().lower() for t in types if t]
    for pattern, kind in _PUB:
        if any(pattern.search(t) for t in joined):
            return kind
    return None


def from_mesh(keywords: list[str]) -> str | None:
    for pattern, kind in _MESH:
        if any(pattern.search(k.strip()) for k in keywords if k):
            return kind
    return None


def from_text(title: str | None, text: str | None) -> str | None:
    """Design cues in the title first, then in the first part of the abstract/body."""
    if title:
        folded = fold(title)
        for pattern, kind in _TITLE:
            if pattern.search(folded):
                return kind
    if text:
        folded = fold(text[:_TEXT_SPAN])
        for pattern, kind in _TEXT:
            if pattern.search(folded):
                return kind
    return None


def split_case_type(kind: str | None, count: int | None) -> str | None:
    """case_report is one patient, case_series more, whichever the cue said."""
    if kind in ("case_report", "case_series") and count is not None:
        return "case_report" if count <= 1 else "case_series"
    return kind
