"""Index: open, upsert a batch, search, iterate; rebuild from stored records."""

from __future__ import annotations

import functools
import inspect
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import index as wix
from whoosh import scoring

from tracker.errors import IndexFailure, OutdatedIndex, TrackerError
from tracker.index.fastscore import Evaluator, SegmentArrays
from tracker.index.formats import Codec
from tracker.index.results import Hit, SearchResult, UpsertResult
from tracker.index.schema import (
    BM25_B,
    INDEX_NAME,
    META_FILE,
    SCHEMA_VERSION,
    WHOOSH_DIR,
    FieldAnalyser,
    build_schema,
    comparable,
    document,
    journal_variants,
    read_meta,
    write_meta,
)
from tracker.index.searching import (
    collect,
    edits,
    evaluate,
    facet,
    highlights,
    matched_docs,
    sort_order,
    sort_spec,
    top,
)
from tracker.index.storage import open_storage, recover_swap
from tracker.index.whoosh_query import since_filter, to_whoosh
from tracker.models import Article, merge, utcnow
from tracker.query.nodes import Query


def _damaged(directory: Path, exc: Exception, writing: bool) -> IndexFailure:
    what = f"{type(exc).__name__}: {exc}"
    if writing:     # the writer was cancelled: nothing of the batch is in the index
        return IndexFailure(f"{directory}: the index could not be updated ({what}); nothing of this batch "
                            f"was written; 'tracker check' tells whether its files are damaged (-v shows "
                            f"where it failed).")
    return IndexFailure(
        f"{directory}: the index could not be read ({what}), so its files are probably damaged; "
        f"'tracker reindex' rebuilds them from the stored records, 'tracker crawl --full' fetches "
        f"everything again (-v shows where it failed).")


