"""The on-disk index: the only module that imports Whoosh.

A small interface — open, upsert a batch, search, iterate — so the rest of
tracker never sees Whoosh and another backend can replace it. Every record
is stored whole (JSON) so output needs no second lookup.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from tracker.errors import IndexFailure
from tracker.models import Article, merge, utcnow

SCHEMA_VERSION = 2  # 2: journal_name/study_type columns, spell field, boosts moved to query time
WHOOSH_DIR = "whoosh"
META_FILE = "index.json"
INDEX_NAME = "records"

# Field boosts for ranking (BM25F), applied at query time by tracker.query so
# they can be tuned without a reindex (tests/test_ranking.py is the judge).
BOOSTS = {"title": 2.5, "abstract": 1.0, "journal": 0.5, "authors": 0.7, "body": 0.5,
          "drugs": 1.5, "conditions": 0.3}
TEXT_FIELDS = ("title", "abstract", "body", "journal", "authors")
# BM25 length normalisation per field: titles are short and uniform, so
# their length says little; bodies vary a lot.
BM25_B = {"title_B": 0.3, "journal_B": 0.0, "authors_B": 0.0}


def _schema():
    from whoosh import fields as F
    from whoosh.analysis import StemmingAnalyzer, StandardAnalyzer
    from whoosh.analysis import CharsetFilter
    from whoosh.support.charset import accent_map

    stem = StemmingAnalyzer() | CharsetFilter(accent_map)
    plain = StandardAnalyzer(stoplist=None) | CharsetFilter(accent_map)
    # Unstemmed words of 4+ letters: the vocabulary "Did you mean" draws from.
    spell = StandardAnalyzer(minsize=4) | CharsetFilter(accent_map)
    return F.Schema(
        id=F.ID(stored=True, unique=True),
        keys=F.KEYWORD(lowercase=False),          # doi:/pmid:/url: identity keys
        title=F.TEXT(analyzer=stem, phrase=True),
        abstract=F.TEXT(analyzer=stem, phrase=True),
        body=F.TEXT(analyzer=stem, phrase=True),
        journal=F.TEXT(analyzer=plain, phrase=True),
        journal_name=F.ID(sortable=True),         # the full title alone, for facets
        authors=F.TEXT(analyzer=plain, phrase=True),
        year=F.NUMERIC(int, bits=32, signed=True, sortable=True),
        case_count=F.NUMERIC(int, bits=32, signed=True, sortable=True),
        drugs=F.KEYWORD(lowercase=True, commas=True, scorable=True),
        conditions=F.KEYWORD(lowercase=True, commas=True, scorable=True),
        feeds=F.KEYWORD(lowercase=False, commas=True),
        study_type=F.ID(sortable=True),
        language=F.ID(),
        doi=F.ID(),
        pmid=F.ID(),
        pmcid=F.ID(),
        first_seen=F.ID(sortable=True),
        published=F.ID(sortable=True),
        spell=F.TEXT(analyzer=spell, phrase=False),
        record=F.STORED(),
    )


@dataclass
class UpsertResult:
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    outcome: dict[int, str] = field(default_factory=dict)  # batch position -> new/updated/unchanged


@dataclass
class Hit:
    record: dict[str, Any]
    score: float
    highlights: dict[str, str]


@dataclass
class SearchResult:
    hits: list[Hit]
    total: int
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)


def _comparable(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in ("fetched_at",)}


def _doc(article: Article, journal_variants=None) -> dict[str, Any]:
    rec = article.to_dict()
    journal = article.journal or ""
    if journal and journal_variants is not None:
        extra = journal_variants(journal)
        if extra:
            journal = " | ".join([journal, *extra])
    doc: dict[str, Any] = {
        "id": article.id,
        "keys": " ".join(article.identity_keys()),
        "title": article.title or "",
        "abstract": article.abstract or "",
        "body": article.body or "",
        "journal": journal,
        "journal_name": article.journal or "",
        "authors": "; ".join(article.authors),
        "drugs": ",".join(article.drugs),
        "conditions": ",".join(article.conditions),
        "feeds": ",".join(article.feeds),
        "study_type": article.study_type or "",
        "language": article.language or "",
        "doi": article.doi or "",
        "pmid": article.pmid or "",
        "pmcid": (article.pmcid or "").lower(),
        "first_seen": article.first_seen or "",
        "published": article.published or "",
        "spell": " ".join(filter(None, (article.title, article.abstract))),
        "record": json.dumps(rec, ensure_ascii=False, separators=(",", ":")),
    }
    if article.year is not None:
        doc["year"] = article.year
    if article.case_count is not None:
        doc["case_count"] = article.case_count
    return doc


def _journal_variants():
    try:
        from tracker.extract.journals import variants
    except ImportError:
        return None
    return variants


class Index:
    """An index directory: Whoosh files, schema version, crawl state beside it."""

    def __init__(self, directory: Path, ix):
        self.directory = Path(directory)
        self._ix = ix

    # opening -----------------------------------------------------------
    @classmethod
    def open(cls, directory: str | os.PathLike, *, create: bool = False) -> "Index":
        from whoosh import index as wix
        from whoosh.index import EmptyIndexError

        directory = Path(directory)
        wdir = directory / WHOOSH_DIR
        meta = directory / META_FILE
        if not wdir.exists() or not wix.exists_in(str(wdir), indexname=INDEX_NAME):
            if not create:
                raise IndexFailure(f"{directory}: no index here yet; run 'tracker crawl' first.")
            try:
                wdir.mkdir(parents=True, exist_ok=True)
                ix = wix.create_in(str(wdir), _schema(), indexname=INDEX_NAME)
                _write_meta(meta)
            except OSError as exc:
                raise IndexFailure(f"{directory}: cannot create the index ({exc.strerror}).") from None
            return cls(directory, ix)
        version = _read_meta(meta)
        if version != SCHEMA_VERSION:
            raise IndexFailure(
                f"{directory}: the index was written with schema version {version}, this tracker "
                f"uses {SCHEMA_VERSION}; run 'tracker reindex' to rebuild it from the stored records.")
        try:
            ix = wix.open_dir(str(wdir), indexname=INDEX_NAME)
        except (EmptyIndexError, OSError, ValueError, EOFError) as exc:
            raise IndexFailure(f"{directory}: the index cannot be opened ({exc}).") from None
        return cls(directory, ix)

    def close(self) -> None:
        self._ix.close()

    def __enter__(self) -> "Index":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def schema(self):
        return self._ix.schema

    def doc_count(self) -> int:
        return self._ix.doc_count()

    # writing -----------------------------------------------------------
    def upsert(self, articles: list[Article]) -> UpsertResult:
        """Merge each article into the index by identity and commit once.

        Identity is DOI, then PMID, then canonical URL: a record is matched
        by any of its keys, so a page later found to carry a DOI joins the
        registry record of that DOI.
        """
        result = UpsertResult()
        if not articles:
            return result
        variants = _journal_variants()
        now = utcnow()
        writer = self._ix.writer(timeout=60.0)
        try:
            with writer.searcher() as searcher:
                staged: dict[str, Article] = {}            # id -> merged record to write
                origins: dict[str, dict | None] = {}       # id -> stored record it replaces
                alias: dict[str, str] = {}                 # identity key -> staged id
                loaded: set[str] = set()                   # stored ids already read
                stored_ids: set[str] = set()
                for pos, art in enumerate(articles):
                    if art.id is None:
                        continue
                    parts: list[Article] = []
                    origin: dict | None = None
                    for key in art.identity_keys():
                        sid = alias.get(key)
                        if sid is not None and sid in staged:
                            parts.append(staged.pop(sid))
                            origin = origin or origins.pop(sid, None)
                            continue
                        for stored in searcher.documents(keys=key):
                            if stored["id"] in loaded:
                                continue
                            loaded.add(stored["id"])
                            stored_ids.add(stored["id"])
                            rec = json.loads(stored["record"])
                            parts.append(Article.from_dict(rec))
                            origin = origin or rec
                    art.first_seen = art.first_seen or now
                    art.fetched_at = now
                    merged = art
                    for part in reversed(parts):
                        merged = merge(part, merged)
                    staged[merged.id] = merged
                    origins[merged.id] = origin
                    for part in (*parts, merged):
                        for key in part.identity_keys():
                            alias[key] = merged.id
                    if origin is None:
                        result.outcome[pos] = "updated" if parts else "new"
                    elif _comparable(origin) == _comparable(merged.to_dict()):
                        result.outcome[pos] = "unchanged"
                    else:
                        result.outcome[pos] = "updated"
                dirty = bool(stored_ids - staged.keys())
                for sid in stored_ids - staged.keys():
                    writer.delete_by_term("id", sid)
                for rid, art in staged.items():
                    orig = origins.get(rid)
                    if orig is not None and orig.get("id") == rid and \
                            _comparable(orig) == _comparable(art.to_dict()):
                        art.fetched_at = orig.get("fetched_at")
                        continue
                    if rid in stored_ids:
                        writer.update_document(**_doc(art, variants))
                    else:  # nothing to replace: skip update_document's delete
                        writer.add_document(**_doc(art, variants))
                    dirty = True
            if dirty:
                writer.commit()
            else:
                writer.cancel()
        except BaseException:
            writer.cancel()
            raise
        for pos, outcome in result.outcome.items():
            getattr(result, outcome).append(articles[pos].id)
        return result

    def replace_all(self, records: Iterable[dict[str, Any]]) -> int:
        """Rewrite every document from stored records (reindex)."""
        variants = _journal_variants()
        writer = self._ix.writer(timeout=60.0)
        n = 0
        try:
            for rec in records:
                writer.update_document(**_doc(Article.from_dict(rec), variants))
                n += 1
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        return n

    # reading -----------------------------------------------------------
    def get(self, record_id: str) -> dict[str, Any] | None:
        with self._ix.searcher() as s:
            doc = s.document(id=record_id)
            if doc is None:
                doc = next(iter(s.documents(keys=record_id)), None)
            return json.loads(doc["record"]) if doc else None

    def iter_records(self) -> Iterator[dict[str, Any]]:
        with self._ix.searcher() as s:
            reader = s.reader()
            for _, stored in reader.iter_docs():
                yield json.loads(stored["record"])

    def searcher(self):
        """A Whoosh searcher with tracker's BM25F settings (close it after use).

        Reads go through a second handle on the same directory with mmap off:
        with mmap, whoosh copies every compound segment's postings and terms
        into memory on each open (BufferFile -> BytesIO), ~200 ms at 100k records.
        """
        from whoosh import scoring
        from whoosh.filedb.filestore import FileStorage

        reader_ix = getattr(self, "_reader_ix", None)
        if reader_ix is None:
            storage = FileStorage(str(self.directory / WHOOSH_DIR), supports_mmap=False)
            reader_ix = self._reader_ix = storage.open_index(INDEX_NAME)
        return reader_ix.searcher(weighting=scoring.BM25F(B=0.75, K1=1.2, **BM25_B))

    def search(self, query, *, limit: int | None = 20, sort: str = "relevance",
               facets: Iterable[str] = (), highlight: bool = True,
               since: str | None = None) -> SearchResult:
        """Run a parsed query (a whoosh query object from tracker.query).

        Only the `limit` hits shown are loaded and highlighted; the total and
        the facets come from doc numbers and column/posting data, never from
        the stored records.
        """
        from whoosh import sorting

        flt = _since_filter(since)
        sortedby = _sort_spec(sort, sorting)
        with self.searcher() as s:
            fast = _evaluate(s, query, flt) if sortedby is None else None
            if fast is not None:
                ev, ids, scores = fast
                results, counted = _top(s, query, ev, ids, scores, limit, highlight), len(ids)
            else:
                results, counted = _collect(s, query, limit, sortedby, highlight, flt)
            hits = []
            for hit in results:
                rec = json.loads(hit["record"])
                hl = _highlights(hit, rec) if highlight else {}
                score = hit.score if sort == "relevance" else None
                hits.append(Hit(rec, round(float(score or 0.0), 4), hl))
            facets = list(facets)
            matched = None
            if facets:
                matched = set(fast[1].tolist()) if fast is not None else _matched_docs(s, query, flt)
            total = len(matched) if matched is not None else counted
            out = SearchResult(hits, total)
            for name in facets:
                out.facets[name] = _facet(s, matched, name)
            return out

    def iter_matches(self, query, *, since: str | None = None,
                     sort: str = "relevance") -> Iterator[dict[str, Any]]:
        """Every matching record, streamed (exports); index order unless sorted."""
        from whoosh import sorting

        flt = _since_filter(since)
        with self.searcher() as s:
            reader = s.reader()
            if sort == "relevance":
                fast = _evaluate(s, query, flt)
                docnums: Iterable[int] = fast[1].tolist() if fast is not None else \
                    sorted(_matched_docs(s, query, flt))
            else:
                results = s.search(query, limit=None, sortedby=_sort_spec(sort, sorting),
                                   filter=flt, terms=False)
                docnums = [docnum for _, docnum in results.top_n]
            for docnum in docnums:
                yield json.loads(reader.stored_fields(docnum)["record"])

    def vocabulary(self, fieldname: str = "spell") -> Iterator[str]:
        with self.searcher() as s:
            for term in s.reader().lexicon(fieldname):
                yield term.decode("utf-8") if isinstance(term, bytes) else term

    def corrector_suggest(self, word: str, extra: Iterable[str] = (),
                          fieldnames: Iterable[str] = ("spell", "drugs", "journal", "authors")) -> str | None:
        """The closest known word to a misspelt `word`, or None.

        Candidates come from the unstemmed index vocabulary and `extra` (the
        drug lexicon). Fewer edits win, then the word found in more records.
        """
        word = word.lower()
        extra = [w.lower() for w in extra]
        if word in extra:
            return None
        best: tuple[int, int, str] | None = None
        with self.searcher() as s:
            reader = s.reader()
            for name in fieldnames:
                if name not in reader.schema or reader.doc_frequency(name, word):
                    if name in reader.schema:
                        return None     # the word exists: nothing to correct
                    continue
                for maxdist in (1, 2):
                    cands = list(reader.terms_within(name, word, maxdist, prefix=1))
                    if cands:
                        break
                for cand in cands:
                    cand = cand.decode("utf-8") if isinstance(cand, bytes) else cand
                    key = (_edits(word, cand), -reader.doc_frequency(name, cand), cand)
                    if best is None or key < best:
                        best = key
            for cand in extra:
                if cand[:1] != word[:1] or abs(len(cand) - len(word)) > 2:
                    continue
                dist = _edits(word, cand)
                if dist <= 2:
                    key = (dist, -reader.doc_frequency("drugs", cand), cand)
                    if best is None or key < best:
                        best = key
        return best[2] if best is not None else None


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


def _top(s, query, ev, ids, scores, limit, terms: bool):
    """whoosh Results for the best `limit` matches (score descending, then doc number,
    as whoosh's TopCollector orders them), with matched terms recorded for highlights."""
    import numpy as np
    from whoosh.searching import Results

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

    if sortedby is None:
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


# facet name -> (index field, how to count): "column" reads a sortable column
# per matched doc; "postings" intersects each term's postings with the matches
# (multi-valued keyword fields with a small vocabulary).
_FACETS = {
    "year": ("year", "column"), "journal": ("journal_name", "column"),
    "study_type": ("study_type", "column"), "type": ("study_type", "column"),
    "drug": ("drugs", "postings"), "drugs": ("drugs", "postings"),
    "condition": ("conditions", "postings"), "conditions": ("conditions", "postings"),
    "feed": ("feeds", "postings"), "feeds": ("feeds", "postings"),
}
_NONE = "(none)"


def _facet(s, matched: set[int], name: str) -> list[tuple[str, int]]:
    from collections import Counter

    if name not in _FACETS:
        raise IndexFailure(f"unknown facet '{name}' ({', '.join(sorted(_FACETS))}).")
    fieldname, how = _FACETS[name]
    reader = s.reader()
    counts: Counter = Counter()
    if how == "column":
        column = reader.column_reader(fieldname)
        missing = _MISSING_NUMBER if fieldname == "year" else None
        for docnum in matched:
            value = column[docnum]
            if isinstance(value, bytes):
                value = value.decode("utf-8")
            counts[_NONE if value in (None, "", missing) else str(value)] += 1
    else:
        tagged: set[int] = set()
        for term in reader.lexicon(fieldname):
            hits = matched.intersection(reader.postings(fieldname, term).all_ids())
            if hits:
                counts[term.decode("utf-8") if isinstance(term, bytes) else term] = len(hits)
                tagged |= hits
        if len(matched) > len(tagged):
            counts[_NONE] = len(matched) - len(tagged)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


_MISSING_NUMBER = 2 ** 31 - 1    # what a 32-bit signed sortable NUMERIC column holds for "no value"


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
            frag = hit.highlights(name, text=text, top=2)
        except Exception:  # highlighting must never break a search
            frag = ""
        if frag:
            out[name] = frag
    return out


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


def _write_meta(path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"schema_version": SCHEMA_VERSION}) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _read_meta(path: Path) -> int | None:
    try:
        return int(json.loads(path.read_text(encoding="utf-8")).get("schema_version"))
    except (OSError, ValueError, TypeError, AttributeError):
        return None


