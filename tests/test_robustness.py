"""Bad environments never end in a traceback and never lose stored records."""

from __future__ import annotations

import errno
import gc
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from tracker.cli import cli
from tracker.index import Index
from tracker.models import Article
from tracker.pipeline import CrawlLock
from tracker.store import db

ROOT = Path(__file__).resolve().parent.parent
CONFIG = """
index: idx
feeds:
  - name: jcc
    kind: rss
    url: data/jcc-advance.xml
  - name: gut
    kind: rss
    url: data/gut-atom.xml
"""


@pytest.fixture
def home(tmp_path):
    shutil.copytree(ROOT / "examples" / "offline" / "data", tmp_path / "data")
    (tmp_path / "feeds.yaml").write_text(CONFIG, encoding="utf-8")
    return tmp_path


def run(home: Path, *args: str):
    return CliRunner().invoke(cli, ["--config", str(home / "feeds.yaml"), *args])


def stored_ids(home: Path) -> list[str]:
    res = run(home, "export", "-f", "jsonl")
    assert res.exit_code == 0, res.output
    return sorted(json.loads(line)["id"] for line in res.output.splitlines())


def assert_one_line_error(res, code: int = 1) -> None:
    assert res.exit_code == code, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)
    assert res.stderr.startswith("error: ") and res.stderr.count("\n") == 1, res.stderr


def test_corrupt_state_database(home):
    assert run(home, "crawl", "--feed", "jcc").exit_code == 0
    before = stored_ids(home)
    (home / "idx" / "state.sqlite").write_bytes(b"this is not a database" * 100)
    res = run(home, "crawl")
    assert_one_line_error(res)
    assert "crawl state database is unreadable" in res.stderr and "--full" in res.stderr
    assert stored_ids(home) == before          # searches and exports still work


def search_ids(home: Path, query: str) -> list[str]:
    res = run(home, "search", query, "-f", "jsonl", "-n", "100")
    assert res.exit_code == 0, res.output
    return sorted(json.loads(line)["id"] for line in res.stdout.splitlines())


