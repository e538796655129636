"""Query execution helpers: collect, count, facet, sort, highlight, spell.

Queries arrive as tracker's nodes (run by tracker.index.fastscore) and, for
what whoosh runs itself, as their whoosh translation (tracker.index.whoosh_query).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
from whoosh import collectors, sorting
from whoosh import query as wq
from whoosh.highlight import ContextFragmenter
from whoosh.searching import Results

from tracker.errors import IndexFailure
from tracker.index.fastscore import Evaluator, SegmentArrays, Unsupported
from tracker.index.schema import MISSING_NUMBER
from tracker.query.nodes import Query


def edits(a: str, b: str) -> int:
    """Levenshtein distance (short words; a plain DP table is fine)."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def evaluate(s, query: Query, flt: wq.Query | None, arrays: SegmentArrays | None = None):
    """(evaluator, doc ids, scores) of every match through the numpy
    Evaluator, or None where whoosh's collector must run the query."""
    try:
        ev = Evaluator(s, arrays)
        ids, scores = ev.run(query)
    except Unsupported:
        return None
    if flt is not None and len(ids):
        allowed = np.fromiter(s.docs_for_query(flt), dtype=np.int64)
        keep = np.isin(ids, allowed)
        ids, scores = ids[keep], scores[keep]
    return ev, ids, scores


def top(s, query: wq.Query, ev: Evaluator, ids: np.ndarray, scores: np.ndarray, limit: int | None,
        terms: bool, sort: str = "relevance") -> Results:
    """whoosh Results (of `query`, the whoosh translation) for the first
    `limit` matches in `sort` order, with matched terms recorded for
    highlights. Relevance is score descending, then doc number, as whoosh's
    TopCollector orders them; the other sorts put missing values last and
    break ties by relevance, as sort_spec does."""
    if sort != "relevance":
        order = sort_order(ev, ids, scores, sort)[:limit]
    else:
        if limit is not None and len(ids) > limit:
            cut = np.argpartition(-scores, limit - 1)[:limit]
            # every doc tying the last kept score competes on doc number
            edge = scores[cut].min()
            cut = np.flatnonzero(scores >= edge)
        else:
            cut = np.arange(len(ids))
        order = cut[np.lexsort((ids[cut], -scores[cut]))][:limit]
    top_n = [(float(scores[i]), int(ids[i])) for i in order]
    results = Results(s, query, top_n)
    if terms:
        docs = np.array([d for _, d in top_n], dtype=np.int64)
        docterms: dict[int, list] = {d: [] for _, d in top_n}
        termdocs: dict[tuple, set] = {}
        for term in _query_terms(s, query, ev):
            posted = ev.posted(term)
            if posted is None:
                posted = ev.term_ids(*term)
            # posted is sorted: a binary search per shown doc, not a pass over every posting
            at = np.minimum(np.searchsorted(posted, docs), max(len(posted) - 1, 0))
            hit = docs[posted[at] == docs].tolist() if len(posted) else []
            if hit:
                termdocs[term] = set(hit)
                for d in hit:
                    docterms[d].append(term)
        results.docterms, results.termdocs = docterms, termdocs
    return results


def sort_order(ev: Evaluator, ids: np.ndarray, scores: np.ndarray, sort: str) -> np.ndarray:
    """Positions of `ids` in --sort year|-year|cases order: missing values
    last, ties by score, then doc number (whoosh's order for sort_spec)."""
    fieldname, sign = {"year": ("year", 1), "-year": ("year", -1), "cases": ("case_count", -1)}[sort]
    values = ev.column(fieldname)[ids].astype(np.float64)
    missing = values == MISSING_NUMBER
    values = values * sign
    values[missing] = np.inf
    return np.lexsort((ids, -scores, values))


