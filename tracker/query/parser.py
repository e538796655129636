"""The search query language -> tracker's query nodes, plus a readable account of it.

    natalizumab pml              every word must match (implicit AND); bare words
                                 search title, abstract, body, journal and authors
    "progressive multifocal"     a phrase
    vedoli*                      a prefix (two letters at least)
    a OR b, a AND b, NOT a, -a   operators in UPPER case only, as in PubMed: a
                                 lower-case and/or/not is an ordinary (stop) word;
                                 AND binds tighter than OR; ( ) group
    field:value                  drug: type: journal: author: doi: pmid: pmcid:
                                 feed: condition: title: abstract: body: lang: id:
    field:(a OR b)               the field applies to every word inside
    year:2015..2020  year:>=2015  year:<2010  year:2015..  cases:>=3  cases:1..5

Expansion (shown by `--explain`): a bare word or phrase naming a drug brand,
biosimilar or code matches the generic as text and as the drugs keyword
(tysabri -> natalizumab); a class matches every member (anti-tnf, jak, s1p);
a condition synonym matches the condition (crohns, "regional enteritis").
Every problem raises QueryError with one sentence naming the position
(1-based character column). Tokens come from tracker.query.lex; the
`field:value` leaves and ranges are in tracker.query.fields; the nodes built
are tracker.query.nodes. Words are analysed (tokenised, stemmed) by the
index that will run the query, through the Analyser protocol.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

from tracker.errors import QueryError
from tracker.query import expand
from tracker.query.fields import FieldLeaves, Piece, quote, range_piece, show
from tracker.query.lex import Tok, lex
from tracker.query.nodes import And, Every, Not, Nothing, Or, Phrase, Prefix, Query, Term
from tracker.query.weights import BOOSTS, EXPANSION_WEIGHT

NUMERIC = {"year", "case_count"}
DEFAULT_FIELDS = ("title", "abstract", "body", "journal", "authors")


# Bare words of a comparison that no record needs to contain.
_COMPARISON_WORDS = {"vs", "vs.", "versus"}


def _scaled(boosts: dict[str, float], factor: float) -> dict[str, float]:
    return {k: v * factor for k, v in boosts.items()}


class Analyser(Protocol):
    """How the index turns text into terms, field by field (tracker.index
    provides one: Index.analyser)."""

    def analyse(self, field: str, text: str) -> list[tuple[str, int]]:
        """(term, position) of each word of `text` as a query for `field`."""

    def has_positions(self, field: str) -> bool:
        """Whether `field` stores word positions (phrases can be checked)."""


@dataclass
class Parsed:
    query: Query
    shown: str                       # the query as understood, in the user's syntax
    notes: list[str] = field(default_factory=list)   # one line per expansion


# ------------------------------------------------------------------ parsing

class _Parser(FieldLeaves):
    def __init__(self, text: str, analyser: Analyser):
        self.toks = lex(text)
        self.i = 0
        self.analyser = analyser
        self.notes: list[str] = []
        self._analysed: dict[tuple[str, str], list[tuple[str, int]]] = {}

    def peek(self) -> Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def parse(self) -> Piece | None:
        piece = self.or_expr(None)
        tok = self.peek()
        if tok is not None:   # only a stray operator can be left here
            raise QueryError(f"'{tok.text}' at position {tok.pos} needs a term on each side.")
        return piece

    def or_expr(self, fld: str | None) -> Piece | None:
        parts = [self.and_expr(fld)]
        while (tok := self.peek()) is not None and tok.kind == "op" and tok.text == "OR":
            self.take()
            nxt = self.peek()
            if parts[-1] is None or nxt is None or nxt.kind in ("rparen", "op") and nxt.text != "NOT":
                raise QueryError(f"'OR' at position {tok.pos} needs a term on each side.")
            parts.append(self.and_expr(fld))
        kept = [p for p in parts if p is not None]
        if len(kept) <= 1:
            return kept[0] if kept else None
        return Piece(Or(tuple(p.q for p in kept)), " OR ".join(_wrap(p) for p in kept), group=True)

    def and_expr(self, fld: str | None) -> Piece | None:
        parts: list[Piece | None] = []
        while (tok := self.peek()) is not None and tok.kind != "rparen":
            if tok.kind == "op" and tok.text == "OR":
                break
            if tok.kind == "op" and tok.text == "AND":
                self.take()
                nxt = self.peek()
                if not parts or nxt is None or nxt.kind == "rparen" or \
                        (nxt.kind == "op" and nxt.text != "NOT"):
                    raise QueryError(f"'AND' at position {tok.pos} needs a term on each side.")
                continue
            joined = self.synonym_run(fld)
            parts.append(joined if joined is not None else self.unary(fld))
        kept = [p for p in parts if p is not None]
        if not kept:
            return None
        if len(kept) == 1 and not isinstance(kept[0].q, Not):
            return kept[0]
        queries = [p.q for p in kept]
        if all(isinstance(q, Not) for q in queries):
            queries.insert(0, Every())    # "NOT pml" means everything else
        return Piece(And(tuple(queries)), " AND ".join(_wrap(p) for p in kept))

    def unary(self, fld: str | None) -> Piece | None:
        tok = self.peek()
        if tok.kind == "op" and tok.text == "NOT":
            self.take()
            nxt = self.peek()
            if nxt is None or nxt.kind in ("rparen", "op"):
                raise QueryError(f"'NOT' at position {tok.pos} needs a term after it.")
            inner = self.unary(fld)
            return Piece(Not(inner.q), f"NOT {_wrap(inner)}") if inner else None
        neg = tok.neg
        piece = self.atom(fld)
        if neg and piece is not None:
            return Piece(Not(piece.q), f"NOT {_wrap(piece)}")
        return piece

    def synonym_run(self, fld: str | None) -> Piece | None:
        """Unquoted words that together name a drug, class or condition act as one term.

        "progressive multifocal leukoencephalopathy" and "jak inhibitor" then
        expand like their quoted forms instead of matching word by word.
        """
        if fld not in (None, "drugs", "conditions"):
            return None
        for size in (4, 3, 2):
            run = self.toks[self.i:self.i + size]
            if len(run) < size or any(t.kind != "word" or t.neg or t.text.endswith("*") for t in run):
                continue
            words = " ".join(t.text for t in run)
            if expand.condition(words) or expand.drug_class(words) or expand.drug_generic(words):
                self.i += size
                return self.leaf(fld, Tok("phrase", words, run[0].pos), run[0].pos)
        return None

    def atom(self, fld: str | None) -> Piece | None:
        tok = self.take()
        if tok.kind == "lparen":
            if self.peek() is not None and self.peek().kind == "rparen":
                raise QueryError(f"empty parentheses at position {tok.pos}.")
            piece = self.or_expr(fld)
            self.take()   # the lexer guarantees the matching ')'
            return piece
        if tok.kind == "field":
            nxt = self.peek()
            if nxt is None or nxt.kind not in ("word", "phrase", "lparen"):
                raise QueryError(f"empty value for '{show(tok.text)}:' at position {tok.pos}.")
            if nxt.kind == "lparen":
                return self.atom(tok.text)
            self.take()
            return self.leaf(tok.text, nxt, tok.pos)
        if tok.kind == "op":   # e.g. "AND" right after "("
            raise QueryError(f"'{tok.text}' at position {tok.pos} needs a term on each side.")
        return self.leaf(fld, tok, tok.pos)

    # -------------------------------------------------------------- leaves

    def leaf(self, fld: str | None, tok: Tok, pos: int) -> Piece | None:
        value = tok.text.strip()
        if not value:
            if fld is None:
                return None
            raise QueryError(f"empty value for '{show(fld)}:' at position {pos}.")
        phrase = tok.kind == "phrase"
        if fld is None:
            return self.bare(value, phrase, pos)
        if fld in NUMERIC:
            return range_piece(fld, value, pos)
        handler = getattr(self, f"f_{fld}", None)
        if handler is not None:
            return handler(value, phrase, pos)
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
        base = _fold(value.rstrip("*").lower())
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


def _fold(text: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _wrap(piece: Piece) -> str:
    return f"({piece.shown})" if piece.group else piece.shown


def compile_query(text: str, analyser: Analyser) -> Parsed:
    """Parse a user query, its words analysed as `analyser` (the index) does;
    QueryError on bad syntax."""
    text = (text or "").strip()
    if not text or text == "*":
        return Parsed(Every(), "everything")
    parser = _Parser(text, analyser)
    piece = parser.parse()
    if piece is None:
        raise QueryError("the query has only stop words (such as 'the', 'of', 'and'); add a search term.")
    return Parsed(piece.q, piece.shown, parser.notes)


def parse(text: str, analyser: Analyser) -> Query:
    """The query alone (exports, digests)."""
    return compile_query(text, analyser).query
