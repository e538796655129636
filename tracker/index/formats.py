"""Posting formats and codec of the index (own module: the pickled schema and
segments name these classes when an index is opened).

ArrayPositions stores a posting's word positions as a uint32 array, and Codec
stores each posting block as flat arrays instead of a pickle, so that numpy
reads postings without a Python object per posting (tracker.index.fastscore).
Both keep whoosh's interfaces, so whoosh's own matchers read them too.
"""

from __future__ import annotations

import pickle
import struct
import zlib
from array import array

from whoosh.codec.whoosh3 import (WHOOSH3_HEADER_MAGIC, W3Codec, W3LeafMatcher, W3PerDocReader,
                                  W3PostingsWriter)
from whoosh.formats import Positions
from whoosh.system import pack_uint
from whoosh.util.numeric import length_to_byte
from whoosh.util.numlists import delta_encode

_BIG_ENDIAN = array("I", [1]).tobytes()[0] == 0


class ArrayPositions(Positions):
    """Word positions as a big-endian uint32 array after the frequency.

    whoosh's own Positions pickles a list of deltas per posting, which a
    phrase search must unpickle document by document. This layout is the
    same four-byte frequency header followed by the positions themselves, so
    many postings joined together read as one numpy array.
    """

    def encode(self, poslist):
        arr = array("I", poslist)
        if not _BIG_ENDIAN:
            arr.byteswap()
        return pack_uint(len(arr)) + arr.tobytes()

    def decode_positions(self, valuestring):
        arr = array("I")
        arr.frombytes(valuestring[4:])
        if not _BIG_ENDIAN:
            arr.byteswap()
        return arr.tolist()


# ---------------------------------------------------------------- postings codec
#
# Codec keeps whoosh 3's file structure (block headers with id range, weight
# and length bounds; extents; inlining; zlib) but writes each block's
# contents as little-endian arrays rather than a pickled tuple:
#
#     b"A" | count u32 | weights flag u8 | values flag u8 | id deltas u32[count]
#     | weights f32[count]             (flag 1; flag 0: every weight is 1.0)
#     | flag 1: value lengths u32[count] + the values joined
#     | flag 2: fixed-size values joined           (flag 0: no values)
#
# A block that does not fit (term-vector postings) is written as whoosh's
# pickle; the first byte tells the two apart when reading.

ARRAY_BLOCK = b"A"
HEAD = struct.Struct("<cIBB")


def _le(arr: array) -> bytes:
    if _BIG_ENDIAN:
        arr = array(arr.typecode, arr)
        arr.byteswap()
    return arr.tobytes()


def _from_le(typecode: str, data) -> array:
    arr = array(typecode)
    arr.frombytes(data)
    if _BIG_ENDIAN:
        arr.byteswap()
    return arr


class Codec(W3Codec):
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
    def _block_bytes(self) -> bytes | None:
        """The buffered block in the array layout; None where only a pickle fits."""
        ids, weights, values = self._ids, self._weights, self._values
        if self._byteids:
            return None
        count = len(ids)
        fixed = self._format.fixed_value_size()
        if fixed == 0 or not values:
            vflag, vbytes = 0, b""
        elif len(values) != count:      # whoosh drops empty values: positions unknown
            return None
        elif fixed is None or fixed < 0:
            vflag, vbytes = 1, _le(array("I", [len(v) for v in values])) + b"".join(values)
        else:
            vflag, vbytes = 2, b"".join(values)
        ones = all(w == 1.0 for w in weights)
        wbytes = b"" if ones else _le(array("f", weights))
        return (HEAD.pack(ARRAY_BLOCK, count, 0 if ones else 1, vflag)
                + _le(array("I", delta_encode(ids))) + wbytes + vbytes)

    def _write_block(self, last=False):
        data = self._block_bytes()
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
        if data[:1] != ARRAY_BLOCK:
            self._data = pickle.loads(data)
            return
        _, count, wflag, vflag = HEAD.unpack_from(data)
        pos = HEAD.size
        ids = _from_le("I", data[pos:pos + 4 * count])
        pos += 4 * count
        weights = None
        if wflag:
            weights = _from_le("f", data[pos:pos + 4 * count])
            pos += 4 * count
        values = None
        if vflag == 1:
            lengths = _from_le("I", data[pos:pos + 4 * count])
            pos += 4 * count
            out = []
            for n in lengths:
                out.append(data[pos:pos + n])
                pos += n
            values = tuple(out)
        elif vflag == 2:
            values = data[pos:]
        self._data = (ids, weights, values)
