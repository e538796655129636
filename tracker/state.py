"""Crawl state in sqlite beside the index: cursors, URL validators, item
hashes, and the article pages each feed has fetched and stored.

Writes are staged in memory and committed only by `commit()`, which the
pipeline calls after the index commit the staged values describe. A crawl
killed in between repeats at most its last batch.

Feeds overlap: a feed's items may still be in extraction when the next
feed is fetched. So at a feed's end its staged cursors, validators and
pages are sealed with a mark (how many items the crawl had handed on by
then), and a commit takes a sealed set only once every item up to its
mark is stored: a kill cannot leave a cursor or a 304 past an item the
store never got.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tracker.errors import IndexFailure

STATE_FILE = "state.sqlite"  # in the index directory; pipeline and maintenance open it there

SCHEMA = """
CREATE TABLE IF NOT EXISTS cursors (feed TEXT, key TEXT, value TEXT, PRIMARY KEY (feed, key));
CREATE TABLE IF NOT EXISTS validators (url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT);
CREATE TABLE IF NOT EXISTS items (feed TEXT, key TEXT, hash TEXT, record_id TEXT, PRIMARY KEY (feed, key));
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS pages (feed TEXT, url TEXT, mark TEXT, record_id TEXT, fetched_at TEXT,
                                  PRIMARY KEY (feed, url));
CREATE TABLE IF NOT EXISTS alerts (name TEXT PRIMARY KEY, first_seen TEXT NOT NULL, ids TEXT NOT NULL,
                                   delivered_at TEXT NOT NULL, sent INTEGER NOT NULL);