def _guarded(method):
    """Whatever Whoosh raises reading (damaged files) or writing ends as one
    IndexFailure line, not a traceback (disk errors stay OSErrors for the
    caller; -v still shows the traceback)."""
    writing = method.__name__ in ("upsert", "replace_all")
    if inspect.isgeneratorfunction(method):
        @functools.wraps(method)
        def stream(self, *args, **kwargs):
            try:
                yield from method(self, *args, **kwargs)
            except (TrackerError, OSError):
                raise
            except Exception as exc:
                raise _damaged(self.directory, exc, writing) from exc
        return stream

    @functools.wraps(method)
    def call(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except (TrackerError, OSError):
            raise
        except Exception as exc:
            raise _damaged(self.directory, exc, writing) from exc
    return call


class Index:
    """An index directory: Whoosh files, schema version, crawl state beside it."""

    def __init__(self, directory: Path, ix):
        self.directory = Path(directory)
        self._ix = ix
        self._arrays = SegmentArrays()      # per-segment numpy arrays between searches

    # opening -----------------------------------------------------------
    @classmethod
    def open(cls, directory: str | os.PathLike, *, create: bool = False) -> Index:
        directory = Path(directory)
        wdir = directory / WHOOSH_DIR
        meta = directory / META_FILE
        if create:      # the writer's path (a crawl, under its lock)
            recover_swap(directory)
        if not wdir.exists() or not wix.exists_in(str(wdir), indexname=INDEX_NAME):
            if not create:
                raise IndexFailure(f"{directory}: no index here yet; run 'tracker crawl' first.")
            try:
                wdir.mkdir(parents=True, exist_ok=True)
                ix = open_storage(wdir).create_index(build_schema(), indexname=INDEX_NAME)
                write_meta(meta)
            except OSError as exc:
                raise IndexFailure(f"{directory}: cannot create the index ({exc.strerror}).") from None
            return cls(directory, ix)
        version = read_meta(meta)
        if version is None:
            raise IndexFailure(f"{directory}: {META_FILE} is missing or unreadable; run 'tracker reindex' "
                               f"to rebuild the index from its stored records.")
        if version > SCHEMA_VERSION:
            # a rebuild here would drop what the newer version stores
            raise IndexFailure(f"{directory}: the index was written by a newer tracker (schema version "
                               f"{version}; this one reads {SCHEMA_VERSION}); upgrade tracker to use it.")
        if version < SCHEMA_VERSION:
            raise OutdatedIndex(
                f"{directory}: the index was written with schema version {version}, this tracker "
                f"uses {SCHEMA_VERSION}; the next 'tracker crawl' rebuilds it from the stored records, "
                f"or run 'tracker reindex' now.")
        try:
            ix = open_storage(wdir).open_index(INDEX_NAME)
        except Exception as exc:  # missing or damaged files: whatever whoosh raised, one line
            raise IndexFailure(f"{directory}: the index cannot be opened ({type(exc).__name__}: {exc}).") \
                from None
        return cls(directory, ix)

    def close(self) -> None:
        self._arrays.clear()
        self._ix.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def schema(self):
        """The Whoosh schema (read from the index's table of contents)."""
        return self._ix.schema

    @functools.cached_property
    def analyser(self) -> FieldAnalyser:
        """Query text analysed as this index's fields are (tracker.query.parser.Analyser)."""
        return FieldAnalyser(self._ix.schema)

    def doc_count(self) -> int:
        return self._ix.doc_count()

    def writer(self, **options):
        """A Whoosh writer that writes tracker's postings codec (segments record it)."""
        return self._ix.writer(codec=Codec(), **options)

    # writing -----------------------------------------------------------
    @_guarded
    def upsert(self, articles: list[Article]) -> UpsertResult:
        """Merge each article into the index by identity and commit once.

        Identity is DOI, then PMID, then canonical URL: a record is matched
        by any of its keys, so a page later found to carry a DOI joins the
        registry record of that DOI.
        """
        result = UpsertResult()
        if not articles:
            return result
        variants = journal_variants()
        now = utcnow()
        writer = self.writer(timeout=60.0)
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
                    rid = merged.id
                    assert rid is not None      # merging keeps the identity art had
                    staged[rid] = merged
                    origins[rid] = origin
                    for part in (*parts, merged):
                        for key in part.identity_keys():
                            alias[key] = rid
                    if origin is None:
                        result.outcome[pos] = "updated" if parts else "new"
                    elif comparable(origin) == comparable(merged.to_dict()):
                        result.outcome[pos] = "unchanged"
                    else:
                        result.outcome[pos] = "updated"
                dirty = bool(stored_ids - staged.keys())
                for sid in stored_ids - staged.keys():
                    writer.delete_by_term("id", sid)
                for rid, art in staged.items():
                    orig = origins.get(rid)
                    if orig is not None and orig.get("id") == rid and \
                            comparable(orig) == comparable(art.to_dict()):
                        art.fetched_at = orig.get("fetched_at")
                        continue
                    if rid in stored_ids:
                        writer.update_document(**document(art, variants))
                    else:  # nothing to replace: skip update_document's delete
                        writer.add_document(**document(art, variants))
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

    @_guarded
    def replace_all(self, records: Iterable[dict[str, Any]]) -> int:
        """Rewrite every document from stored records (reindex)."""
        variants = journal_variants()
        writer = self.writer(timeout=60.0)
        n = 0
        try:
            for rec in records:
                writer.update_document(**document(Article.from_dict(rec), variants))
                n += 1
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        return n

    # reading -----------------------------------------------------------
    @_guarded
    def get(self, record_id: str) -> dict[str, Any] | None:
        with self._ix.searcher() as s:
            doc = s.document(id=record_id)
            if doc is None:
                doc = next(iter(s.documents(keys=record_id)), None)
            return json.loads(doc["record"]) if doc else None

    @_guarded
    def iter_records(self) -> Iterator[dict[str, Any]]:
        with self._ix.searcher() as s:
            reader = s.reader()
            for _, stored in reader.iter_docs():
                yield json.loads(stored["record"])

    def searcher(self):
        """A Whoosh searcher with tracker's BM25F settings (close it after use)."""
        return self._ix.searcher(weighting=scoring.BM25F(B=0.75, K1=1.2, **BM25_B))

    @_guarded
    def search(self, query: Query, *, limit: int | None = 20, sort: str = "relevance",
               facets: Iterable[str] = (), highlight: bool = True,
               since: str | None = None) -> SearchResult:
        """Run a parsed query (tracker.query.parser).

        Only the `limit` hits shown are loaded and highlighted; the total and
        the facets come from doc numbers and column/posting data, never from
        the stored records.
        """
        flt = since_filter(since)
        sortedby = sort_spec(sort)
        wq = to_whoosh(query)
        with self.searcher() as s:
            fast = evaluate(s, query, flt, self._arrays)
            if fast is not None:
                ev, ids, scores = fast
                results, counted = top(s, wq, ev, ids, scores, limit, highlight, sort), len(ids)
            else:
                results, counted = collect(s, wq, limit, sortedby, highlight, flt)
            hits = []
            for hit in results:
                rec = json.loads(hit["record"])
                hl = highlights(hit, rec) if highlight else {}
                score = hit.score if sort == "relevance" else None
                hits.append(Hit(rec, round(float(score or 0.0), 4), hl))
            facets = list(facets)
            total = counted
            if facets:
                ev = fast[0] if fast is not None else Evaluator(s, self._arrays)
                matched = fast[1] if fast is not None else \
                    np.array(sorted(matched_docs(s, wq, flt)), dtype=np.int64)
                total = len(matched)
            out = SearchResult(hits, total)
            for name in facets:
                out.facets[name] = facet(s, ev, matched, name)
            return out

    @_guarded
    def iter_matches(self, query: Query, *, since: str | None = None,
                     sort: str = "relevance") -> Iterator[dict[str, Any]]:
        """Every matching record, streamed (exports); index order unless sorted."""
        flt = since_filter(since)
        sortedby = sort_spec(sort)
        wq = to_whoosh(query)
        with self.searcher() as s:
            reader = s.reader()
            fast = evaluate(s, query, flt, self._arrays)
            if sort == "relevance":
                docnums: Iterable[int] = fast[1].tolist() if fast is not None else \
                    sorted(matched_docs(s, wq, flt))
            elif fast is not None:
                ev, ids, scores = fast
                docnums = ids[sort_order(ev, ids, scores, sort)].tolist()
            else:
                results = s.search(wq, limit=None, sortedby=sortedby, filter=flt, terms=False)
                docnums = [docnum for _, docnum in results.top_n]
            for docnum in docnums:
                yield json.loads(reader.stored_fields(docnum)["record"])

    @_guarded
    def verify(self) -> int:
        """Read every posting list of every field, as searches would; returns
        how many were read. Damage raises IndexFailure (see _guarded)."""
        with self.searcher() as s:
            ev = Evaluator(s)
            lists = 0
            for sub, _ in ev.segs:
                reader = sub.reader()
                size = reader.doc_count_all()
                for fieldname, field in self.schema.items():
                    if not field.indexed:
                        continue
                    positions = field.format.supports("positions")
                    for term in reader.lexicon(fieldname):
                        # not remembered: a memo of every list would keep the whole index
                        ids, _, _ = ev.read_postings(reader, fieldname, term, positions)
                        if len(ids) and (ids[0] < 0 or ids[-1] >= size or np.any(np.diff(ids) <= 0)):
                            raise IndexFailure(f"{self.directory}: the index files are damaged (postings "
                                               f"of {fieldname}:{term!r} out of order); 'tracker reindex' "
                                               f"rebuilds them from the stored records.")
                        lists += 1
            return lists

    @_guarded
    def vocabulary(self, fieldname: str = "spell") -> Iterator[str]:
        with self.searcher() as s:
            for term in s.reader().lexicon(fieldname):
                yield term.decode("utf-8") if isinstance(term, bytes) else term

    @_guarded
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
                    key = (edits(word, cand), -reader.doc_frequency(name, cand), cand)
                    if best is None or key < best:
                        best = key
            for cand in extra:
                if cand[:1] != word[:1] or abs(len(cand) - len(word)) > 2:
                    continue
                dist = edits(word, cand)
                if dist <= 2:
                    key = (dist, -reader.doc_frequency("drugs", cand), cand)
                    if best is None or key < best:
                        best = key
        return best[2] if best is not None else None
