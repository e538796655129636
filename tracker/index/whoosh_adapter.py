"""Every use of Whoosh's private internals, in one place, for the versions tested.

tracker reads and writes postings faster than Whoosh's public API allows:
its codec writes posting blocks in tracker's array layout
(tracker.index.blocks) by overriding Whoosh's block writer and reader, and
the numpy evaluator reads whole posting lists, length columns and numeric
columns by their file offsets. Those are private members of Whoosh's
classes that any release may change, so they are touched here and nowhere
else, and TESTED_WHOOSH says which releases this module was checked against
(tests/test_whoosh_adapter.py fails outside it). Public Whoosh API is used
directly by the rest of tracker.index.
"""

from __future__ import annotations

import pickle
import zlib

import whoosh
from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3LeafMatcher,
    W3PerDocReader,
    W3PostingsWriter,
    _lenfield,
)
from whoosh.columns import NumericColumn
from whoosh.util.numeric import length_to_byte

from tracker.index import blocks

# [lowest, first untested) releases of whoosh-reloaded this module was checked
# against; pyproject.toml pins the same range.
TESTED_WHOOSH = ((2, 7, 5), (2, 8))


def installed_whoosh() -> tuple[int, ...]:
    """The installed whoosh-reloaded release, e.g. (2, 7, 5)."""
    return tuple(whoosh.__version__)


def is_tested(version: tuple[int, ...]) -> bool:
    low, high = TESTED_WHOOSH
    return low <= version < high


# ---------------------------------------------------------------- the codec
#
# Codec keeps whoosh 3's file structure (block headers with id range, weight
# and length bounds; extents; inlining; zlib) and changes only what a block
# holds. Segments written with it name it in the index's table of contents,
# by the path tracker.index.formats.Codec (never rename).

class Codec(W3Codec):
    __module__ = "tracker.index.formats"     # the name pickled into every segment

    def postings_writer(self, dbfile, byteids=False):
        return PostingsWriter(dbfile, blocklimit=self._blocklimit, byteids=byteids,
                              compression=self._compression, inlinelimit=self._inlinelimit)

    def per_document_reader(self, storage, segment):
        return PerDocReader(storage, segment)

    def postings_reader(self, dbfile, terminfo, format_, term=None, scorer=None):
        if terminfo.is_inlined():
            return super().postings_reader(dbfile, terminfo, format_, term=term, scorer=scorer)
        offset, length = terminfo.extent()
        return LeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)


class PerDocReader(W3PerDocReader):
    """whoosh's per-document reader, remembering which columns a segment has.

    whoosh asks for every posting's field length when it writes or merges a
    segment, and for a field without lengths (ids, keywords, numbers) it
    looks for the column file each time: a stat per posting. A segment's
    files never change once written, so one answer per field is enough.
    """

    def has_column(self, fieldname):
        known = self.__dict__.setdefault("_has_column", {})
        if fieldname not in known:
            known[fieldname] = super().has_column(fieldname)
        return known[fieldname]


class PostingsWriter(W3PostingsWriter):
    def _write_block(self, last=False):
        data = None if self._byteids else blocks.encode(self._ids, self._weights, self._values,
                                                        self._format.fixed_value_size())
        if data is None:
            return super()._write_block(last)
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        compression = self._compression if len(data) >= 20 else 0
        if compression:
            data = zlib.compress(data, compression)
        # the same block header as whoosh's: readers skip blocks by it
        info = pickle.dumps((len(self._ids), self._ids[-1], self._maxweight, compression,
                             length_to_byte(self._minlength), length_to_byte(self._maxlength)), 2)
        size = len(info) + len(data)
        self._postfile.write_int(-size if last else size)
        self._postfile.write(info)
        self._postfile.write(data)
        self._blockcount += 1
        self._new_block()


class LeafMatcher(W3LeafMatcher):
    def _read_data(self):
        data = self._postfile.get(self._dataoffset, self._nextoffset - self._dataoffset)
        if self._compression:
            data = zlib.decompress(data)
        self._data = blocks.decode(data) if blocks.is_array_block(data) else pickle.loads(data)


# ---------------------------------------------------------------- reading for numpy

def term_matcher(reader, fieldname: str, btext: bytes, format_, info=None):
    """The raw matcher of one term in one segment: deleted documents
    included (the caller drops them), no scorer. info: the term's TermInfo
    if already read (reader.term_info / iter_prefix), saving a lookup."""
    if info is None:
        return reader._terms.matcher(fieldname, btext, format_, scorer=None)
    terms = reader._terms
    return terms._codec.postings_reader(terms._postfile, info, format_, term=(fieldname, btext), scorer=None)


def posting_list_bytes(m, values: bool) -> bytes | None:
    """Every block of a matcher's on-disk posting list, from one read; None
    where it is not whoosh 3's block structure (inlined or byte ids), or
    fixed-size values are asked for."""
    if type(m) not in (W3LeafMatcher, LeafMatcher) or m._byteids or (values and m._fixedsize is not None):
        return None
    length = m._length[0] if isinstance(m._length, tuple) else m._length   # whoosh stores a 1-tuple
    return m._postfile.get(m._baseoffset, m._startoffset + length - m._baseoffset)


def posting_list_bytes_at(reader, info, format_, values: bool, fixed_ok: bool = False) -> bytes | None:
    """posting_list_bytes() straight from a term's TermInfo, without opening a
    matcher (which reads the first block's header only to be thrown away).
    fixed_ok: the caller reads fixed-size values too (parse_blocks' `fixed`)."""
    if info.is_inlined() or (values and format_.fixed_value_size() is not None and not fixed_ok):
        return None
    offset, length = info.extent()
    length = length[0] if isinstance(length, tuple) else length   # whoosh stores a 1-tuple
    raw = reader._terms._postfile.get(offset, length)
    return raw[4:] if raw[:4] == WHOOSH3_HEADER_MAGIC else None


def length_column(reader, fieldname: str):
    """The column of one field's per-document length bytes in one segment,
    or None if no document has the field."""
    return reader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)


def numeric_column(col, n: int) -> tuple[bytes, str, int, int] | None:
    """(raw big-endian values, numpy dtype, count, default for documents past
    the count) of a stored NumericColumn, read at once; None for any other
    column reader (e.g. one with no values yet)."""
    if type(col) is not NumericColumn.Reader:
        return None
    count = min(col._count, n)
    data = col._dbfile.get(col._basepos, count * col._fixedlen) if count else b""
    return data, ">" + col._typecode, count, col._default
