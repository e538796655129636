"""A segment writer that writes the index Whoosh's would, with less work per posting.

Whoosh's SegmentWriter analyses every field through its format (a tuple per
token), puts every posting as a tuple into a pool that sorts them all at
commit, then writes them one method call at a time, asking the per-document
reader for each posting's field length. This writer:

- builds text fields' postings from tracker.index.analysis's {term: [positions]}
  through the field's format (other fields through field.index());
- keeps each (field, term)'s postings in a few arrays, appended in document
  order, so a posting list is already sorted: commit sorts terms, not postings;
- writes a whole posting list at a time, cut into whoosh's blocks here, with
  field lengths looked up in one table per field.

The bytes written are whoosh's (tests/test_writer.py compares both writers'
segment files byte for byte, and through the reader API). Past `limitmb` of
held postings (estimated) it hands them to whoosh's own pool, which spills
sorted runs to disk, and goes on the way whoosh does for the rest of the
writer's life. Merged segments (add_reader) are read a posting list at a
time (tracker.index.postings.parse_blocks) into the same arrays; lists with
fixed-size values (Frequency: the spell and scorable keyword fields) are read
posting by posting, as whoosh reads them all.

This module reads Whoosh's writer internals (the pool, the field and postings
writers' block buffers), like tracker.index.whoosh_adapter, for the releases
that module's TESTED_WHOOSH names.
"""

from __future__ import annotations

import heapq
from array import array
from itertools import groupby
from operator import itemgetter
from struct import Struct
from typing import NamedTuple

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.filedb.filestore import FileStorage
from whoosh.formats import Frequency, Positions
from whoosh.index import FileIndex
from whoosh.reading import SegmentReader
from whoosh.system import pack_uint
from whoosh.util.numeric import byte_to_length
from whoosh.writing import SegmentWriter

from tracker.index import whoosh_adapter
from tracker.index.analysis import fast_analysers
from tracker.index.formats import ArrayPositions
from tracker.index.postings import parse_blocks

# what the pool's estimate and ours count per held posting and per term
_POSTING_BYTES = 24
_TERM_BYTES = 400
# field length byte -> length, as whoosh's per-document reader decodes it
_CACHED = 2048
_PACKERS: dict[int, Struct] = {}
_LENGTHS = [byte_to_length(b) if b else 0 for b in range(256)]


class _Postings:
    """One term's postings in one segment: ids ascending, weights, values joined."""

    __slots__ = ("ids", "weights", "sizes", "values")

    def __init__(self):
        self.ids = array("I")
        self.weights = array("d")
        self.sizes = array("I")
        self.values = bytearray()


