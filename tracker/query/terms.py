"""Leaves of a query: words, phrases, prefixes and `field:value` terms as
tracker's query nodes, with brand/class/condition expansion for bare words.

The grammar (tracker.query.parser) hands each leaf to a Terms builder; the
per-field rules are the table in tracker.query.fields. Words are analysed
(tokenised, stemmed) by the index that will run the query, through the
Analyser protocol.
"""

from __future__ import annotations

import re
from typing import Protocol

from tracker.errors import QueryError
from tracker.query import expand
from tracker.query.fields import HANDLERS, Piece, quote, range_piece, show
from tracker.query.nodes import And, Nothing, Or, Phrase, Prefix, Query, Term
from tracker.query.weights import BOOSTS, DEFAULT_FIELDS, EXPANSION_WEIGHT
from tracker.textutil import strip_accents

NUMERIC = {"year", "case_count"}

# Bare words of a comparison that no record needs to contain.
_COMPARISON_WORDS = {"vs", "vs.", "versus"}


class Analyser(Protocol):
    """How the index turns text into terms, field by field (tracker.index
    provides one: Index.analyser)."""

    def analyse(self, field: str, text: str) -> list[tuple[str, int]]:
        """(term, position) of each word of `text` as a query for `field`."""

    def has_positions(self, field: str) -> bool:
        """Whether `field` stores word positions (phrases can be checked)."""


def _scaled(boosts: dict[str, float], factor: float) -> dict[str, float]:
    return {k: v * factor for k, v in boosts.items()}


