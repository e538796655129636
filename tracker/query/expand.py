"""What a search term means: drug brands and classes, conditions, study types, journals.

Rules are data at the top; drug and journal names come from the shared
lexicons (tracker.lexicon), the same ones extraction uses.
"""

from __future__ import annotations

import re
from functools import lru_cache

from tracker.lexicon.drugs import ABBREVIATIONS, BRANDS, CLASSES, GENERICS

# Condition code -> what a user may type for it (lower case; phrases allowed).
CONDITION_SYNONYMS: dict[str, tuple[str, ...]] = {
    "crohns_disease": ("crohn", "crohn's", "crohns", "crohn's disease", "crohns disease",
                       "crohn disease", "regional enteritis", "regional ileitis", "morbus crohn",
                       "granulomatous ileitis", "crohns_disease"),
    "ulcerative_colitis": ("ulcerative colitis", "uc", "colitis ulcerosa", "ulcerative_colitis"),
    "ibd": ("ibd", "inflammatory bowel disease", "inflammatory bowel diseases"),
    "pouchitis": ("pouchitis",),
    "pml": ("pml", "progressive multifocal leukoencephalopathy",
            "progressive multifocal leucoencephalopathy", "jc virus", "jcv"),
}
# Bare words that expand to a condition; "uc" and "cd" are too ambiguous in prose.
_BARE_CONDITION_SKIP = {"uc", "cd"}

# Study type value -> what a user may type (separators and case ignored).
STUDY_TYPE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "case_report": ("casereport", "casereports", "report", "reports"),
    "case_series": ("caseseries", "series"),
    "cohort": ("cohort", "cohortstudy", "observational", "registry", "retrospective", "prospective"),
    "rct": ("rct", "rcts", "trial", "randomizedcontrolledtrial", "randomisedcontrolledtrial",
            "randomizedtrial", "randomisedtrial", "clinicaltrial", "controlledtrial"),
    "meta_analysis": ("metaanalysis", "metaanalyses", "meta", "systematicreview",
                      "systematicreviewandmetaanalysis"),
    "review": ("review", "reviews", "narrativereview"),
    "other": ("other",),
}
# Lexicon classes that are not a meaningful search term.
_SKIP_CLASSES = {"other"}


def _key(text: str) -> str:
    return re.sub(r"[\s\-_'\u2010\u2011\u2013]+", "", text.lower())


def generics() -> tuple[str, ...]:
    return GENERICS


@lru_cache(maxsize=1)
def _abbreviations() -> dict[str, str]:
    # "IFX", "VDZ", "ust": abbreviations are matched case-sensitively in
    # article text, but a search term is the user's own shorthand
    return {a.lower(): g for a, g in ABBREVIATIONS.items()}


@lru_cache(maxsize=1)
def _class_keys() -> dict[str, str]:
    return {_key(k): k for k in CLASSES}


_GENERIC_SET = frozenset(GENERICS)
# Lookups are cached: a long OR list asks about the same words many times,
# and each parse asks about every word and every run of two to four words.
_CACHED = 4096


@lru_cache(maxsize=_CACHED)
def drug_generic(word: str) -> str | None:
    """A brand, biosimilar, code, abbreviation or variant -> its generic; a generic -> itself."""
    low = word.lower().strip()
    if low in _GENERIC_SET:
        return low
    return BRANDS.get(low) or BRANDS.get(_key(low)) or _abbreviations().get(low)


def drug_class(word: str) -> tuple[str, list[str]] | None:
    """'anti-TNF' -> ('anti-tnf', [members]); None if `word` names no class."""
    found = _drug_class(word)
    return (found[0], list(found[1])) if found else None


@lru_cache(maxsize=_CACHED)
def _drug_class(word: str) -> tuple[str, tuple[str, ...]] | None:
    low = word.lower().strip()
    members = CLASSES.get(low)
    if members is None:
        name = _class_keys().get(_key(low))
        if name is None:
            return None
        low, members = name, CLASSES[name]
    if low in _SKIP_CLASSES or not members:
        return None
    return low, tuple(sorted(members))


def drug_names() -> list[str]:
    """Every one-word generic and brand (for spelling suggestions)."""
    names = set(GENERICS) | {b for b in BRANDS if b.isalpha()}
    return sorted(n for n in names if " " not in n and len(n) >= 4)


@lru_cache(maxsize=1)
def _condition_index() -> dict[str, str]:
    return {_key(s): code for code, syns in CONDITION_SYNONYMS.items() for s in syns}


@lru_cache(maxsize=_CACHED)
def condition(text: str, *, bare: bool = False) -> str | None:
    """'regional enteritis' -> 'crohns_disease'. `bare`: an unfielded word."""
    low = text.lower().strip()
    if bare and low in _BARE_CONDITION_SKIP:
        return None
    return _condition_index().get(_key(low))


def condition_phrases(code: str) -> list[str]:
    """Text forms worth searching for a condition (not the code, no apostrophes)."""
    return [s for s in CONDITION_SYNONYMS.get(code, ()) if "_" not in s and "'" not in s and len(s) > 2]


@lru_cache(maxsize=1)
def _study_index() -> dict[str, str]:
    out = {}
    for value, syns in STUDY_TYPE_SYNONYMS.items():
        out[_key(value)] = value
        for s in syns:
            out[s] = value
    return out


def study_type(text: str) -> str | None:
    """'case report', 'Case-Reports', 'RCT', 'meta-analysis' -> a study_type value."""
    return _study_index().get(_key(text))


def journal_title(name: str) -> str | None:
    """Full journal title for an abbreviation or variant, if the lexicon knows it."""
    # imported here: reading the journal list costs ~12 ms, and only journal: queries need it
    from tracker.lexicon.journals import resolve

    return resolve(name)