def rebuild(directory: str | os.PathLike) -> int:
    """Rebuild the index from its own stored records, whatever schema wrote it.

    The new index is written beside the old one and swapped in by renames,
    so an interrupted rebuild leaves the old index in place.
    """
    import shutil

    from whoosh import index as wix

    directory = Path(directory)
    old_dir, new_dir, gone_dir = directory / WHOOSH_DIR, directory / (WHOOSH_DIR + ".new"), \
        directory / (WHOOSH_DIR + ".old")
    if not old_dir.exists() or not wix.exists_in(str(old_dir), indexname=INDEX_NAME):
        raise IndexFailure(f"{directory}: no index here to rebuild.")
    shutil.rmtree(new_dir, ignore_errors=True)
    new_dir.mkdir(parents=True)
    try:
        old = wix.open_dir(str(old_dir), indexname=INDEX_NAME)
    except Exception as exc:  # any damage in the old files ends here, with its reason
        raise IndexFailure(f"{directory}: the old index cannot be read ({exc}).") from None
    new = wix.create_in(str(new_dir), _schema(), indexname=INDEX_NAME)
    variants = _journal_variants()
    writer = new.writer(limitmb=128)
    n = 0
    try:
        with old.searcher() as s:
            for _, stored in s.reader().iter_docs():
                writer.add_document(**_doc(Article.from_dict(json.loads(stored["record"])), variants))
                n += 1
        writer.commit()
    except BaseException:
        writer.cancel()
        shutil.rmtree(new_dir, ignore_errors=True)
        raise
    finally:
        old.close()
        new.close()
    shutil.rmtree(gone_dir, ignore_errors=True)
    os.replace(old_dir, gone_dir)
    os.replace(new_dir, old_dir)
    _write_meta(directory / META_FILE)
    shutil.rmtree(gone_dir, ignore_errors=True)
    return n


