from __future__ import annotations

import pytest

from tracker import search
from tracker.errors import IndexFailure
from tracker.index import META_FILE, Index
from tracker.index.fastscore import Evaluator, SegmentArrays
from tracker.index.schema import read_meta, write_meta
from tracker.models import Article
from tracker.query.parser import parse


def art(**kw) -> Article:
    a = Article(**kw)
    for name in ("title", "abstract", "journal", "year"):
        if kw.get(name) is not None:
            a.provenance.setdefault(name, kw.pop("_prov", "metadata"))
    return a


@pytest.fixture
def index(tmp_path):
    ix = Index.open(tmp_path / "ix", create=True)
    yield ix
    ix.close()


def test_open_missing_index_is_a_clear_error(tmp_path):
    with pytest.raises(IndexFailure, match="no index here yet"):
        Index.open(tmp_path / "none")


def test_upsert_new_then_unchanged_then_updated(index):
    a = art(doi="10.5555/a", title="Natalizumab in Crohn disease", feeds=["f"])
    assert index.upsert([a]).outcome == {0: "new"}
    again = art(doi="10.5555/A", title="Natalizumab in Crohn disease", feeds=["f"])
    assert index.upsert([again]).outcome == {0: "unchanged"}
    richer = art(doi="10.5555/a", title="Natalizumab in Crohn disease", abstract="Two cases.", feeds=["f"])
    assert index.upsert([richer]).outcome == {0: "updated"}
    assert index.doc_count() == 1
    rec = index.get("doi:10.5555/a")
    assert rec["abstract"] == "Two cases."


def test_same_paper_from_two_feeds_is_one_record(index):
    index.upsert([art(pmid="123", doi="10.5555/x", title="T", feeds=["pubmed"])])
    index.upsert([art(doi="10.5555/X", url="https://j.example.org/x", title="T", feeds=["rss"])])
    assert index.doc_count() == 1
    assert index.get("doi:10.5555/x")["feeds"] == ["pubmed", "rss"]


def test_page_later_found_to_have_doi_rekeys_record(index):
    index.upsert([art(url="https://news.example.org/a", title="News", feeds=["news"])])
    first_seen = index.get("url:https://news.example.org/a")["first_seen"]
    index.upsert([art(url="https://news.example.org/a", doi="10.5555/n", title="News", feeds=["news"])])
    assert index.doc_count() == 1
    assert index.get("url:https://news.example.org/a")["id"] == "doi:10.5555/n"
    assert index.get("doi:10.5555/n")["first_seen"] == first_seen


def test_duplicates_within_one_batch(index):
    res = index.upsert([art(doi="10.5555/d", title="T", feeds=["a"]),
                        art(doi="10.5555/d", title="T", abstract="A", feeds=["b"])])
    assert index.doc_count() == 1
    assert res.outcome[0] == "new"
    assert index.get("doi:10.5555/d")["feeds"] == ["a", "b"]


def test_iterate_and_search(index):
    index.upsert([art(doi=f"10.5555/{i}", title=f"Vedolizumab study {i}", year=2010 + i, feeds=["f"])
                  for i in range(5)])
    assert len(list(index.iter_records())) == 5
    res = index.search(parse("vedolizumab year:>=2013", index.analyser), limit=10)
    assert sorted(h.record["year"] for h in res.hits) == [2013, 2014]


def test_schema_version_mismatch_is_detected(tmp_path):
    ix = Index.open(tmp_path / "ix", create=True)
    ix.close()
    (tmp_path / "ix" / "index.json").write_text('{"schema_version": 0}')
    with pytest.raises(IndexFailure, match="tracker reindex"):
        Index.open(tmp_path / "ix")


def test_numbers_beyond_the_index_columns_stay_in_the_record(tmp_path):
    """The year and case-count columns are 32-bit; a larger number is kept in
    the stored record and simply not indexed."""
    with Index.open(tmp_path, create=True) as ix:
        ix.upsert([Article(pmid="1", title="Huge registry", case_count=2 ** 31),
                   Article(pmid="2", title="Small registry", case_count=12)])
        hits = search.run(ix, "registry", sort="cases").result.hits
        assert [h.record["case_count"] for h in hits] == [12, 2 ** 31]
        assert search.run(ix, "cases:>=1000").result.total == 0


