"""The record store: identity and merging against SQLite, the change feed the
index follows, reads in order, and the export lines it keeps."""

from __future__ import annotations

import io
import json
import random
import sqlite3

import pytest

from tracker.errors import IndexFailure
from tracker.models import Article
from tracker.output import export
from tracker.store import STORE_FILE, Store


@pytest.fixture
def store(tmp_path):
    st = Store.open(tmp_path, create=True)
    yield st
    st.close()


def art(**kw) -> Article:
    a = Article(**kw)
    if a.title:
        a.provenance.setdefault("title", "metadata")
    return a


# ------------------------------------------------------------------ identity and merging

def test_new_unchanged_updated_and_only_changes_move_the_change_number(store):
    assert store.upsert([art(doi="10.5555/a", title="T", feeds=["f"])]).outcome == {0: "new"}
    seq = store.last_seq()
    assert store.upsert([art(doi="10.5555/A", title="T", feeds=["f"])]).outcome == {0: "unchanged"}
    assert store.last_seq() == seq              # nothing written
    assert store.upsert([art(doi="10.5555/a", title="T", abstract="A.", feeds=["f"])]).outcome == {0: "updated"}
    assert store.last_seq() == seq + 1
    assert store.count() == 1


def test_a_record_found_under_a_new_id_keeps_its_number_and_its_old_id_is_removed(store):
    store.upsert([art(url="https://news.example.org/a", title="News", feeds=["news"])])
    store.upsert([art(pmid="7", title="Other", feeds=["pubmed"])])
    [(row, old_id, _)] = list(store.rows("record"))[:1]
    mark = store.last_seq()
    store.upsert([art(url="https://news.example.org/a", doi="10.5555/n", title="News", feeds=["news"])])
    assert [(r, i) for r, i, _ in store.rows("record")] == [(row, "doi:10.5555/n"), (row + 1, "pmid:7")]
    removed, changed, upto = store.changes(mark)
    assert removed == [old_id] and [c.id for c in changed] == ["doi:10.5555/n"] and upto == mark + 2
    assert store.get(old_id)["id"] == "doi:10.5555/n"         # the old key still finds it
    store.forget_removed(upto)
    assert store.changes(mark)[0] == []


def test_two_stored_records_joined_by_one_article_become_one_with_the_older_number(store):
    store.upsert([art(pmid="1", title="Registry record", feeds=["pubmed"])])
    store.upsert([art(doi="10.5555/x", url="https://j.example.org/x", title="Journal page", feeds=["rss"])])
    res = store.upsert([art(doi="10.5555/x", pmid="1", title="Registry record", feeds=["crossref"])])
    assert res.outcome == {0: "updated"}
    [(row, rid, text)] = list(store.rows("record"))
    rec = json.loads(text)
    assert (row, rid) == (1, "doi:10.5555/x") and rec["pmid"] == "1"
    assert rec["feeds"] == ["crossref", "pubmed", "rss"]
    assert store.keys() == {"doi:10.5555/x", "pmid:1", f"url:{rec['url']}"}
    assert store.problems()[1] == []


def test_duplicates_within_one_batch_are_one_record(store):
    res = store.upsert([art(doi="10.5555/d", title="T", feeds=["a"]),
                        art(doi="10.5555/d", title="T", abstract="A", feeds=["b"])])
    assert res.outcome == {0: "new", 1: "updated"} and store.count() == 1
    assert store.get("doi:10.5555/d")["feeds"] == ["a", "b"]


def test_an_article_without_identity_is_skipped(store):
    assert store.upsert([Article(title="No id at all")]).outcome == {}
    assert store.count() == 0 and store.last_seq() == 0


# ------------------------------------------------------------------ reading

