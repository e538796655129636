"""Identity: two records whose DOIs, PMIDs (or NCT numbers) differ never
merge, whatever URL they share; a shared URL only joins records whose strong
identifiers do not disagree. In the store, through generated batches, and end
to end through a feed served from loopback."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from loopback import Loopback

from tracker.cli import cli
from tracker.models import Article, keys_conflict
from tracker.store import Store

SHARED = "https://journal.example.org/current-issue"


def art(**kw) -> Article:
    a = Article(**kw)
    for name in ("title", "doi", "pmid"):
        if getattr(a, name):
            a.provenance.setdefault(name, "metadata")
    return a


def records(store: Store) -> dict[str, dict]:
    return {r["id"]: r for r in store.select()}


# ------------------------------------------------------------------ the rule

def test_the_most_authoritative_kind_both_carry_decides():
    assert keys_conflict(["doi:10.1/a", "url:u"], ["doi:10.1/b", "url:u"])
    assert keys_conflict(["pmid:1", "url:u"], ["pmid:2", "url:u"])
    assert keys_conflict(["nct:NCT00000001"], ["nct:NCT00000002"])
    # the same DOI is the same paper even when a source gives it a wrong PMID
    assert not keys_conflict(["doi:10.1/a", "pmid:1"], ["doi:10.1/a", "pmid:2"])
    # a DOI and a PMID of the same paper elsewhere: nothing disagrees
    assert not keys_conflict(["doi:10.1/a", "url:u"], ["pmid:2", "url:u"])
    assert not keys_conflict(["url:u"], ["doi:10.1/a", "url:u"])


# ------------------------------------------------------------------ in the store

def test_two_dois_at_one_url_stay_two_records_in_one_batch_and_across_batches(tmp_path):
    with Store.open(tmp_path, create=True) as store:
        one = art(doi="10.5555/one", url=SHARED, title="Vedolizumab in Crohn's", drugs=["vedolizumab"], feeds=["j"])
        two = art(doi="10.5555/two", url=SHARED, title="Ustekinumab in Crohn's", drugs=["ustekinumab"], feeds=["j"])
        three = art(doi="10.5555/three", url=SHARED, title="Natalizumab and PML", drugs=["natalizumab"], feeds=["k"])
        assert store.upsert([one, two]).outcome == {0: "new", 1: "new"}
        assert store.upsert([three]).outcome == {0: "new"}
        got = records(store)
    assert set(got) == {"doi:10.5555/one", "doi:10.5555/two", "doi:10.5555/three"}
    assert got["doi:10.5555/one"]["title"] == "Vedolizumab in Crohn's"
    assert got["doi:10.5555/one"]["drugs"] == ["vedolizumab"]
    assert got["doi:10.5555/two"]["drugs"] == ["ustekinumab"]
    assert got["doi:10.5555/three"]["drugs"] == ["natalizumab"]
    assert all(r["url"] == SHARED for r in got.values())     # the URL is shared, not taken away


def test_two_pmids_at_one_url_stay_two_records(tmp_path):
    with Store.open(tmp_path, create=True) as store:
        store.upsert([art(pmid="111", url=SHARED, title="A", drugs=["infliximab"])])
        store.upsert([art(pmid="222", url=SHARED, title="B", drugs=["adalimumab"])])
        got = records(store)
    assert got["pmid:111"]["drugs"] == ["infliximab"] and got["pmid:222"]["drugs"] == ["adalimumab"]


def test_a_pmid_of_another_doi_does_not_join_it(tmp_path):
    # DOI X carrying PMID P, where P is stored with DOI Y: two papers, two records
    with Store.open(tmp_path, create=True) as store:
        store.upsert([art(doi="10.5555/y", pmid="777", title="Y", drugs=["infliximab"])])
        store.upsert([art(doi="10.5555/x", pmid="777", title="X", drugs=["vedolizumab"])])
        got = records(store)
        assert store.get("pmid:777")["id"] == "doi:10.5555/y"       # the first keeps the key for lookups
    assert got["doi:10.5555/y"]["title"] == "Y" and got["doi:10.5555/y"]["drugs"] == ["infliximab"]
    assert got["doi:10.5555/x"]["title"] == "X" and got["doi:10.5555/x"]["drugs"] == ["vedolizumab"]


def test_the_same_doi_joins_whatever_pmid_it_carries(tmp_path):
    with Store.open(tmp_path, create=True) as store:
        store.upsert([art(doi="10.5555/x", pmid="1", title="X", feeds=["a"])])
        store.upsert([art(doi="10.5555/X", pmid="2", title="X", feeds=["b"])])
        got = records(store)
    assert list(got) == ["doi:10.5555/x"] and got["doi:10.5555/x"]["feeds"] == ["a", "b"]


def test_a_page_later_found_to_carry_a_doi_still_joins_by_url(tmp_path):
    with Store.open(tmp_path, create=True) as store:
        store.upsert([art(url="https://news.example.org/p", title="News", drugs=["ustekinumab"], feeds=["news"])])
        store.upsert([art(url="https://news.example.org/p", doi="10.5555/n", title="News", feeds=["rss"])])
        got = records(store)
    assert list(got) == ["doi:10.5555/n"] and got["doi:10.5555/n"]["drugs"] == ["ustekinumab"]


def test_an_item_with_only_a_shared_url_joins_the_first_record_there(tmp_path):
    with Store.open(tmp_path, create=True) as store:
        store.upsert([art(doi="10.5555/one", url=SHARED, title="One")])
        store.upsert([art(doi="10.5555/two", url=SHARED, title="Two")])
        store.upsert([art(url=SHARED, title="Contents", feeds=["toc"])])
        got = records(store)
    assert set(got) == {"doi:10.5555/one", "doi:10.5555/two"}
    assert got["doi:10.5555/one"]["feeds"] == ["toc"] and got["doi:10.5555/two"]["feeds"] == []


def test_an_item_does_not_bridge_two_papers_through_its_own_keys(tmp_path):
    # the item's PMID finds paper A, its URL finds paper B: it joins A only
    with Store.open(tmp_path, create=True) as store:
        store.upsert([art(doi="10.5555/a", pmid="5", title="A"), art(doi="10.5555/b", url=SHARED, title="B")])
        store.upsert([art(pmid="5", url=SHARED, title="A again", feeds=["pm"])])
        got = records(store)
    assert set(got) == {"doi:10.5555/a", "doi:10.5555/b"}
    assert got["doi:10.5555/a"]["feeds"] == ["pm"] and got["doi:10.5555/b"]["feeds"] == []


# ------------------------------------------------------------------ generated batches

PAPERS = 6
SCRATCH = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


@st.composite
def items(draw):
    """Items of a few papers: each carries its paper's DOI (sometimes its
    PMID, sometimes another paper's PMID) and a URL from a pool smaller than
    the papers; some items carry only a URL."""
    out = []
    for _ in range(draw(st.integers(1, 14))):
        url = f"https://j.example.org/{draw(st.integers(0, 2))}"
        if draw(st.integers(0, 5)) == 0:
            out.append(dict(url=url, title="contents"))
            continue
        paper = draw(st.integers(0, PAPERS - 1))
        pmid = draw(st.sampled_from([None, paper, (paper + 1) % PAPERS]))
        out.append(dict(doi=f"10.5555/p{paper}", pmid=None if pmid is None else str(1000 + pmid), url=url,
                        title=f"paper {paper}", drugs=[f"drug{paper}"]))
    cuts = draw(st.lists(st.integers(0, len(out)), max_size=3))
    return out, sorted(set(cuts))


def _batches(todo: list[dict], cuts: list[int]) -> list[list[Article]]:
    bounds = [0, *cuts, len(todo)]
    return [[art(**kw) for kw in todo[a:b]] for a, b in zip(bounds, bounds[1:]) if b > a]


@settings(max_examples=60, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(items())
def test_generated_batches_never_merge_two_dois_nor_lose_one(case):
    todo, cuts = case
    # a memory-backed directory where there is one: each example's commits are fsynced
    with tempfile.TemporaryDirectory(dir=SCRATCH) as tmp, Store.open(tmp, create=True) as store:
        for batch in _batches(todo, cuts):
            store.upsert(batch)
        got = records(store)
        count = store.count()
        # fetching everything again in one batch (crawl --full) adds no record and parts none
        for batch in _batches(todo, []):
            store.upsert(batch)
        assert store.count() <= count
        assert {r["id"] for r in store.select() if r["doi"]} == {r["id"] for r in got.values() if r["doi"]}
    dois = {kw["doi"] for kw in todo if "doi" in kw}
    assert {r["doi"] for r in got.values() if r["doi"]} == dois              # none lost
    assert sum(1 for r in got.values() if r["doi"]) == len(dois)             # one record each
    for rec in got.values():
        if rec["doi"]:
            paper = rec["doi"].rsplit("p", 1)[1]
            # an item with only a URL may join any paper at that URL; another paper's item never does
            assert rec["drugs"] == [f"drug{paper}"] and rec["title"] in (f"paper {paper}", "contents")


# ------------------------------------------------------------------ end to end

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:prism="http://prismstandard.org/namespaces/basic/2.0/">
<channel><title>Gut Letters</title><link>{base}/</link><description>Issue contents</description>
<item><title>Vedolizumab trough levels in Crohn's disease</title><link>{base}/issue/current</link>
<description>Forty patients with Crohn's disease on vedolizumab.</description>
<prism:doi>10.5555/gut.2026.101</prism:doi></item>
<item><title>Ustekinumab after anti-TNF failure in Crohn's disease</title><link>{base}/issue/current</link>
<description>Crohn's disease patients switched to ustekinumab.</description>
<prism:doi>10.5555/gut.2026.102</prism:doi></item>
<item><title>Adalimumab levels in Crohn's disease</title><link>{base}/article/103</link>
<description>Crohn's disease and adalimumab.</description>
<prism:doi>10.5555/gut.2026.103</prism:doi></item>
</channel></rss>
"""

