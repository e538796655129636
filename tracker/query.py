"""The search query language -> a Whoosh query, plus a readable account of it.

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
(1-based character column).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tracker import expand
from tracker.errors import QueryError

ALIASES = {
    "drug": "drugs", "drugs": "drugs", "type": "study_type", "study_type": "study_type",
    "journal": "journal", "author": "authors", "authors": "authors", "doi": "doi",
    "pmid": "pmid", "pmcid": "pmcid", "feed": "feeds", "feeds": "feeds",
    "condition": "conditions", "conditions": "conditions", "year": "year",
    "cases": "case_count", "case_count": "case_count", "title": "title",
    "abstract": "abstract", "body": "body", "language": "language", "lang": "language",
    "id": "id",
}
# How each index field is shown back to the user in --explain.
SHOWN = {"drugs": "drug", "study_type": "type", "authors": "author", "feeds": "feed",
         "conditions": "condition", "case_count": "cases", "language": "lang"}
NUMERIC = {"year", "case_count"}
DEFAULT_FIELDS = ("title", "abstract", "body", "journal", "authors")
TEXT_FIELDS = {"title", "abstract", "body", "journal", "authors"}
# Values read up to the next space, parentheses included (DOIs contain them).
RAW_FIELDS = {"doi", "id", "pmid", "pmcid"}
OPERATORS = {"AND", "OR", "NOT"}
_FIELD = re.compile(r"([A-Za-z_]+):")
_RANGE = re.compile(r"(?P<op>>=|<=|>|<)(?P<n>\d+)|(?P<lo>\d+)?\.\.(?P<hi>\d+)?|"
                    r"(?P<a>\d+)-(?P<b>\d+)|(?P<eq>\d+)")


# Text matches found only through an expansion (a brand's generic, a class
# member, a condition synonym) count this much of a typed word.
EXPANSION_WEIGHT = 0.6


def _scaled(boosts: dict[str, float], factor: float) -> dict[str, float]:
    return {k: v * factor for k, v in boosts.items()}


def _boosts() -> dict[str, float]:
    from tracker.index import BOOSTS

    return BOOSTS


@dataclass
class Parsed:
    query: Any                       # a whoosh query
    shown: str                       # the query as understood, in the user's syntax
    notes: list[str] = field(default_factory=list)   # one line per expansion


@dataclass
class _Tok:
    kind: str        # word, phrase, lparen, rparen, op, field
    text: str
    pos: int         # 1-based column
    neg: bool = False


@dataclass
class _Node:
    q: Any
    shown: str
    group: bool = False   # shown text is an OR list (needs parentheses inside AND)


# ------------------------------------------------------------------ lexing

def _lex(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    opened: list[int] = []
    i, n = 0, len(text)
    after_field = False
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            after_field = False
            continue
        start, neg = i, False
        if c == "-" and not after_field and i + 1 < n and text[i + 1] not in " \t-)":
            neg, i = True, i + 1
            c = text[i]
        if c == "(":
            opened.append(i + 1)
            toks.append(_Tok("lparen", "(", start + 1, neg))
            i, after_field = i + 1, False
            continue
        if c == ")":
            if not opened:
                raise QueryError(f"unbalanced parenthesis: the ')' at position {i + 1} has no matching '('.")
            opened.pop()
            toks.append(_Tok("rparen", ")", i + 1))
            i, after_field = i + 1, False
            continue
        if c == '"':
            j = text.find('"', i + 1)
            if j < 0:
                raise QueryError(f"unbalanced quote: the phrase opened at position {i + 1} is never closed.")
            toks.append(_Tok("phrase", text[i + 1:j], start + 1, neg))
            i, after_field = j + 1, False
            continue
        m = _FIELD.match(text, i) if not after_field else None
        if m and not text.startswith("//", m.end()):
            name, end = m.group(1), m.end()
            known = name.lower() in ALIASES
            if end >= n or text[end].isspace() or text[end] == ")":
                if known:
                    raise QueryError(f"empty value for '{name}:' at position {start + 1}.")
                # "disease: a review" - a colon in prose, not a field
            else:
                if not known:
                    raise QueryError(f"unknown field '{name}:' at position {start + 1}; fields are "
                                     f"{', '.join(sorted(_USER_FIELDS))}.")
                toks.append(_Tok("field", ALIASES[name.lower()], start + 1, neg))
                i, after_field = end, True
                if ALIASES[name.lower()] in RAW_FIELDS and text[i] not in '"(':
                    j, depth = i, 0
                    while j < n and not text[j].isspace():
                        if text[j] == "(":
                            depth += 1
                        elif text[j] == ")":
                            if depth == 0:
                                break
                            depth -= 1
                        j += 1
                    toks.append(_Tok("word", text[i:j], i + 1))
                    i, after_field = j, False
                continue
        j = i
        while j < n and not text[j].isspace() and text[j] not in '()"':
            j += 1
        word = text[i:j].rstrip(":") or text[i:j]
        if word in OPERATORS and not after_field and not neg:
            toks.append(_Tok("op", word, start + 1))
        else:
            toks.append(_Tok("word", word, start + 1, neg))
        i, after_field = j, False
    if opened:
        raise QueryError(f"unbalanced parenthesis: the '(' at position {opened[-1]} is never closed.")
    return toks


_USER_FIELDS = {"drug", "type", "journal", "author", "doi", "pmid", "pmcid", "feed", "condition",
                "year", "cases", "title", "abstract", "body", "lang", "id"}


# ------------------------------------------------------------------ parsing

class _Parser:
    def __init__(self, text: str, schema):
        self.toks = _lex(text)
        self.i = 0
        self.schema = schema
        self.notes: list[str] = []
        self._analysed: dict[tuple[str, str], list[tuple[str, int]]] = {}

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def parse(self) -> _Node | None:
        node = self.or_expr(None)
        tok = self.peek()
        if tok is not None:   # only a stray operator can be left here
            raise QueryError(f"'{tok.text}' at position {tok.pos} needs a term on each side.")
        return node

    def or_expr(self, fld: str | None) -> _Node | None:
        from whoosh.query import Or

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
        return _Node(Or([p.q for p in kept]), " OR ".join(_wrap(p) for p in kept), group=True)

    def and_expr(self, fld: str | None) -> _Node | None:
        from whoosh.query import And, Every, Not

        parts: list[_Node | None] = []
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
        return _Node(And(queries), " AND ".join(_wrap(p) for p in kept))

    def unary(self, fld: str | None) -> _Node | None:
        from whoosh.query import Not

        tok = self.peek()
        if tok.kind == "op" and tok.text == "NOT":
            self.take()
            nxt = self.peek()
            if nxt is None or nxt.kind in ("rparen", "op"):
                raise QueryError(f"'NOT' at position {tok.pos} needs a term after it.")
            inner = self.unary(fld)
            return _Node(Not(inner.q), f"NOT {_wrap(inner)}") if inner else None
        neg = tok.neg
        node = self.atom(fld)
        if neg and node is not None:
            return _Node(Not(node.q), f"NOT {_wrap(node)}")
        return node

    def synonym_run(self, fld: str | None) -> _Node | None:
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
                return self.leaf(fld, _Tok("phrase", words, run[0].pos), run[0].pos)
        return None

    def atom(self, fld: str | None) -> _Node | None:
        tok = self.take()
        if tok.kind == "lparen":
            if self.peek() is not None and self.peek().kind == "rparen":
                raise QueryError(f"empty parentheses at position {tok.pos}.")
            node = self.or_expr(fld)
            self.take()   # the lexer guarantees the matching ')'
            return node
        if tok.kind == "field":
            nxt = self.peek()
            if nxt is None or nxt.kind not in ("word", "phrase", "lparen"):
                raise QueryError(f"empty value for '{_show(tok.text)}:' at position {tok.pos}.")
            if nxt.kind == "lparen":
                return self.atom(tok.text)
            self.take()
            return self.leaf(tok.text, nxt, tok.pos)
        if tok.kind == "op":   # e.g. "AND" right after "("
            raise QueryError(f"'{tok.text}' at position {tok.pos} needs a term on each side.")
        return self.leaf(fld, tok, tok.pos)

    # -------------------------------------------------------------- leaves

    def leaf(self, fld: str | None, tok: _Tok, pos: int) -> _Node | None:
        value = tok.text.strip()
        if not value:
            if fld is None:
                return None
            raise QueryError(f"empty value for '{_show(fld)}:' at position {pos}.")
        phrase = tok.kind == "phrase"
        if fld is None:
            return self.bare(value, phrase, pos)
        if fld in NUMERIC:
            return _range(fld, value, pos)
        handler = getattr(self, f"f_{fld}", None)
        if handler is not None:
            return handler(value, phrase, pos)
        return self.fielded_text(fld, value, phrase, pos)

    def analyse(self, fld: str, text: str) -> list[tuple[str, int]]:
        key = (fld, text)
        if key not in self._analysed:
            ana = self.schema[fld].analyzer
            self._analysed[key] = [(t.text, t.pos) for t in ana(text, positions=True, mode="query")]
        return self._analysed[key]

    def text_query(self, fields: tuple[str, ...], text: str, boosts: dict[str, float] | None = None):
        """One word or phrase over `fields` (each analysed its own way); None if all stop words."""
        from whoosh.query import And, Or, Phrase, Term

        subs = []
        for fld in fields:
            boost = (boosts or {}).get(fld, 1.0)
            toks = self.analyse(fld, text)
            if len(toks) == 1:
                subs.append(Term(fld, toks[0][0], boost=boost))
            elif toks and self.schema[fld].format.supports("positions"):
                # stop words leave gaps in positions: allow for them
                slop = 1 + (toks[-1][1] - toks[0][1]) - (len(toks) - 1)
                subs.append(Phrase(fld, [t for t, _ in toks], slop=slop, boost=boost))
            elif toks:
                subs.append(And([Term(fld, t, boost=boost) for t, _ in toks]))
        if not subs:
            return None
        return subs[0] if len(subs) == 1 else Or(subs)

    def prefix_query(self, fields: tuple[str, ...], value: str, pos: int, boosts=None):
        from whoosh.query import Or, Prefix

        base = _fold(value.rstrip("*").lower())
        if len(base) < 2 or not re.fullmatch(r"[\w\-./]+", base):
            raise QueryError(f"the prefix '{value}' at position {pos} needs at least two letters before '*'.")
        subs = [Prefix(f, base, boost=(boosts or {}).get(f, 1.0)) for f in fields]
        return subs[0] if len(subs) == 1 else Or(subs)

    def bare(self, value: str, phrase: bool, pos: int) -> _Node | None:
        from whoosh.query import Term

        boosts = _boosts()
        shown = f'"{value}"' if phrase else value
        if not phrase and value.endswith("*"):
            q = self.prefix_query((*DEFAULT_FIELDS, "drugs"), value, pos, boosts)
            return _Node(q, value)
        if not phrase and value.lower() in ("and", "or", "not"):
            self.notes.append(f"lower-case '{value}' at position {pos} is an ordinary word "
                              f"(ignored); write {value.upper()} for the operator.")
            return None
        text_q = self.text_query(DEFAULT_FIELDS, value, boosts)
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
            return _Node(_synonyms(subs), f"{shown} OR drug:({' OR '.join(members)})", group=True)
        generic = expand.drug_generic(value)
        if generic is not None:
            subs = [q for q in (text_q, Term("drugs", generic, boost=dq)) if q is not None]
            if generic != value.lower():
                gq = self.text_query(DEFAULT_FIELDS, generic, _scaled(boosts, EXPANSION_WEIGHT))
                if gq is not None:
                    subs.append(gq)
                self.notes.append(f"{shown} -> {generic} (brand, biosimilar or code)")
                return _Node(_synonyms(subs), f"{shown} OR {_quote(generic)} OR drug:{_quote(generic)}",
                             group=True)
            return _Node(_synonyms(subs), f"{shown} OR drug:{_quote(generic)}", group=True)
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
                              (f" and {', '.join(_quote(p) for p in extra)}" if extra else ""))
            return _Node(_synonyms(subs), f"{shown} OR condition:{code}" +
                         "".join(f" OR {_quote(p)}" for p in extra), group=True)
        if text_q is None:
            return None
        return _Node(text_q, shown)

    def fielded_text(self, fld: str, value: str, phrase: bool, pos: int) -> _Node:
        from whoosh.query import NullQuery

        shown = f"{_show(fld)}:{_quote(value) if phrase else value}"
        if not phrase and value.endswith("*"):
            return _Node(self.prefix_query((fld,), value, pos), shown)
        q = self.text_query((fld,), value)
        return _Node(q if q is not None else NullQuery, shown)

    def f_drugs(self, value: str, phrase: bool, pos: int) -> _Node:
        from whoosh.query import Or, Term

        if not phrase and value.endswith("*"):
            return _Node(self.prefix_query(("drugs",), value, pos), f"drug:{value}")
        cls = expand.drug_class(value)
        if cls is not None:
            name, members = cls
            self.notes.append(f"drug:{_quote(value)} -> {', '.join(members)} (drug class {name})")
            return _Node(Or([Term("drugs", m) for m in members]),
                         f"drug:({' OR '.join(_quote(m) for m in members)})")
        generic = expand.drug_generic(value) or value.lower()
        if generic != value.lower():
            self.notes.append(f"drug:{_quote(value)} -> {generic} (brand, biosimilar or code)")
        return _Node(Term("drugs", generic), f"drug:{_quote(generic)}")

    def f_study_type(self, value: str, phrase: bool, pos: int) -> _Node:
        from whoosh.query import Term

        st = expand.study_type(value)
        if st is None:
            raise QueryError(f"unknown study type 'type:{value}' at position {pos}; use case_report, "
                             f"case_series, cohort, rct, meta_analysis, review or other.")
        return _Node(Term("study_type", st), f"type:{st}")

    def f_conditions(self, value: str, phrase: bool, pos: int) -> _Node:
        from whoosh.query import Term

        code = expand.condition(value) or value.lower().replace(" ", "_")
        return _Node(Term("conditions", code), f"condition:{code}")

    def f_journal(self, value: str, phrase: bool, pos: int) -> _Node:
        """Full titles, their indexed variants, and abbreviations word by word.

        "J Crohns Colitis" also matches as prefixes in any order (j* crohn*
        colitis*), which is how ISO abbreviations are formed.
        """
        from whoosh.query import And, NullQuery, Or, Prefix, Term

        shown = f"journal:{_quote(value)}"
        if not phrase and value.endswith("*"):
            return _Node(self.prefix_query(("journal",), value, pos), shown)
        full = expand.journal_title(value)
        if full:
            # A journal of the bundled list: records carry its full title
            # (extraction normalises names), so one exact term finds them all.
            if full.lower() != value.lower():
                self.notes.append(f"journal:{_quote(value)} -> {full}")
            term = Term("journal_name", full)
            word = self.text_query(("journal",), value) if " " not in value.strip() else None
            # one word ("gastroenterology") also matches every title holding it
            return _Node(Or([term, word]) if word is not None else term, shown)
        subs = []
        exact = self.text_query(("journal",), value)
        if exact is not None:
            subs.append(exact)
        # Unknown journals: abbreviations word by word, as prefixes.
        words = re.sub(r"'s\b", "", value.lower())
        stems = [_journal_stem(t) for t, _ in self.analyse("journal", words)]
        if stems:
            subs.append(And([Prefix("journal", s) for s in stems]))
        if not subs:
            return _Node(NullQuery, shown)
        return _Node(subs[0] if len(subs) == 1 else Or(subs), shown)

    def f_doi(self, value: str, phrase: bool, pos: int) -> _Node:
        from whoosh.query import Prefix, Term

        from tracker.models import normalize_doi

        if value.endswith("*"):
            base = re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)", "", value[:-1].lower())
            return _Node(Prefix("doi", base), f"doi:{base}*")
        doi = normalize_doi(value)
        if doi is None:
            raise QueryError(f"'doi:{value}' at position {pos} is not a DOI (expected 10.<digits>/<suffix>).")
        return _Node(Term("doi", doi), f"doi:{doi}")

    def f_pmid(self, value: str, phrase: bool, pos: int) -> _Node:
        from whoosh.query import Term

        from tracker.models import normalize_pmid

        pmid = normalize_pmid(value)
        if pmid is None:
            raise QueryError(f"'pmid:{value}' at position {pos} is not a PubMed id (digits only).")
        return _Node(Term("pmid", pmid), f"pmid:{pmid}")

    def f_pmcid(self, value: str, phrase: bool, pos: int) -> _Node:
        from whoosh.query import Term

        from tracker.models import normalize_pmcid

        pmcid = normalize_pmcid(value)
        if pmcid is None:
            raise QueryError(f"'pmcid:{value}' at position {pos} is not a PMC id (PMC and digits).")
        return _Node(Term("pmcid", pmcid.lower()), f"pmcid:{pmcid}")

    def f_feeds(self, value: str, phrase: bool, pos: int) -> _Node:
        from whoosh.query import Or, Term

        names = sorted({value, value.lower()})
        q = Term("feeds", names[0]) if len(names) == 1 else Or([Term("feeds", n) for n in names])
        return _Node(q, f"feed:{_quote(value)}")

    def f_language(self, value: str, phrase: bool, pos: int) -> _Node:
        from whoosh.query import Term

        return _Node(Term("language", value.lower()), f"lang:{value.lower()}")

    def f_id(self, value: str, phrase: bool, pos: int) -> _Node:
        from whoosh.query import Or, Term

        return _Node(Or([Term("id", value), Term("keys", value)]), f"id:{value}")


def _synonyms(subs: list):
    """Alternatives for one term, summed (whoosh 2.7's DisjunctionMax scores
    every match alike, so it cannot be used); expansions carry lower boosts."""
    from whoosh.query import Or

    return subs[0] if len(subs) == 1 else Or(subs)


def _journal_stem(token: str) -> str:
    # "crohns" must reach "crohn" (indexed from "Crohn's"); other words stay whole
    keep = token.endswith(("ss", "is", "us")) or len(token) <= 4
    return token if keep or not token.endswith("s") else token[:-1]


def _range(fld: str, value: str, pos: int) -> _Node:
    from whoosh.query import NumericRange

    shown = _show(fld)
    m = _RANGE.fullmatch(value.replace(" ", ""))
    if m is None or (m.group("lo") is None and m.group("hi") is None and m.group("op") is None
                     and m.group("a") is None and m.group("eq") is None):
        example = "year:2015..2020 or year:>=2015" if fld == "year" else "cases:1..5 or cases:>=3"
        raise QueryError(f"'{shown}:{value}' at position {pos} needs a number or a range such as {example}.")
    if m.group("op"):
        op, n = m.group("op"), int(m.group("n"))
        lo, hi, lox, hix = {">=": (n, None, False, False), ">": (n, None, True, False),
                            "<=": (None, n, False, False), "<": (None, n, False, True)}[op]
        return _Node(NumericRange(fld, lo, hi, startexcl=lox, endexcl=hix), f"{shown}:{op}{n}")
    if m.group("eq"):
        n = int(m.group("eq"))
        return _Node(NumericRange(fld, n, n), f"{shown}:{n}")
    lo_s, hi_s = (m.group("a"), m.group("b")) if m.group("a") else (m.group("lo"), m.group("hi"))
    lo = int(lo_s) if lo_s else None
    hi = int(hi_s) if hi_s else None
    if lo is not None and hi is not None and lo > hi:
        raise QueryError(f"the range '{shown}:{value}' at position {pos} is inverted ({lo} > {hi}); "
                         f"write {shown}:{hi}..{lo}.")
    return _Node(NumericRange(fld, lo, hi), f"{shown}:{lo if lo is not None else ''}..{hi if hi is not None else ''}")


def _fold(text: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _show(fld: str) -> str:
    return SHOWN.get(fld, fld)


def _quote(text: str) -> str:
    return f'"{text}"' if re.search(r"[\s():]", text) else text


def _wrap(node: _Node) -> str:
    return f"({node.shown})" if node.group else node.shown


def compile_query(text: str, schema) -> Parsed:
    """Parse a user query against the index schema; QueryError on bad syntax."""
    from whoosh.query import Every

    text = (text or "").strip()
    if not text or text == "*":
        return Parsed(Every(), "everything")
    parser = _Parser(text, schema)
    node = parser.parse()
    if node is None:
        raise QueryError("the query has only stop words (such as 'the', 'of', 'and'); add a search term.")
    return Parsed(node.q, node.shown, parser.notes)


def parse(text: str, schema):
    """The whoosh query alone (exports, digests)."""
    return compile_query(text, schema).query
