"""The record store's SQLite file (`records.sqlite` in the index directory).

records   one row per record: `row`, its record number (stable while the
          record lives; the export order and the index's link to it), `id`,
          `seq` (change number of its last write), `created` (change number
          of its first), first_seen and fetched_at (for --since), the record
          as JSON (the line a JSONL export writes) and its CSV export line
keys      identity keys (doi:/pmid:/nct:/url:) -> record id, and lookup keys
          (preprint:<DOI> of a merged preprint, trial:<NCT> of every record reporting it)
removed   ids merged away into another record, by change number, until the
          index has seen them
meta      store version, last change number, the layout of the stored lines

Every write is one transaction that takes the next change numbers, so the
index can follow the store by change number (`changes`) and a record is
never half written. WAL mode lets searches and exports read while a crawl
writes.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tracker.dates import normal_dates
from tracker.errors import IndexFailure
from tracker.models import Article, canonical_url, normalize_doi, normalize_nct, normalize_pmid, utcnow
from tracker.output.export import LINES_FORMAT, csv_line, jsonl_line
from tracker.store.preprints import fold, link_keys
from tracker.store.upsert import Plan, Stored, UpsertResult, plan

STORE_FILE = "records.sqlite"
STORE_VERSION = 1
# record numbers fetched per statement when reading given rows in order
_BATCH = 500

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    row INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    seq INTEGER NOT NULL,
    created INTEGER NOT NULL,
    first_seen TEXT,
    fetched_at TEXT,
    record TEXT NOT NULL,
    csv TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_seq ON records (seq);
CREATE INDEX IF NOT EXISTS records_first_seen ON records (first_seen);
CREATE TABLE IF NOT EXISTS keys (key TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (key, id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS keys_id ON keys (id);
CREATE TABLE IF NOT EXISTS removed (seq INTEGER PRIMARY KEY, id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass
class Change:
    """A record written after a given change number (what the index replays)."""

    row: int
    id: str
    record: dict[str, Any]
    created: int            # change number of the record's first write


def _failure(path: Path, exc: Exception, writing: bool) -> IndexFailure:
    if writing:
        return IndexFailure(f"{path}: cannot write the record store ({exc}); the batch in flight was not "
                            f"saved, everything committed before it is intact.")
    return IndexFailure(f"{path}: the record store cannot be read ({exc}); restore {STORE_FILE} from a backup, "
                        f"or delete it with the whoosh folder and index.json beside it and run "
                        f"'tracker crawl --full' to fetch every record again.")


def _guarded(method):
    """sqlite errors end as one IndexFailure line naming the store file."""
    writing = method.__name__ in ("upsert", "write", "write_all", "refresh_lines", "forget_removed")
    if inspect.isgeneratorfunction(method):
        @functools.wraps(method)
        def stream(self, *args, **kwargs):
            try:
                yield from method(self, *args, **kwargs)
            except sqlite3.Error as exc:
                raise _failure(self.path, exc, writing) from exc
        return stream

    @functools.wraps(method)
    def call(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise _failure(self.path, exc, writing) from exc
    return call


def _connect(path: Path, create: bool) -> sqlite3.Connection:
    # autocommit: writes open their own transactions; mode=rw never creates an empty file
    db = sqlite3.connect(f"file:{path}?mode={'rwc' if create else 'rw'}", uri=True, timeout=30,
                         isolation_level=None)
    # FULL: a commit is on disk before the index and the crawl state move past it
    db.execute("PRAGMA synchronous=FULL")
    return db


class Store:
    """One record store file; open with Store.open (readers) or create=True (writers)."""

    def __init__(self, path: Path, db: sqlite3.Connection):
        self.path = path
        self._db = db

    # opening -----------------------------------------------------------
    @classmethod
    def open(cls, directory: str | os.PathLike, *, create: bool = False) -> Store:
        """The store of an index directory. Readers get a clear error when
        there is none; a writer (create=True) makes one."""
        directory = Path(directory)
        path = directory / STORE_FILE
        if not create and not path.exists():
            if not directory.is_dir() or not any(directory.iterdir()):
                raise IndexFailure(f"{directory}: no index here yet; run 'tracker crawl' first.")
            raise IndexFailure(f"{directory}: no record store ({STORE_FILE}) here; an index written by an older "
                               f"tracker is moved into one by the next 'tracker crawl' or by 'tracker reindex'.")
        if create:
            try:
                directory.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise IndexFailure(f"{directory}: cannot create the index ({exc.strerror}).") from None
            if not path.exists():
                # made whole beside its name and renamed: a crawl killed in its first
                # instant leaves no store, never a file without tables
                cls.build(directory, [])
        return cls._at(path, create)

    @classmethod
    def _at(cls, path: Path, create: bool) -> Store:
        try:
            db = _connect(path, create)
            if create:
                db.execute("PRAGMA journal_mode=WAL")
                db.executescript(SCHEMA)
                db.execute("INSERT OR IGNORE INTO meta VALUES ('version', ?)", (str(STORE_VERSION),))
                db.execute("INSERT OR IGNORE INTO meta VALUES ('seq', '0')")
                db.execute("INSERT OR IGNORE INTO meta VALUES ('lines', ?)", (LINES_FORMAT,))
            meta = dict(db.execute("SELECT key, value FROM meta"))
            version = int(meta.get("version", 0))
        except (sqlite3.Error, ValueError) as exc:
            raise _failure(path, exc, False) from None
        if version > STORE_VERSION:
            db.close()
            raise IndexFailure(f"{path}: the record store was written by a newer tracker (store version "
                               f"{meta['version']}; this one reads {STORE_VERSION}); upgrade tracker to use it.")
        store = cls(path, db)
        if create and meta.get("lines") != LINES_FORMAT:
            store.refresh_lines()
        return store

    @classmethod
    def build(cls, directory: str | os.PathLike, records: Iterable[dict[str, Any]]) -> int:
        """A new store holding `records` (an older index's stored records, in
        its order), written beside the final name and renamed into place
        whole, so an interrupted build leaves no store behind."""
        path = Path(directory) / STORE_FILE
        tmp = path.with_name(STORE_FILE + ".new")
        for leftover in (tmp, tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
            leftover.unlink(missing_ok=True)
        store = cls._at(tmp, True)
        try:
            n = store.write_all(Article.from_dict(rec) for rec in records)
        finally:
            store.close()       # the last connection folds the WAL into the file
        os.replace(tmp, path)
        return n

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # reading -----------------------------------------------------------
    @_guarded
    def count(self) -> int:
        return self._db.execute("SELECT count(*) FROM records").fetchone()[0]

    @_guarded
    def last_seq(self) -> int:
        return int(self._db.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()[0])

    @_guarded
    def get(self, record_id: str) -> dict[str, Any] | None:
        """By id, else by any identity key (the URL of a record now known by its DOI)."""
        found = self._db.execute("SELECT record FROM records WHERE id = ?", (record_id,)).fetchone()
        if found is None:
            found = self._db.execute("SELECT r.record FROM keys k JOIN records r ON r.id = k.id "
                                     "WHERE k.key = ? ORDER BY r.row LIMIT 1", (record_id,)).fetchone()
        return json.loads(found[0]) if found else None

    def lookup(self, text: str) -> dict[str, Any] | None:
        """By id, or a bare DOI / PMID / URL; dates in the one form (`show`, the record page)."""
        rid = text.strip()
        candidates = [rid]
        doi = normalize_doi(rid)
        if doi:
            candidates.append(f"doi:{doi}")
        pmid = normalize_pmid(rid)
        if pmid:
            candidates.append(f"pmid:{pmid}")
        if rid.startswith(("http://", "https://")):
            candidates.append(f"url:{canonical_url(rid)}")
        nct = normalize_nct(rid)
        if nct:
            candidates.append(f"nct:{nct}")
        if doi:     # a preprint's DOI finds the journal record it was merged into
            candidates.append(f"preprint:{doi}")
        for cand in candidates:
            rec = self.get(cand)
            if rec is not None:
                return normal_dates(rec)
        return None

    @_guarded
    def find(self, key: str) -> list[Stored]:
        """Stored records known by an identity key, oldest first."""
        return [Stored(row, rid, json.loads(text)) for row, rid, text in self._db.execute(
            "SELECT r.row, r.id, r.record FROM keys k JOIN records r ON r.id = k.id WHERE k.key = ? "
            "ORDER BY r.row", (key,))]

    def _finder(self, articles: list[Article]) -> Callable[[str], list[Stored]]:
        """find() for one batch: which of its identity keys the store knows is
        asked in a few statements, so the keys it does not know (every key of
        a new record) cost no query each."""
        asked = list(dict.fromkeys(key for art in articles for key in art.identity_keys()))
        known: set[str] = set()
        for chunk in _chunks(asked):
            known.update(key for (key,) in self._db.execute(
                "SELECT DISTINCT key FROM keys WHERE key IN (SELECT value FROM json_each(?))", (json.dumps(chunk),)))
        unknown = set(asked) - known

        def find(key: str) -> list[Stored]:
            return [] if key in unknown else self.find(key)
        return find

    @_guarded
    def linked(self, nct: str) -> list[dict[str, Any]]:
        """Every record that is or reports trial `nct` (registration first, then in record order)."""
        found = [json.loads(text) for (text,) in self._db.execute(
            "SELECT r.record FROM keys k JOIN records r ON r.id = k.id WHERE k.key = ? ORDER BY r.row",
            (f"trial:{nct}",))]
        return sorted(found, key=lambda rec: not str(rec.get("id", "")).startswith("nct:"))

    def trial_links(self, record: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
        """Per NCT number of `record`: the other records that are or report that trial."""
        own = record.get("id")
        return {nct: [rec for rec in self.linked(nct) if rec.get("id") != own]
                for nct in record.get("nct_ids") or []}

    @_guarded
    def by_ids(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Records by id (search hits); ids no longer stored are left out."""
        out: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(list(ids)):
            for rid, text in self._db.execute(
                    "SELECT id, record FROM records WHERE id IN (SELECT value FROM json_each(?))",
                    (json.dumps(chunk),)):
                out[rid] = json.loads(text)
        return out

    def select(self, *, rows: Iterable[int] | None = None, since: str | None = None) -> Selection:
        """Every record in record-number order, those first stored at or after
        `since`, or the given record numbers in the order given."""
        return Selection(self, None if rows is None else list(rows), since)

    def lines_current(self) -> bool:
        """Whether the stored export lines have the layout this tracker writes."""
        return self.meta("lines") == LINES_FORMAT

    @_guarded
    def meta(self, key: str) -> str | None:
        found = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return found[0] if found else None

    @_guarded
    def rows(self, column: str, *, since: str | None = None, after: int | None = None) -> Iterator[tuple]:
        """(row, id, `column`) of every record in record-number order; or first
        stored since a time; or changed after a change number (in change order)."""
        if column not in ("record", "csv"):
            raise ValueError(column)
        params: tuple[Any, ...]
        if after is not None:
            sql, params = f"SELECT row, id, {column} FROM records WHERE seq > ? ORDER BY seq", (after,)
        elif since is not None:
            sql, params = f"SELECT row, id, {column} FROM records WHERE first_seen >= ? ORDER BY row", (since,)
        else:
            sql, params = f"SELECT row, id, {column} FROM records ORDER BY row", ()
        yield from self._db.execute(sql, params)

    @_guarded
    def rows_given(self, column: str, rows: list[int]) -> Iterator[tuple[int, str]]:
        """(row, `column`) for the given record numbers, in their order."""
        if column not in ("record", "csv"):
            raise ValueError(column)
        for chunk in _chunks(rows):
            found = dict(self._db.execute(
                f"SELECT row, {column} FROM records WHERE row IN (SELECT value FROM json_each(?))",
                (json.dumps(chunk),)))
            for row in chunk:
                if row in found:
                    yield row, found[row]

    @_guarded
    def changes(self, after: int) -> tuple[list[str], Iterator[Change], int]:
        """What the index must replay after change number `after`: ids merged
        away, records written (in change order) and the last change number."""
        upto = self.last_seq()
        removed = [rid for (rid,) in self._db.execute(
            "SELECT id FROM removed WHERE seq > ? AND seq <= ? ORDER BY seq", (after, upto))]
        return removed, self._changed(after, upto), upto

    @_guarded
    def _changed(self, after: int, upto: int) -> Iterator[Change]:
        for row, rid, created, text in self._db.execute(
                "SELECT row, id, created, record FROM records WHERE seq > ? AND seq <= ? ORDER BY seq",
                (after, upto)):
            yield Change(row, rid, json.loads(text), created)

    @_guarded
    def keys(self) -> set[str]:
        """Every identity key of every stored record."""
        return {key for (key,) in self._db.execute("SELECT key FROM keys")}

    @_guarded
    def problems(self) -> tuple[dict[str, int], list[str]]:
        """{id: row} of every record, and what is wrong inside the file:
        sqlite's integrity check, records that do not parse or whose id
        disagrees with their row or their identity keys."""
        problems = []
        verdict = self._db.execute("PRAGMA integrity_check").fetchone()[0]
        if verdict != "ok":
            problems.append(f"{self.path}: sqlite integrity check failed ({verdict}).")
        keys: dict[str, set[str]] = {}
        for key, rid in self._db.execute("SELECT key, id FROM keys"):
            keys.setdefault(rid, set()).add(key)
        ids: dict[str, int] = {}
        bad = 0
        for row, rid, text in self._db.execute("SELECT row, id, record FROM records ORDER BY row"):
            ids[rid] = row
            try:
                stored_id = json.loads(text).get("id")
            except (ValueError, AttributeError):
                stored_id = None
            # a record's id is always one of its identity keys (not re-derived here:
            # normalising 100,000 records through Article would take ~20 s)
            own = keys.pop(rid, set())
            if stored_id != rid or rid not in own:
                bad += 1
        if bad:
            problems.append(f"{self.path}: {bad} stored records do not match their id or identity keys.")
        if keys:
            problems.append(f"{self.path}: {len(keys)} identity keys point at records that are not stored.")
        return ids, problems

    # writing -----------------------------------------------------------
    @_guarded
    def upsert(self, articles: list[Article], now: str | None = None) -> UpsertResult:
        """Merge each article into the store by identity (tracker.store.upsert)
        and commit the batch once; unchanged records are not written."""
        now = now or utcnow()
        result, todo = plan(self._finder(articles), articles, now)
        todo = fold(self.find, todo, now)   # preprints published in a journal: one record
        if todo.writes or todo.removed:
            self.write(todo)
        return result

    @_guarded
    def write(self, todo: Plan) -> None:
        """One transaction: ids merged away, then the records written, each
        with the next change number."""
        with self._transaction() as db:
            seq = self.last_seq()
            for rid in todo.removed:
                seq += 1
                db.execute("DELETE FROM records WHERE id = ?", (rid,))
                db.execute("DELETE FROM keys WHERE id = ?", (rid,))
                db.execute("INSERT INTO removed VALUES (?, ?)", (seq, rid))
            for w in todo.writes:
                seq += 1
                self._put(w.article, w.row, seq)
            db.execute("UPDATE meta SET value = ? WHERE key = 'seq'", (str(seq),))

    @_guarded
    def write_all(self, articles: Iterable[Article]) -> int:
        """Append records as they are (a migration); one transaction."""
        with self._transaction() as db:
            seq = self.last_seq()
            for art in articles:
                if art.id is None:
                    continue
                seq += 1
                self._put(art, None, seq)
            db.execute("UPDATE meta SET value = ? WHERE key = 'seq'", (str(seq),))
        return self.count()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (a second writer waits) and rolled back on any error."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    def _put(self, art: Article, row: int | None, seq: int) -> None:
        rec = art.to_dict()
        rid = rec["id"]
        # a record keeps the change number of its first write: the index adds
        # what is newer than its mark and replaces the rest
        self._db.execute(
            "INSERT OR REPLACE INTO records (row, id, seq, created, first_seen, fetched_at, record, csv) "
            "VALUES (?, ?, ?, coalesce((SELECT created FROM records WHERE id = ?), ?), ?, ?, ?, ?)",
            (row, rid, seq, rid, seq, art.first_seen, art.fetched_at, jsonl_line(rec), csv_line(rec)))
        self._db.execute("DELETE FROM keys WHERE id = ?", (rid,))
        self._db.executemany("INSERT OR IGNORE INTO keys VALUES (?, ?)",
                             [(k, rid) for k in art.identity_keys() + link_keys(art)])

    @_guarded
    def forget_removed(self, upto: int) -> None:
        """Drop the ids merged away up to a change number the index has applied."""
        self._db.execute("DELETE FROM removed WHERE seq <= ?", (upto,))

    @_guarded
    def refresh_lines(self) -> None:
        """Render every stored export line again (after an upgrade changed their layout)."""
        with self._transaction() as db:
            for row, text in list(db.execute("SELECT row, record FROM records")):
                rec = json.loads(text)
                db.execute("UPDATE records SET record = ?, csv = ? WHERE row = ?",
                           (jsonl_line(rec), csv_line(rec), row))
            db.execute("INSERT OR REPLACE INTO meta VALUES ('lines', ?)", (LINES_FORMAT,))


class Selection:
    """Records to read in order (tracker.output.export.Rows): as dicts, or as
    the export lines the store keeps for CSV and JSONL."""

    def __init__(self, store: Store, rows: list[int] | None, since: str | None):
        self.store = store
        self.given = rows
        self.since = since

    def _column(self, column: str) -> Iterator[str]:
        if self.given is not None:
            return (value for _, value in self.store.rows_given(column, self.given))
        return (value for _, _, value in self.store.rows(column, since=self.since))

    def records(self) -> Iterator[dict[str, Any]]:
        return map(json.loads, self._column("record"))

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self.records()

    def lines(self, fmt: str) -> Iterator[str] | None:
        """Stored CSV (formula-safe) or JSONL lines; None for other formats, or
        when the stored lines were rendered with another layout."""
        if fmt not in ("csv", "jsonl") or not self.store.lines_current():
            return None
        return self._column("csv" if fmt == "csv" else "record")


def _chunks(rows: list) -> Iterator[list]:
    for i in range(0, len(rows), _BATCH):
        yield rows[i:i + _BATCH]