# the shared link, and one item's own link: pages that name another paper in their citation tags
ISSUE_PAGE = """<!DOCTYPE html><html><head><title>Current issue</title>
<meta name="citation_title" content="Editorial: infliximab biosimilars">
<meta name="citation_doi" content="10.5555/gut.2026.100"></head>
<body><p>Editorial on infliximab biosimilars in Crohn's disease.</p></body></html>
"""


def _crawl_and_export(home: Path) -> dict[str, dict]:
    runner = CliRunner()
    res = runner.invoke(cli, ["--config", str(home / "feeds.yaml"), "crawl", "-q"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["--config", str(home / "feeds.yaml"), "export", "-f", "jsonl"])
    assert res.exit_code == 0, res.output
    return {r["id"]: r for r in map(json.loads, res.output.splitlines())}


def test_two_feed_items_sharing_a_link_become_two_records_end_to_end(tmp_path):
    with Loopback() as srv:
        srv.routes["/rss.xml"] = (200, {"Content-Type": "application/rss+xml"}, RSS.format(base=srv.url).encode())
        srv.routes["/issue/current"] = (200, {"Content-Type": "text/html; charset=utf-8"}, ISSUE_PAGE.encode())
        srv.routes["/article/103"] = srv.routes["/issue/current"]
        (tmp_path / "feeds.yaml").write_text(
            f"index: idx\ndefaults:\n  rate_limit: 1000\nfeeds:\n"
            f"  - name: gut\n    kind: rss\n    url: {srv.url}/rss.xml\n    fetch_articles: true\n",
            encoding="utf-8")
        first = _crawl_and_export(tmp_path)
        full = CliRunner().invoke(cli, ["--config", str(tmp_path / "feeds.yaml"), "crawl", "-q", "--full"])
        assert full.exit_code == 0, full.output
        after_full = _crawl_and_export(tmp_path)
    for got in (first, after_full):
        assert set(got) == {"doi:10.5555/gut.2026.101", "doi:10.5555/gut.2026.102", "doi:10.5555/gut.2026.103"}
        one, two = got["doi:10.5555/gut.2026.101"], got["doi:10.5555/gut.2026.102"]
        assert one["title"] == "Vedolizumab trough levels in Crohn's disease"
        assert one["drugs"] == ["vedolizumab"]
        assert two["title"] == "Ustekinumab after anti-TNF failure in Crohn's disease"
        assert two["drugs"] == ["ustekinumab"]
        # a page about another paper is not merged into the item that links to it
        three = got["doi:10.5555/gut.2026.103"]
        assert three["title"] == "Adalimumab levels in Crohn's disease" and three["drugs"] == ["adalimumab"]
