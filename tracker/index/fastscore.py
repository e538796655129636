"""Vectorised BM25F evaluation of tracker's query nodes: terms, phrases,
prefixes, And/Or/Not and numeric ranges."""

from __future__ import annotations

import functools
import math
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from whoosh.reading import TermNotFound
from whoosh.scoring import BM25FScorer, Weighting, WeightScorer
from whoosh.util.numeric import byte_to_length

from tracker.index import whoosh_adapter
from tracker.index.formats import ArrayPositions
from tracker.index.postings import Values, chain, parse_blocks, positions, raw_blocks, raw_column
from tracker.index.schema import MISSING_NUMBER
from tracker.index.whoosh_query import to_whoosh
from tracker.query.nodes import And, Not, Or, Phrase, Prefix, Query, Range, Term

# ---------------------------------------------------------------- vectorised evaluation
#
# Whoosh's matchers walk every matching document through a tree of Python
# objects (~5-10 µs per document per clause). Evaluator instead reads each
# term's whole postings (ids, weights and, for phrases, positions; all blocks
# from one read) into numpy arrays and computes the same BM25F scores, unions,
# intersections and phrase checks array-wise. The numbers are whoosh's own:
# the same scorer objects (idf, average length, B, K1), the same per-document
# length bytes, the same score sums for And/Or/phrases/prefixes, and whoosh's
# constant scores for Not and numeric ranges (tests/test_phrases.py and
# tests/test_ranking.py compare both). Nodes it does not score itself (Every,
# Nothing, a Not on its own) run through whoosh's matcher for that subtree.

Matches = tuple[np.ndarray, np.ndarray]     # (global doc ids, sorted and unique; scores)

# a length byte -> the field length whoosh scores with (0: no length stored, 1)
_LENGTHS = np.array([byte_to_length(b) if b else 1 for b in range(256)], dtype=np.float64)
# what an And may hold and still be summed here; whoosh scores the rest
_SUMMED = (Term, Or, And, Range, Prefix, Phrase)


def _subtrees(q: Query) -> Iterator[Query]:
    """Every node of the tree, each occurrence once (iterative: trees nest deep)."""
    todo = [q]
    while todo:
        node = todo.pop()
        yield node
        if isinstance(node, (And, Or)):
            todo.extend(node.items)
        elif isinstance(node, Not):
            todo.append(node.item)


class Unsupported(Exception):
    """A query or index this evaluator cannot score exactly as whoosh would."""


class SegmentArrays:
    """Per-segment arrays (field lengths, numeric columns) kept between the
    searches of one Index: a segment's files never change once written.

    Only the segments of the latest searcher are kept, so an index that
    others commit to while it stays open (a server) drops merged-away
    segments; Index.close() empties it. Thread-safe for a shared Index.
    """

    def __init__(self) -> None:
        self._arrays: dict[tuple[str, str, str], np.ndarray] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, str], make: Callable[[], np.ndarray]) -> np.ndarray:
        arr = self._arrays.get(key)
        if arr is None:
            arr = make()
            with self._lock:
                self._arrays[key] = arr
        return arr

    def keep_only(self, segment_ids: set[str]) -> None:
        with self._lock:
            for key in [k for k in self._arrays if k[0] not in segment_ids]:
                del self._arrays[key]

    def clear(self) -> None:
        with self._lock:
            self._arrays.clear()

    def __len__(self) -> int:
        return len(self._arrays)


