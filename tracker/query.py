"""The search query language -> a Whoosh query.

Bare words search title, abstract, body, journal and authors; `field:value`
uses the record's names or their aliases; ranges (`year:2015..2020`,
`year:>=2015`, `cases:>=3`), phrases, AND/OR/NOT, parentheses, `word*`.
"""

from __future__ import annotations

import re

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
NUMERIC = {"year", "case_count"}
DEFAULT_FIELDS = ("title", "abstract", "body", "journal", "authors")

_FIELD = re.compile(r'(?<![\w"])([A-Za-z_]+):')
_RANGE = re.compile(r'\b(year|cases|case_count):(\S+)')


def _range(field: str, value: str, where: int) -> str:
    m = re.fullmatch(r"(\d+)\.\.(\d+)", value)
    if m:
        lo, hi = int(m.group(1)), int(m.group(2))
        if lo > hi:
            raise QueryError(f"the range {field}:{value} at position {where} is inverted ({lo} > {hi}).")
        return f"[{lo} TO {hi}]"
    m = re.fullmatch(r"(>=|<=|>|<)(\d+)", value)
    if m:
        op, n = m.group(1), int(m.group(2))
        return {">=": f"[{n} TO]", ">": f"{{{n} TO]", "<=": f"[TO {n}]", "<": f"[TO {n}}}"}[op]
    if re.fullmatch(r"\d+", value):
        return value
    if value.startswith(("[", "{")):
        return value
    raise QueryError(f"'{field}:{value}' at position {where} needs a number or a range "
                     f"such as {field}:2015..2020 or {field}:>=3.")


def rewrite(text: str) -> str:
    """Aliases and range shorthands -> Whoosh syntax; errors for unknown fields."""
    if text.count('"') % 2:
        raise QueryError(f"unbalanced quote in the query at position {text.rfind(chr(34)) + 1}.")
    depth = 0
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if depth < 0:
            raise QueryError(f"unbalanced ')' at position {i + 1}.")
    if depth:
        raise QueryError("unbalanced '(' in the query: a closing ')' is missing.")
    # leave phrases alone
    parts = re.split(r'("[^"]*")', text)
    out = []
    for part in parts:
        if part.startswith('"'):
            out.append(part)
            continue
        for m in _FIELD.finditer(part):
            if m.group(1).lower() not in ALIASES:
                raise QueryError(f"unknown field '{m.group(1)}:' (known: "
                                 f"{', '.join(sorted(set(ALIASES) - {'case_count', 'study_type'}))}).")

        def field_sub(m: re.Match) -> str:
            return ALIASES[m.group(1).lower()] + ":"

        part = _FIELD.sub(field_sub, part)
        part = re.sub(r"\b(year|case_count):(\S+?)(?=\)|\s|$)",
                      lambda m: f"{m.group(1)}:{_range(m.group(1), m.group(2), m.start() + 1)}", part)
        out.append(part)
    return "".join(out)


def parse(text: str, schema):
    """Parse a user query against the index schema."""
    from whoosh import qparser

    text = (text or "").strip()
    if not text or text == "*":
        from whoosh.query import Every
        return Every()
    rewritten = rewrite(text)
    parser = qparser.MultifieldParser(list(DEFAULT_FIELDS), schema, group=qparser.AndGroup)
    parser.add_plugin(qparser.GtLtPlugin())
    try:
        return parser.parse(rewritten)
    except Exception as exc:  # whoosh raises several types for bad syntax
        raise QueryError(f"cannot parse the query: {exc}.") from None
