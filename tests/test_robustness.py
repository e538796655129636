"""Bad environments never end in a traceback and never lose stored records."""

from __future__ import annotations

import errno
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from tracker.cli import cli

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


def test_full_disk_during_index_commit(home, monkeypatch):
    assert run(home, "crawl", "--feed", "jcc").exit_code == 0
    before = stored_ids(home)
    from whoosh.filedb import structfile

    def no_space(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(structfile.StructFile, "write", no_space)
    res = run(home, "crawl", "--feed", "gut")
    assert_one_line_error(res)
    assert "cannot write the index (No space left on device)" in res.stderr
    monkeypatch.undo()
    assert stored_ids(home) == before
    # with space again, the next crawl picks the lost batch up
    assert run(home, "crawl").exit_code == 0
    assert len(stored_ids(home)) == len(before) + 2


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
    import sqlite3

    assert run(home, "crawl").exit_code == 0
    db = sqlite3.connect(home / "idx" / "state.sqlite")
    db.execute("INSERT INTO items VALUES ('jcc', 'doi:10.5555/ghost', 'h', 'doi:10.5555/ghost')")
    db.commit()
    db.close()
    res = run(home, "check")
    assert res.exit_code == 1
    assert "1 crawl-state entries point at records missing from the index" in res.stderr


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
    from tracker.index import Index

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


def test_damaged_index_files_give_one_line_and_reindex_repairs_them(home):
    assert run(home, "crawl").exit_code == 0
    before = stored_ids(home)
    _damage_postings(home / "idx")
    res = run(home, "search", "crohn")
    assert_one_line_error(res)
    assert "the index could not be read" in res.stderr and "tracker reindex" in res.stderr
    res = run(home, "check")
    assert res.exit_code == 1 and "damaged" in res.stderr
    res = run(home, "reindex")
    assert res.exit_code == 0, res.output
    assert stored_ids(home) == before
    assert run(home, "check").exit_code == 0
    res = run(home, "search", "crohn")
    assert res.exit_code == 0 and "results" in res.output


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


def test_a_lost_index_json_asks_for_reindex(home):
    assert run(home, "crawl", "--feed", "jcc").exit_code == 0
    before = stored_ids(home)
    (home / "idx" / "index.json").unlink()
    res = run(home, "crawl")
    assert_one_line_error(res)
    assert "index.json is missing or unreadable; run 'tracker reindex'" in res.stderr
    assert run(home, "reindex").exit_code == 0
    assert stored_ids(home) == before
    assert run(home, "crawl").exit_code == 0
