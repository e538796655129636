"""Query text -> tokens: words, phrases, parentheses, operators and field names.

Every problem raises QueryError naming the 1-based character column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tracker.errors import QueryError

ALIASES = {
    "drug": "drugs", "drugs": "drugs", "type": "study_type", "study_type": "study_type",
    "journal": "journal", "author": "authors", "authors": "authors", "doi": "doi",
    "pmid": "pmid", "pmcid": "pmcid", "feed": "feeds", "feeds": "feeds",
    "condition": "conditions", "conditions": "conditions", "year": "year",
    "cases": "case_count", "case_count": "case_count", "title": "title",
    "abstract": "abstract", "body": "body", "language": "language", "lang": "language",
    "id": "id",
    "nct": "nct_ids", "nct_ids": "nct_ids", "phase": "phase", "status": "trial_status",
    "trial_status": "trial_status", "preprint": "preprint",
}
# Values read up to the next space, parentheses included (DOIs contain them).
RAW_FIELDS = {"doi", "id", "pmid", "pmcid", "nct_ids"}
OPERATORS = {"AND", "OR", "NOT"}
# Parentheses deeper than this are refused: no real query needs them, and
# every level costs stack in the parser and in the evaluator.
MAX_DEPTH = 32
_FIELD = re.compile(r"([A-Za-z_]+):")


@dataclass
class Tok:
    kind: str        # word, phrase, lparen, rparen, op, field
    text: str
    pos: int         # 1-based column
    neg: bool = False


def lex(text: str) -> list[Tok]:
    toks: list[Tok] = []
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
            if len(opened) > MAX_DEPTH:
                raise QueryError(f"parentheses nest more than {MAX_DEPTH} deep at position {i + 1}; "
                                 f"remove some of them.")
            toks.append(Tok("lparen", "(", start + 1, neg))
            i, after_field = i + 1, False
            continue
        if c == ")":
            if not opened:
                raise QueryError(f"unbalanced parenthesis: the ')' at position {i + 1} has no matching '('.")
            opened.pop()
            toks.append(Tok("rparen", ")", i + 1))
            i, after_field = i + 1, False
            continue
        if c == '"':
            j = text.find('"', i + 1)
            if j < 0:
                raise QueryError(f"unbalanced quote: the phrase opened at position {i + 1} is never closed.")
            toks.append(Tok("phrase", text[i + 1:j], start + 1, neg))
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
                toks.append(Tok("field", ALIASES[name.lower()], start + 1, neg))
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
                    toks.append(Tok("word", text[i:j], i + 1))
                    i, after_field = j, False
                continue
        j = i
        while j < n and not text[j].isspace() and text[j] not in '()"':
            j += 1
        word = text[i:j].rstrip(":") or text[i:j]
        if word in OPERATORS and not after_field and not neg:
            toks.append(Tok("op", word, start + 1))
        else:
            toks.append(Tok("word", word, start + 1, neg))
        i, after_field = j, False
    if opened:
        raise QueryError(f"unbalanced parenthesis: the '(' at position {opened[-1]} is never closed.")
    return toks


_USER_FIELDS = {"drug", "type", "journal", "author", "doi", "pmid", "pmcid", "feed", "condition",
                "year", "cases", "title", "abstract", "body", "lang", "id"}