class BulkWriter(SegmentWriter):
    """whoosh's SegmentWriter, holding postings per term in arrays (see the module)."""

    def __init__(self, ix, limitmb: float = 128, **kwargs):
        self.writelock = None
        try:
            super().__init__(ix, limitmb=limitmb, **kwargs)
        except BaseException:
            # the lock is taken before the segment's files are opened, which can fail
            # (a full disk): it must go now, not when this half-made writer is collected
            if self.writelock is not None and self.writelock.locked:
                self.writelock.release()
            raise
        self._limit = limitmb * 1024 * 1024
        self._held = 0
        self._bulk = True
        self._terms: dict[str, dict[bytes, _Postings]] = {}
        self._merged: list[_Merged] = []
        encoders = {name: _encoder(self.schema[name].format) for name in self.schema.names()}
        self._analysers = {name: fn for name, fn in fast_analysers(self.schema).items()
                           if encoders.get(name) is not None}
        self._encoders = {name: encoders[name] for name in self._analysers}
        # field.index() results of fields whose values repeat (years, types); a
        # field is dropped from it once it holds _CACHED different values
        self._indexed: dict[str, dict[tuple, tuple]] = {
            name: {} for name in self.schema.names() if name not in self._analysers}
        self._special = {name for name in self.schema.names()
                         if self.schema[name].vector or self.schema[name].separate_spelling()}

    def reader(self, reuse=None):
        """The index before this writer (update_document()'s and delete_by_term()'s
        searcher), its segments read as open_segment() reads them."""
        self._check_state()
        return FileIndex._reader(_plain_files(self.storage), self.schema, self.segments, self.generation,
                                 reuse=reuse)

    # adding ------------------------------------------------------------
    def add_document(self, **fields):
        schema = self.schema
        # after a merge was queued its documents' numbers come before this one's
        if not self._bulk or self._merged or not self._plain(fields):
            if self._bulk:
                self._to_pool()
            return super().add_document(**fields)
        self._check_state()
        perdocwriter = self.perdocwriter
        docnum = self.docnum
        fieldnames = sorted(fields)
        self._check_fields(schema, fieldnames)
        perdocwriter.start_doc(docnum)
        try:
            for fieldname in fieldnames:
                value = fields[fieldname]
                if value is None:
                    continue
                field = schema[fieldname]
                length = 0
                if field.indexed:
                    analyse = self._analysers.get(fieldname)
                    if analyse is not None and isinstance(value, str):
                        length = self._add_analysed(fieldname, field, analyse(value), docnum)
                    else:
                        length = self._add_items(fieldname, field, self._index(fieldname, field, value), docnum)
                perdocwriter.add_field(fieldname, field, value if field.stored else None, length)
                column = field.column_type
                if column:
                    perdocwriter.add_column_value(fieldname, column, field.to_column_value(value))
        except Exception:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1
        if self._held > self._limit:
            self._to_pool()

    def _plain(self, fields) -> bool:
        """Whether a document is one this writer adds itself: no boosts or custom
        stored values (underscored keys), no lists, no term vectors or separate spelling."""
        if self._special and not self._special.isdisjoint(fields):
            return False
        return not any(name[:1] == "_" or isinstance(value, (list, tuple)) for name, value in fields.items())

    def _index(self, fieldname, field, value):
        """field.index(value), from the cache where the field's values repeat."""
        cache = self._indexed.get(fieldname)
        if cache is None:
            return field.index(value)
        key = (type(value), value)
        items = cache.get(key)
        if items is None:
            if len(cache) >= _CACHED:
                del self._indexed[fieldname]
                return field.index(value)
            items = cache[key] = tuple(field.index(value))
        return items

    def _add_analysed(self, fieldname, field, terms: dict[str, list[int]], docnum: int) -> int:
        fmt = field.format
        encode = self._encoders[fieldname]
        boost = fmt.field_boost
        table = self._terms.setdefault(fieldname, {})
        get = table.get
        length = 0
        size = 0
        new = 0
        for text, positions in terms.items():
            btext = text.encode("utf-8")
            postings = get(btext)
            if postings is None:
                postings = table[btext] = _Postings()
                new += 1
            freq = len(positions)
            vbytes = encode(positions)
            postings.ids.append(docnum)
            postings.weights.append(freq * boost)
            postings.sizes.append(len(vbytes))
            postings.values += vbytes
            length += freq
            size += len(vbytes)
        self._held += _TERM_BYTES * new + _POSTING_BYTES * len(terms) + size
        return length if field.scorable else 0

    def _add_items(self, fieldname, field, items, docnum: int) -> int:
        table = self._terms.setdefault(fieldname, {})
        length = 0
        held = 0
        for btext, freq, weight, vbytes in items:
            postings = table.get(btext)
            if postings is None:
                postings = table[btext] = _Postings()
                held += _TERM_BYTES
            vbytes = vbytes or b""
            postings.ids.append(docnum)
            postings.weights.append(weight)
            postings.sizes.append(len(vbytes))
            postings.values += vbytes
            length += freq
            held += _POSTING_BYTES + len(vbytes)
        self._held += held
        return length if field.scorable else 0

    def add_postings_to_pool(self, reader, startdoc, docmap):
        if not self._bulk:
            return super().add_postings_to_pool(reader, startdoc, docmap)
        if not isinstance(reader, SegmentReader):
            self._add_postings(reader.iter_postings(), startdoc, docmap)
            if self._held > self._limit:
                self._to_pool()
            return
        # read at commit, one term's list at a time: a merge holds no postings
        # (the caller may close its reader, so this writer opens its own)
        renumber = None
        if docmap is not None:      # deleted documents map to -1
            renumber = np.full(reader.doc_count_all(), -1, dtype=np.int64)
            renumber[np.fromiter(docmap.keys(), dtype=np.int64)] = np.fromiter(docmap.values(), dtype=np.int64)
        own = open_segment(self.storage, self.schema, reader.segment())
        self._merged.append(_Merged(own, startdoc, docmap, renumber))

    def _add_postings(self, items, startdoc, docmap) -> None:
        """(fieldname, btext, docnum, weight, value) postings, one by one."""
        schema = self.schema
        table: dict[bytes, _Postings] = {}
        lastfield = None
        held = 0
        for fieldname, btext, docnum, weight, vbytes in items:
            if fieldname not in schema:
                continue
            if fieldname != lastfield:
                table = self._terms.setdefault(fieldname, {})
                lastfield = fieldname
            postings = table.get(btext)
            if postings is None:
                postings = table[btext] = _Postings()
                held += _TERM_BYTES
            vbytes = vbytes or b""
            postings.ids.append(docmap[docnum] if docmap is not None else startdoc + docnum)
            postings.weights.append(weight)
            postings.sizes.append(len(vbytes))
            postings.values += vbytes
            held += _POSTING_BYTES + len(vbytes)
        self._held += held

    def _to_pool(self):
        """Past the limit: every held posting to whoosh's pool, which spills to
        disk; each term's arrays are freed as its postings go (and the merged
        segments' postings follow, as whoosh adds them)."""
        add = self.pool.add
        for fieldname, table in self._terms.items():
            while table:
                btext, postings = table.popitem()
                start = 0
                for docnum, weight, size in zip(postings.ids, postings.weights, postings.sizes):
                    add((fieldname, btext, docnum, weight, bytes(postings.values[start:start + size])))
                    start += size
        self._terms = {}
        self._held = 0
        self._bulk = False
        merged, self._merged = self._merged, []
        for m in merged:
            try:
                super().add_postings_to_pool(m.reader, m.startdoc, m.docmap)
            finally:
                m.reader.close()

    # committing --------------------------------------------------------
    def _flush_segment(self):
        if not self._bulk:
            return super()._flush_segment()
        self.perdocwriter.close()
        pdr = self.per_document_reader()
        try:
            self._write_terms(pdr)
            self.fieldwriter.close()
        finally:
            pdr.close()

    def _write_terms(self, pdr):
        """Each field's terms in order, each term's postings (this writer's
        documents', then each merged segment's) joined and written at once."""
        fw = self.fieldwriter
        schema = self.schema
        merged = self._merged
        names = set(self._terms)
        for m in merged:
            names.update(name for name in m.reader.indexed_field_names() if name in schema)
        for fieldname in sorted(names):
            table = self._terms.pop(fieldname, {})
            fieldobj = schema[fieldname]
            lengths: list[int] | None = None
            started = False
            for btext, found in _terms_in_order(table, fieldname, merged):
                postings = table.pop(btext, None) or _Postings()
                for k, info in found:
                    _append_list(postings, merged[k], fieldname, fieldobj.format, btext, info)
                if not postings.ids:        # every posting's document deleted
                    continue
                if not started:
                    lengths = _field_lengths(pdr, fieldname)
                    fw.start_field(fieldname, fieldobj)
                    started = True
                fw.start_term(btext)
                _add_run(fw._postwriter, postings, lengths)
                fw.finish_term()
            if started:
                fw.finish_field()
        self._terms = {}

    def _close_segment(self):
        self._terms = {}
        merged, self._merged = self._merged, []
        for m in merged:
            m.reader.close()
        super()._close_segment()

    def cancel(self):
        try:
            super().cancel()
        except BaseException:
            # closing a segment that failed to write (a full disk) can fail again: the
            # write lock must go all the same, not when the writer is collected
            if self.writelock and not self.is_closed:
                self.writelock.release()
            self.is_closed = True
            raise


