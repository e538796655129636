"""Conditions named in a text: crohns_disease, ulcerative_colitis, ibd, pouchitis, pml.

Patterns run on accent-folded text (see textutil.fold), so "doença" and
"doenca", "leucoencefalopatía" and "leucoencefalopatia" match alike.
"""

from __future__ import annotations

import re

from tracker.extract.textutil import holds_any, lowered_for_tests
from tracker.textutil import fold

# condition -> case-insensitive patterns (English, Spanish, Portuguese, French, German, Italian).
CONDITION_PATTERNS: dict[str, list[str]] = {
    "crohns_disease": [
        r"crohn'?s?\b", r"morbus crohn", r"regional (?:enteritis|ileitis)",
        r"granulomatous (?:ileitis|colitis|enteritis)", r"terminal ileitis", r"\bileitis\b", r"ileocolitis",
        r"ileo-colitis", r"enfermedad de crohn", r"doenca de crohn", r"maladie de crohn", r"morbo di crohn",
        r"enteritis regional",
    ],
    "ulcerative_colitis": [
        r"ulcerative (?:pan)?colitis", r"ulcerative proctitis", r"ulcerative proctosigmoiditis", r"colitis ulcerosa",
        r"colite ulcerativa", r"colite ulcerosa", r"colite ulcereuse", r"retocolite(?: ulcerativa)?",
        r"rectocolitis ulcerosa", r"rectocolite hemorragique", r"colitis ulcerativa", r"\bcolitis ulcerosa\b",
    ],
    "ibd": [
        r"inflammatory bowel diseases?", r"\bIBDs?\b",
        r"enfermedad(?:es)? inflamatoria(?:s)? (?:intestinal|del intestino)",
        r"doencas? inflamatorias? intestina(?:l|is)", r"\bEIIs?\b", r"\bDIIs?\b", r"\bMICI\b",
        r"maladies? inflammatoires? (?:chroniques? )?de l'intestin", r"chronisch[- ]entzundliche darmerkrankung",
        r"malattie infiammatorie croniche intestinali",
    ],
    "pouchitis": [r"pouchitis", r"reservoiritis", r"reservoritis", r"bolsite", r"pouchite",
                  r"inflamacion del reservorio"],
    "pml": [
        r"progressive multifocal leuko-?encephalopathy", r"leucoencefalopatia multifocal progresiva",
        r"leucoencefalopatia multifocal progressiva", r"leucoencephalopathie multifocale progressive",
        r"progressive multifokale leukenzephalopathie", r"leucoencefalopatia multifocale progressiva",
        r"\bPML\b(?!-?RAR)", r"\bLEMP\b", r"\bJC ?V\b", r"\bJC(?: |-)?(?:polyoma)?virus", r"\bvirus JC\b",
        r"John Cunningham virus", r"\bJC viral", r"\bJCPyV\b",
    ],
}
# Words without which a condition's patterns cannot match (lower case for the case-insensitive
# patterns, as written for the case-sensitive ones): most texts name one or two conditions, and a
# regex that finds nothing scans the whole text, so a substring test first skips most searches.
# Each pattern above holds one of its condition's words outside any optional part (a test checks).
TRIGGERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "crohns_disease": (("crohn", "regional", "granulomatous", "ileitis", "ileocolitis", "ileo-colitis"), ()),
    "ulcerative_colitis": (("ulcerativ", "ulcerosa", "colite", "retocolite", "rectocolit"), ()),
    "ibd": (("inflammatory bowel", "inflamatoria", "inflammatoire", "entzundliche",
             "infiammatorie"), ("IBD", "EII", "DII", "MICI")),
    "pouchitis": (("pouchit", "reservoritis", "reservoiritis", "bolsite", "reservorio"), ()),
    "pml": (("leuko", "leuco", "leukenzephalopathie", "john cunningham", "virus jc"),
            ("PML", "LEMP", "JC")),
}
# Abbreviations that must keep their case (an "ibd" in a URL or "pml" in a file name is noise).
_CASE_SENSITIVE = re.compile(r"^\\b[A-Z]")
# Crohn's disease abbreviated "CD" only where the text also spells it out (CD is also "cluster of differentiation").
_CD_ABBR = re.compile(r"\bCD\b(?!\s?\d)")
_UC_ABBR = re.compile(r"\bUC\b")


def _compile() -> dict[str, tuple[re.Pattern | None, re.Pattern | None]]:
    out: dict[str, tuple[re.Pattern | None, re.Pattern | None]] = {}
    for cond, pats in CONDITION_PATTERNS.items():
        ci = [p for p in pats if not _CASE_SENSITIVE.match(p)]
        cs = [p for p in pats if _CASE_SENSITIVE.match(p)]
        out[cond] = (re.compile("|".join(ci), re.I) if ci else None,
                     re.compile("|".join(cs)) if cs else None)
    return out


_PATTERNS = _compile()
_TRIGGERS = {cond: (TRIGGERS[cond], pats) for cond, pats in _PATTERNS.items()}


def find_conditions(text: str | None) -> set[str]:
    """Condition codes named in `text`."""
    if not text:
        return set()
    folded = fold(text)
    lowered = lowered_for_tests(folded)
    found = set()
    for cond, ((words, cased), (ci, cs)) in _TRIGGERS.items():
        if ci and holds_any(lowered, words) and ci.search(folded):
            found.add(cond)
        elif cs and any(w in folded for w in cased) and cs.search(folded):
            found.add(cond)
    # "Crohn's disease (CD) and ulcerative colitis (UC)": the abbreviations alone count
    # only as both together, the usual IBD pairing.
    if "crohns_disease" not in found and "ulcerative_colitis" not in found and "CD" in folded and "UC" in folded:
        if _CD_ABBR.search(folded) and _UC_ABBR.search(folded):
            found.update({"crohns_disease", "ulcerative_colitis"})
    return found
