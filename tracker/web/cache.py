"""A small LRU of what a search page computes before it picks the hits to show.

Keys carry the index's state (index_state: index.json, rewritten before and
after every commit), so a commit makes every older entry unreachable: the
next request searches afresh and sees the committed records. An entry is
stored only if the state was the same before and after its search, so a
search that raced a commit never files its result under either state.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Hashable
from pathlib import Path
from typing import Any


def index_state(meta: Path) -> Hashable:
    """What changes whenever the index commits: the meta file's identity, time and text."""
    try:
        st = os.stat(meta)
        text = meta.read_bytes()
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size, text


class LRU:
    """At most `size` entries, the least recently used dropped first; thread-safe."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)