def test_segment_arrays_hold_only_live_segments_and_go_with_their_index(tmp_path):
    """Field lengths and numeric columns are kept per segment between searches:
    only for the segments a search sees (an index merged by another writer
    drops the rest), and never beyond the Index (a server reopens after each crawl)."""
    with Index.open(tmp_path, create=True) as ix:
        ix.upsert([art(pmid="1", title="Crohn disease", year=2001)])
        ix.upsert([art(pmid="2", title="Crohn colitis", year=2002)])
        arrays = SegmentArrays()
        with ix.searcher() as s:
            Evaluator(s, arrays).column("year")
            assert len(s.subsearchers) == 2 and len(arrays) == 2
        ix.writer().commit(optimize=True)       # one segment replaces both
        with ix.searcher() as s:
            Evaluator(s, arrays).column("year")
            assert len(arrays) == 1
        search.run(ix, "crohn", sort="year")
        assert len(ix._arrays)                  # kept for the next search
    assert not len(ix._arrays)


# ------------------------------------------------------------------ the index follows the store

def ids_in_index(ix: Index) -> list[str]:
    return sorted(rid for rid, _ in ix.documents())


def test_a_writer_replays_what_the_store_has_and_the_index_missed(tmp_path):
    """A crawl killed between its two commits: the store has the batch, the
    index does not; opening for writing replays it (and a merge's removal)."""
    with Index.open(tmp_path, create=True) as ix:
        ix.upsert([art(url="https://news.example.org/a", title="Vedolizumab news", feeds=["news"])])
        ix.store.upsert([art(url="https://news.example.org/a", doi="10.5555/n", title="Vedolizumab news",
                             feeds=["news"]),
                         art(pmid="5", title="Vedolizumab cohort", feeds=["pubmed"])])     # store only
    with Index.open(tmp_path) as ix:         # a reader sees the index as it is
        assert ids_in_index(ix) == ["url:https://news.example.org/a"]
        assert [h.record["id"] for h in ix.search(parse("vedolizumab", ix.analyser)).hits] == []
    with Index.open(tmp_path, create=True) as ix:
        assert ids_in_index(ix) == ["doi:10.5555/n", "pmid:5"]
        assert ix.doc_count() == ix.store.count() == 2
        hits = ix.search(parse("vedolizumab", ix.analyser)).hits
        assert sorted(h.record["id"] for h in hits) == ["doi:10.5555/n", "pmid:5"]


def test_a_commit_killed_before_its_mark_moved_is_replayed_without_duplicates(tmp_path):
    """The index committed, index.json still says the changes are pending:
    the replay replaces those documents instead of adding them twice."""
    with Index.open(tmp_path, create=True) as ix:
        ix.upsert([art(pmid="1", title="Crohn one")])
        before = read_meta(tmp_path / META_FILE).indexed
        ix.upsert([art(pmid="2", title="Crohn two"), art(pmid="1", title="Crohn one", abstract="More.")])
        upto = ix.store.last_seq()
    write_meta(tmp_path / META_FILE, before, pending=upto)      # as a kill after the commit leaves it
    with Index.open(tmp_path, create=True) as ix:
        assert ids_in_index(ix) == ["pmid:1", "pmid:2"] and ix.doc_count() == 2
        assert search.run(ix, "crohn").result.total == 2
    assert read_meta(tmp_path / META_FILE).pending is None


def test_an_index_ahead_of_its_store_is_rebuilt(tmp_path):
    """A store restored from an older backup: the index holds records the store does not."""
    with Index.open(tmp_path, create=True) as ix:
        ix.upsert([art(pmid="1", title="Crohn one")])
    backup = (tmp_path / "records.sqlite").read_bytes()
    with Index.open(tmp_path, create=True) as ix:
        ix.upsert([art(pmid="2", title="Crohn two")])
    (tmp_path / "records.sqlite").write_bytes(backup)
    with Index.open(tmp_path, create=True) as ix:
        assert ix.rebuilt is not None and "ahead of the record store" in ix.rebuilt.reason
        assert ids_in_index(ix) == ["pmid:1"]


def test_exports_get_the_matching_record_numbers_in_store_order(index):
    index.upsert([art(pmid=str(i), title=f"Crohn study {i}", year=2000 + (7 * i) % 10) for i in range(1, 8)])
    index.upsert([art(pmid="3", title="Crohn study 3 revised")])     # rewritten: keeps its number
    q = parse("crohn", index.analyser)
    assert index.match_rows(q) == list(range(1, 8))
    assert [r["pmid"] for r in index.iter_matches(q)] == [str(i) for i in range(1, 8)]
    by_year = index.match_rows(q, sort="year")
    assert [next(index.store.select(rows=[r]).records())["year"] for r in by_year] == \
        sorted(2000 + (7 * i) % 10 for i in range(1, 8))
    assert index.match_rows(parse("revised", index.analyser)) == [3]
