"""Vectorised BM25F evaluation of term, phrase, prefix, And/Or/Not and range queries."""

from __future__ import annotations

from typing import Any

from tracker.index import whoosh_adapter
from tracker.index.postings import Values, chain, positions, raw_blocks, raw_column
from tracker.index.schema import _MISSING_NUMBER


# ---------------------------------------------------------------- vectorised evaluation
#
# Whoosh's matchers walk every matching document through a tree of Python
# objects (~5-10 µs per document per clause). _Eval instead reads each term's
# whole postings (ids, weights and, for phrases, positions; all blocks from one
# read) into numpy arrays and computes the same BM25F scores, unions,
# intersections and phrase checks array-wise. The numbers are whoosh's own:
# the same scorer objects (idf, average length, B, K1), the same per-document
# length bytes, the same score sums for And/Or/phrases/prefixes, and whoosh's
# constant scores for Not and numeric ranges (tests/test_phrases.py and
# tests/test_ranking.py compare both). Query types it does not know run
# through whoosh's matcher for that subtree only.

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
        self.size = s.reader().doc_count_all()              # doc numbers run 0 .. size-1
        self._reads: dict[tuple, Any] = {}                  # (reader, field, term, values) -> postings

    # whole-index (ids, scores): ids sorted and unique, global doc numbers
    def run(self, q):
        from whoosh import query as Q

        np = self.np
        kind = type(q)
        if kind is Q.Term:
            return self.term(q)
        if kind is Q.Prefix:
            return self.prefix(q)
        if kind is Q.Phrase:
            return self.phrase(q)
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
                # dense over doc numbers: O(docs + postings), no sort
                present = np.flatnonzero(np.bincount(ids, minlength=self.size))
                return present, np.bincount(ids, weights=scores, minlength=self.size)[present]
            # And: an IntersectionMatcher sums its children's scores; a Not
            # child is an InverseMatcher scoring 1.0 on every doc it lets through
            pos = [sub for sub in subs if not isinstance(sub, Q.Not)]
            neg = [sub for sub in subs if isinstance(sub, Q.Not)]
            if not pos or any(n.boost != 1.0 for n in neg):
                raise _Unsupported
            if any(type(sub) not in (Q.Term, Q.Or, Q.And, Q.NumericRange, Q.Prefix, Q.Phrase) for sub in pos):
                raise _Unsupported
            parts = sorted((self.run(sub) for sub in pos), key=lambda p: len(p[0]))
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
                gone[self.run(n.query)[0]] = True
                keep = ~gone[ids]
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
        seg = reader.segment()
        if seg is None:
            raise _Unsupported
        return seg.segment_id()

    def _lengths(self, reader, fieldname):
        from whoosh.util.numeric import byte_to_length

        key = (self._seg_key(reader), fieldname, "len")
        arr = _SEGMENT_CACHE.get(key)
        if arr is None:
            np = self.np
            col = whoosh_adapter.length_column(reader, fieldname)
            n = reader.doc_count_all()
            raw = raw_column(col, n) if col is not None else np.zeros(n, dtype=np.int64)
            table = np.array([byte_to_length(b) if b else 1 for b in range(256)], dtype=np.float64)
            arr = _SEGMENT_CACHE[key] = table[raw]
        return arr

    def _read(self, reader, fieldname, btext, values: bool = False):
        """(local ids, weights, values or None) of one term in one segment, deletions
        removed; read once per query (expansions often name a word twice)."""
        key = (id(reader), fieldname, btext, values)
        if key not in self._reads:
            self._reads[key] = self._read_postings(reader, fieldname, btext, values)
        return self._reads[key]

    def _read_postings(self, reader, fieldname, btext, values: bool):
        np = self.np
        field = self.schema[fieldname]
        m = whoosh_adapter.term_matcher(reader, fieldname, btext, field.format)
        raw = raw_blocks(m, values)
        if raw is not None:
            ids, weights, vals = raw
        else:   # any other matcher, through the public API
            ids, weights, raw_values = [], [], []
            while m.is_active():
                ids.append(m.id())
                weights.append(m.weight())
                if values:
                    raw_values.append(m.value())
                m.next()
            ids, weights = np.asarray(ids, dtype=np.int64), np.asarray(weights, dtype=np.float64)
            vals = Values(np.fromiter(map(len, raw_values), dtype=np.int64, count=len(raw_values)),
                           b"".join(raw_values)) if values else None
        deleted = self._deleted(reader)
        if deleted:
            keep = ~np.isin(ids, np.fromiter(deleted, dtype=np.int64))
            ids, weights = ids[keep], weights[keep]
            if vals is not None:
                vals = vals.select(keep)
        return ids, weights, vals

    def term_ids(self, fieldname, btext):
        """Global doc ids holding one term (no scores)."""
        np = self.np
        out = []
        for sub, offset in self.segs:
            reader = sub.reader()
            if (fieldname, btext) in reader:
                out.append(self._read(reader, fieldname, btext)[0] + offset)
        return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)

    def _scored(self, sub, reader, fieldname, btext, values: bool = False):
        """(local ids, BM25F scores, values or None) of one term in one segment."""
        from whoosh.scoring import BM25FScorer, WeightScorer

        ids, weights, vals = self._read(reader, fieldname, btext, values)
        scorer = self.weighting.scorer(sub, fieldname, btext)
        if type(scorer) is BM25FScorer:
            fl = self._lengths(reader, fieldname)[ids]
            B, K1 = scorer.B, scorer.K1
            scores = scorer.idf * ((weights * (K1 + 1)) / (weights + K1 * ((1 - B) + B * fl / scorer.avgfl)))
            return ids, scores, vals
        if type(scorer) is WeightScorer:
            return ids, weights, vals
        raise _Unsupported

    def term(self, q):
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
            ids, scores, _ = self._scored(sub, reader, q.fieldname, btext)
            out_ids.append(ids + offset)
            out_scores.append(scores * q.boost if q.boost != 1.0 else scores)
        if not out_ids:
            return self.empty()
        ids = np.concatenate(out_ids)
        self.postings[(q.fieldname, btext)] = ids
        return ids, np.concatenate(out_scores)

    def prefix(self, q):
        """Every term starting with the prefix, scored as whoosh's Prefix matcher
        scores it per segment: one matching term is that term's score (the
        boost is dropped); several are the boosted sum of their scores.

        Deliberately not followed: where whoosh switches to an unscored union
        (1,024 or more matching terms in a segment, or small indexes) and
        gives every match 1.0, this keeps summing scores, so a short prefix
        still ranks by relevance."""
        np = self.np
        if q.fieldname not in self.schema:
            return self.empty()
        out_ids, out_scores = [], []
        for sub, offset in self.segs:
            reader = sub.reader()
            words = [w for w in reader.expand_prefix(q.fieldname, q.text) if w]
            parts = [self._scored(sub, reader, q.fieldname, w) for w in words]
            if not parts:
                continue
            for w, p in zip(words, parts):
                self._posted(q.fieldname, w, p[0] + offset)
            ids = np.concatenate([p[0] for p in parts])
            scores = np.concatenate([p[1] for p in parts])
            if len(parts) > 1:
                ids, inv = np.unique(ids, return_inverse=True)
                scores = np.bincount(inv, weights=scores, minlength=len(ids)) * q.boost
            out_ids.append(ids + offset)
            out_scores.append(scores)
        if not out_ids:
            return self.empty()
        return np.concatenate(out_ids), np.concatenate(out_scores)

    def phrase(self, q):
        """Documents holding the words in order, each within `slop` positions of
        the one before (whoosh's SpanNear2: ordered, mindist 1), scored as the
        boosted sum of the words' scores. Positions are read only for the
        documents holding every word, all of them at once as one array."""
        from tracker.index.formats import ArrayPositions

        np = self.np
        if q.fieldname not in self.schema:
            return self.empty()
        field = self.schema[q.fieldname]
        if type(field.format) is not ArrayPositions or not q.words:
            raise _Unsupported
        try:
            words = [field.to_bytes(w) for w in q.words]
        except ValueError:
            return self.empty()
        out_ids, out_scores = [], []
        for sub, offset in self.segs:
            reader = sub.reader()
            if any((q.fieldname, w) not in reader for w in words):
                continue
            parts = [self._scored(sub, reader, q.fieldname, w, values=True) for w in words]
            for w, p in zip(words, parts):
                self._posted(q.fieldname, w, p[0] + offset)
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

    def _posted(self, fieldname, btext, ids):
        """Remember which docs hold a term (highlighting asks again for the shown hits)."""
        known = self.postings.get((fieldname, btext))
        self.postings[(fieldname, btext)] = ids if known is None else self.np.union1d(known, ids)

    def _column(self, reader, fieldname):
        if not reader.doc_count_all():      # an empty index has no segment at all
            return self.np.zeros(0, dtype=self.np.int64)
        key = (self._seg_key(reader), fieldname, "col")
        arr = _SEGMENT_CACHE.get(key)
        if arr is None:
            np = self.np
            # the sortable column holds value - min_value, unsigned; "missing" is all ones
            raw = raw_column(reader.column_reader(fieldname, translate=False), reader.doc_count_all())
            arr = _SEGMENT_CACHE[key] = raw + self.schema[fieldname].min_value
        return arr

    def column(self, fieldname):
        """A sortable integer column over the whole index (global doc numbers)."""
        np = self.np
        field = self.schema[fieldname]
        if field.column_type is None or getattr(field, "numtype", None) is not int or field.bits != 32 \
                or not field.signed:
            raise _Unsupported
        parts = [(offset, self._column(sub.reader(), fieldname)) for sub, offset in self.segs]
        out = np.full(max((o + len(p) for o, p in parts), default=0), _MISSING_NUMBER, dtype=np.int64)
        for offset, part in parts:
            out[offset:offset + len(part)] = part
        return out

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
