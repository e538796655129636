"""Reading whoosh's on-disk data straight into numpy: whole posting lists
(both block layouts), packed position values, phrase chains, numeric columns.
Used by tracker.index.fastscore; nothing here knows about queries. The bytes
come through tracker.index.whoosh_adapter."""

from __future__ import annotations

import io
import pickle
import zlib

import numpy as np

from tracker.index import whoosh_adapter
from tracker.index.blocks import HEAD, is_array_block


class Values:
    """The values (encoded positions) of a posting list, packed: one byte
    string and each posting's length, so a set of rows is gathered at once."""

    def __init__(self, lengths: np.ndarray, payload: bytes):
        self.lengths = lengths
        self.starts = np.cumsum(lengths) - lengths
        self.payload = payload

    def select(self, keep: np.ndarray) -> Values:
        """Only the rows where `keep` is True (deleted documents dropped)."""
        out = Values.__new__(Values)
        out.payload = self.payload
        out.lengths, out.starts = self.lengths[keep], self.starts[keep]
        return out


def raw_blocks(m, values: bool = False) -> tuple[np.ndarray, np.ndarray, Values | None] | None:
    """(ids, weights, Values or None) of a whole on-disk posting list, parsed
    block by block from one read of its bytes; None if it is not whoosh 3's
    block structure.

    The matcher API re-reads and re-seeks per block and decodes ids through a
    generator. Here a block in tracker's array layout (tracker.index.blocks)
    is a decompress and a few numpy views; a pickled block (whoosh's own
    codec) is a decompress and an unpickle.
    """
    raw = whoosh_adapter.posting_list_bytes(m, values)
    return None if raw is None else parse_blocks(raw, values)


def parse_blocks(raw: bytes, values: bool = False,
                 fixed: int | None = None) -> tuple[np.ndarray, np.ndarray, Values | None] | None:
    """raw_blocks() of a posting list's bytes (after its header tag). fixed: the
    format's value size where it has one (values joined without lengths)."""
    buf = io.BytesIO(raw)
    view = buf.getbuffer()
    ids, weights, lengths, payloads = [], [], [], []
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
        if is_array_block(data):
            _, count, wflag, vflag = HEAD.unpack_from(data)
            pos = HEAD.size
            ids.append(np.cumsum(np.frombuffer(data, dtype="<u4", count=count, offset=pos), dtype=np.int64))
            pos += 4 * count
            if wflag:
                weights.append(np.frombuffer(data, dtype="<f4", count=count, offset=pos).astype(np.float64))
                pos += 4 * count
            else:
                weights.append(np.ones(count, dtype=np.float64))
            if values:
                if vflag == 2 and fixed:
                    lengths.append(np.full(count, fixed, dtype=np.int64))
                    payloads.append(data[pos:pos + fixed * count])
                elif vflag != 1:
                    return None
                else:
                    lengths.append(np.frombuffer(data, dtype="<u4", count=count, offset=pos).astype(np.int64))
                    payloads.append(data[pos + 4 * count:])
        elif fixed and values:
            return None     # whoosh's pickled block of fixed-size values: read it through a matcher
        else:
            block_ids, block_weights, block_values = pickle.loads(data)
            ids.append(np.cumsum(np.asarray(block_ids, dtype=np.int64)))
            if block_weights is None:
                weights.append(np.ones(count, dtype=np.float64))
            elif isinstance(block_weights, float):
                weights.append(np.full(count, block_weights, dtype=np.float64))
            else:
                weights.append(np.asarray(block_weights, dtype=np.float64))
            if values:
                lengths.append(np.fromiter(map(len, block_values), dtype=np.int64, count=len(block_values)))
                payloads.append(b"".join(block_values))
        buf.seek(end)
    del view
    vals = Values(np.concatenate(lengths), b"".join(payloads)) if values else None
    return np.concatenate(ids), np.concatenate(weights), vals


def positions(values: Values, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row, position) arrays of the postings at `rows`, decoded all at once:
    each ArrayPositions value is [count, positions...] as big-endian uint32."""
    words = values.lengths[rows] // 4
    first = values.starts[rows] // 4
    before = np.cumsum(words) - words
    gather = np.repeat(first - before, words) + np.arange(int(words.sum()), dtype=np.int64)
    flat = np.frombuffer(values.payload, dtype=">u4")[gather].astype(np.int64)
    owner = np.repeat(np.arange(len(rows), dtype=np.int64), words)
    body = np.ones(len(flat), dtype=bool)
    body[before] = False        # drop each value's count
    return owner[body], flat[body]


def chain(positions: list[tuple[np.ndarray, np.ndarray]], slop: int) -> np.ndarray:
    """Indexes of the candidate documents where word k+1 follows word k by
    1..slop positions, for every k."""
    stride = max((int(pos.max()) for _, pos in positions if len(pos)), default=0) + slop + 2
    owner, pos = positions[0]
    ends = _sorted_unique(owner * stride + pos)
    for owner, pos in positions[1:]:
        keys = _sorted_unique(owner * stride + pos)
        ok = np.zeros(len(keys), dtype=bool)
        for gap in range(1, slop + 1):
            ok |= _within(keys - gap, ends)
        ends = keys[ok]
        if not len(ends):
            break
    docs = ends // stride
    return docs[np.r_[True, docs[1:] != docs[:-1]]] if len(docs) else docs


def _sorted_unique(keys: np.ndarray) -> np.ndarray:
    """keys sorted and without repeats; positions come that way already
    (rows ascending, each posting's positions ascending), so usually no sort."""
    if len(keys) < 2 or bool(np.all(keys[1:] > keys[:-1])):
        return keys
    return np.unique(keys)


def _within(keys: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """np.isin(keys, sorted_set) by binary search in the sorted set."""
    if not len(sorted_set):
        return np.zeros(len(keys), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_set, keys), len(sorted_set) - 1)
    return sorted_set[at] == keys


def raw_column(col, n: int) -> np.ndarray:
    """A whole whoosh column of numbers as an int64 array (one read, not one per doc)."""
    stored = whoosh_adapter.numeric_column(col, n)
    if stored is None:      # e.g. no document has a value yet
        return np.fromiter((int(v) for v in col), dtype=np.int64, count=n)
    data, dtype, count, default = stored
    out = np.full(n, default, dtype=np.int64)
    if count:
        out[:count] = np.frombuffer(data, dtype=dtype)
    return out
