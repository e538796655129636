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

from dataclasses import dataclass, field

from tracker.errors import QueryError
from tracker.query import expand
from tracker.query.fields import Piece, show
from tracker.query.lex import Tok, lex
from tracker.query.nodes import And, Every, Not, Or, Query
from tracker.query.terms import Analyser, Terms

# Bounds on one query: a PubMed-style strategy (an OR list of the drugs of
# interest and their brands, a few conditions) stays inside them; past them
# a query is a paste gone wrong. Its work grows with its terms, each read
# over five fields, and a prefix reads every word it expands to: at 100
# terms of frequent words, phrase words or 100 prefixes a 100k library took
# 1.3-2.0 s (bench/search/worst.py, bench/README.md), so the bounds are set
# where the slowest shape stays under a second.
MAX_CHARS = 10_000
MAX_TERMS = 50          # each word of a phrase counts; a prefix counts twice
MAX_PREFIXES = MAX_TERMS // 2   # a prefix reads every word it expands to: about two words' work


@dataclass
class Parsed:
    query: Query
    shown: str                       # the query as understood, in the user's syntax
    notes: list[str] = field(default_factory=list)   # one line per expansion


# ------------------------------------------------------------------ parsing

class _Parser:
    """The grammar: OR of ANDs of unary terms; leaves go to a Terms builder."""

    def __init__(self, text: str, analyser: Analyser):
        self.toks = lex(text)
        prefixes = sum(t.kind == "word" and t.text.endswith("*") for t in self.toks)
        terms = prefixes + sum(1 if t.kind == "word" else max(1, len(t.text.split()))
                               for t in self.toks if t.kind in ("word", "phrase"))
        if terms > MAX_TERMS:
            counted = " (a prefix word* counts as two)" if prefixes else ""
            raise QueryError(f"the query has {terms} terms{counted}; tracker takes at most {MAX_TERMS} in one "
                             f"search (split it into several).")
        self.i = 0
        self.terms = Terms(analyser)

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
        # a loop, not recursion: "NOT NOT ... a" may be as long as the query
        negations = 0
        while (tok := self.toks[self.i]).kind == "op" and tok.text == "NOT":   # a token is ahead
            self.take()
            nxt = self.peek()
            if nxt is None or nxt.kind == "rparen" or (nxt.kind == "op" and nxt.text != "NOT"):
                raise QueryError(f"'NOT' at position {tok.pos} needs a term after it.")
            negations += 1
        negations += tok.neg
        piece = self.atom(fld)
        if negations % 2 and piece is not None:     # NOT NOT a is a
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
            if (nxt := self.peek()) is not None and nxt.kind == "rparen":
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

    def leaf(self, fld: str | None, tok: Tok, pos: int) -> Piece | None:
        value = tok.text.strip()
        if not value:
            if fld is None:
                return None
            raise QueryError(f"empty value for '{show(fld)}:' at position {pos}.")
        return self.terms.leaf(fld, value, tok.kind == "phrase", pos)


def _wrap(piece: Piece) -> str:
    return f"({piece.shown})" if piece.group else piece.shown


def compile_query(text: str, analyser: Analyser) -> Parsed:
    """Parse a user query, its words analysed as `analyser` (the index) does;
    QueryError on bad syntax."""
    text = (text or "").strip()
    if len(text) > MAX_CHARS:
        raise QueryError(f"the query is {len(text):,} characters long; tracker takes at most {MAX_CHARS:,} "
                         f"(split it into several searches).")
    if not text or text == "*":
        return Parsed(Every(), "everything")
    parser = _Parser(text, analyser)
    piece = parser.parse()
    if piece is None:
        raise QueryError("the query has only stop words (such as 'the', 'of', 'and'); add a search term.")
    return Parsed(piece.q, piece.shown, parser.terms.notes)


def parse(text: str, analyser: Analyser) -> Query:
    """The query alone (exports, digests)."""
    return compile_query(text, analyser).query
