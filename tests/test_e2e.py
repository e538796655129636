"""End to end: all five feed kinds served from loopback, crawled twice,
searched and exported through the real CLI."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from tracker.cli import cli

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples" / "offline"))
from sample_server import Corpus, SampleServer  # noqa: E402


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    corpus = Corpus(n_pubmed=40, n_epmc=20, n_crossref=20, n_rss_feeds=2, per_feed=10, n_html=8)
    with SampleServer(corpus) as srv:
        home = tmp_path_factory.mktemp("e2e")
        (home / "feeds.yaml").write_text(srv.feeds_yaml(), encoding="utf-8")
        yield srv, home


def tracker(home: Path, *args: str):
    return CliRunner().invoke(cli, ["--config", str(home / "feeds.yaml"), *args], catch_exceptions=False)


def expected_ids(corpus: Corpus) -> set[str]:
    ids = set()
    for kind in ("pubmed", "epmc", "crossref"):
        ids |= {f"doi:{corpus.record(kind, i)['doi']}" for i in range(corpus.n[kind])}
    ids |= {f"doi:{corpus.record('rss', i)['doi']}" for i in range(corpus.n_rss_feeds * corpus.per_feed)}
    return ids


def test_first_crawl_stores_every_item_once(site):
    srv, home = site
    res = tracker(home, "crawl", "--json")
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    by_feed = {f["name"]: f for f in report["feeds"]}
    assert set(by_feed) == {"pubmed-sample", "europepmc-sample", "crossref-sample",
                            "rss-sample-0", "rss-sample-1", "news-sample"}
    assert all(f["errors"] == 0 for f in by_feed.values()), report
    assert by_feed["pubmed-sample"]["fetched"] == 40
    assert by_feed["news-sample"]["new"] == 8
    out = tracker(home, "export", "-f", "jsonl")
    records = [json.loads(line) for line in out.output.splitlines()]
    ids = Counter(r["id"] for r in records)
    assert max(ids.values()) == 1
    registry_and_feed_ids = {i for i in ids if not i.startswith("url:")}
    assert expected_ids(srv.corpus) <= registry_and_feed_ids
    assert sum(1 for i in ids if i.startswith("url:")) == 8      # news pages without DOI
    # a paper seen by PubMed and Europe PMC is one record naming both feeds
    shared = next(r for r in records if r["id"] == "doi:10.5555/synth.pubmed.0")
    assert {"pubmed-sample", "europepmc-sample", "crossref-sample"} <= set(shared["feeds"])
    assert shared["pmid"] == "30000000" and shared["journal"] and shared["year"]


def test_fields_are_filled(site):
    _, home = site
    rec = json.loads(tracker(home, "show", "pmid:30000003", "-f", "json").output)
    assert rec["title"] and rec["abstract"] and rec["authors"] and rec["journal"]
    assert rec["drugs"] and rec["conditions"] == ["crohns_disease"]
    assert rec["provenance"]["journal"] == "registry"
    news = json.loads(tracker(home, "search", "feed:news-sample", "-n", "1", "-f", "json").output)[0]
    assert news["journal"] and news["year"] and news["case_count"]
    assert news["provenance"]["case_count"] == "text"


def test_second_crawl_is_conditional_or_windowed_and_stores_nothing(site):
    srv, home = site
    before = len(srv.requests)
    res = tracker(home, "crawl", "--json")
    report = json.loads(res.output)
    assert all(f["new"] == 0 and f["updated"] == 0 for f in report["feeds"]), report
    paths = Counter(srv.requests[before:])
    assert paths["/news/index.html"] == 1 and not any(p.startswith("/news/") and p != "/news/index.html"
                                                       for p in paths)
    assert paths["/eutils/efetch.fcgi"] <= 1     # the overlap day only
    by_feed = {f["name"]: f for f in report["feeds"]}
    assert by_feed["rss-sample-0"]["not_modified"] == 1


def test_search_and_csv_export(site):
    _, home = site
    res = tracker(home, "search", "tysabri", "-f", "json", "-n", "50")
    rows = json.loads(res.output)
    assert rows and all("natalizumab" in r["drugs"] for r in rows)
    out = tracker(home, "export", "drug:vedolizumab", "-f", "csv")
    table = list(csv.DictReader(io.StringIO(out.output)))
    assert table and all("vedolizumab" in row["drugs"] for row in table)
