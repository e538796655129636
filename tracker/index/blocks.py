"""tracker's layout of one posting block: flat little-endian arrays, not a pickle.

    b"A" | count u32 | weights flag u8 | values flag u8 | id deltas u32[count]
    | weights f32[count]             (flag 1; flag 0: every weight is 1.0)
    | flag 1: value lengths u32[count] + the values joined
    | flag 2: fixed-size values joined           (flag 0: no values)

The codec (tracker.index.whoosh_adapter) writes blocks in this layout inside
whoosh 3's file structure and reads them back for whoosh's matchers;
tracker.index.postings reads them straight into numpy. A block that does not
fit (term-vector postings) stays whoosh's pickle; the first byte tells the
two apart. Changing this layout means a new SCHEMA_VERSION.
"""

from __future__ import annotations

import struct
from array import array
from collections.abc import Sequence

from whoosh.util.numlists import delta_encode

ARRAY_BLOCK = b"A"
HEAD = struct.Struct("<cIBB")
BIG_ENDIAN = array("I", [1]).tobytes()[0] == 0


def is_array_block(data: bytes) -> bool:
    return data[:1] == ARRAY_BLOCK


def encode(ids: Sequence[int], weights: Sequence[float], values: Sequence[bytes] | None,
           fixed_size: int | None) -> bytes | None:
    """A block's postings in the array layout; None where only a pickle fits.
    `fixed_size` is the format's value size (0: no values, None or < 0: variable)."""
    count = len(ids)
    if fixed_size == 0 or not values:
        vflag, vbytes = 0, b""
    elif len(values) != count:      # whoosh drops empty values: positions unknown
        return None
    elif fixed_size is None or fixed_size < 0:
        vflag, vbytes = 1, _le(array("I", [len(v) for v in values])) + b"".join(values)
    else:
        vflag, vbytes = 2, b"".join(values)
    ones = all(w == 1.0 for w in weights)
    wbytes = b"" if ones else _le(array("f", weights))
    return (HEAD.pack(ARRAY_BLOCK, count, 0 if ones else 1, vflag)
            + _le(array("I", delta_encode(ids))) + wbytes + vbytes)


def decode(data: bytes) -> tuple[array, array | None, tuple[bytes, ...] | bytes | None]:
    """(id deltas, weights or None, values or None) of an array block, as
    whoosh's block readers hold them (None weights: all 1.0)."""
    _, count, wflag, vflag = HEAD.unpack_from(data)
    pos = HEAD.size
    ids = _from_le("I", data[pos:pos + 4 * count])
    pos += 4 * count
    weights = None
    if wflag:
        weights = _from_le("f", data[pos:pos + 4 * count])
        pos += 4 * count
    values: tuple[bytes, ...] | bytes | None = None
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
    return ids, weights, values


def _le(arr: array) -> bytes:
    if BIG_ENDIAN:
        arr = array(arr.typecode, arr)
        arr.byteswap()
    return arr.tobytes()


def _from_le(typecode: str, data: bytes) -> array:
    arr = array(typecode)
    arr.frombytes(data)
    if BIG_ENDIAN:
        arr.byteswap()
    return arr