# ---------------------------------------------------------------- vectorised evaluation
#
# Whoosh's matchers walk every matching document through a tree of Python
# objects (~5-10 µs per document per clause). _Eval instead reads each term's
# whole postings (ids and weights, block by block) into numpy arrays and
# computes the same BM25F scores, unions and intersections array-wise. The
# numbers are whoosh's own: the same scorer objects (idf, average length, B,
# K1), the same per-document length bytes, the same score sums for And/Or,
# and whoosh's constant scores for Not and numeric ranges. Query types it does
# not know (phrases, prefixes, ...) run through whoosh's matcher for that
# subtree only.

_SEGMENT_CACHE: dict[tuple, Any] = {}     # (segment id, field, kind) -> numpy array; segments never change


class _Unsupported(Exception):
    pass


class _Eval:
    def __init__(self, s):
        import numpy as np

        self.np = np
        self.s = s
        self.weighting = s.weighting
        self.segs = s.subsearchers or [(s, 0)]
        self.schema = s.schema
        self.postings: dict[tuple[str, bytes], Any] = {}    # term -> global doc ids (for highlights)

    # whole-index (ids, scores): ids sorted and unique, global doc numbers
    def run(self, q):
        from whoosh import query as Q

        np = self.np
        kind = type(q)
        if kind is Q.Term:
            return self.term(q)
        if kind in (Q.Or, Q.And) and getattr(q, "scale", None) is None and q.boost == 1.0:
            subs = list(q.subqueries)
            if not subs:
                return self.empty()
            if len(subs) == 1:
                return self.run(subs[0])
            if kind is Q.Or:
                parts = [self.run(sub) for sub in subs]
                ids = np.concatenate([p[0] for p in parts])
                scores = np.concatenate([p[1] for p in parts])
                uniq, inv = np.unique(ids, return_inverse=True)
                return uniq, np.bincount(inv, weights=scores, minlength=len(uniq))
            # And: an IntersectionMatcher sums its children's scores; a Not
            # child is an InverseMatcher scoring 1.0 on every doc it lets through
            pos = [sub for sub in subs if not isinstance(sub, Q.Not)]
            neg = [sub for sub in subs if isinstance(sub, Q.Not)]
            if not pos or any(n.boost != 1.0 for n in neg):
                raise _Unsupported
            if any(type(sub) not in (Q.Term, Q.Or, Q.And, Q.NumericRange) for sub in pos):
                # prefixes inside an intersection (journal abbreviations) score
                # differently from the same subtree run alone: whoosh runs it all
                raise _Unsupported
            parts = sorted((self.run(sub) for sub in pos), key=lambda p: len(p[0]))
            ids, scores = parts[0]
            for other_ids, other_scores in parts[1:]:
                if not len(ids):
                    break
                ids, ia, ib = np.intersect1d(ids, other_ids, assume_unique=True, return_indices=True)
                scores = scores[ia] + other_scores[ib]
            for n in neg:
                if not len(ids):
                    break
                gone, _ = self.run(n.query)
                keep = ~np.isin(ids, gone, assume_unique=True)
                ids, scores = ids[keep], scores[keep] + 1.0
            return ids, scores
        if kind is Q.NumericRange and q.constantscore:
            return self.numeric_range(q)
        return self.fallback(q)

    def empty(self):
        np = self.np
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)

    def _deleted(self, reader):
        return reader.deleted_docs_set if reader.has_deletions() else None

    def _seg_key(self, reader):
        seg = getattr(reader, "_segment", None)
        if seg is None:
            raise _Unsupported
        return seg.segment_id()

    def _lengths(self, reader, fieldname):
        from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
        from whoosh.util.numeric import byte_to_length

        key = (self._seg_key(reader), fieldname, "len")
        arr = _SEGMENT_CACHE.get(key)
        if arr is None:
            np = self.np
            col = reader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            n = reader.doc_count_all()
            raw = _raw_column(np, col, n) if col is not None else np.zeros(n, dtype=np.int64)
            table = np.array([byte_to_length(b) if b else 1 for b in range(256)], dtype=np.float64)
            arr = _SEGMENT_CACHE[key] = table[raw]
        return arr

    def _read(self, reader, fieldname, btext):
        """(local ids, weights) of one term in one segment, deletions removed."""
        np = self.np
        field = self.schema[fieldname]
        m = reader._terms.matcher(fieldname, btext, field.format, scorer=None)
        ids, weights = [], []
        while m.is_active():
            m._read_ids()
            m._read_weights()
            ids.append(np.asarray(m._ids, dtype=np.int64))
            weights.append(np.asarray(m._weights, dtype=np.float64))
            m._next_block()
        ids = np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64)
        weights = np.concatenate(weights) if weights else np.zeros(0, dtype=np.float64)
        deleted = self._deleted(reader)
        if deleted:
            keep = ~np.isin(ids, np.fromiter(deleted, dtype=np.int64))
            ids, weights = ids[keep], weights[keep]
        return ids, weights

    def term_ids(self, fieldname, btext):
        """Global doc ids holding one term (no scores)."""
        np = self.np
        out = []
        for sub, offset in self.segs:
            reader = sub.reader()
            if (fieldname, btext) in reader:
                out.append(self._read(reader, fieldname, btext)[0] + offset)
        return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)

    def term(self, q):
        from whoosh.scoring import BM25FScorer, WeightScorer

        np = self.np
        if q.fieldname not in self.schema:
            return self.empty()
        field = self.schema[q.fieldname]
        try:
            btext = field.to_bytes(q.text)
        except ValueError:
            return self.empty()
        out_ids, out_scores = [], []
        for sub, offset in self.segs:
            reader = sub.reader()
            if (q.fieldname, btext) not in reader:
                continue
            ids, weights = self._read(reader, q.fieldname, btext)
            scorer = self.weighting.scorer(sub, q.fieldname, btext)
            if type(scorer) is BM25FScorer:
                fl = self._lengths(reader, q.fieldname)[ids]
                B, K1 = scorer.B, scorer.K1
                scores = scorer.idf * ((weights * (K1 + 1)) / (weights + K1 * ((1 - B) + B * fl / scorer.avgfl)))
            elif type(scorer) is WeightScorer:
                scores = weights
            else:
                raise _Unsupported
            out_ids.append(ids + offset)
            out_scores.append(scores * q.boost if q.boost != 1.0 else scores)
        if not out_ids:
            return self.empty()
        ids = np.concatenate(out_ids)
        self.postings[(q.fieldname, btext)] = ids
        return ids, np.concatenate(out_scores)

    def _column(self, reader, fieldname):
        key = (self._seg_key(reader), fieldname, "col")
        arr = _SEGMENT_CACHE.get(key)
        if arr is None:
            np = self.np
            # the sortable column holds value - min_value, unsigned; "missing" is all ones
            raw = _raw_column(np, reader.column_reader(fieldname, translate=False), reader.doc_count_all())
            arr = _SEGMENT_CACHE[key] = raw + self.schema[fieldname].min_value
        return arr

    def numeric_range(self, q):
        """A constant-score numeric range read from the field's sortable column."""
        np = self.np
        field = self.schema[q.fieldname]
        if field.column_type is None or getattr(field, "numtype", None) is not int or field.bits != 32 \
                or not field.signed:
            raise _Unsupported
        out = []
        for sub, offset in self.segs:
            reader = sub.reader()
            values = self._column(reader, q.fieldname)
            mask = values != _MISSING_NUMBER
            if q.start is not None:
                mask &= (values > q.start) if q.startexcl else (values >= q.start)
            if q.end is not None:
                mask &= (values < q.end) if q.endexcl else (values <= q.end)
            deleted = self._deleted(reader)
            if deleted:
                mask[np.fromiter(deleted, dtype=np.int64)] = False
            out.append(np.flatnonzero(mask).astype(np.int64) + offset)
        ids = np.concatenate(out) if out else np.zeros(0, dtype=np.int64)
        return ids, np.full(len(ids), float(q.boost))

    def fallback(self, q):
        """Whoosh's own matcher for this subtree, segment by segment."""
        np = self.np
        context = self.s.context(needs_current=True, weighting=self.weighting)
        ids, scores = [], []
        for sub, offset in self.segs:
            m = q.matcher(sub, context)
            while m.is_active():
                ids.append(m.id() + offset)
                scores.append(m.score())
                m.next()
        ids = np.asarray(ids, dtype=np.int64)
        scores = np.asarray(scores, dtype=np.float64)
        if len(ids) > 1 and not np.all(ids[1:] > ids[:-1]):
            uniq, inv = np.unique(ids, return_inverse=True)
            return uniq, np.bincount(inv, weights=scores, minlength=len(uniq))
        return ids, scores


def _raw_column(np, col, n: int):
    """A whole whoosh NumericColumn as an int64 array (one read, not one per doc)."""
    from whoosh.columns import NumericColumn

    if type(col) is not NumericColumn.Reader:
        raise _Unsupported
    count = min(col._count, n)
    out = np.full(n, col._default, dtype=np.int64)
    if count:
        data = col._dbfile.get(col._basepos, count * col._fixedlen)
        out[:count] = np.frombuffer(data, dtype=">" + col._typecode)
    return out