def _query_terms(s, query: wq.Query, ev: Evaluator) -> list[tuple[str, bytes]]:
    """(field, term bytes) of every positive leaf: words of phrases, expansions of prefixes."""
    out: list[tuple[str, bytes]] = []
    seen: set = set()    # a pasted list repeats its words: each part looked up once

    def walk(q):
        try:
            if q in seen:
                return
            seen.add(q)
        except TypeError:   # unhashable: just walk it again
            pass
        if isinstance(q, wq.Not):
            return
        if isinstance(q, wq.NumericRange):
            return
        if isinstance(q, (wq.And, wq.Or)):
            for sub in q.subqueries:
                walk(sub)
            return
        if type(q) in (wq.Term, wq.Phrase):     # as existing_terms, from the infos the evaluator read
            for fieldname, text in q.terms(phrases=True):
                btext = ev.existing(fieldname, text)
                if btext is not None:
                    out.append((fieldname, btext))
            return
        if type(q) is wq.Prefix:    # the evaluator has looked these up already
            out.extend((q.fieldname, w) for w in ev.expansions(q.fieldname, q.text))
            return
        try:
            out.extend(q.existing_terms(s.reader(), phrases=True, expand=True))
        except Exception:   # highlighting is best effort
            pass

    walk(query)
    return list(dict.fromkeys(out))


def collect(s, query: wq.Query, limit: int | None, sortedby: list | None, terms: bool,
            flt: wq.Query | None) -> tuple[Results, int]:
    """Top hits and the exact number of matches in one pass.

    whoosh's own exact count (len(results)) runs the query a second time;
    here every match goes through a counting collector instead (block-max
    skipping is off, which the count would defeat anyway).
    """
    if sortedby is None and limit is None:
        top = collectors.UnlimitedCollector()
    elif sortedby is None:
        top = collectors.TopCollector(limit, usequality=False, replace=0)   # no pruning: count all
    else:
        top = collectors.SortingCollector(sortedby, limit=limit)
    counter = _Counting(top)
    outer = counter
    if flt is not None:
        outer = collectors.FilterCollector(outer, allow=flt)
    if terms:
        outer = collectors.TermsCollector(outer)
    s.search_with_collector(query, outer)
    return outer.results(), counter.n


class _Counting(collectors.WrappingCollector):
    """Wraps a collector and counts every document it is handed."""

    n = 0

    def collect(self, sub_docnum):
        self.n += 1
        return self.child.collect(sub_docnum)


def matched_docs(s, query: wq.Query, flt: wq.Query | None) -> set[int]:
    docs = set(s.docs_for_query(query))
    if flt is not None:
        docs &= set(s.docs_for_query(flt))
    return docs


# facet name -> (index field, how to count): "column" reads the numeric
# column of the matched docs; "postings" counts each term's postings that fall
# among the matches (one term per journal, study type, drug, condition, feed).
_FACETS = {
    "year": ("year", "column"), "journal": ("journal_name", "postings"),
    "study_type": ("study_type", "postings"), "type": ("study_type", "postings"),
    "drug": ("drugs", "postings"), "drugs": ("drugs", "postings"),
    "condition": ("conditions", "postings"), "conditions": ("conditions", "postings"),
    "feed": ("feeds", "postings"), "feeds": ("feeds", "postings"),
}
_NONE = "(none)"


def facet(s, ev: Evaluator, matched: np.ndarray, name: str) -> list[tuple[str, int]]:
    """[(value, count)] over the matched doc numbers (a sorted numpy array)."""
    if name not in _FACETS:
        raise IndexFailure(f"unknown facet '{name}' ({', '.join(sorted(_FACETS))}).")
    fieldname, how = _FACETS[name]
    counts: dict[str, int] = {}
    if how == "column":
        values, n = np.unique(ev.column(fieldname)[matched], return_counts=True)
        for value, count in zip(values.tolist(), n.tolist()):
            counts[_NONE if value == MISSING_NUMBER else str(value)] = count
    else:
        size = int(matched[-1]) + 1 if len(matched) else 0
        wanted = np.zeros(size, dtype=bool)
        wanted[matched] = True
        tagged = np.zeros(size, dtype=bool)
        for term in s.reader().lexicon(fieldname):
            if not term:
                continue    # an empty value indexed as a term: counted as (none)
            ids = ev.term_ids(fieldname, term, keep=True)
            ids = ids[ids < size]
            ids = ids[wanted[ids]]
            if len(ids):
                counts[term.decode("utf-8") if isinstance(term, bytes) else term] = len(ids)
                tagged[ids] = True
        untagged = len(matched) - int(tagged.sum())
        if untagged:
            counts[_NONE] = untagged
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _descending_missing_last(key):
    # sort keys are the column's unsigned encoding: "missing" is the all-ones value
    return 2 ** 40 if key == 2 ** 32 - 1 else -key