"""


@dataclass(frozen=True)
class Page:
    """An article page a feed fetched and handed on to be stored.

    mark: what the feed or listing said about the link then (guid, date), or
    None; record_id: the id of the item it gave (None if not known);
    fetched_at: when, ISO 8601 UTC.
    """

    mark: str | None
    record_id: str | None
    fetched_at: str


@dataclass(eq=False)
class _Sealed:
    """What a finished feed staged, committed once the items before `mark` are stored."""

    mark: int
    cursors: dict[tuple[str, str], Any]
    validators: dict[str, tuple[str | None, str | None]]
    forget: set[str]
    pages: dict[tuple[str, str], Page]


@dataclass(frozen=True)
class AlertCursor:
    """Where an alert's deliveries have reached (tracker.alerts.select).

    first_seen: the latest first_seen among the records delivered; ids: the
    ids and identity keys of the records delivered that carry exactly that
    first_seen (others stored in the same second are still to come); delivered_at: when, ISO 8601 UTC;
    sent: how many records that delivery held.
    """

    first_seen: str
    ids: tuple[str, ...]
    delivered_at: str
    sent: int


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
        self._pages: dict[tuple[str, str], Page] = {}
        self._sealed: list[_Sealed] = []
        self.validators = Validators(self)

    def close(self) -> None:
        self.db.close()

    def feed(self, name: str) -> FeedState:
        return FeedState(self, name)

    # cursors
    def get_cursor(self, feed: str, key: str, default: Any = None) -> Any:
        for staged in self._staged("cursors"):
            if (feed, key) in staged:
                return staged[(feed, key)]
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

    # article pages
    def page(self, feed: str, url: str) -> Page | None:
        for staged in self._staged("pages"):
            if (feed, url) in staged:
                return staged[(feed, url)]
        row = self.db.execute("SELECT mark, record_id, fetched_at FROM pages WHERE feed=? AND url=?",
                              (feed, url)).fetchone()
        return Page(*row) if row else None

    def stage_page(self, feed: str, url: str, page: Page) -> None:
        self._pages[(feed, url)] = page

    # alert cursors: written at once, on their own, right after a delivery
    # (never staged with a crawl's batch, which an alert run does not share)
    def alert_cursor(self, name: str) -> AlertCursor | None:
        row = self.db.execute("SELECT first_seen, ids, delivered_at, sent FROM alerts WHERE name=?",
                              (name,)).fetchone()
        return AlertCursor(row[0], tuple(json.loads(row[1])), row[2], int(row[3])) if row else None

    def save_alert_cursor(self, name: str, cursor: AlertCursor) -> None:
        try:
            with self.db:
                self.db.execute("INSERT OR REPLACE INTO alerts VALUES (?,?,?,?,?)",
                                (name, cursor.first_seen, json.dumps(list(cursor.ids)), cursor.delivered_at,
                                 cursor.sent))
        except sqlite3.Error as exc:
            raise IndexFailure(f"{self.path}: cannot record the delivery of alert '{name}' ({exc}); "
                               f"its papers may be sent once more by the next run.") from None

    def reset_feed(self, feed: str) -> None:
        """--full: forget cursors, hashes and pages of this feed (committed with the next commit)."""
        self.db.execute("DELETE FROM cursors WHERE feed=?", (feed,))
        self.db.execute("DELETE FROM items WHERE feed=?", (feed,))
        self.db.execute("DELETE FROM pages WHERE feed=?", (feed,))

    def _staged(self, kind: str) -> list[dict]:
        """The staged dicts of one kind, newest first: reads see what is not committed yet."""
        return [getattr(self, "_" + kind)] + [getattr(s, kind) for s in reversed(self._sealed)]

    def seal(self, mark: int) -> None:
        """A feed is done handing items on (`mark` items so far in the crawl): what it staged
        waits for commit(done) with done >= mark. Item hashes are not sealed: they are staged
        only for stored items."""
        if self._cursors or self._validators or self._forget or self._pages:
            self._sealed.append(_Sealed(mark, self._cursors, self._validators, self._forget, self._pages))
            self._cursors, self._validators, self._forget, self._pages = {}, {}, set(), {}

    def commit(self, done: int | None = None) -> None:
        """The staged item hashes, and the sealed sets whose items are all stored: those
        with a mark up to `done`. done=None: nothing is in flight, everything staged goes."""
        # marks only grow: the sets ready are the oldest ones
        ready = [s for s in self._sealed if done is None or s.mark <= done]
        left = self._sealed[len(ready):]
        if done is None:
            ready.append(_Sealed(0, self._cursors, self._validators, self._forget, self._pages))
        with self.db:
            for sealed in ready:   # oldest first: a later value replaces an earlier one
                self.db.executemany(
                    "INSERT OR REPLACE INTO cursors VALUES (?,?,?)",
                    [(f, k, json.dumps(v)) for (f, k), v in sealed.cursors.items()])
                self.db.executemany(
                    "INSERT OR REPLACE INTO validators VALUES (?,?,?)",
                    [(u, e, m) for u, (e, m) in sealed.validators.items()])
                self.db.executemany("DELETE FROM validators WHERE url=?", [(u,) for u in sealed.forget])
                self.db.executemany(
                    "INSERT OR REPLACE INTO pages VALUES (?,?,?,?,?)",
                    [(f, u, p.mark, p.record_id, p.fetched_at) for (f, u), p in sealed.pages.items()])
            self.db.executemany(
                "INSERT OR REPLACE INTO items VALUES (?,?,?,?)",
                [(f, k, h, r) for (f, k), (h, r) in self._items.items()])
        self._items.clear()
        self._sealed = left
        if done is None:
            self._cursors, self._validators, self._forget, self._pages = {}, {}, set(), {}

    def _clear_staged(self) -> None:
        self._cursors, self._validators, self._forget, self._pages = {}, {}, set(), {}
        self._items.clear()
        self._sealed.clear()

    def rollback(self) -> None:
        self.db.rollback()
        self._clear_staged()


class Validators:
    """ETag/Last-Modified per URL, as the fetcher sees them."""

    def __init__(self, state: State):
        self.state = state

    def get(self, url: str) -> tuple[str | None, str | None]:
        for staged in self.state._staged("validators"):
            if url in staged:
                return staged[url]
        row = self.state.db.execute(
            "SELECT etag, last_modified FROM validators WHERE url=?", (url,)).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def stage(self, url: str, etag: str | None, last_modified: str | None) -> None:
        if etag or last_modified:
            self.state._validators[url] = (etag, last_modified)

    def forget(self, url: str) -> None:
        """Fetch `url` in full next time (e.g. a listing whose articles failed)."""
        for staged in self.state._staged("validators"):
            staged.pop(url, None)
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

    def page(self, url: str) -> Page | None:
        """What this feed remembers of an article page it fetched and stored."""
        return self.state.page(self.feed, url)

    def stage_page(self, url: str, page: Page) -> None:
        """Remember a page whose item is being handed on; like every staged value it
        is committed only after the index commit that stores that item."""
        self.state.stage_page(self.feed, url, page)

    def filtered(self, record_id: str) -> bool:
        """Whether this feed's item `record_id` was last turned away by the filters."""
        seen = self.state.item_hash(self.feed, record_id)
        return seen is not None and not seen[1]
