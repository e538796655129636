"""tracker's query nodes as Whoosh queries, for what still runs through Whoosh:
its collector (the query shapes tracker.index.fastscore leaves to it), the
--since filter, and the Results that highlighting reads.

The translation is one to one (lists where whoosh's own parser would build
them), so whoosh scores a translated query exactly as it scored the query
tracker's parser used to build for it.
"""

from __future__ import annotations

from whoosh import query as wq

from tracker.query.nodes import And, Every, Not, Nothing, Or, Phrase, Prefix, Query, Range, Term


def to_whoosh(q: Query) -> wq.Query:
    match q:
        case Term(field, text, boost):
            return wq.Term(field, text, boost=boost)
        case Phrase(field, words, slop, boost):
            return wq.Phrase(field, list(words), slop=slop, boost=boost)
        case Prefix(field, text, boost):
            return wq.Prefix(field, text, boost=boost)
        case And(items):
            return wq.And([to_whoosh(item) for item in items])
        case Or(items):
            return wq.Or([to_whoosh(item) for item in items])
        case Not(item):
            return wq.Not(to_whoosh(item))
        case Range(field, start, end, start_excl, end_excl):
            # constant score (whoosh's default for NumericRange), as Range promises
            return wq.NumericRange(field, start, end, startexcl=start_excl, endexcl=end_excl)
        case Every():
            return wq.Every()
        case Nothing():
            return wq.NullQuery
    raise TypeError(f"not a tracker query node: {q!r}")


def since_filter(since: str | None) -> wq.Query | None:
    """Records first stored at or after `since` (an ISO 8601 UTC timestamp)."""
    return wq.TermRange("first_seen", since, None) if since else None