class Evaluator:
    """Evaluates query nodes over the segments of one whoosh searcher."""

    def __init__(self, s, arrays: SegmentArrays | None = None):
        self.s = s
        self.weighting = s.weighting
        self.segs = s.subsearchers or [(s, 0)]
        self.schema = s.schema
        # term -> {segment offset: global doc ids}, for highlights; joined only when asked
        self._posted_ids: dict[tuple[str, bytes], dict[int, np.ndarray]] = {}
        self.size = s.reader().doc_count_all()                     # doc numbers run 0 .. size-1
        self._reads: dict[tuple, tuple] = {}                       # (reader, field, term, values) -> postings
        self._expanded: dict[tuple, list[bytes]] = {}              # (reader, field, prefix) -> terms
        self._infos: dict[tuple, Any] = {}                         # (reader, field, term) -> TermInfo or None
        self._idfs: dict[tuple[str, bytes], float] = {}
        self._scorers: dict[str, Any] = {}                         # field -> a whoosh scorer (B, K1, avgfl)
        self._norms: dict[tuple, np.ndarray] = {}                  # BM25F length part per doc, by field
        self._runs: dict[Query, Matches] = {}                      # repeated node -> its matches
        self._uses: Counter[Query] = Counter()                     # repeated node -> evaluations still due
        self._arrays = arrays if arrays is not None else SegmentArrays()
        self._arrays.keep_only({seg.segment_id() for sub, _ in self.segs
                               if (seg := sub.reader().segment()) is not None})

    def run(self, q: Query) -> Matches:
        """(ids, scores) of every match over the whole index.

        A subtree that occurs several times (a word pasted twice, a drug and
        its brand expanding alike) is evaluated once and kept only until its
        last use, so memory stays as without sharing; arrays are never
        changed in place."""
        counts = Counter(_subtrees(q))
        self._uses = Counter({node: n for node, n in counts.items() if n > 1})
        self._runs = {}
        try:
            return self._eval(q)
        finally:
            self._uses, self._runs = Counter(), {}

    def _eval(self, q: Query) -> Matches:
        if q not in self._uses:
            return self._dispatch(q)
        known = self._runs.get(q)
        if known is None:
            known = self._runs[q] = self._dispatch(q)
        self._uses[q] -= 1
        if not self._uses[q]:
            del self._uses[q], self._runs[q]
        return known

    def _dispatch(self, q: Query) -> Matches:
        match q:
            case Term():
                return self.term(q)
            case Prefix():
                return self.prefix(q)
            case Phrase():
                return self.phrase(q)
            case And(items) | Or(items) if len(items) <= 1:
                return self._eval(items[0]) if items else self.empty()
            case Or(items):
                return self.union(items)
            case And(items):
                return self.intersection(items)
            case Range():
                return self.numeric_range(q)
        return self.fallback(q)

    def empty(self) -> Matches:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)

    def union(self, items: tuple[Query, ...]) -> Matches:
        """Every doc any item matches, scored as the sum of their scores."""
        parts = [self._eval(sub) for sub in items]
        ids = np.concatenate([p[0] for p in parts])
        scores = np.concatenate([p[1] for p in parts])
        # dense over doc numbers: O(docs + postings), no sort
        present = np.flatnonzero(np.bincount(ids, minlength=self.size))
        return present, np.bincount(ids, weights=scores, minlength=self.size)[present]

    def intersection(self, items: tuple[Query, ...]) -> Matches:
        """whoosh's IntersectionMatcher sums its children's scores; a Not child
        is an InverseMatcher scoring 1.0 on every doc it lets through."""
        pos = [sub for sub in items if not isinstance(sub, Not)]
        neg = [sub.item for sub in items if isinstance(sub, Not)]
        if not pos or any(not isinstance(sub, _SUMMED) for sub in pos):
            raise Unsupported
        parts = []
        common: np.ndarray | None = None     # docs every item so far matches
        for sub in pos:
            part = self._eval(sub)
            parts.append(part)
            if common is None:
                common = np.zeros(self.size, dtype=bool)
                common[part[0]] = True
            else:
                held = np.zeros(self.size, dtype=bool)
                held[part[0]] = True
                common &= held
            if not common.any():    # no doc can match: the other items need not be read
                return self.empty()
        parts.sort(key=lambda p: len(p[0]))
        ids, scores = parts[0]
        for other_ids, other_scores in parts[1:]:
            if not len(ids):
                break
            dense = np.zeros(self.size, dtype=np.float64)
            held = np.zeros(self.size, dtype=bool)
            dense[other_ids], held[other_ids] = other_scores, True
            keep = held[ids]
            ids = ids[keep]
            scores = scores[keep] + dense[ids]
        for n in neg:
            if not len(ids):
                break
            gone = np.zeros(self.size, dtype=bool)
            gone[self._eval(n)[0]] = True
            keep = ~gone[ids]
            ids, scores = ids[keep], scores[keep] + 1.0
        return ids, scores

    # -------------------------------------------------------------- reading

    def _deleted(self, reader):
        return reader.deleted_docs_set if reader.has_deletions() else None

    def _seg_key(self, reader) -> str:
        seg = reader.segment()
        if seg is None:
            raise Unsupported
        return seg.segment_id()

    def _lengths(self, reader, fieldname: str) -> np.ndarray:
        def make() -> np.ndarray:
            col = whoosh_adapter.length_column(reader, fieldname)
            n = reader.doc_count_all()
            return _LENGTHS[raw_column(col, n) if col is not None else np.zeros(n, dtype=np.int64)]

        return self._arrays.get((self._seg_key(reader), fieldname, "len"), make)

    def _read(self, reader, fieldname: str, btext: bytes, values: bool = False):
        """(local ids, weights, values or None) of one term in one segment, deletions
        removed; read once per query (expansions often name a word twice)."""
        key = (id(reader), fieldname, btext, values)
        if key not in self._reads:
            self._reads[key] = self.read_postings(reader, fieldname, btext, values)
        return self._reads[key]

    def read_postings(self, reader, fieldname: str, btext: bytes,
                      values: bool = False) -> tuple[np.ndarray, np.ndarray, Values | None]:
        """(local ids, weights, values or None) of one term in one segment,
        deleted documents removed; not remembered (tracker check reads every list)."""
        field = self.schema[fieldname]
        info = self._infos.get((id(reader), fieldname, btext))
        raw = None
        if info is not None:
            data = whoosh_adapter.posting_list_bytes_at(reader, info, field.format, values)
            raw = parse_blocks(data, values) if data is not None else None
        m: Any = None
        if raw is None:
            m = whoosh_adapter.term_matcher(reader, fieldname, btext, field.format, info)
            raw = raw_blocks(m, values)
        if raw is not None:
            ids, weights, vals = raw
        else:   # any other matcher, through the public API
            id_list, weight_list, raw_values = [], [], []
            while m.is_active():
                id_list.append(m.id())
                weight_list.append(m.weight())
                if values:
                    raw_values.append(m.value())
                m.next()
            ids, weights = np.asarray(id_list, dtype=np.int64), np.asarray(weight_list, dtype=np.float64)
            vals = Values(np.fromiter(map(len, raw_values), dtype=np.int64, count=len(raw_values)),
                          b"".join(raw_values)) if values else None
        deleted = self._deleted(reader)
        if deleted:
            keep = ~np.isin(ids, np.fromiter(deleted, dtype=np.int64))
            ids, weights = ids[keep], weights[keep]
            if vals is not None:
                vals = vals.select(keep)
        return ids, weights, vals

    def term_ids(self, fieldname: str, btext: bytes, keep: bool = False) -> np.ndarray:
        """Global doc ids holding one term (no scores). keep: remember them
        between searches (facet values, read whole on every search page)
        while the segment has no deletions, which would change them."""
        out = []
        for sub, offset in self.segs:
            reader = sub.reader()
            if self._info(reader, fieldname, btext) is not None:
                if keep and not reader.has_deletions() and reader.segment() is not None:
                    ids = self._arrays.get((self._seg_key(reader), fieldname, "ids " + btext.hex()),
                                           functools.partial(self._ids, reader, fieldname, btext))
                else:
                    ids = self._read(reader, fieldname, btext)[0]
                out.append(ids + offset)
        return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)

    def _ids(self, reader, fieldname: str, btext: bytes) -> np.ndarray:
        return self._read(reader, fieldname, btext)[0]

    def _info(self, reader, fieldname: str, btext: bytes):
        """One segment's TermInfo of a term (None: not there), looked up once
        per search: the membership test, the document frequency and the
        posting list all come from it (each lookup walks the on-disk table)."""
        key = (id(reader), fieldname, btext)
        if key not in self._infos:
            try:
                self._infos[key] = reader.term_info(fieldname, btext)
            except TermNotFound:
                self._infos[key] = None
        return self._infos[key]

    def existing(self, fieldname: str, text) -> bytes | None:
        """A term's bytes if some segment holds it (as `(field, bytes) in reader`),
        from the infos this search has read."""
        if fieldname not in self.schema:
            return None
        try:
            btext = self.schema[fieldname].to_bytes(text)
        except ValueError:
            return None
        return btext if any(self._info(sub.reader(), fieldname, btext) is not None for sub, _ in self.segs) \
            else None

    def _idf(self, fieldname: str, btext: bytes) -> float:
        """whoosh's idf over the whole index (Weighting.idf), from the
        segments' TermInfos: log(docs / (doc frequency + 1)) + 1."""
        if type(self.weighting).idf is not Weighting.idf:
            raise Unsupported
        idf = self._idfs.get((fieldname, btext))
        if idf is None:
            df = 0
            for sub, _ in self.segs:
                info = self._info(sub.reader(), fieldname, btext)
                df += info.doc_frequency() if info is not None else 0
            idf = self._idfs[(fieldname, btext)] = math.log(self.size / (df + 1)) + 1
        return idf

    def _scored(self, sub, reader, fieldname: str, btext: bytes, values: bool = False):
        """(local ids, BM25F scores, values or None) of one term in one segment."""
        ids, weights, vals = self._read(reader, fieldname, btext, values)
        scorer = self._scorers.get(fieldname)
        if scorer is None:
            scorer = self._scorers[fieldname] = self.weighting.scorer(sub, fieldname, btext)
        if type(scorer) is BM25FScorer:
            B, K1 = scorer.B, scorer.K1
            idf = self._idf(fieldname, btext)
            lengths = self._lengths(reader, fieldname)
            if len(ids) * 8 > len(lengths):     # a common word: its length part per doc is shared
                key = (id(reader), fieldname, scorer.avgfl, B, K1)
                norm = self._norms.get(key)
                if norm is None:
                    norm = self._norms[key] = K1 * ((1 - B) + B * lengths / scorer.avgfl)
                denom = weights + norm[ids]
            else:
                denom = weights + K1 * ((1 - B) + B * lengths[ids] / scorer.avgfl)
            scores = idf * ((weights * (K1 + 1)) / denom)
            return ids, scores, vals
        if type(scorer) is WeightScorer:
            return ids, weights, vals
        raise Unsupported

    # -------------------------------------------------------------- leaves

    def term(self, q: Term) -> Matches:
        if q.field not in self.schema:
            return self.empty()
        field = self.schema[q.field]
        try:
            btext = field.to_bytes(q.text)
        except ValueError:
            return self.empty()
        out_ids, out_scores = [], []
        for sub, offset in self.segs:
            reader = sub.reader()
            if self._info(reader, q.field, btext) is None:
                continue
            ids, scores, _ = self._scored(sub, reader, q.field, btext)
            out_ids.append(ids + offset)
            out_scores.append(scores * q.boost if q.boost != 1.0 else scores)
            self._posted(q.field, btext, out_ids[-1], offset)
        if not out_ids:
            return self.empty()
        return np.concatenate(out_ids), np.concatenate(out_scores)

    def expand(self, reader, fieldname: str, text: str) -> list[bytes]:
        """The terms of one segment's field starting with `text`, looked up once
        per search (a lookup walks the on-disk term table, ~1 ms)."""
        key = (id(reader), fieldname, text)
        words = self._expanded.get(key)
        if words is None:
            words = self._expanded[key] = []
            # one scan of the term table yields each term's info too
            for w, info in reader.iter_prefix(fieldname, text):
                if w:
                    words.append(w)
                    self._infos[(id(reader), fieldname, w)] = info
        return words

    def expansions(self, fieldname: str, text: str) -> list[bytes]:
        """expand() over every segment, each term once, in order."""
        if fieldname not in self.schema:
            return []
        words = (w for sub, _ in self.segs for w in self.expand(sub.reader(), fieldname, text))
        return sorted(set(words))

    def prefix(self, q: Prefix) -> Matches:
        """Every term starting with the prefix, scored as whoosh's Prefix matcher
        scores it per segment: one matching term is that term's score (the
        boost is dropped); several are the boosted sum of their scores.

        Deliberately not followed: where whoosh switches to an unscored union
        (1,024 or more matching terms in a segment, or small indexes) and
        gives every match 1.0, this keeps summing scores, so a short prefix
        still ranks by relevance."""
        if q.field not in self.schema:
            return self.empty()
        out_ids, out_scores = [], []
        for sub, offset in self.segs:
            reader = sub.reader()
            words = self.expand(reader, q.field, q.text)
            parts = [self._scored(sub, reader, q.field, w) for w in words]
            if not parts:
                continue
            for w, p in zip(words, parts):
                self._posted(q.field, w, p[0] + offset, offset)
            ids = np.concatenate([p[0] for p in parts])
            scores = np.concatenate([p[1] for p in parts])
            if len(parts) > 1:
                n = reader.doc_count_all()
                if len(ids) * 8 > n:    # many postings: dense sums over the segment beat a sort
                    present = np.flatnonzero(np.bincount(ids, minlength=n))
                    scores = np.bincount(ids, weights=scores, minlength=n)[present] * q.boost
                    ids = present
                else:
                    ids, inv = np.unique(ids, return_inverse=True)
                    scores = np.bincount(inv, weights=scores, minlength=len(ids)) * q.boost
            out_ids.append(ids + offset)
            out_scores.append(scores)
        if not out_ids:
            return self.empty()
        return np.concatenate(out_ids), np.concatenate(out_scores)

    def phrase(self, q: Phrase) -> Matches:
        """Documents holding the words in order, each within `slop` positions of
        the one before (whoosh's SpanNear2: ordered, mindist 1), scored as the
        boosted sum of the words' scores. Positions are read only for the
        documents holding every word, all of them at once as one array."""
        if q.field not in self.schema:
            return self.empty()
        field = self.schema[q.field]
        if type(field.format) is not ArrayPositions or not q.words:
            raise Unsupported
        try:
            words = [field.to_bytes(w) for w in q.words]
        except ValueError:
            return self.empty()
        out_ids, out_scores = [], []
        for sub, offset in self.segs:
            reader = sub.reader()
            if any(self._info(reader, q.field, w) is None for w in words):
                continue
            parts = [self._scored(sub, reader, q.field, w, values=True) for w in words]
            for w, p in zip(words, parts):
                self._posted(q.field, w, p[0] + offset, offset)
            ids = parts[0][0]
            for other in parts[1:]:
                ids = np.intersect1d(ids, other[0], assume_unique=True)
            if not len(ids):
                continue
            rows = [np.searchsorted(p[0], ids) for p in parts]
            found = chain([positions(p[2], r) for p, r in zip(parts, rows)], q.slop)
            if not len(found):
                continue
            scores = sum(p[1][r[found]] for p, r in zip(parts, rows))
            out_ids.append(ids[found] + offset)
            out_scores.append(scores * q.boost if q.boost != 1.0 else scores)
        if not out_ids:
            return self.empty()
        return np.concatenate(out_ids), np.concatenate(out_scores)

    def _posted(self, fieldname: str, btext: bytes, ids: np.ndarray, offset: int) -> None:
        """Remember which docs of one segment hold a term (highlighting asks
        again for the shown hits); a term read again in the same segment holds
        the same docs, so nothing is merged."""
        self._posted_ids.setdefault((fieldname, btext), {})[offset] = ids

    def posted(self, term: tuple[str, bytes]) -> np.ndarray | None:
        """Sorted global doc ids of a term this search has read, or None."""
        parts = self._posted_ids.get(term)
        if parts is None:
            return None
        return np.concatenate([parts[o] for o in sorted(parts)])

    # -------------------------------------------------------------- numeric columns

    def _column(self, reader, fieldname: str) -> np.ndarray:
        if not reader.doc_count_all():      # an empty index has no segment at all
            return np.zeros(0, dtype=np.int64)

        def make() -> np.ndarray:
            # the sortable column holds value - min_value, unsigned; "missing" is all ones
            raw = raw_column(reader.column_reader(fieldname, translate=False), reader.doc_count_all())
            return raw + self.schema[fieldname].min_value

        return self._arrays.get((self._seg_key(reader), fieldname, "col"), make)

    def _check_numeric(self, fieldname: str) -> None:
        field = self.schema[fieldname]
        if field.column_type is None or getattr(field, "numtype", None) is not int or field.bits != 32 \
                or not field.signed:
            raise Unsupported

    def column(self, fieldname: str) -> np.ndarray:
        """A sortable integer column over the whole index (global doc numbers)."""
        self._check_numeric(fieldname)
        parts = [(offset, self._column(sub.reader(), fieldname)) for sub, offset in self.segs]
        out = np.full(max((o + len(p) for o, p in parts), default=0), MISSING_NUMBER, dtype=np.int64)
        for offset, part in parts:
            out[offset:offset + len(part)] = part
        return out

    def numeric_range(self, q: Range) -> Matches:
        """A constant-score numeric range read from the field's sortable column."""
        self._check_numeric(q.field)
        out = []
        for sub, offset in self.segs:
            reader = sub.reader()
            values = self._column(reader, q.field)
            mask = values != MISSING_NUMBER
            if q.start is not None:
                mask &= (values > q.start) if q.start_excl else (values >= q.start)
            if q.end is not None:
                mask &= (values < q.end) if q.end_excl else (values <= q.end)
            deleted = self._deleted(reader)
            if deleted:
                mask[np.fromiter(deleted, dtype=np.int64)] = False
            out.append(np.flatnonzero(mask).astype(np.int64) + offset)
        ids = np.concatenate(out) if out else np.zeros(0, dtype=np.int64)
        return ids, np.ones(len(ids))

    # -------------------------------------------------------------- the rest

    def fallback(self, q: Query) -> Matches:
        """Whoosh's own matcher for this subtree, segment by segment."""
        wq = to_whoosh(q)
        context = self.s.context(needs_current=True, weighting=self.weighting)
        id_list, score_list = [], []
        for sub, offset in self.segs:
            m = wq.matcher(sub, context)
            while m.is_active():
                id_list.append(m.id() + offset)
                score_list.append(m.score())
                m.next()
        ids = np.asarray(id_list, dtype=np.int64)
        scores = np.asarray(score_list, dtype=np.float64)
        if len(ids) > 1 and not np.all(ids[1:] > ids[:-1]):
            uniq, inv = np.unique(ids, return_inverse=True)
            return uniq, np.bincount(inv, weights=scores, minlength=len(uniq))
        return ids, scores