def open_segment(storage, schema, segment) -> SegmentReader:
    """A reader of a segment to merge that reads its files as it goes: whoosh
    maps a compound segment and copies each file it opens into memory whole
    (an io.BytesIO over the map), the postings of every merged segment."""
    return SegmentReader(_plain_files(storage), schema, segment)


def _plain_files(storage):
    if isinstance(storage, FileStorage) and storage.supports_mmap:
        return FileStorage(storage.folder, supports_mmap=False, readonly=True)
    return storage


class _Merged(NamedTuple):
    """A segment add_reader() merges, read when the commit writes its terms."""

    reader: SegmentReader
    startdoc: int
    docmap: dict[int, int] | None
    renumber: np.ndarray | None     # old document number -> new, -1 where deleted


def _terms_in_order(table: dict[bytes, _Postings], fieldname: str, merged: list[_Merged]):
    """(term, [(merged segment's position, its term info)]) for every term of a
    field held here or in a merged segment, in term order."""
    streams = [((btext, -1, None) for btext in sorted(table))]
    for k, m in enumerate(merged):
        if fieldname in m.reader.indexed_field_names():
            streams.append(_tagged(m.reader.iter_field(fieldname, b""), k))
    for btext, group in groupby(heapq.merge(*streams), key=itemgetter(0)):
        yield btext, [(k, info) for _, k, info in group if k >= 0]


def _tagged(terms, k: int):
    for btext, info in terms:
        yield btext, k, info