@pytest.fixture
def no_gc():
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def test_full_disk_during_index_commit(home, monkeypatch, no_gc):
    """The store commits first: a failed index commit keeps the batch in the
    store, and the next crawl brings the index up to date. The failed writer
    lets go of the index's write lock at once, not when it is collected: the
    crawls run in one process here, with the collector held off."""
    assert run(home, "crawl", "--feed", "jcc").exit_code == 0
    before = stored_ids(home)
    from whoosh.filedb import structfile

    def no_space(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(structfile.StructFile, "write", no_space)
    res = run(home, "crawl", "--feed", "gut")
    assert_one_line_error(res)
    assert "cannot write the index (No space left on device)" in res.stderr
    assert "saved in the record store" in res.stderr
    monkeypatch.undo()
    after = stored_ids(home)
    assert set(before) < set(after) and len(after) == len(before) + 2
    assert search_ids(home, "feed:gut") == []           # the index lags the store...
    res = run(home, "crawl")
    assert res.exit_code == 0, res.output
    assert search_ids(home, "feed:gut") == sorted(set(after) - set(before))    # ...until the next crawl
    assert stored_ids(home) == after
    assert run(home, "check").exit_code == 0


def test_full_disk_during_store_commit(home, monkeypatch):
    """A store commit that fails leaves nothing of the batch anywhere, and
    the next crawl picks it up."""
    assert run(home, "crawl", "--feed", "jcc").exit_code == 0
    before = stored_ids(home)

    def full(record):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(db, "csv_line", full)
    res = run(home, "crawl", "--feed", "gut")
    assert_one_line_error(res)
    assert "cannot write the record store (database or disk is full)" in res.stderr
    monkeypatch.undo()
    assert stored_ids(home) == before
    assert search_ids(home, "crohn") == sorted(before)
    assert run(home, "crawl").exit_code == 0
    assert len(stored_ids(home)) == len(before) + 2
    assert run(home, "check").exit_code == 0


def test_unwritable_index_directory(home, monkeypatch):
    import filelock

    def denied(self, *args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(filelock.BaseFileLock, "acquire", denied)
    res = run(home, "crawl")
    assert_one_line_error(res)
    assert "cannot lock the index for writing (Permission denied)" in res.stderr


def test_index_directory_is_a_file(home):
    (home / "idx").write_text("oops")
    res = run(home, "crawl")
    assert_one_line_error(res)


def test_unreadable_config_is_one_line(home):
    (home / "feeds.yaml").write_bytes(b"\xff\xfe\x00bad")
    res = run(home, "feeds")
    assert_one_line_error(res, 2)
    assert "not UTF-8" in res.stderr


def test_reindex_rebuilds_from_stored_records(home):
    assert run(home, "crawl").exit_code == 0
    before = stored_ids(home)
    meta = home / "idx" / "index.json"
    meta.write_text('{"schema_version": 0}')
    res = run(home, "search", "crohn")
    assert_one_line_error(res)
    assert "tracker reindex" in res.stderr
    res = run(home, "reindex")
    assert res.exit_code == 0 and f"from {len(before)} stored records" in res.output
    assert stored_ids(home) == before
    res = run(home, "check")
    assert res.exit_code == 0 and res.output.startswith(f"ok: {len(before)} records")


def test_check_reports_state_pointing_at_missing_records(home):
    assert run(home, "crawl").exit_code == 0
    db = sqlite3.connect(home / "idx" / "state.sqlite")
    db.execute("INSERT INTO items VALUES ('jcc', 'doi:10.5555/ghost', 'h', 'doi:10.5555/ghost')")
    db.commit()
    db.close()
    res = run(home, "check")
    assert res.exit_code == 1
    assert "1 crawl-state entries point at records missing from the record store" in res.stderr


def test_crawl_upgrades_an_index_of_an_older_schema_itself(home):
    """After an upgrade the nightly crawl must not fail until someone runs reindex."""
    assert run(home, "crawl", "--feed", "jcc").exit_code == 0
    before = stored_ids(home)
    (home / "idx" / "index.json").write_text('{"schema_version": 2}')
    log = home / "crawl.log"
    res = run(home, "crawl", "--log-file", str(log))
    assert res.exit_code == 0, res.output
    assert f"the index was rebuilt for this version of tracker ({len(before)} records)" in res.stderr
    assert f"index status=rebuilt records={len(before)}" in log.read_text()
    assert set(before) <= set(stored_ids(home))
    assert run(home, "check").exit_code == 0
    assert not (home / "idx" / "whoosh.new").exists() and not (home / "idx" / "whoosh.old").exists()


def _damage_postings(index_dir: Path) -> None:
    """Scramble the postings inside every compound segment file, leaving the
    stored records (and the term dictionary) intact."""
    with Index.open(index_dir) as ix, ix.searcher() as s:
        spans = []
        for sub, _ in s.subsearchers or [(s, 0)]:
            storage = sub.reader()._storage
            compound = storage.a if hasattr(storage, "a") else storage
            for name, entry in compound._dir.items():
                if name.endswith(".pst"):
                    seg = index_dir / "whoosh" / (name.rsplit(".", 1)[0] + ".seg")
                    spans.append((seg, entry["offset"], entry["length"]))
    assert spans
    for seg, offset, length in spans:
        data = bytearray(seg.read_bytes())
        for i in range(offset, offset + length):
            data[i] ^= 0x5A
        seg.write_bytes(bytes(data))


def _damage_toc(index_dir: Path) -> None:
    """Overwrite the table of contents (the schema and the segment list)."""
    tocs = list((index_dir / "whoosh").glob("*.toc"))
    assert tocs
    for toc in tocs:
        toc.write_bytes(b"\x80\x04not a pickle" + bytes(range(256)))


def _remove_segments(index_dir: Path) -> None:
    segments = list((index_dir / "whoosh").glob("*.seg"))
    assert segments
    for seg in segments:
        seg.unlink()


DAMAGE = {"postings": _damage_postings, "toc": _damage_toc, "segments": _remove_segments}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_index_files_give_one_line_and_reindex_repairs_them(home, damage):
    assert run(home, "crawl").exit_code == 0
    before = stored_ids(home)
    DAMAGE[damage](home / "idx")
    res = run(home, "search", "crohn")
    assert_one_line_error(res)
    assert "'tracker reindex' rebuilds" in res.stderr and "from the record store" in res.stderr
    res = run(home, "check")
    assert res.exit_code == 1 and "'tracker reindex' rebuilds" in res.stderr
    assert stored_ids(home) == before           # exports read the store: unharmed
    res = run(home, "reindex")
    assert res.exit_code == 0, res.output
    assert res.output == f"rebuilt the index from {len(before)} stored records\n"
    assert stored_ids(home) == before
    assert search_ids(home, "crohn") == before
    res = run(home, "check")
    assert res.exit_code == 0, res.stderr


@pytest.mark.parametrize("damage", ["toc", "segments"])
def test_the_nightly_crawl_rebuilds_an_index_it_cannot_open(home, damage):
    """A crawl would otherwise fail every night until someone ran reindex."""
    assert run(home, "crawl", "--feed", "jcc").exit_code == 0
    before = stored_ids(home)
    DAMAGE[damage](home / "idx")
    res = run(home, "crawl")
    assert res.exit_code == 0, res.output
    assert "the index files could not be read" in res.stderr
    assert f"the index was rebuilt from the record store ({len(before)} records)" in res.stderr
    after = stored_ids(home)
    assert set(before) < set(after)
    assert search_ids(home, "crohn") == after
    assert run(home, "check").exit_code == 0


@pytest.mark.parametrize("command", [("search", "crohn"), ("reindex",), ("crawl",), ("export",)])
def test_an_old_index_without_a_store_and_unreadable_says_what_to_delete(home, command):
    """An index of the previous version (records stored in Whoosh, no
    record store) whose files are damaged: nothing to rebuild from."""
    assert run(home, "crawl", "--feed", "jcc").exit_code == 0
    idx = home / "idx"
    for name in ("records.sqlite", "records.sqlite-wal", "records.sqlite-shm"):
        (idx / name).unlink(missing_ok=True)
    (idx / "index.json").write_text('{"schema_version": 3}')
    _damage_toc(idx)
    res = run(home, *command)
    assert_one_line_error(res)
    if command[0] == "search":
        assert "run 'tracker reindex'" in res.stderr
    elif command[0] == "export":
        assert "moved into one by the next 'tracker crawl' or by 'tracker reindex'" in res.stderr
    else:
        assert f"delete {idx / 'whoosh'} and {idx / 'index.json'}, then run 'tracker crawl --full'" \
            in res.stderr
        assert not (idx / "records.sqlite").exists() and not (idx / "records.sqlite.new").exists()


def test_following_the_advice_for_an_unreadable_old_index_gets_everything_back(home):
    assert run(home, "crawl").exit_code == 0
    before = stored_ids(home)
    idx = home / "idx"
    for name in ("records.sqlite", "records.sqlite-wal", "records.sqlite-shm"):
        (idx / name).unlink(missing_ok=True)
    _damage_toc(idx)
    res = run(home, "reindex")
    assert_one_line_error(res)
    shutil.rmtree(idx / "whoosh")
    (idx / "index.json").unlink()
    res = run(home, "crawl", "--full")
    assert res.exit_code == 0, res.output
    assert stored_ids(home) == before
    assert run(home, "check").exit_code == 0


def test_a_lost_store_is_named_with_what_to_restore_or_delete(home):
    """Since schema 4 the index holds no records: the store cannot be rebuilt from it."""
    assert run(home, "crawl", "--feed", "jcc").exit_code == 0
    idx = home / "idx"
    for name in ("records.sqlite", "records.sqlite-wal", "records.sqlite-shm"):
        (idx / name).unlink(missing_ok=True)
    for command in (("search", "crohn"), ("crawl",), ("reindex",)):
        res = run(home, *command)
        assert_one_line_error(res)
        assert "restore records.sqlite from a backup" in res.stderr, command
        assert "'tracker crawl --full'" in res.stderr, command


@pytest.mark.parametrize("meta_version", [2, None])
def test_a_rebuild_killed_between_its_renames_loses_nothing(home, meta_version):
    """The old index moved aside, the new one not yet in place: the next crawl
    must not take the missing directory for an empty index."""
    assert run(home, "crawl").exit_code == 0
    before = stored_ids(home)
    idx = home / "idx"
    (idx / "whoosh").rename(idx / "whoosh.old")
    shutil.copytree(idx / "whoosh.old", idx / "whoosh.new")     # a half-written new index
    if meta_version is not None:
        (idx / "index.json").write_text(json.dumps({"schema_version": meta_version}))
    res = run(home, "crawl")
    assert res.exit_code == 0, res.output
    assert stored_ids(home) == before
    assert not (idx / "whoosh.old").exists()
    if meta_version is not None:      # the rebuild ran again, to the end
        assert not (idx / "whoosh.new").exists()
    assert run(home, "check").exit_code == 0


def test_an_index_of_a_newer_tracker_is_left_alone(home):
    """Rebuilding it would drop whatever the newer version stores."""
    assert run(home, "crawl", "--feed", "jcc").exit_code == 0
    meta = home / "idx" / "index.json"
    meta.write_text('{"schema_version": 99}')
    for args in (("crawl",), ("search", "crohn"), ("reindex",)):
        res = run(home, *args)
        assert_one_line_error(res)
        assert "written by a newer tracker (schema version 99" in res.stderr, args
    assert json.loads(meta.read_text()) == {"schema_version": 99}


def test_a_lost_index_json_asks_readers_for_reindex_and_the_crawl_rebuilds(home):
    assert run(home, "crawl", "--feed", "jcc").exit_code == 0
    before = stored_ids(home)
    (home / "idx" / "index.json").unlink()
    res = run(home, "search", "crohn")
    assert_one_line_error(res)
    assert "index.json is missing or unreadable; run 'tracker reindex'" in res.stderr
    res = run(home, "crawl", "--feed", "jcc")
    assert res.exit_code == 0, res.output
    assert (f"note: index.json was missing or unreadable; the index was rebuilt from the record store "
            f"({len(before)} records).") in res.stderr
    assert stored_ids(home) == before
    assert search_ids(home, "crohn") == before
    assert run(home, "check").exit_code == 0


def test_the_record_store_alone_restores_the_library(home, tmp_path):
    """README, Backup: an online copy of records.sqlite, put into an empty
    index directory, is everything `tracker reindex` needs."""
    assert run(home, "crawl").exit_code == 0
    before = stored_ids(home)
    copy = tmp_path / "records-backup.sqlite"
    src, dst = sqlite3.connect(home / "idx" / "records.sqlite"), sqlite3.connect(copy)
    src.backup(dst)         # what `sqlite3 ... ".backup ..."` does
    src.close()
    dst.close()
    shutil.rmtree(home / "idx")
    (home / "idx").mkdir()
    shutil.copy(copy, home / "idx" / "records.sqlite")
    res = run(home, "reindex")
    assert res.exit_code == 0 and res.output == f"rebuilt the index from {len(before)} stored records\n"
    assert stored_ids(home) == before
    assert search_ids(home, "crohn") == before


def test_check_replays_what_an_interrupted_crawl_left_out_of_the_index(home):
    assert run(home, "crawl", "--feed", "jcc").exit_code == 0
    with Index.open(home / "idx", create=True) as ix:       # a crawl killed after its store commit
        ix.store.upsert([Article(pmid="424242", title="Crohn's disease and risankizumab")])
    assert search_ids(home, "risankizumab") == []
    res = run(home, "check")
    assert res.exit_code == 0, res.stderr
    assert res.stderr == ("note: the index was 1 changes behind the record store (an interrupted crawl); "
                          "they were applied.\n")
    assert search_ids(home, "risankizumab") == ["pmid:424242"]


def test_check_does_not_run_beside_a_crawl(home):
    """A crawl between its commits is not damage: check waits its turn (exit 75)."""
    assert run(home, "crawl", "--feed", "jcc").exit_code == 0
    with CrawlLock(home / "idx"):
        res = run(home, "check")
    assert res.exit_code == 75 and "another crawl is running" in res.stderr


def test_a_writer_that_fails_to_commit_lets_go_of_the_lock(tmp_path, monkeypatch, no_gc):
    """A disk that fills while a commit writes, and again while it is cancelled:
    the index can be written again at once by the same process."""
    from whoosh.filedb import structfile

    from tracker.index.schema import document

    with Index.open(tmp_path / "idx", create=True) as ix:
        writer = ix.writer()
        for i in range(50):
            writer.add_document(**document(Article(title=f"Crohn's disease {i}", doi=f"10.5555/w.{i}")))

        def no_space(self, *args, **kwargs):
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(structfile.StructFile, "write", no_space)
        with pytest.raises(OSError):
            try:
                writer.commit()
            except OSError:
                writer.cancel()
                raise
        monkeypatch.undo()
        again = ix.writer(timeout=0)
        again.add_document(**document(Article(title="Crohn's disease", doi="10.5555/w.x")))
        again.commit()
