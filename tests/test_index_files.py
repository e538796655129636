"""Index files outlive the code that wrote them: the class paths they pickle
stay importable (tracker.index.formats), and an index an older tracker wrote
(tests/fixtures/index-v3, records stored in Whoosh) is migrated — its
records moved into the record store, the index rebuilt from it — and then
searches as it did."""

from __future__ import annotations

import json
import pickle
import pickletools
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, open_dir

from tracker import search
from tracker.cli import cli
from tracker.errors import OutdatedIndex
from tracker.index import INDEX_NAME, WHOOSH_DIR, Index
from tracker.index.schema import build_schema
from tracker.models import Article
from tracker.store import STORE_FILE, Store

FIXTURE = Path(__file__).parent / "fixtures" / "index-v3"
STABLE = "tracker.index.formats."
_STRINGS = {"SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE", "SHORT_BINSTRING", "BINSTRING",
            "STRING"}


def class_paths(data: bytes) -> set[str]:
    """module.name of every global a pickle refers to: GLOBAL's argument, or
    the two strings pushed (or fetched from the memo) before STACK_GLOBAL."""
    paths: set[str] = set()
    memo: dict[int, object] = {}
    pushed: list[object] = []
    for op, arg, _ in pickletools.genops(data):
        if op.name == "GLOBAL":
            paths.add(arg.replace(" ", "."))
        elif op.name == "STACK_GLOBAL":
            paths.add(f"{pushed[-2]}.{pushed[-1]}")
        elif op.name in _STRINGS:
            pushed.append(arg)
        elif op.name in ("GET", "BINGET", "LONG_BINGET"):
            pushed.append(memo.get(arg))
        elif op.name == "MEMOIZE":
            memo[len(memo)] = pushed[-1] if pushed else None
        elif op.name in ("PUT", "BINPUT", "LONG_BINPUT"):
            memo[arg] = pushed[-1] if pushed else None
        elif op.name not in ("PROTO", "FRAME", "STOP"):
            pushed.append(None)     # anything else on the stack is not a name
    return paths


def foreign(paths: set[str]) -> set[str]:
    """Paths outside whoosh, tracker.index.formats and the standard library
    (protocol 2 names builtins __builtin__)."""
    stdlib = sys.stdlib_module_names | {"__builtin__"}
    return {p for p in paths
            if not (p.startswith("whoosh.") or p.startswith(STABLE) or p.split(".")[0] in stdlib)}


def toc(index_dir: Path) -> TOC:
    return TOC.read(FileStorage(str(index_dir / WHOOSH_DIR)), INDEX_NAME)


@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
def test_scanner_finds_both_kinds_of_global(protocol):
    assert class_paths(pickle.dumps([Path, Article, Path], protocol)) == {"pathlib.Path", "tracker.models.Article"}


@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
def test_pickled_schema_and_segments_name_only_stable_classes(tmp_path, protocol):
    """whoosh pickles the schema and the segment list into the table of
    contents (protocol 2); every tracker class they name is in formats."""
    with Index.open(tmp_path, create=True) as ix:
        ix.upsert([Article(pmid="1", title="Crohn's disease", abstract="Mucosal healing.")])
    written = toc(tmp_path)
    schema_paths = class_paths(pickle.dumps(written.schema, protocol))
    segment_paths = class_paths(pickle.dumps(written.segments, protocol))
    assert not foreign(schema_paths | segment_paths)
    assert f"{STABLE}ArrayPositions" in schema_paths
    assert f"{STABLE}Codec" in segment_paths
    assert class_paths(pickle.dumps(build_schema(), protocol)) == schema_paths


def test_the_fixture_was_written_with_the_stable_names():
    written = toc(FIXTURE)
    assert f"{STABLE}ArrayPositions" in class_paths(pickle.dumps(written.schema, 2))
    assert f"{STABLE}Codec" in class_paths(pickle.dumps(written.segments, 2))
    assert len(written.segments) == 2


@pytest.fixture
def old_index(tmp_path):
    path = tmp_path / "index"
    shutil.copytree(FIXTURE, path, ignore=shutil.ignore_patterns("*.py", "*.md"))
    return path


@pytest.fixture
def migrated(old_index):
    """The old index as the next crawl leaves it (Index.open for writing migrates)."""
    with Index.open(old_index, create=True) as ix:
        assert ix.rebuilt is not None and ix.rebuilt.upgrade and ix.rebuilt.records == 6
    return old_index


def fixture_records() -> list[dict]:
    """The records the fixture stores, read straight from its Whoosh files, in their order."""
    old = open_dir(str(FIXTURE / WHOOSH_DIR), indexname=INDEX_NAME)
    with old.searcher() as s:
        records = [json.loads(stored["record"]) for _, stored in s.reader().iter_docs()]
    old.close()
    return records


