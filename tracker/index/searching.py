"""Query execution helpers: collect, count, facet, sort, highlight, spell."""

from __future__ import annotations

from typing import Any

from tracker.errors import IndexFailure
from tracker.index.fastscore import _Eval, _Unsupported
from tracker.index.schema import _MISSING_NUMBER


def _edits(a: str, b: str) -> int:
    """Levenshtein distance (short words; a plain DP table is fine)."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _evaluate(s, query, flt):
    """(evaluator, doc ids, scores) of every match through _Eval, or None if it cannot."""
    try:
        import numpy as np

        ev = _Eval(s)
        ids, scores = ev.run(query)
    except (ImportError, _Unsupported):
        return None
    if flt is not None and len(ids):
        allowed = np.fromiter(s.docs_for_query(flt), dtype=np.int64)
        keep = np.isin(ids, allowed)
        ids, scores = ids[keep], scores[keep]
    return ev, ids, scores


def _top(s, query, ev, ids, scores, limit, terms: bool, sort: str = "relevance"):
    """whoosh Results for the first `limit` matches in `sort` order, with
    matched terms recorded for highlights. Relevance is score descending, then
    doc number, as whoosh's TopCollector orders them; the other sorts put
    missing values last and break ties by relevance, as _sort_spec does."""
    import numpy as np
    from whoosh.searching import Results

    if sort != "relevance":
        order = _sorted(ev, ids, scores, sort)[:limit]
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
        for term in _query_terms(s, query):
            posted = ev.postings.get(term)
            if posted is None:
                posted = ev.postings[term] = ev.term_ids(*term)
            hit = docs[np.isin(docs, posted)].tolist()
            if hit:
                termdocs[term] = set(hit)
                for d in hit:
                    docterms[d].append(term)
        results.docterms, results.termdocs = docterms, termdocs
    return results


def _sorted(ev, ids, scores, sort: str):
    """Positions of `ids` in --sort year|-year|cases order: missing values
    last, ties by score, then doc number (whoosh's order for _sort_spec)."""
    import numpy as np

    fieldname, sign = {"year": ("year", 1), "-year": ("year", -1), "cases": ("case_count", -1)}[sort]
    values = ev.column(fieldname)[ids].astype(np.float64)
    missing = values == _MISSING_NUMBER
    values = values * sign
    values[missing] = np.inf
    return np.lexsort((ids, -scores, values))


def _query_terms(s, query) -> list[tuple[str, bytes]]:
    """(field, term bytes) of every positive leaf: words of phrases, expansions of prefixes."""
    from whoosh import query as Q

    out: list[tuple[str, bytes]] = []

    def walk(q):
        if isinstance(q, Q.Not):
            return
        if isinstance(q, Q.NumericRange):
            return
        if isinstance(q, (Q.And, Q.Or)):
            for sub in q.subqueries:
                walk(sub)
            return
        try:
            out.extend(q.existing_terms(s.reader(), phrases=True, expand=True))
        except Exception:   # highlighting is best effort
            pass

    walk(query)
    return list(dict.fromkeys(out))


def _collect(s, query, limit, sortedby, terms: bool, flt):
    """Top hits and the exact number of matches in one pass.

    whoosh's own exact count (len(results)) runs the query a second time;
    here every match goes through a counting collector instead (block-max
    skipping is off, which the count would defeat anyway).
    """
    from whoosh import collectors

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


class _Counting:
    """Wraps a collector and counts every document it is handed."""

    def __new__(cls, child):
        from whoosh.collectors import WrappingCollector

        class Counting(WrappingCollector):
            n = 0

            def collect(self, sub_docnum):
                self.n += 1
                return self.child.collect(sub_docnum)

        return Counting(child)


def _since_filter(since: str | None):
    from whoosh.query import TermRange

    return TermRange("first_seen", since, None) if since else None


def _matched_docs(s, query, flt) -> set[int]:
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


def _facet(s, ev, matched, name: str) -> list[tuple[str, int]]:
    """[(value, count)] over the matched doc numbers (a sorted numpy array)."""
    import numpy as np

    if name not in _FACETS:
        raise IndexFailure(f"unknown facet '{name}' ({', '.join(sorted(_FACETS))}).")
    fieldname, how = _FACETS[name]
    counts: dict[str, int] = {}
    if how == "column":
        values, n = np.unique(ev.column(fieldname)[matched], return_counts=True)
        for value, count in zip(values.tolist(), n.tolist()):
            counts[_NONE if value == _MISSING_NUMBER else str(value)] = count
    else:
        size = int(matched[-1]) + 1 if len(matched) else 0
        wanted = np.zeros(size, dtype=bool)
        wanted[matched] = True
        tagged = np.zeros(size, dtype=bool)
        for term in s.reader().lexicon(fieldname):
            if not term:
                continue    # an empty value indexed as a term: counted as (none)
            ids = ev.term_ids(fieldname, term)
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


def _sort_spec(sort: str, sorting):
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


def _highlights(hit, rec: dict[str, Any]) -> dict[str, str]:
    from whoosh.highlight import ContextFragmenter

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
    import re

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
