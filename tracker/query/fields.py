"""Fielded leaves of the query language (drug:, type:, journal:, doi:, ...),
numeric ranges, and how fields are shown back in --explain."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from tracker.errors import QueryError
from tracker.models import normalize_doi, normalize_nct, normalize_pmcid, normalize_pmid
from tracker.query import expand
from tracker.query.nodes import And, Nothing, Or, Prefix, Query, Range, Term

# How each index field is shown back to the user in --explain.
SHOWN = {"drugs": "drug", "study_type": "type", "authors": "author", "feeds": "feed",
         "conditions": "condition", "case_count": "cases", "language": "lang",
         "nct_ids": "nct", "trial_status": "status"}
# The index stores 32-bit numbers, the largest one meaning "no value".
MAX_NUMBER = 2 ** 31 - 2
_RANGE = re.compile(r"(?P<op>>=|<=|>|<)(?P<n>\d+)|(?P<lo>\d+)?\.\.(?P<hi>\d+)?|"
                    r"(?P<a>\d+)-(?P<b>\d+)|(?P<eq>\d+)")


@dataclass
class Piece:
    """A parsed part of the query: its node and how it is shown back."""
    q: Query
    shown: str
    group: bool = False   # shown text is an OR list (needs parentheses inside AND)


def show(fld: str) -> str:
    return SHOWN.get(fld, fld)


def quote(text: str) -> str:
    return f'"{text}"' if re.search(r"[\s():]", text) else text


class Builder(Protocol):
    """What a field rule uses of the term builder (tracker.query.terms.Terms)."""

    notes: list[str]

    def analyse(self, fld: str, text: str) -> list[tuple[str, int]]: ...

    def text_query(self, fields: tuple[str, ...], text: str, boosts: dict[str, float] | None = None,
                   *, words: bool = False) -> Query | None: ...

    def prefix_query(self, fields: tuple[str, ...], value: str, pos: int,
                     boosts: dict[str, float] | None = None) -> Query: ...


def drugs_leaf(b: Builder, value: str, phrase: bool, pos: int) -> Piece:
    if not phrase and value.endswith("*"):
        return Piece(b.prefix_query(("drugs",), value, pos), f"drug:{value}")
    cls = expand.drug_class(value)
    if cls is not None:
        name, members = cls
        b.notes.append(f"drug:{quote(value)} -> {', '.join(members)} (drug class {name})")
        return Piece(Or(tuple(Term("drugs", m) for m in members)),
                     f"drug:({' OR '.join(quote(m) for m in members)})")
    generic = expand.drug_generic(value) or value.lower()
    if generic != value.lower():
        b.notes.append(f"drug:{quote(value)} -> {generic} (brand, biosimilar, code or abbreviation)")
    return Piece(Term("drugs", generic), f"drug:{quote(generic)}")


def study_type_leaf(b: Builder, value: str, phrase: bool, pos: int) -> Piece:
    st = expand.study_type(value)
    if st is None:
        raise QueryError(f"unknown study type 'type:{value}' at position {pos}; use case_report, "
                         f"case_series, cohort, rct, meta_analysis, review or other.")
    return Piece(Term("study_type", st), f"type:{st}")


def conditions_leaf(b: Builder, value: str, phrase: bool, pos: int) -> Piece:
    code = expand.condition(value) or value.lower().replace(" ", "_")
    return Piece(Term("conditions", code), f"condition:{code}")


def journal_leaf(b: Builder, value: str, phrase: bool, pos: int) -> Piece:
    """Full titles, their indexed variants, and abbreviations word by word.

    "J Crohns Colitis" also matches as prefixes in any order (j* crohn*
    colitis*), which is how ISO abbreviations are formed.
    """
    shown = f"journal:{quote(value)}"
    if not phrase and value.endswith("*"):
        return Piece(b.prefix_query(("journal",), value, pos), shown)
    full = expand.journal_title(value)
    if full:
        # A journal of the bundled list: records carry its full title
        # (extraction normalises names), so one exact term finds them all.
        if full.lower() != value.lower():
            b.notes.append(f"journal:{quote(value)} -> {full}")
        term = Term("journal_name", full)
        word = b.text_query(("journal",), value) if " " not in value.strip() else None
        # one word ("gastroenterology") also matches every title holding it
        return Piece(Or((term, word)) if word is not None else term, shown)
    subs = []
    exact = b.text_query(("journal",), value)
    if exact is not None:
        subs.append(exact)
    # Unknown journals: abbreviations word by word, as prefixes.
    words = re.sub(r"'s\b", "", value.lower())
    stems = [_journal_stem(t) for t, _ in b.analyse("journal", words)]
    if stems:
        subs.append(And(tuple(Prefix("journal", s) for s in stems)))
    if not subs:
        return Piece(Nothing(), shown)
    return Piece(subs[0] if len(subs) == 1 else Or(tuple(subs)), shown)


def doi_leaf(b: Builder, value: str, phrase: bool, pos: int) -> Piece:
    if value.endswith("*"):
        base = re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)", "", value[:-1].lower())
        return Piece(Prefix("doi", base), f"doi:{base}*")
    doi = normalize_doi(value)
    if doi is None:
        raise QueryError(f"'doi:{value}' at position {pos} is not a DOI (expected 10.<digits>/<suffix>).")
    return Piece(Term("doi", doi), f"doi:{doi}")


def pmid_leaf(b: Builder, value: str, phrase: bool, pos: int) -> Piece:
    pmid = normalize_pmid(value)
    if pmid is None:
        raise QueryError(f"'pmid:{value}' at position {pos} is not a PubMed id (digits only).")
    return Piece(Term("pmid", pmid), f"pmid:{pmid}")


def pmcid_leaf(b: Builder, value: str, phrase: bool, pos: int) -> Piece:
    pmcid = normalize_pmcid(value)
    if pmcid is None:
        raise QueryError(f"'pmcid:{value}' at position {pos} is not a PMC id (PMC and digits).")
    return Piece(Term("pmcid", pmcid.lower()), f"pmcid:{pmcid}")


def feeds_leaf(b: Builder, value: str, phrase: bool, pos: int) -> Piece:
    names = sorted({value, value.lower()})
    q = Term("feeds", names[0]) if len(names) == 1 else Or(tuple(Term("feeds", n) for n in names))
    return Piece(q, f"feed:{quote(value)}")


def language_leaf(b: Builder, value: str, phrase: bool, pos: int) -> Piece:
    return Piece(Term("language", value.lower()), f"lang:{value.lower()}")


def id_leaf(b: Builder, value: str, phrase: bool, pos: int) -> Piece:
    return Piece(Or((Term("id", value), Term("keys", value))), f"id:{value}")


def nct_leaf(b: Builder, value: str, phrase: bool, pos: int) -> Piece:
    nct = normalize_nct(value)
    if nct is None:
        raise QueryError(f"'nct:{value}' at position {pos} is not a ClinicalTrials.gov number "
                         f"(NCT and 8 digits, e.g. NCT01234567).")
    return Piece(Term("nct_ids", nct), f"nct:{nct}")


def phase_leaf(b: Builder, value: str, phrase: bool, pos: int) -> Piece:
    """phase:3 finds phase 3 and phase 2/3 trials; phase:2/3 only those spanning both."""
    numbers = re.findall(r"\d", re.sub(r"(?i)^phase\s*", "", value))
    if not numbers or not re.fullmatch(r"(?i)(phase\s*)?[0-4](\s*/\s*[0-4])?", value.strip()):
        raise QueryError(f"'phase:{value}' at position {pos} is not a trial phase; use e.g. phase:3 or phase:2/3.")
    terms = tuple(Term("phase", n) for n in dict.fromkeys(numbers))
    return Piece(terms[0] if len(terms) == 1 else And(terms), f"phase:{'/'.join(dict.fromkeys(numbers))}")


def status_leaf(b: Builder, value: str, phrase: bool, pos: int) -> Piece:
    status = re.sub(r"[\s,\-]+", "_", value.strip().lower())
    return Piece(Term("trial_status", status), f"status:{status}")


def preprint_leaf(b: Builder, value: str, phrase: bool, pos: int) -> Piece:
    flag = {"true": "true", "yes": "true", "1": "true", "false": "false", "no": "false", "0": "false"}.get(
        value.strip().lower())
    if flag is None:
        raise QueryError(f"'preprint:{value}' at position {pos} must be true or false.")
    return Piece(Term("preprint", flag), f"preprint:{flag}")


# field -> its rule; a text field without one is searched as words/phrases
Handler = Callable[[Builder, str, bool, int], Piece]
HANDLERS: dict[str, Handler] = {
    "drugs": drugs_leaf, "study_type": study_type_leaf, "conditions": conditions_leaf,
    "journal": journal_leaf, "doi": doi_leaf, "pmid": pmid_leaf, "pmcid": pmcid_leaf,
    "feeds": feeds_leaf, "language": language_leaf, "id": id_leaf,
    "nct_ids": nct_leaf, "phase": phase_leaf, "trial_status": status_leaf, "preprint": preprint_leaf,
}


def _journal_stem(token: str) -> str:
    # "crohns" must reach "crohn" (indexed from "Crohn's"); other words stay whole
    keep = token.endswith(("ss", "is", "us")) or len(token) <= 4
    return token if keep or not token.endswith("s") else token[:-1]


def range_piece(fld: str, value: str, pos: int) -> Piece:
    shown = show(fld)
    m = _RANGE.fullmatch(value.replace(" ", ""))
    if m is None or (m.group("lo") is None and m.group("hi") is None and m.group("op") is None
                     and m.group("a") is None and m.group("eq") is None):
        example = "year:2015..2020 or year:>=2015" if fld == "year" else "cases:1..5 or cases:>=3"
        raise QueryError(f"'{shown}:{value}' at position {pos} needs a number or a range such as {example}.")
    digits = [g for g in m.groupdict().values() if g and g.isdigit()]
    # compared by length first: int() refuses strings of more than 4,300 digits
    big = [g for g in digits if len(g.lstrip("0")) > len(str(MAX_NUMBER)) or _num(g) > MAX_NUMBER]
    if big:
        number = big[0].lstrip("0")
        number = number if len(number) <= 20 else f"{number[:10]}… ({len(number):,} digits)"
        written = value if len(value) <= 40 else value[:20] + "…"
        raise QueryError(f"'{shown}:{written}' at position {pos}: {number} is larger than any {shown} "
                         f"tracker stores.")
    if m.group("op"):
        op, n = m.group("op"), _num(m.group("n"))
        lo, hi, lox, hix = {">=": (n, None, False, False), ">": (n, None, True, False),
                            "<=": (None, n, False, False), "<": (None, n, False, True)}[op]
        return Piece(Range(fld, lo, hi, start_excl=lox, end_excl=hix), f"{shown}:{op}{n}")
    if m.group("eq"):
        n = _num(m.group("eq"))
        return Piece(Range(fld, n, n), f"{shown}:{n}")
    lo_s, hi_s = (m.group("a"), m.group("b")) if m.group("a") else (m.group("lo"), m.group("hi"))
    lo = _num(lo_s) if lo_s else None
    hi = _num(hi_s) if hi_s else None
    if lo is not None and hi is not None and lo > hi:
        raise QueryError(f"the range '{shown}:{value}' at position {pos} is inverted ({lo} > {hi}); "
                         f"write {shown}:{hi}..{lo}.")
    return Piece(Range(fld, lo, hi), f"{shown}:{lo if lo is not None else ''}..{hi if hi is not None else ''}")


def _num(digits: str) -> int:
    # leading zeros dropped first: "000…2015" may be longer than int() reads
    return int(digits.lstrip("0") or "0")
