"""The record store's trial and preprint rules: a registration stays one record
across status changes; a preprint and its journal paper become one record."""

from __future__ import annotations

from tracker.models import Article
from tracker.sources.records import registry_article
from tracker.store import Store

PRE = "10.1101/2024.01.12.24301210"
JOURNAL = "10.1053/j.gastro.2024.05.017"


def registration(status: str, count: int) -> Article:
    art = registry_article(title="Mirikizumab maintenance in Crohn's disease", trial_status=status,
                           phase="phase 3", case_count=count, url="https://clinicaltrials.gov/study/NCT04102111")
    art.registration = "NCT04102111"
    art.nct_ids = ["NCT04102111"]
    return art


def preprint(published_as: str | None = None) -> Article:
    art = registry_article(title="Mirikizumab maintenance: week-52 outcomes (preprint)", journal="medRxiv",
                           year=2024, published="2024-01-15", doi=PRE, preprint=True,
                           url=f"https://www.medrxiv.org/content/{PRE}v2", feeds=["mx"])
    art.published_as = published_as
    return art


def journal_paper() -> Article:
    return registry_article(title="Mirikizumab maintenance in Crohn's disease: week-52 outcomes",
                            journal="Gastroenterology", year=2025, published="2024-06-02", doi=JOURNAL,
                            pmid="39000001", nct_ids=["NCT04102111"], feeds=["pm"])


def test_a_registration_is_one_record_across_a_status_change(tmp_path):
    with Store.open(tmp_path, create=True) as store:
        assert store.upsert([registration("recruiting", 900)]).new == ["nct:NCT04102111"]
        assert store.upsert([registration("completed", 1152)]).updated == ["nct:NCT04102111"]
        assert store.count() == 1
        rec = store.get("nct:NCT04102111")
        # the later snapshot wins, though "recruiting" is the longer word and 900 the older count
        assert (rec["trial_status"], rec["case_count"]) == ("completed", 1152)
        assert store.lookup("NCT04102111")["id"] == "nct:NCT04102111"


def test_a_preprint_is_merged_into_its_journal_paper_when_the_server_names_it(tmp_path):
    with Store.open(tmp_path, create=True) as store:
        store.upsert([journal_paper()], now="2024-06-10T00:00:00Z")
        store.upsert([preprint()], now="2024-06-11T00:00:00Z")
        assert store.count() == 2                           # not yet known to be the same study
        store.upsert([preprint(JOURNAL)], now="2024-07-01T00:00:00Z")
        assert store.count() == 1 and store.get(f"doi:{PRE}") is None
        rec = store.get(f"doi:{JOURNAL}")
        assert (rec["preprint"], rec["preprint_doi"], rec["preprint_date"]) == (False, PRE, "2024-01-15")
        # the journal's own values win over the preprint's
        assert (rec["journal"], rec["year"], rec["title"]) == ("Gastroenterology", 2025, journal_paper().title)
        assert sorted(rec["feeds"]) == ["mx", "pm"]
        assert store.lookup(PRE)["id"] == f"doi:{JOURNAL}"      # the preprint DOI still finds it
        # the same preprint again changes nothing
        before = store.last_seq()
        store.upsert([preprint(JOURNAL)], now="2024-07-02T00:00:00Z")
        assert store.count() == 1 and store.last_seq() == before


def test_a_journal_paper_arriving_after_the_merge_joins_the_same_record(tmp_path):
    with Store.open(tmp_path, create=True) as store:
        store.upsert([preprint(JOURNAL)])
        rec = store.get(f"doi:{JOURNAL}")
        assert rec["journal"] is None and rec["preprint_doi"] == PRE and rec["preprint"] is False
        store.upsert([journal_paper()])
        assert store.count() == 1
        rec = store.get(f"doi:{JOURNAL}")
        assert (rec["journal"], rec["year"], rec["pmid"], rec["preprint_doi"]) == ("Gastroenterology", 2025,
                                                                                   "39000001", PRE)


def test_a_stored_preprint_meets_a_journal_record_naming_it(tmp_path):
    with Store.open(tmp_path, create=True) as store:
        store.upsert([preprint()])
        paper = journal_paper()
        paper.preprint_doi = PRE
        store.upsert([paper])
        assert store.count() == 1 and store.get(f"doi:{JOURNAL}")["preprint_doi"] == PRE


def test_trial_links_both_ways(tmp_path):
    with Store.open(tmp_path, create=True) as store:
        store.upsert([registration("recruiting", 900), journal_paper()])
        reg = store.get("nct:NCT04102111")
        paper = store.get(f"doi:{JOURNAL}")
        assert [r["id"] for r in store.trial_links(reg)["NCT04102111"]] == [f"doi:{JOURNAL}"]
        assert [r["id"] for r in store.trial_links(paper)["NCT04102111"]] == ["nct:NCT04102111"]
        assert store.problems()[1] == []
