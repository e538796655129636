"""Index: open, upsert a batch, catch up with the record store, search, match."""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import scoring

from tracker.dates import normal_dates
from tracker.errors import IndexFailure, OutdatedIndex, QueryError, TrackerError
from tracker.index.fastscore import Evaluator, SegmentArrays
from tracker.index.formats import Codec
from tracker.index.merging import tiered
from tracker.index.results import Hit, Rebuilt, SearchResult
from tracker.index.schema import (
    BM25_B,
    INDEX_NAME,
    META_FILE,
    MISSING_NUMBER,
    SCHEMA_VERSION,
    WHOOSH_DIR,
    FieldAnalyser,
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
from tracker.index.storage import has_toc, open_storage, prepare
from tracker.index.whoosh_query import since_filter, to_whoosh
from tracker.index.writer import BulkWriter
from tracker.models import Article
from tracker.query.nodes import Query
from tracker.store import STORE_FILE, Store, UpsertResult


def _damaged(directory: Path, exc: Exception, writing: bool) -> IndexFailure:
    what = f"{type(exc).__name__}: {exc}"
    if writing:     # the writer was cancelled: the store has the records, the index lags behind it
        return IndexFailure(f"{directory}: the index could not be updated ({what}); the records are kept in "
                            f"the record store, and the next crawl or 'tracker reindex' brings the index up "
                            f"to date ('tracker check' tells whether its files are damaged; -v shows where "
                            f"it failed).")
    return IndexFailure(
        f"{directory}: the index could not be read ({what}), so its files are probably damaged; "
        f"'tracker reindex' rebuilds them from the record store (-v shows where it failed).")


def _too_deep() -> QueryError:
    # a query too deep for the stack is the query's fault, not damage to the files
    return QueryError("the query is nested too deeply to run; remove some parentheses or NOTs.")


def _guarded(method):
    """Whatever Whoosh raises reading (damaged files) or writing ends as one
    IndexFailure line, not a traceback (disk errors stay OSErrors for the
    caller; -v still shows the traceback)."""
    writing = method.__name__ in ("upsert", "catch_up")

    @contextlib.contextmanager
    def translated(directory: Path) -> Iterator[None]:
        try:
            yield
        except FileNotFoundError as exc:    # a segment file the table of contents names is gone
            raise _damaged(directory, exc, writing) from exc
        except (TrackerError, OSError):
            raise
        except RecursionError:
            raise _too_deep() from None
        except Exception as exc:
            raise _damaged(directory, exc, writing) from exc

    if inspect.isgeneratorfunction(method):
        @functools.wraps(method)
        def stream(self, *args, **kwargs):
            with translated(self.directory):
                yield from method(self, *args, **kwargs)
        return stream

    @functools.wraps(method)
    def call(self, *args, **kwargs):
        with translated(self.directory):
            return method(self, *args, **kwargs)
    return call


class Index:
    """An index directory: the record store and the Whoosh index built from it."""

    def __init__(self, directory: Path, ix, store: Store, rebuilt: Rebuilt | None = None):
        self.directory = Path(directory)
        self._ix = ix
        self.store = store
        self.rebuilt = rebuilt              # the rebuild opening for writing ran, if any
        self._arrays = SegmentArrays()      # per-segment numpy arrays between searches

    # opening -----------------------------------------------------------
    @classmethod
    def open(cls, directory: str | os.PathLike, *, create: bool = False) -> Index:
        """Readers open the store and the index as they are; a writer
        (create=True: a crawl, under its lock) gets them repaired where the
        store allows (tracker.index.storage.prepare) and the index caught up
        with every change the store has and it has not."""
        directory = Path(directory)
        if create:
            ix, store, rebuilt = prepare(directory)
            index = cls(directory, ix, store, rebuilt)
            try:
                index.catch_up()
            except BaseException:
                index.close()
                raise
            return index
        wdir = directory / WHOOSH_DIR
        has_store = (directory / STORE_FILE).exists()
        if not has_toc(wdir):
            if has_store:
                raise IndexFailure(f"{directory}: the index files are missing; 'tracker reindex' rebuilds "
                                   f"them from the record store.")
            raise IndexFailure(f"{directory}: no index here yet; run 'tracker crawl' first.")
        meta = read_meta(directory / META_FILE)
        if meta is None:
            raise IndexFailure(f"{directory}: {META_FILE} is missing or unreadable; run 'tracker reindex' "
                               f"to rebuild the index from its stored records.")
        if meta.version > SCHEMA_VERSION:
            # a rebuild here would drop what the newer version stores
            raise IndexFailure(f"{directory}: the index was written by a newer tracker (schema version "
                               f"{meta.version}; this one reads {SCHEMA_VERSION}); upgrade tracker to use it.")
        if meta.version < SCHEMA_VERSION:
            raise OutdatedIndex(
                f"{directory}: the index was written with schema version {meta.version}, this tracker "
                f"uses {SCHEMA_VERSION}; the next 'tracker crawl' rebuilds it from the stored records, "
                f"or run 'tracker reindex' now.")
        if not has_store:
            raise IndexFailure(
                f"{directory}: the record store ({STORE_FILE}) is missing and the index holds no records to "
                f"rebuild it from; restore {STORE_FILE} from a backup, or delete {wdir} and "
                f"{directory / META_FILE} and run 'tracker crawl --full' to fetch every record again.")
        store = Store.open(directory)
        try:
            ix = open_storage(wdir).open_index(INDEX_NAME)
        except Exception as exc:  # missing or damaged files: whatever whoosh raised, one line
            store.close()
            raise IndexFailure(f"{directory}: the index cannot be opened ({type(exc).__name__}: {exc}); "
                               f"'tracker reindex' rebuilds it from the record store.") from None
        return cls(directory, ix, store)

    def close(self) -> None:
        self._arrays.clear()
        self._ix.close()
        self.store.close()

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
        """Documents in the Whoosh index (the store's count is store.count())."""
        return self._ix.doc_count()

    def writer(self, **options):
        """A Whoosh writer that writes tracker's postings codec (segments record it),
        building posting lists in bulk (tracker.index.writer)."""
        return BulkWriter(self._ix, codec=Codec(), **options)

    # writing -----------------------------------------------------------
    def upsert(self, articles: list[Article]) -> UpsertResult:
        """Merge each article into the record store by identity (one commit,
        tracker.store.upsert), then bring the index up to date (a second)."""
        result = self.store.upsert(articles)
        self.catch_up()
        return result

    @_guarded
    def catch_up(self) -> int:
        """Apply to the index every store change after its mark (index.json),
        in one commit; returns the number of changes applied.

        A record first written after the mark cannot be in the index, so it
        is added; the rest replace their document. While the commit runs the
        meta file marks the changes pending: if a run is killed mid-commit,
        the next replay treats them as possibly indexed.
        """
        meta_path = self.directory / META_FILE
        meta = read_meta(meta_path)
        if meta is None:
            raise IndexFailure(f"{self.directory}: {META_FILE} is missing or unreadable; run 'tracker reindex' "
                               f"to rebuild the index from its stored records.")
        removed, changed, upto = self.store.changes(meta.indexed)
        if upto <= meta.indexed:
            changed.close()
            return 0
        fresh_after = max(meta.indexed, meta.pending or 0)
        write_meta(meta_path, meta.indexed, pending=upto)
        variants = journal_variants()
        writer = self.writer(timeout=60.0)
        n = 0
        try:
            for rid in removed:
                writer.delete_by_term("id", rid)
            for change in changed:
                doc = document(Article.from_dict(change.record), variants, change.row)
                if change.created > fresh_after:
                    writer.add_document(**doc)
                else:
                    writer.update_document(**doc)
                n += 1
            writer.commit(mergetype=tiered)
        except BaseException:
            writer.cancel()
            raise
        write_meta(meta_path, upto)
        self.store.forget_removed(upto)
        return n + len(removed)

    # reading -----------------------------------------------------------
    def get(self, record_id: str) -> dict[str, Any] | None:
        """A record by id or identity key (from the store), dates in the one form
        (records stored by older versions kept theirs as read)."""
        rec = self.store.get(record_id)
        return normal_dates(rec) if rec is not None else None

    def iter_records(self) -> Iterator[dict[str, Any]]:
        """Every stored record, in record-number order."""
        return self.store.select().records()

    @_guarded
    def documents(self) -> Iterator[tuple[str, int]]:
        """(id, record number) of every live document (tracker check compares them with the store)."""
        with self._ix.searcher() as s:
            rows = Evaluator(s, self._arrays).column("row")
            for docnum, stored in s.reader().iter_docs():
                yield stored["id"], int(rows[docnum])

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
            shown = [hit for hit in results]     # not list(): its length hint runs a count
            records = self.store.by_ids([hit["id"] for hit in shown])
            hits = []
            for hit in shown:
                rec = records.get(hit["id"])
                if rec is None:     # merged away in the store; the index has yet to catch up
                    continue
                hl = highlights(hit, rec) if highlight else {}
                score = hit.score if sort == "relevance" else None
                hits.append(Hit(normal_dates(rec), round(float(score or 0.0), 4), hl))
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
    def match_rows(self, query: Query, *, since: str | None = None, sort: str = "relevance") -> list[int]:
        """Record numbers of every match, for reading from the store (exports):
        in record-number order, the store's own, unless sorted by year or cases."""
        flt = since_filter(since)
        wq = to_whoosh(query)
        with self.searcher() as s:
            fast = evaluate(s, query, flt, self._arrays)
            ev = fast[0] if fast is not None else Evaluator(s, self._arrays)
            if sort == "relevance":
                docnums = fast[1] if fast is not None else np.array(sorted(matched_docs(s, wq, flt)), dtype=np.int64)
            elif fast is not None:
                _, ids, scores = fast
                docnums = ids[sort_order(ev, ids, scores, sort)]
            else:
                results = s.search(wq, limit=None, sortedby=sort_spec(sort), filter=flt, terms=False)
                docnums = np.array([docnum for _, docnum in results.top_n], dtype=np.int64)
            rows = ev.column("row")[docnums]
            rows = rows[rows != MISSING_NUMBER]
            return (np.sort(rows) if sort == "relevance" else rows).tolist()

    def iter_matches(self, query: Query, *, since: str | None = None,
                     sort: str = "relevance") -> Iterator[dict[str, Any]]:
        """Every matching record, streamed from the store (see match_rows for the order)."""
        return self.store.select(rows=self.match_rows(query, since=since, sort=sort)).records()

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
