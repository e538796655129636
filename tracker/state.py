"""Crawl state in sqlite beside the index: cursors, URL validators, item hashes.

Writes are staged in memory and committed only by `commit()`, which the
pipeline calls after the index commit the staged values describe. A crawl
killed in between repeats at most its last batch.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from tracker.errors import IndexFailure

STATE_FILE = "state.sqlite"  # in the index directory; pipeline and maintenance open it there

SCHEMA = """
CREATE TABLE IF NOT EXISTS cursors (feed TEXT, key TEXT, value TEXT, PRIMARY KEY (feed, key));
CREATE TABLE IF NOT EXISTS validators (url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT);
CREATE TABLE IF NOT EXISTS items (feed TEXT, key TEXT, hash TEXT, record_id TEXT, PRIMARY KEY (feed, key));
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
"""


class State:
    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            self.db = sqlite3.connect(str(self.path), timeout=30)
            self.db.executescript(SCHEMA)
            self.db.commit()
        except sqlite3.DatabaseError as exc:
            raise IndexFailure(f"{self.path}: the crawl state database is unreadable ({exc}); "
                               f"move it aside and run 'tracker crawl --full'.") from None
        self._cursors: dict[tuple[str, str], Any] = {}
        self._validators: dict[str, tuple[str | None, str | None]] = {}
        self._items: dict[tuple[str, str], tuple[str, str]] = {}
        self._forget: set[str] = set()
        self.validators = Validators(self)

    def close(self) -> None:
        self.db.close()

    def feed(self, name: str) -> FeedState:
        return FeedState(self, name)

    # cursors
    def get_cursor(self, feed: str, key: str, default: Any = None) -> Any:
        if (feed, key) in self._cursors:
            return self._cursors[(feed, key)]
        row = self.db.execute("SELECT value FROM cursors WHERE feed=? AND key=?", (feed, key)).fetchone()
        return json.loads(row[0]) if row else default

    def stage_cursor(self, feed: str, key: str, value: Any) -> None:
        self._cursors[(feed, key)] = value

    # item hashes
    def item_hash(self, feed: str, key: str) -> tuple[str, str] | None:
        """(content hash, record id) of an item this feed gave before; record id is
        empty for an item the filters turned away."""
        staged = self._items.get((feed, key))
        if staged:
            return staged
        row = self.db.execute("SELECT hash, record_id FROM items WHERE feed=? AND key=?",
                              (feed, key)).fetchone()
        return (row[0], row[1] or "") if row else None

    def stage_item(self, feed: str, key: str, digest: str, record_id: str) -> None:
        self._items[(feed, key)] = (digest, record_id)

    def reset_feed(self, feed: str) -> None:
        """--full: forget cursors and hashes of this feed (committed with the next commit)."""
        self.db.execute("DELETE FROM cursors WHERE feed=?", (feed,))
        self.db.execute("DELETE FROM items WHERE feed=?", (feed,))

    def commit(self) -> None:
        with self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO cursors VALUES (?,?,?)",
                [(f, k, json.dumps(v)) for (f, k), v in self._cursors.items()])
            self.db.executemany(
                "INSERT OR REPLACE INTO validators VALUES (?,?,?)",
                [(u, e, m) for u, (e, m) in self._validators.items()])
            self.db.executemany("DELETE FROM validators WHERE url=?", [(u,) for u in self._forget])
            self.db.executemany(
                "INSERT OR REPLACE INTO items VALUES (?,?,?,?)",
                [(f, k, h, r) for (f, k), (h, r) in self._items.items()])
        self._cursors.clear()
        self._validators.clear()
        self._items.clear()
        self._forget.clear()

    def rollback(self) -> None:
        self.db.rollback()
        self._cursors.clear()
        self._validators.clear()
        self._items.clear()
        self._forget.clear()


class Validators:
    """ETag/Last-Modified per URL, as the fetcher sees them."""

    def __init__(self, state: State):
        self.state = state

    def get(self, url: str) -> tuple[str | None, str | None]:
        if url in self.state._validators:
            return self.state._validators[url]
        row = self.state.db.execute(
            "SELECT etag, last_modified FROM validators WHERE url=?", (url,)).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def stage(self, url: str, etag: str | None, last_modified: str | None) -> None:
        if etag or last_modified:
            self.state._validators[url] = (etag, last_modified)

    def forget(self, url: str) -> None:
        """Fetch `url` in full next time (e.g. a listing whose articles failed)."""
        self.state._validators.pop(url, None)
        self.state._forget.add(url)


class FeedState:
    """One feed's view of the state, handed to its source."""

    def __init__(self, state: State, feed: str):
        self.state = state
        self.feed = feed

    def get(self, key: str, default: Any = None) -> Any:
        return self.state.get_cursor(self.feed, key, default)

    def stage(self, key: str, value: Any) -> None:
        self.state.stage_cursor(self.feed, key, value)