def _append_list(postings: _Postings, m: _Merged, fieldname: str, fmt, btext: bytes, info) -> None:
    """A merged segment's posting list of a term after `postings`, read whole
    (tracker.index.postings), deleted documents dropped, renumbered."""
    if info.is_inlined():   # a rare term's few postings live in its term info: no matcher to open
        ids_, weights_, values_ = info.inlined_postings()
        for docnum, weight, vbytes in zip(ids_, weights_, values_):
            if m.docmap is None:
                new_id = m.startdoc + docnum
            elif (new_id := m.docmap.get(docnum, -1)) < 0:
                continue        # a deleted document
            vbytes = vbytes or b""
            postings.ids.append(new_id)
            postings.weights.append(weight)
            postings.sizes.append(len(vbytes))
            postings.values += vbytes
        return
    fixed = fmt.fixed_value_size()
    values = fixed != 0
    raw = whoosh_adapter.posting_list_bytes_at(m.reader, info, fmt, values, fixed_ok=True)
    parsed = None if raw is None else parse_blocks(raw, values, fixed or None)
    if parsed is None:      # whoosh's own blocks of fixed-size values, or byte ids: posting by posting
        for _, _, docnum, weight, vbytes in _postings(m.reader, fieldname, btext):
            vbytes = vbytes or b""
            postings.ids.append(m.docmap[docnum] if m.docmap is not None else m.startdoc + docnum)
            postings.weights.append(weight)
            postings.sizes.append(len(vbytes))
            postings.values += vbytes
        return
    ids, weights, vals = parsed
    if m.renumber is None:
        keep = None
        new = ids + m.startdoc
    else:
        new = m.renumber[ids]
        keep = new >= 0
        new = new[keep]
        weights = weights[keep]
    if not len(new):
        return
    postings.ids.frombytes(new.astype(np.uint32).tobytes())
    postings.weights.frombytes(weights.astype(np.float64).tobytes())
    if vals is None:
        postings.sizes.frombytes(bytes(4 * len(new)))
    elif keep is None:
        postings.sizes.frombytes(vals.lengths.astype(np.uint32).tobytes())
        postings.values += vals.payload
    else:
        lengths, starts = vals.lengths[keep], vals.starts[keep]
        postings.sizes.frombytes(lengths.astype(np.uint32).tobytes())
        payload = vals.payload
        for start, length in zip(starts.tolist(), lengths.tolist()):
            postings.values += payload[start:start + length]


def _postings(reader, fieldname: str, btext: bytes):
    """A term's live postings through whoosh's matcher, as reader.iter_postings() gives them."""
    m = reader.postings(fieldname, btext)
    while m.is_active():
        yield fieldname, btext, m.id(), m.weight(), m.value()
        m.next()


def _encoder(fmt):
    """positions -> the posting value the field's format writes, or None
    where the format is not one this writer builds values for."""
    if type(fmt) is ArrayPositions:
        return _array_positions
    if isinstance(fmt, Positions):
        return fmt.encode
    if type(fmt) is Frequency:
        return lambda positions: pack_uint(len(positions))
    return None


def _array_positions(positions: list[int]) -> bytes:
    """ArrayPositions.encode(): the count, then each position, big-endian uint32s, in one pack."""
    n = len(positions)
    packer = _PACKERS.get(n)
    if packer is None:
        packer = _PACKERS[n] = Struct(f">{n + 1}I")
    return packer.pack(n, *positions)


def _field_lengths(pdr, fieldname: str) -> list[int] | None:
    """Every document's length of a field in the new segment (None: no lengths),
    decoded from the length bytes as whoosh's reader decodes each."""
    column = pdr._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if column is None:
        return None
    n = pdr.doc_count_all()
    stored = whoosh_adapter.numeric_column(column, n)      # the length bytes in one read
    if stored is None or stored[1] != ">B":
        raw = bytes(column[d] for d in range(n))
    else:
        data, _, count, default = stored
        raw = data + bytes([default]) * (n - count)
    table = _LENGTHS
    return [table[b] for b in raw]


def _add_run(pw, postings: _Postings, lengths: list[int] | None) -> None:
    """A term's whole posting list to a whoosh 3 postings writer, cut into
    blocks as its add_posting() would cut them (a full block is written when
    the next posting comes; the last one by finish_postings())."""
    ids, weights, sizes, values = postings.ids, postings.weights, postings.sizes, postings.values
    limit = pw._blocklimit
    n = len(ids)
    vstart = 0
    for start in range(0, n, limit):
        if start:
            pw._write_block()
        end = min(start + limit, n)
        block_ids = ids[start:end]
        block_weights = weights[start:end]
        pw._ids = block_ids
        pw._weights = array("f", block_weights)
        vals = []
        for size in sizes[start:end]:
            if size:
                vals.append(bytes(values[vstart:vstart + size]))
            vstart += size
        pw._values = vals
        pw._maxweight = max(0, max(block_weights))
        if lengths is not None:
            block_lengths = [x for x in (lengths[d] for d in block_ids) if x]
            if block_lengths:
                pw._minlength = min(block_lengths)
                pw._maxlength = max(block_lengths)