class Terms:
    """Builds the node of each leaf; collects one note per expansion (--explain)."""

    def __init__(self, analyser: Analyser):
        self.analyser = analyser
        self.notes: list[str] = []
        self._analysed: dict[tuple[str, str], list[tuple[str, int]]] = {}

    def leaf(self, fld: str | None, value: str, phrase: bool, pos: int) -> Piece | None:
        """A bare word or phrase (fld None), a range, or a `field:value` term."""
        if fld is None:
            return self.bare(value, phrase, pos)
        if fld in NUMERIC:
            return range_piece(fld, value, pos)
        handler = HANDLERS.get(fld)
        if handler is not None:
            return handler(self, value, phrase, pos)
        return self.fielded_text(fld, value, phrase, pos)

    def analyse(self, fld: str, text: str) -> list[tuple[str, int]]:
        key = (fld, text)
        if key not in self._analysed:
            self._analysed[key] = self.analyser.analyse(fld, text)
        return self._analysed[key]

    def text_query(self, fields: tuple[str, ...], text: str, boosts: dict[str, float] | None = None,
                   *, words: bool = False) -> Query | None:
        """One word or phrase over `fields` (each analysed its own way); None if all
        stop words. words=True asks for all the words rather than the phrase."""
        subs: list[Query] = []
        for fld in fields:
            boost = (boosts or {}).get(fld, 1.0)
            toks = self.analyse(fld, text)
            if len(toks) == 1:
                subs.append(Term(fld, toks[0][0], boost=boost))
            elif toks and not words and self.analyser.has_positions(fld):
                # whoosh renumbers positions after removing stop words; an
                # analyser that left gaps would need them allowed for
                slop = 1 + (toks[-1][1] - toks[0][1]) - (len(toks) - 1)
                subs.append(Phrase(fld, tuple(t for t, _ in toks), slop=slop, boost=boost))
            elif toks:
                subs.append(And(tuple(Term(fld, t, boost=boost) for t, _ in toks)))
        if not subs:
            return None
        return subs[0] if len(subs) == 1 else Or(tuple(subs))

    def prefix_query(self, fields: tuple[str, ...], value: str, pos: int,
                     boosts: dict[str, float] | None = None) -> Query:
        base = strip_accents(value.rstrip("*").lower())
        if len(base) < 2 or not re.fullmatch(r"[\w\-./]+", base):
            raise QueryError(f"the prefix '{value}' at position {pos} needs at least two letters before '*'.")
        subs = [Prefix(f, base, boost=(boosts or {}).get(f, 1.0)) for f in fields]
        return subs[0] if len(subs) == 1 else Or(tuple(subs))

    def bare(self, value: str, phrase: bool, pos: int) -> Piece | None:
        boosts = BOOSTS
        shown = f'"{value}"' if phrase else value
        if not phrase and value.endswith("*"):
            q = self.prefix_query((*DEFAULT_FIELDS, "drugs"), value, pos, boosts)
            return Piece(q, value)
        if not phrase and value.lower() in ("and", "or", "not"):
            self.notes.append(f"lower-case '{value}' at position {pos} is an ordinary word "
                              f"(ignored); write {value.upper()} for the operator.")
            return None
        if not phrase and value.lower() in _COMPARISON_WORDS:
            # "ustekinumab vs vedolizumab": the comparison is in the two names
            self.notes.append(f"'{value}' at position {pos} is ignored; both sides must match.")
            return None
        # A name the lexicon knows, quoted or grouped from bare words: its keyword
        # field matches exactly, so the text part needs only the words (a phrase
        # of words in most records, such as "crohn's disease", is slow to check).
        known = bool(expand.drug_class(value) or expand.drug_generic(value)
                     or expand.condition(value, bare=True))
        text_q = self.text_query(DEFAULT_FIELDS, value, boosts, words=known)
        dq = boosts.get("drugs", 1.0)
        cls = expand.drug_class(value)
        if cls is not None:
            name, members = cls
            subs = [text_q] if text_q is not None else []
            for m in members:
                subs.append(Term("drugs", m, boost=dq))
                if " " in m:
                    continue  # "certolizumab pegol": drugs:<generic> already matches it
                mq = self.text_query(DEFAULT_FIELDS, m, _scaled(boosts, EXPANSION_WEIGHT))
                if mq is not None:
                    subs.append(mq)
            self.notes.append(f"{shown} -> {', '.join(members)} (drug class {name})")
            return Piece(_synonyms(subs), f"{shown} OR drug:({' OR '.join(members)})", group=True)
        generic = expand.drug_generic(value)
        if generic is not None:
            subs = [q for q in (text_q, Term("drugs", generic, boost=dq)) if q is not None]
            if generic != value.lower():
                gq = self.text_query(DEFAULT_FIELDS, generic, _scaled(boosts, EXPANSION_WEIGHT))
                if gq is not None:
                    subs.append(gq)
                self.notes.append(f"{shown} -> {generic} (brand, biosimilar, code or abbreviation)")
                return Piece(_synonyms(subs), f"{shown} OR {quote(generic)} OR drug:{quote(generic)}",
                             group=True)
            return Piece(_synonyms(subs), f"{shown} OR drug:{quote(generic)}", group=True)
        code = expand.condition(value, bare=True)
        if code is not None:
            subs = [q for q in (text_q, Term("conditions", code, boost=boosts.get("conditions", 1.0)))
                    if q is not None]
            seen = {tuple(t for t, _ in self.analyse("title", value))}
            extra = []
            for p in expand.condition_phrases(code):
                form = tuple(t for t, _ in self.analyse("title", p))
                if form in seen or any(set(f) <= set(form) for f in seen if f):
                    continue    # "crohns" stems like "crohn"; "crohns disease" adds nothing
                if len(form) > 1:
                    # conditions:<code> already matches every record whose text
                    # names the condition in any of its forms; a phrase would
                    # only add five more posting lists to read.
                    continue
                seen.add(form)
                pq = self.text_query(DEFAULT_FIELDS, p, _scaled(boosts, EXPANSION_WEIGHT))
                if pq is not None:
                    subs.append(pq)
                    extra.append(p)
            self.notes.append(f"{shown} -> condition:{code}" +
                              (f" and {', '.join(quote(p) for p in extra)}" if extra else ""))
            return Piece(_synonyms(subs), f"{shown} OR condition:{code}" +
                         "".join(f" OR {quote(p)}" for p in extra), group=True)
        if text_q is None:
            return None
        return Piece(text_q, shown)

    def fielded_text(self, fld: str, value: str, phrase: bool, pos: int) -> Piece:
        shown = f"{show(fld)}:{quote(value) if phrase else value}"
        if not phrase and value.endswith("*"):
            return Piece(self.prefix_query((fld,), value, pos), shown)
        q = self.text_query((fld,), value)
        return Piece(q if q is not None else Nothing(), shown)


def _synonyms(subs: list[Query]) -> Query:
    """Alternatives for one term, summed (whoosh 2.7's DisjunctionMax scores
    every match alike, so it cannot be used); expansions carry lower boosts."""
    return subs[0] if len(subs) == 1 else Or(tuple(subs))
