"""Reading whoosh's on-disk data straight into numpy: whole posting lists
(both block layouts), packed position values, phrase chains, numeric columns.
Used by tracker.index.fastscore; nothing here knows about queries."""

from __future__ import annotations


class Values:
    """The values (encoded positions) of a posting list, packed: one byte
    string and each posting's length, so a set of rows is gathered at once."""

    def __init__(self, np, lengths, payload: bytes):
        self.np = np
        self.lengths = lengths
        self.starts = np.cumsum(lengths) - lengths
        self.payload = payload

    def select(self, keep):
        """Only the rows where `keep` is True (deleted documents dropped)."""
        out = Values.__new__(Values)
        out.np, out.payload = self.np, self.payload
        out.lengths, out.starts = self.lengths[keep], self.starts[keep]
        return out


def raw_blocks(np, m, values: bool = False):
    """(ids, weights, Values or None) of a whole on-disk posting list, parsed
    block by block from one read of its bytes; None if it is not whoosh 3's
    block structure.

    The matcher API re-reads and re-seeks per block and decodes ids through a
    generator. Here a block in tracker's array layout (tracker.index.formats)
    is a decompress and a few numpy views; a pickled block (whoosh's own
    codec) is a decompress and an unpickle.
    """
    import io
    import pickle
    import zlib

    from whoosh.codec.whoosh3 import W3LeafMatcher

    from tracker.index.formats import ARRAY_BLOCK, HEAD, LeafMatcher

    if type(m) not in (W3LeafMatcher, LeafMatcher) or m._byteids or (values and m._fixedsize is not None):
        return None
    length = m._length[0] if isinstance(m._length, tuple) else m._length   # whoosh stores a 1-tuple
    buf = io.BytesIO(m._postfile.get(m._baseoffset, m._startoffset + length - m._baseoffset))
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
        if data[:1] == ARRAY_BLOCK:
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
                if vflag != 1:
                    return None
                lengths.append(np.frombuffer(data, dtype="<u4", count=count, offset=pos).astype(np.int64))
                payloads.append(data[pos + 4 * count:])
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
    vals = Values(np, np.concatenate(lengths), b"".join(payloads)) if values else None
    return np.concatenate(ids), np.concatenate(weights), vals


def positions(np, values: "Values", rows):
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


def chain(np, positions, slop: int):
    """Indexes of the candidate documents where word k+1 follows word k by
    1..slop positions, for every k."""
    stride = max((int(pos.max()) for _, pos in positions if len(pos)), default=0) + slop + 2
    owner, pos = positions[0]
    ends = np.unique(owner * stride + pos)
    for owner, pos in positions[1:]:
        keys = owner * stride + pos
        ok = np.zeros(len(keys), dtype=bool)
        for gap in range(1, slop + 1):
            ok |= np.isin(keys - gap, ends)
        ends = np.unique(keys[ok])
        if not len(ends):
            break
    return np.unique(ends // stride)


def raw_column(np, col, n: int):
    """A whole whoosh NumericColumn as an int64 array (one read, not one per doc)."""
    from whoosh.columns import NumericColumn

    if type(col) is not NumericColumn.Reader:    # e.g. no document has a value yet
        return np.fromiter((int(v) for v in col), dtype=np.int64, count=n)
    count = min(col._count, n)
    out = np.full(n, col._default, dtype=np.int64)
    if count:
        data = col._dbfile.get(col._basepos, count * col._fixedlen)
        out[:count] = np.frombuffer(data, dtype=">" + col._typecode)
    return out