def test_reads_by_id_key_bare_identifier_and_in_order(store):
    store.upsert([art(doi="10.5555/a", pmid="11", url="https://j.example.org/a", title="A",
                      first_seen="2026-01-01T00:00:00Z"),
                  art(pmid="12", title="B", first_seen="2026-03-01T00:00:00Z"),
                  art(url="https://news.example.org/c", title="C", first_seen="2026-05-01T00:00:00Z")])
    for text in ("doi:10.5555/a", "pmid:11", "https://doi.org/10.5555/A", "11", "https://j.example.org/a#top"):
        assert store.lookup(text)["id"] == "doi:10.5555/a", text
    assert store.lookup("pmid:99") is None
    assert [r["id"] for r in store.select()] == ["doi:10.5555/a", "pmid:12", "url:https://news.example.org/c"]
    assert [r["id"] for r in store.select(since="2026-03-01T00:00:00Z")] == \
        ["pmid:12", "url:https://news.example.org/c"]
    assert [r["id"] for r in store.select(rows=[3, 1, 99])] == ["url:https://news.example.org/c", "doi:10.5555/a"]
    assert set(store.by_ids(["pmid:12", "pmid:404"])) == {"pmid:12"}


def test_rows_given_in_order_across_batches(store):
    store.upsert([art(pmid=str(i), title=f"T{i}") for i in range(1, 1201)])
    wanted = list(range(1200, 0, -7))
    assert [r["pmid"] for r in store.select(rows=wanted)] == [str(i) for i in wanted]


# ------------------------------------------------------------------ the export lines it keeps

def _tricky(rnd: random.Random, i: int) -> Article:
    texts = ["plain", "=HYPERLINK(\"x\")", "+1", "-5", "@SUM(A1)", "\ttab", "\rcr", "quote \" inside",
             "comma, here", "line\nbreak", "sep\u2028line", "next\x85line", "Ménétrier ☃", "", None]
    a = Article(pmid=str(100 + i), title=rnd.choice(texts[:-2]) + f" {i}", abstract=rnd.choice(texts),
                journal=rnd.choice(texts), year=rnd.choice([None, 1999, 2026]),
                case_count=rnd.choice([None, 0, 3, 2 ** 40]), published=rnd.choice([None, "2026-11", "2026-11-02"]),
                url=rnd.choice([None, f"https://x.example.org/{i}?a=1&b=2"]),
                authors=rnd.sample(["Smith J", "=cmd", "Müller, A", "-x"], rnd.randint(0, 3)),
                drugs=sorted(rnd.sample(["natalizumab", "vedolizumab", "+drug"], rnd.randint(0, 2))),
                body=rnd.choice([None, "Body text.\u2029More."]), case_count_evidence=rnd.choice([None, "3 cases."]))
    a.provenance["title"] = "metadata"
    a.keywords = rnd.sample(["a", "b"], rnd.randint(0, 2))
    return a


@pytest.mark.parametrize("fmt, options", [("csv", {}), ("csv", {"excel": True}), ("jsonl", {})])
def test_stored_lines_are_byte_for_byte_what_the_writers_write(store, fmt, options):
    rnd = random.Random(3)
    store.upsert([_tricky(rnd, i) for i in range(300)])
    assert store.select().lines(fmt) is not None
    fast, slow = io.StringIO(newline=""), io.StringIO(newline="")
    assert export.write_rows(store.select(), fmt, fast, **options) == 300
    assert export.write(list(store.select().records()), fmt, slow, **options) == 300
    assert fast.getvalue() == slow.getvalue()
    assert "'=HYPERLINK" in fast.getvalue() or fmt == "jsonl"


def test_raw_csv_and_other_formats_are_rendered_from_the_records(store):
    store.upsert([art(pmid="1", title="=1+1")])
    for fmt, options in (("csv", {"raw": True}), ("ris", {}), ("bibtex", {})):
        out = io.StringIO(newline="")
        export.write_rows(store.select(), fmt, out, **options)
        expected = io.StringIO(newline="")
        export.write(store.select().records(), fmt, expected, **options)
        assert out.getvalue() == expected.getvalue(), fmt
    assert "=1+1" in out.getvalue()


