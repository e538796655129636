"""Search as a library call: parse, expand, run, suggest."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tracker.dates import resolve_since
from tracker.errors import QueryError, TrackerError
from tracker.query import expand
from tracker.query import parser as q
from tracker.query.nodes import Query
from tracker.query.parser import Parsed
from tracker.query.weights import BOOSTS, DEFAULT_FIELDS

if TYPE_CHECKING:   # the caller opens the index; `--since` and exports of the store need no Whoosh
    from tracker.index import Index, SearchResult


@dataclass
class Outcome:
    result: SearchResult
    explained: str                   # how the query was understood, several lines
    suggestion: str | None = None    # the query with misspelt words corrected
    query: Query | None = None       # as parsed (tracker.query.nodes): what the web page marks


def run(index: Index, text: str, *, limit: int | None = 20, sort: str = "relevance",
        facets: Iterable[str] = (), highlight: bool = True, since: str | None = None) -> Outcome:
    parsed = q.compile_query(text, index.analyser)
    result = index.search(parsed.query, limit=limit, sort=sort, facets=facets, highlight=highlight,
                          since=since)
    suggestion = _suggest(index, text) if not result.hits else None
    return Outcome(result, explain(parsed, sort), suggestion, parsed.query)


def explain(parsed: Parsed, sort: str = "relevance") -> str:
    """The --explain text: the query as understood, each expansion, the ranking."""
    lines = [f"query:    {parsed.shown}"]
    lines += [f"expanded: {note}" for note in parsed.notes]
    weights = ", ".join(f"{f} x{BOOSTS.get(f, 1.0):g}" for f in DEFAULT_FIELDS)
    lines.append(f"fields:   bare words search {weights}; drug keyword x{BOOSTS.get('drugs', 1.0):g}")
    lines.append(f"order:    {'BM25F relevance' if sort == 'relevance' else sort + ', then relevance'}")
    return "\n".join(lines)


# Words a suggestion may correct: 4 to 40 letters, not a field name, prefix or
# number (a longer "word" is no misspelling, and its edit automaton takes minutes);
# only the first few, so a long query with no hits still answers at once.
_WORD = re.compile(r"(?<![\w*'-])([A-Za-z][A-Za-z'-]{3,39})(?![:\w*'-])")
_MAX_SUGGESTED = 8


def _suggest(index: Index, text: str) -> str | None:
    """The query with each misspelt word replaced by the closest known word."""
    names = expand.drug_names()
    out, changed = text, False
    for m in reversed(list(_WORD.finditer(text))[:_MAX_SUGGESTED]):
        word = m.group(1)
        if word in ("AND", "OR", "NOT"):
            continue
        sugg = index.corrector_suggest(word, extra=names)
        if sugg and sugg != word.lower():
            out = out[:m.start(1)] + sugg + out[m.end(1):]
            changed = True
    return out if changed else None


def iter_matches(index: Index, text: str, *, since: str | None = None,
                 sort: str = "relevance") -> Iterator[dict[str, Any]]:
    return index.iter_matches(q.parse(text, index.analyser), since=since, sort=sort)


def match_rows(index: Index, text: str, *, since: str | None = None, sort: str = "relevance") -> list[int]:
    """Record numbers of the records a query matches (see Index.match_rows), to read from the store."""
    return index.match_rows(q.parse(text, index.analyser), since=since, sort=sort)


def parse_since(text: str) -> str:
    """'7d', '2w', '3m', '12h' or an ISO date -> ISO 8601 UTC; a bad value is a usage error."""
    try:
        return resolve_since(text)
    except TrackerError as exc:
        raise QueryError(str(exc)) from None


@dataclass
class Similar:
    record: dict[str, Any]
    terms: list[str]        # the key terms the likeness was judged on, strongest first
    hits: list[Any]         # tracker.index.Hit, most alike first


def similar(index: Index, record_id: str, *, limit: int = 10) -> Similar:
    """Records most like one record (by id, DOI or PMID): its key terms
    (tracker.index.similar) as one weighted OR query; the record itself left out.
    TrackerError (exit 1, as `show`) when no record has that id."""
    from tracker.index.similar import TEXT, key_terms
    from tracker.query.nodes import Or, Term

    record = index.store.lookup(record_id)
    if record is None:
        raise TrackerError(f"no record with id '{record_id}' in the index.")
    terms = key_terms(index, record)
    if not terms:
        return Similar(record, [], [])
    top = terms[0][2]
    leaves = []
    for field, term, w in terms:
        for name in (("title", "abstract") if field == TEXT else (field,)):
            leaves.append(Term(name, term, boost=round(w / top, 4)))
    query = Or(tuple(leaves))
    result = index.search(query, limit=limit + 1, highlight=False)
    hits = [h for h in result.hits if h.record["id"] != record["id"]][:limit]
    return Similar(record, list(dict.fromkeys(term for _, term, _ in terms)), hits)
