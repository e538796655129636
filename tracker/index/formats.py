"""Posting formats of the schema (own module: the pickled schema names it on open)."""

from __future__ import annotations

from array import array

from whoosh.formats import Positions
from whoosh.system import pack_uint

_BIG_ENDIAN = array("I", [1]).tobytes()[0] == 0


class ArrayPositions(Positions):
    """Word positions as a big-endian uint32 array after the frequency.

    whoosh's own Positions pickles a list of deltas per posting, which a
    phrase search must unpickle document by document. This layout is the
    same four-byte frequency header followed by the positions themselves, so
    many postings joined together read as one numpy array
    (tracker.index.fastscore checks phrases that way).
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
