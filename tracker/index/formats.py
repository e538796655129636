"""Names written into index files: never rename or move them.

An index pickles the classes it is written with by module path: its schema
names tracker.index.formats.ArrayPositions (each text field's posting
format) and each segment names tracker.index.formats.Codec. Opening an index
imports them from here, so this module stays where it is whatever happens
around it (tests/test_index_files.py opens an index an older tracker wrote).
Classes defined elsewhere pin their __module__ to this one.
"""

from __future__ import annotations

from array import array

from whoosh.formats import Positions
from whoosh.system import pack_uint

from tracker.index.blocks import BIG_ENDIAN
from tracker.index.whoosh_adapter import Codec

__all__ = ["ArrayPositions", "Codec"]


class ArrayPositions(Positions):
    """Word positions as a big-endian uint32 array after the frequency.

    whoosh's own Positions pickles a list of deltas per posting, which a
    phrase search must unpickle document by document. This layout is the
    same four-byte frequency header followed by the positions themselves, so
    many postings joined together read as one numpy array.
    """

    def encode(self, poslist):
        arr = array("I", poslist)
        if not BIG_ENDIAN:
            arr.byteswap()
        return pack_uint(len(arr)) + arr.tobytes()

    def decode_positions(self, valuestring):
        arr = array("I")
        arr.frombytes(valuestring[4:])
        if not BIG_ENDIAN:
            arr.byteswap()
        return arr.tolist()