def test_lines_of_another_layout_are_not_used_and_a_writer_renders_them_again(tmp_path):
    with Store.open(tmp_path, create=True) as st:
        st.upsert([art(pmid="1", title="=1+1", drugs=["natalizumab"])])
        good = io.StringIO(newline="")
        export.write_rows(st.select(), "csv", good)
    db = sqlite3.connect(tmp_path / STORE_FILE)
    db.execute("UPDATE meta SET value = 'an older layout' WHERE key = 'lines'")
    db.execute("UPDATE records SET csv = 'stale\r\n'")
    db.commit()
    db.close()
    with Store.open(tmp_path) as st:
        assert st.select().lines("csv") is None
        out = io.StringIO(newline="")
        export.write_rows(st.select(), "csv", out)
        assert out.getvalue() == good.getvalue()
    with Store.open(tmp_path, create=True) as st:      # a writer (crawl, reindex) renders them again
        assert st.lines_current()
        assert list(st.select().lines("csv")) == [good.getvalue().split("\r\n", 1)[1]]


# ------------------------------------------------------------------ opening

def test_readers_are_told_what_to_run(tmp_path):
    with pytest.raises(IndexFailure, match="no index here yet; run 'tracker crawl' first"):
        Store.open(tmp_path / "none")
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "index.json").write_text('{"schema_version": 3}')
    with pytest.raises(IndexFailure, match="moved into one by the next 'tracker crawl' or by 'tracker reindex'"):
        Store.open(tmp_path / "old")
    assert not (tmp_path / "old" / STORE_FILE).exists()


def test_a_store_of_a_newer_tracker_is_refused(tmp_path):
    Store.open(tmp_path, create=True).close()
    db = sqlite3.connect(tmp_path / STORE_FILE)
    db.execute("UPDATE meta SET value = '99' WHERE key = 'version'")
    db.commit()
    db.close()
    with pytest.raises(IndexFailure, match="written by a newer tracker"):
        Store.open(tmp_path, create=True)


def test_an_unreadable_store_is_one_sentence(tmp_path):
    (tmp_path / STORE_FILE).write_bytes(b"not a database" * 100)
    with pytest.raises(IndexFailure, match="the record store cannot be read .*restore records.sqlite"):
        Store.open(tmp_path)


def test_a_build_that_fails_midway_leaves_no_store(tmp_path):
    def records():
        yield Article(pmid="1", title="One").to_dict()
        raise ValueError("damaged stored fields")

    with pytest.raises(ValueError):
        Store.build(tmp_path, records())
    assert not (tmp_path / STORE_FILE).exists()
    assert Store.build(tmp_path, [Article(pmid="1", title="One").to_dict()]) == 1
    with Store.open(tmp_path) as st:
        assert st.get("pmid:1")["title"] == "One" and st.problems()[1] == []


def test_problems_name_records_and_keys_that_disagree(tmp_path):
    with Store.open(tmp_path, create=True) as st:
        st.upsert([art(pmid=str(i), title=f"T{i}") for i in range(1, 5)])
        assert st.problems() == ({f"pmid:{i}": i for i in range(1, 5)}, [])
    db = sqlite3.connect(tmp_path / STORE_FILE)
    db.execute("DELETE FROM keys WHERE id = 'pmid:1'")
    db.execute("UPDATE records SET record = replace(record, '\"pmid:2\"', '\"pmid:22\"') WHERE id = 'pmid:2'")
    db.execute("INSERT INTO keys VALUES ('doi:10.5555/ghost', 'doi:10.5555/ghost')")
    db.commit()
    db.close()
    with Store.open(tmp_path) as st:
        _, problems = st.problems()
    assert problems == [f"{tmp_path / STORE_FILE}: 2 stored records do not match their id or identity keys.",
                        f"{tmp_path / STORE_FILE}: 1 identity keys point at records that are not stored."]


def test_a_new_store_appears_whole_and_a_creation_cut_short_leaves_nothing_in_the_way(tmp_path):
    # what a crawl killed while creating its store left: a half-made file beside the name
    (tmp_path / (STORE_FILE + ".new")).write_bytes(b"not a database")
    with Store.open(tmp_path, create=True) as store:
        assert store.count() == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [STORE_FILE]
    with Store.open(tmp_path) as reader:      # a reader sees an empty library, not a damaged file
        assert reader.count() == 0 and reader.last_seq() == 0