def sort_spec(sort: str) -> list | None:
    """--sort -> a whoosh sortedby list; ties (and missing values) by relevance."""
    if sort == "relevance":
        return None
    if sort == "year":       # a missing year reads as the largest number: last
        return [sorting.FieldFacet("year"), sorting.ScoreFacet()]
    if sort in ("-year", "cases"):
        name = "year" if sort == "-year" else "case_count"
        # descending by hand: -value ascending, and "missing" after every real value
        return [sorting.TranslateFacet(_descending_missing_last, sorting.FieldFacet(name)),
                sorting.ScoreFacet()]
    raise IndexFailure(f"unknown sort '{sort}' (relevance, year, -year, cases).")


# Fields a snippet may come from, best first; only the shown hits are highlighted.
_SNIPPET_FIELDS = ("title", "abstract", "body")


def highlights(hit, rec: dict[str, Any]) -> dict[str, str]:
    """Snippets of the shown hit's matched words, [[marked]], by field."""
    out = {}
    matched = {name for name, _ in hit.matched_terms()} if hit.results.has_matched_terms() else None
    hit.results.fragmenter = ContextFragmenter(maxchars=200, surround=60)
    hit.results.formatter = _Marker()
    for name in _SNIPPET_FIELDS:
        text = rec.get(name)
        if not text or (matched is not None and name not in matched):
            continue
        if name == "body" and "abstract" in out:
            continue    # one long-text snippet is enough
        try:
            frag = ""
            if matched is not None and len(text) > _WINDOW:
                part = _window(text, [t for f, t in hit.matched_terms() if f == name])
                if part is not None:
                    frag = hit.highlights(name, text=part, top=2)
            frag = frag or hit.highlights(name, text=text, top=2)
        except Exception:  # highlighting must never break a search
            frag = ""
        if frag:
            out[name] = frag
    return out


# Highlighting re-analyses the text (tokenise, stem) word by word; a long
# abstract or body is cut to this many characters around the first place a
# matched word can start before it is analysed.
_WINDOW = 600


def _window(text: str, terms: list[bytes]) -> str | None:
    """The part of `text` around the earliest word starting like a matched
    term (a stem's first four letters), cut at spaces; None if there is none."""
    probes = {t.decode("utf-8", "replace")[:4] for t in terms}
    probes.discard("")
    if not probes:
        return None
    pattern = r"(?<!\w)(?:" + "|".join(re.escape(p) for p in sorted(probes)) + ")"
    m = re.search(pattern, text, flags=re.IGNORECASE)
    if m is None:
        return None
    start = max(0, m.start() - 150)
    if start:
        space = text.find(" ", start, m.start())
        start = space + 1 if space >= 0 else m.start()
    end = start + _WINDOW
    if end < len(text):
        space = text.rfind(" ", m.end(), end)
        end = space if space > 0 else end
    return text[start:end]


class _Marker:
    """Wrap matched terms in [[ ]] so each renderer can style them."""

    between = " … "

    def __call__(self, text, fragments):
        return self.format(fragments)

    def format_token(self, text, token, replace=False):
        return f"[[{text[token.startchar:token.endchar]}]]"

    def format_fragment(self, fragment, replace=False):
        text = fragment.text
        out, index = [], fragment.startchar
        for t in fragment.matches:
            if t.startchar is None or t.startchar < index:
                continue
            out.append(text[index:t.startchar])
            out.append(self.format_token(text, t, replace))
            index = t.endchar
        out.append(text[index:fragment.endchar])
        return "".join(out).strip()

    def format(self, fragments, replace=False):
        return self.between.join(self.format_fragment(f, replace) for f in fragments)
