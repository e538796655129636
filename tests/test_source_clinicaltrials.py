"""ClinicalTrials.gov source: study mapping on fixtures, nextPageToken paging and
last-update windows with `responses`."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from click.testing import CliRunner
from sourcetest import fetch_context

from tracker.cli import cli
from tracker.errors import ParseError
from tracker.extract import enrich
from tracker.models import Article
from tracker.sources import window as _window
from tracker.sources.clinicaltrials import ClinicalTrialsSource, parse_page, parse_study, phase
from tracker.sources.records import RecordError
from tracker.state import State

FIXTURES = Path(__file__).parent / "fixtures" / "clinicaltrials"
STUDIES = "https://clinicaltrials.gov/api/v2/studies"
FEED = "feeds:\n  - name: ct\n    kind: clinicaltrials\n    query: crohn\n    since: 2020-01-01\n"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def studies(name: str) -> list[Article | RecordError]:
    return [parse_study(s) for s in parse_page(fixture(name))[0]]


def test_randomised_phase_3_registration():
    art = studies("studies_page1.json")[0]
    assert isinstance(art, Article)
    assert art.id == "nct:NCT04102111" and art.nct_ids == ["NCT04102111"]
    assert art.title == "Maintenance Study of Mirikizumab in Adults With Moderate to Severe Crohn's Disease"
    # a short detailed description is added to the brief summary
    assert art.abstract.endswith("continue on study drug every four weeks.")
    assert art.authors == ["Northfield Biologics", "Crohn's Trials Network"]
    assert (art.journal, art.year, art.published) == (None, 2019, "2019-10-25")   # first posted
    assert (art.study_type, art.phase, art.trial_status) == ("rct", "phase 3", "active")
    assert art.case_count == 1152 and "Actual enrolment" in art.case_count_evidence
    # drug and biological interventions only, brands and codes mapped; not the procedure
    assert art.drugs == ["mirikizumab", "ustekinumab"]
    assert art.url == "https://clinicaltrials.gov/study/NCT04102111"
    assert art.provenance["case_count"] == "registry"


def test_observational_registration_with_anticipated_enrolment():
    art = studies("studies_page1.json")[1]
    assert isinstance(art, Article)
    assert art.title.startswith("Observational Registry of Guselkumab")    # official title as fallback
    assert (art.study_type, art.phase, art.trial_status) == ("cohort", None, "not_yet_recruiting")
    assert art.case_count == 300 and "Anticipated enrolment" in art.case_count_evidence
    assert art.drugs == ["guselkumab"]                  # "Tremfya 100 mg subcutaneous"
    enrich(art)
    assert art.study_type == "cohort" and art.case_count == 300     # registry values stand
    assert {"crohns_disease", "ulcerative_colitis"} <= set(art.conditions)


def test_non_randomised_phase_2_3_and_a_broken_number():
    art = studies("studies_page2.json")[0]
    assert isinstance(art, Article)
    assert (art.study_type, art.phase, art.trial_status, art.drugs) == ("other", "phase 2/3", "terminated",
                                                                        ["vedolizumab"])
    assert isinstance(studies("studies_page1.json")[2], RecordError)   # "NCT0533" is not an NCT number


@pytest.mark.parametrize("phases, shown", [(["EARLY_PHASE1"], "early phase 1"), (["NA"], None),
                                           (["PHASE1", "PHASE2"], "phase 1/2"), ([], None)])
def test_phase_labels(phases, shown):
    assert phase(phases) == shown


def test_page_that_is_not_a_study_list():
    with pytest.raises(ParseError, match="without a list of studies"):
        parse_page(b'{"error": "bad filter"}')




@responses.activate
def test_pages_by_token_then_asks_only_for_updates(tmp_path, monkeypatch):
    monkeypatch.setattr(_window, "today", lambda: date(2024, 6, 1))
    responses.get(STUDIES, body=fixture("studies_page1.json"))
    responses.get(STUDIES, body=fixture("studies_page2.json"))
    state = State(tmp_path / "state.sqlite")
    ctx = fetch_context(tmp_path, state, FEED)
    items = list(ClinicalTrialsSource().items(ctx))
    assert [a.id for a in items] == ["nct:NCT04102111", "nct:NCT05334222", "nct:NCT03927001"]
    assert ctx.stats["errors"] == 1
    first, second = (parse_qs(urlsplit(c.request.url).query) for c in responses.calls)
    assert first["query.term"] == ["crohn"] and first["pageSize"] == ["1000"]
    assert first["filter.advanced"] == ["AREA[LastUpdatePostDate]RANGE[2020-01-01,MAX]"]
    assert "pageToken" not in first and second["pageToken"] == ["ZVNrcW1zdGJ1"]
    state.commit()
    # the next run asks only for studies updated since the day the last one covered
    responses.calls.reset()
    monkeypatch.setattr(_window, "today", lambda: date(2024, 6, 3))
    responses.replace(responses.GET, STUDIES, body=json.dumps({"studies": []}))
    list(ClinicalTrialsSource().items(fetch_context(tmp_path, state, FEED)))
    asked = parse_qs(urlsplit(responses.calls[0].request.url).query)
    assert asked["filter.advanced"] == ["AREA[LastUpdatePostDate]RANGE[2024-06-01,MAX]"]


@responses.activate
def test_a_repeated_page_token_ends_the_paging(tmp_path):
    page = json.loads(fixture("studies_page2.json"))
    page["nextPageToken"] = "same"
    responses.get(STUDIES, json=page)
    ctx = fetch_context(tmp_path, State(tmp_path / "s.sqlite"), FEED)
    items = list(ClinicalTrialsSource().items(ctx))
    assert len(responses.calls) == 2 and len(items) == 2     # the token came back: stop


@responses.activate
def test_condition_and_intervention_keys(tmp_path):
    responses.get(STUDIES, json={"studies": []})
    feed = ("feeds:\n  - name: ct\n    kind: clinicaltrials\n    condition: Crohn Disease\n"
            "    intervention: vedolizumab\n    page_size: 50\n")
    list(ClinicalTrialsSource().items(fetch_context(tmp_path, State(tmp_path / "s.sqlite"), feed)))
    asked = parse_qs(urlsplit(responses.calls[0].request.url).query)
    assert asked["query.cond"] == ["Crohn Disease"] and asked["query.intr"] == ["vedolizumab"]
    assert "query.term" not in asked and asked["pageSize"] == ["50"]


def test_a_feed_without_a_search_is_a_config_error(tmp_path):
    config = tmp_path / "feeds.yaml"
    config.write_text("feeds:\n  - name: ct\n    kind: clinicaltrials\n    condition: ''\n")
    result = CliRunner().invoke(cli, ["--config", str(config), "feeds", "check"])
    assert result.exit_code == 2
    assert "feed 'ct': a clinicaltrials feed needs 'query', 'condition' or 'intervention'" in result.output
    assert "Traceback" not in result.output
    config.write_text("feeds:\n  - name: ct\n    kind: clinicaltrials\n    intervention: vedolizumab\n")
    assert CliRunner().invoke(cli, ["--config", str(config), "feeds", "check"]).exit_code == 0


# --- links from papers to trials ------------------------------------------------

PUBMED_WITH_DATABANK = b"""<?xml version="1.0"?>
<PubmedArticleSet><PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM">
<PMID Version="1">39000001</PMID><Article PubModel="Print">
<Journal><JournalIssue><PubDate><Year>2025</Year></PubDate></JournalIssue><Title>Gastroenterology</Title></Journal>
<ArticleTitle>Mirikizumab maintenance in Crohn's disease</ArticleTitle>
<DataBankList CompleteYN="Y">
  <DataBank><DataBankName>ClinicalTrials.gov</DataBankName>
    <AccessionNumberList><AccessionNumber>NCT04102111</AccessionNumber>
    <AccessionNumber>NCT03927001</AccessionNumber></AccessionNumberList></DataBank>
  <DataBank><DataBankName>ISRCTN</DataBankName>
    <AccessionNumberList><AccessionNumber>ISRCTN12345678</AccessionNumber></AccessionNumberList></DataBank>
</DataBankList></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>"""


def test_pubmed_databank_names_the_trials_a_paper_reports():
    from tracker.sources.pubmed_xml import parse_efetch

    (art,) = list(parse_efetch(PUBMED_WITH_DATABANK))
    assert isinstance(art, Article)
    assert art.nct_ids == ["NCT03927001", "NCT04102111"]       # ISRCTN numbers are not NCT numbers


def test_nct_numbers_in_text_are_linked_by_extraction():
    from tracker.extract.trials import find_nct_ids

    assert find_nct_ids("registered as NCT01234567, see also nct 02345678; not NCT123456789") == {
        "NCT01234567", "NCT02345678"}
    art = Article(title="Ustekinumab in Crohn's disease", abstract="(ClinicalTrials.gov NCT-01369329)",
                  doi="10.5555/x", nct_ids=["NCT04102111"])
    enrich(art)
    assert art.nct_ids == ["NCT01369329", "NCT04102111"]