def test_an_old_index_asks_readers_for_reindex_until_migrated(old_index):
    with pytest.raises(OutdatedIndex, match="run 'tracker reindex'"):
        Index.open(old_index)
    assert not (old_index / STORE_FILE).exists()


# Results of these searches when the fixture was written (tracker 50eefd5).
EXPECTED = {
    "natalizumab": [("pmid:31000002", 8.4962), ("doi:10.1093/ecco-jcc/jjz001", 6.5125)],
    "tysabri pml": [("pmid:31000002", 14.1779), ("doi:10.1093/ecco-jcc/jjz001", 8.7228)],
    '"mucosal healing"': [("pmid:31000006", 4.2339), ("doi:10.1056/nejm-vdz", 2.7811)],
    "crohn year:>=2016": [("doi:10.1093/ecco-jcc/jjz001", 7.241), ("pmid:31000006", 4.8323),
                          ("pmid:31000002", 2.2032), ("doi:10.1000/switch", 1.3186)],
    "menetrier": [("pmid:31000006", 5.2465)],
    "ved*": [("doi:10.1056/nejm-vdz", 5.8543)],
    "NOT pml": [("doi:10.1056/nejm-vdz", 2.0), ("doi:10.1000/switch", 2.0), ("url:https://example.org/review", 2.0),
                ("pmid:31000006", 2.0)],
    "drug:infliximab OR type:review": [("doi:10.1000/switch", 2.0986), ("url:https://example.org/review", 1.0)],
    '"loss of response"': [("doi:10.1000/switch", 4.3882)],
    "journal:gut": [("doi:10.1000/switch", 3.3281), ("pmid:31000006", 3.3281)],
    "cases:2..10": [("pmid:31000002", 1.0), ("pmid:31000006", 1.0)],
}


@pytest.mark.parametrize("text", list(EXPECTED))
def test_an_index_written_before_the_refactor_searches_as_it_did(migrated, text):
    with Index.open(migrated) as ix:
        result = search.run(ix, text, limit=None).result
    assert [(h.record["id"], h.score) for h in result.hits] == EXPECTED[text]
    assert result.total == len(EXPECTED[text])


def test_the_migration_keeps_every_stored_record_as_it_was(migrated):
    with Store.open(migrated) as store:
        records = list(store.select().records())
    before = fixture_records()
    assert [r["id"] for r in records] == [r["id"] for r in before]      # same order
    assert records == [Article.from_dict(r).to_dict() for r in before]
    assert {r["first_seen"] for r in records} == {r["first_seen"] for r in before}


def test_an_old_index_is_read_whole_and_takes_new_records(migrated):
    with Index.open(migrated, create=True) as ix:
        assert ix.doc_count() == 6
        assert ix.verify() > 0
        assert sorted(r["id"] for r in search.iter_matches(ix, "", since="2024-02-15")) == \
            ["pmid:31000006", "url:https://example.org/review"]
        ix.upsert([Article(pmid="31000007", title="Natalizumab and mucosal healing")])
        assert [h.record["pmid"] for h in search.run(ix, '"mucosal healing" natalizumab').result.hits] == \
            ["31000007"]
        assert ix.doc_count() == 7


@pytest.mark.parametrize("command", [["crawl"], ["reindex"]])
def test_the_next_crawl_or_reindex_migrates_an_old_index_through_the_cli(old_index, tmp_path, command):
    data = Path(__file__).resolve().parent.parent / "examples" / "offline" / "data"
    config = tmp_path / "feeds.yaml"
    config.write_text(f"index: {old_index}\nfeeds:\n  - name: jcc\n    kind: rss\n    url: {data / 'jcc-advance.xml'}\n",
                      encoding="utf-8")
    runner = CliRunner()
    res = runner.invoke(cli, ["--config", str(config), *command])
    assert res.exit_code == 0, res.output
    if command == ["crawl"]:
        assert res.stderr == "note: the index was rebuilt for this version of tracker (6 records).\n"
    else:
        assert res.output == "rebuilt the index from 6 stored records\n"
    exported = [json.loads(line)["id"] for line in
                runner.invoke(cli, ["--config", str(config), "export", "-f", "jsonl"]).output.splitlines()]
    assert exported[:6] == [r["id"] for r in fixture_records()]      # kept, in the old index's order
    assert len(exported) == 6 if command == ["reindex"] else len(exported) > 6
    checked = runner.invoke(cli, ["--config", str(config), "check"])
    if command == ["crawl"]:
        assert checked.exit_code == 0, checked.stderr
    else:       # the fixture has no crawl state: the only thing check finds
        assert checked.stderr == f"problem: {old_index / 'state.sqlite'}: no crawl state; the next crawl " \
                                 f"refetches everything.\n"
