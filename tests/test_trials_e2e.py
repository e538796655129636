"""End to end: ClinicalTrials.gov, medRxiv and a journal feed served from
loopback, crawled twice through the CLI (the registry changes in between)."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tracker.cli import cli

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples" / "offline"))
from sample_server import Corpus, SampleServer, TrialsSite  # noqa: E402

TRIAL = "NCT04102111"
PRE, JOURNAL = TrialsSite.PREPRINT, TrialsSite.JOURNAL
INDUCTION = "doi:10.5555/synth.jcc.2024.101"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    corpus = Corpus(n_pubmed=0, n_epmc=0, n_crossref=0, n_rss_feeds=0, n_html=0)
    with SampleServer(corpus, trials=True) as srv:
        home = tmp_path_factory.mktemp("trials")
        (home / "feeds.yaml").write_text(srv.feeds_yaml(), encoding="utf-8")
        first = tracker(home, "crawl", "--json")
        srv.trials.generation = 1
        second = tracker(home, "crawl", "--json")
        yield srv, home, json.loads(first.stdout), json.loads(second.stdout)


def tracker(home: Path, *args: str):
    return CliRunner().invoke(cli, ["--config", str(home / "feeds.yaml"), *args], catch_exceptions=False)


def records(home: Path) -> dict[str, dict]:
    out = tracker(home, "export", "-f", "jsonl").stdout
    return {r["id"]: r for r in map(json.loads, out.splitlines())}


def feeds(report: dict) -> dict[str, dict]:
    return {f["name"]: f for f in report["feeds"]}


def test_both_crawls_succeed_and_page_through_the_registry(site):
    _, _, first, second = site
    assert first["exit_code"] == 0 and second["exit_code"] == 0
    ctgov = feeds(first)["ctgov-sample"]
    assert (ctgov["fetched"], ctgov["new"], ctgov["requests"]) == (3, 3, 2)   # page_size 2: two pages
    pre = feeds(first)["medrxiv-sample"]
    assert (pre["fetched"], pre["new"], pre["filtered"]) == (2, 1, 1)         # the relevance gate
    # the second run asks only for studies updated since: the one whose status changed
    assert (feeds(second)["ctgov-sample"]["fetched"], feeds(second)["ctgov-sample"]["updated"]) == (1, 1)


def test_each_registration_is_stored_once_across_the_status_change(site):
    _, home, _, _ = site
    recs = records(home)
    trials = sorted(i for i in recs if i.startswith("nct:"))
    assert trials == ["nct:NCT03927001", f"nct:{TRIAL}", "nct:NCT05334222"]
    reg = recs[f"nct:{TRIAL}"]
    assert (reg["trial_status"], reg["phase"], reg["case_count"], reg["study_type"]) == (
        "active", "phase 3", 1152, "rct")
    assert reg["year"] == 2019 and reg["drugs"] == ["mirikizumab"]


def test_the_preprint_became_its_journal_paper(site):
    _, home, _, _ = site
    recs = records(home)
    assert f"doi:{PRE}" not in recs
    paper = recs[f"doi:{JOURNAL}"]
    assert (paper["preprint"], paper["preprint_doi"], paper["preprint_date"]) == (False, PRE, "2024-01-15")
    assert paper["journal"] == "Gastroenterology"
    assert sorted(paper["feeds"]) == ["medrxiv-sample", "trials-journal-sample"]
    assert TRIAL in paper["nct_ids"]
    shown = tracker(home, "show", PRE).stdout           # the preprint's DOI finds the merged record
    assert f"id          doi:{JOURNAL}" in shown and f"preprint {PRE} now published in Gastroenterology" in shown


def test_nct_links_registrations_and_papers_in_search_and_show(site):
    _, home, _, _ = site
    hits = json.loads(tracker(home, "search", f"nct:{TRIAL}", "-f", "json").stdout)
    assert {h["id"] for h in hits} == {f"nct:{TRIAL}", INDUCTION, f"doi:{JOURNAL}"}
    shown = tracker(home, "show", f"nct:{TRIAL}").stdout
    assert "papers reporting this trial (2):" in shown
    assert INDUCTION in shown and f"doi:{JOURNAL}" in shown
    paper = tracker(home, "show", INDUCTION).stdout
    assert "trials (1):" in paper and f"nct:{TRIAL}  Mirikizumab Maintenance Therapy" in paper


def test_trial_fields_in_search_and_csv(site):
    _, home, _, _ = site

    def ids(query: str) -> set[str]:
        return {h["id"] for h in json.loads(tracker(home, "search", query, "-f", "json").stdout)}

    assert ids("phase:3") == {f"nct:{TRIAL}"}
    assert ids("phase:2") == {"nct:NCT03927001"}
    assert ids("status:recruiting") == {"nct:NCT05334222"}
    assert ids("preprint:true") == set()              # the only preprint is merged now
    assert f"doi:{JOURNAL}" in ids("preprint:false")
    rows = list(csv.reader(io.StringIO(tracker(home, "export", "-f", "csv").stdout)))
    assert rows[0][-5:] == ["nct_ids", "phase", "trial_status", "preprint", "preprint_doi"]
    assert rows[0][:3] == ["id", "title", "abstract"]


def test_registration_and_preprint_in_ris_and_bibtex(site):
    _, home, _, _ = site
    ris = tracker(home, "export", f"nct:{TRIAL}", "-f", "ris").stdout.split("ER  - ")
    reg = next(r for r in ris if f"AN  - {TRIAL}" in r)
    assert reg.lstrip().startswith("TY  - DBASE") and "DB  - ClinicalTrials.gov" in reg
    assert "N1  - Trial registration NCT04102111 (phase 3; active)" in reg
    merged = next(r for r in ris if f"DO  - {JOURNAL}" in r)
    assert merged.lstrip().startswith("TY  - JOUR") and f"N1  - Preprint: https://doi.org/{PRE}" in merged
    bib = tracker(home, "export", "type:cohort", "-f", "bibtex").stdout
    assert bib.startswith("@misc{") and "howpublished = {ClinicalTrials.gov}" in bib


def test_an_index_of_the_previous_schema_is_migrated_with_the_new_fields(site, tmp_path):
    _, home, _, _ = site
    old = tmp_path / "old"
    shutil.copytree(home, old)
    index = old / "index"
    (index / "index.json").write_text('{"schema_version": 4, "indexed": 0}\n')
    with sqlite3.connect(index / "records.sqlite") as db:      # export lines of the earlier layout
        db.execute("UPDATE meta SET value = 'old' WHERE key = 'lines'")
    assert tracker(old, "search", "phase:3").exit_code != 0     # readers ask for the migration
    res = tracker(old, "reindex")
    assert res.exit_code == 0, res.output
    assert {h["id"] for h in json.loads(tracker(old, "search", "phase:3", "-f", "json").stdout)} == {
        f"nct:{TRIAL}"}
    header = tracker(old, "export", "-f", "csv").stdout.splitlines()[0]
    assert header.endswith("nct_ids,phase,trial_status,preprint,preprint_doi")


def test_the_digest_says_where_the_preprint_is_now_published(site):
    _, home, _, _ = site
    digest = tracker(home, "digest", "--since", "7d").stdout
    assert f"preprint {PRE} now published in Gastroenterology" in digest
    assert "ClinicalTrials.gov, phase 3 active" in digest


@pytest.mark.parametrize("query, error", [
    ("nct:NCT0410", "is not a ClinicalTrials.gov number"),
    ("phase:x", "is not a trial phase"),
    ("preprint:maybe", "must be true or false"),
])
def test_bad_trial_fields_are_one_line_usage_errors(site, query, error):
    _, home, _, _ = site
    res = tracker(home, "search", query)
    assert res.exit_code == 2 and error in res.stderr and len(res.stderr.strip().splitlines()) == 1
