"""Vectorised BM25F evaluation of Term/And/Or/Not/range queries over whole postings."""

from __future__ import annotations

from typing import Any

from tracker.index.schema import _MISSING_NUMBER


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
        raw = _raw_blocks(np, m)
        if raw is not None:
            ids, weights = raw
        while raw is None and m.is_active():
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


def _raw_blocks(np, m):
    """([ids], [weights]) of a whole on-disk posting list, parsed block by block
    from one read of its bytes; None if it is not whoosh 3's block format.

    The matcher API re-reads and re-seeks per block and decodes ids through a
    generator; here each block costs one decompress, one unpickle and numpy.
    """
    import io
    import pickle
    import zlib

    from whoosh.codec.whoosh3 import W3LeafMatcher

    if type(m) is not W3LeafMatcher or m._byteids:
        return None
    length = m._length[0] if isinstance(m._length, tuple) else m._length   # whoosh stores a 1-tuple
    buf = io.BytesIO(m._postfile.get(m._baseoffset, m._startoffset + length - m._baseoffset))
    view = buf.getbuffer()
    ids, weights = [], []
    last = False
    while not last:
        start = buf.tell()
        length = int.from_bytes(view[start:start + 4], "big", signed=True)
        last = length < 0
        end = start + 4 + abs(length)
        buf.seek(start + 4)
        count, _maxid, _maxweight, compression, _mn, _mx = pickle.load(buf)
        data = bytes(view[buf.tell():end])
        if compression:
            data = zlib.decompress(data)
        block_ids, block_weights, _values = pickle.loads(data)
        ids.append(np.cumsum(np.asarray(block_ids, dtype=np.int64)))
        if block_weights is None:
            weights.append(np.ones(count, dtype=np.float64))
        elif isinstance(block_weights, float):
            weights.append(np.full(count, block_weights, dtype=np.float64))
        else:
            weights.append(np.asarray(block_weights, dtype=np.float64))
        buf.seek(end)
    del view
    return ids, weights


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
