"""Europe PMC source: core JSON mapping on fixtures, and cursorMark paging/windows with `responses`."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from sourcetest import fetch_context

from tracker import config as tconfig
from tracker.errors import ConfigError, ParseError
from tracker.models import Article
from tracker.sources import window as _window
from tracker.sources.base import FetchContext
from tracker.sources.europepmc import EuropePMCSource
from tracker.sources.europepmc_json import parse_page, parse_result
from tracker.sources.records import RecordError
from tracker.state import State

FIXTURES = Path(__file__).parent / "fixtures" / "europepmc"
SEARCH = "https://www.ebi.ac.uk/europepmc/webservices/rest/search"
QUERY = "natalizumab AND crohn"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def results(name: str) -> list[Article | RecordError]:
    return [parse_result(r) for r in parse_page(fixture(name)).results]


# --- JSON mapping --------------------------------------------------------------

def test_page_envelope():
    page = parse_page(fixture("search_page1.json"))
    assert page.hit_count == 6
    assert page.next_cursor == "AoIIQHgrPSg0NjQ3OTI4Ng=="
    assert len(page.results) == 5


def test_medline_record_with_html_abstract():
    art = results("search_page1.json")[0]
    assert art.title == ("Progressive multifocal leukoencephalopathy after natalizumab in Crohn's disease: "
                         "three cases and a review of JC virus+ risk stratification.")
    assert art.abstract == (
        "Background: Natalizumab is effective in Crohn's disease but carries a risk of progressive "
        "multifocal leukoencephalopathy (PML). Methods: We describe three patients treated at two "
        "centres and review 41 published cases. Results: All three were anti-JCV antibody positive "
        "(index >1.5); CD4+ counts fell below 200 cells/µL. One patient died. Conclusions: Risk "
        "stratification before and during therapy is essential.")
    assert art.authors == ["Müller T", "Nguyen HT", "Anti-Integrin Safety Consortium"]
    assert art.journal == "Inflammatory bowel diseases"
    assert art.year == 2024                       # printPublicationDate
    assert art.published == "2024-01-11"          # firstPublicationDate
    assert (art.doi, art.pmid, art.pmcid) == ("10.1093/ibd/izae012", "38211234", "PMC11012345")
    assert art.url == "https://doi.org/10.1093/ibd/izae012"
    assert art.language == "en"
    assert art.publication_types == ["Case Reports", "Review", "Journal Article"]
    assert art.keywords == ["Crohn Disease", "Leukoencephalopathy, Progressive Multifocal", "Natalizumab",
                            "PML", "JC polyomavirus"]
    assert art.provenance["abstract"] == "registry"


def test_preprint_without_journal_info():
    art = results("search_page1.json")[1]
    assert art.title == "Vedolizumab trough concentrations and endoscopic healing in Crohn’s disease: a prospective cohort"
    assert art.journal == "medRxiv"
    assert art.year == 2024                       # pubYear
    assert art.authors == ["Rossi L", "Bianchi M"]  # fullName only
    assert art.publication_types == ["Preprint"]    # a bare string, not a list
    assert art.abstract.startswith("Background: exposure-response data") and "Methods: 118 patients" in art.abstract
    assert art.pmid is None and art.doi == "10.1101/2024.02.14.24302811"


def test_pmc_only_record_gets_a_landing_page_and_no_dates():
    art = results("search_page1.json")[2]
    assert art.url == "https://europepmc.org/article/PMC/PMC10998877"
    assert art.id == "url:https://europepmc.org/article/PMC/PMC10998877"
    assert art.pmcid == "PMC10998877"
    assert art.authors == ["Pérez-García A"]       # a single author as a bare object
    assert art.year == 2023                         # journalInfo.yearOfPublication
    assert art.published is None and art.abstract is None
    assert art.language == "es"


def test_author_string_fallback_entities_and_bad_dates():
    art = results("search_page1.json")[3]
    assert art.authors == ["Smith JA", "Doe J"]
    assert art.title == "Dietary fibre & ileal Crohn’s disease in a murine model"
    assert art.journal == "Journal of nutrition & metabolism"
    assert art.year == 2024                         # bad printPublicationDate skipped for pubYear
    assert art.published is None                    # "2024-13-45" is no date
    assert art.url == "https://europepmc.org/article/AGR/IND607654321"


def test_result_without_identifier_is_a_record_error():
    assert isinstance(results("search_page1.json")[4], RecordError)
    assert isinstance(parse_result(["not", "an", "object"]), RecordError)


def test_partial_print_date_still_gives_the_year():
    (art,) = results("search_page2.json")
    assert art.year == 2024 and art.published == "2024-03-02"
    assert art.url == "https://europepmc.org/article/MED/38399001"


@pytest.mark.parametrize("name, message", [
    ("search_truncated.json", "did not return JSON"),
    ("search_error.json", "Query syntax error"),
])
def test_unusable_pages_raise_parse_error(name, message):
    with pytest.raises(ParseError, match=message):
        parse_page(fixture(name))


@pytest.mark.parametrize("body, message", [
    (b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", "did not return JSON"),
    (b"[]", "not a search response"),
    (b'{"version": "6.9", "hitCount": 3}', "without a result list"),
])
def test_other_unusable_bodies(body, message):
    with pytest.raises(ParseError, match=message):
        parse_page(body)


# --- the source against a mocked REST service ---------------------------------

FEEDS_YAML = """
contact_email: curator@example.org
defaults:
  since: 2024-01-01
feeds:
  - name: epmc
    kind: europepmc
    query: '{query}'
{extra}
"""


def make_ctx(tmp_path: Path, state: State, *, extra: str = "", query: str = QUERY,
             full: bool = False) -> FetchContext:
    return fetch_context(tmp_path, state, FEEDS_YAML.format(query=query, extra=extra), full=full, robots=False)




def params_of(call) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(call.request.url).query).items()}


def page(ids: list[str], cursor: str | None, hits: int = 100) -> str:
    recs = [{"id": i, "source": "MED", "pmid": i, "title": f"Crohn's disease study {i}"} for i in ids]
    body: dict = {"version": "6.9", "hitCount": hits, "resultList": {"result": recs}}
    if cursor is not None:
        body["nextCursorMark"] = cursor
    return json.dumps(body)


@responses.activate
def test_paging_follows_next_cursor_mark_with_the_windowed_query(tmp_path, state, today):
    responses.get(SEARCH, body=fixture("search_page1.json"))
    responses.get(SEARCH, body=fixture("search_page2.json"))
    ctx = make_ctx(tmp_path, state, extra="    page_size: 5")
    arts = list(EuropePMCSource().items(ctx))
    assert [a.pmid or a.doi or a.pmcid for a in arts] == [
        "38211234", "10.1101/2024.02.14.24302811", "PMC10998877", None, "38399001"]
    first, second = (params_of(c) for c in responses.calls)
    span = "[2024-01-01 TO 2024-06-30]"
    assert first == {"query": f"({QUERY}) AND (FIRST_PDATE:{span} OR FIRST_IDATE:{span})",
                     "format": "json", "resultType": "core", "pageSize": "5", "cursorMark": "*"}
    assert second["cursorMark"] == "AoIIQHgrPSg0NjQ3OTI4Ng=="
    assert ctx.stats["errors"] == 1                   # the record without an identifier


@responses.activate
def test_paging_stops_when_the_cursor_stops_changing(tmp_path, state, today):
    responses.get(SEARCH, body=page(["1", "2"], "c1"))
    responses.get(SEARCH, body=page(["3"], "c2"))
    responses.get(SEARCH, body=page(["4"], "c2"))
    arts = list(EuropePMCSource().items(make_ctx(tmp_path, state)))
    assert [a.pmid for a in arts] == ["1", "2", "3", "4"]
    assert [params_of(c)["cursorMark"] for c in responses.calls] == ["*", "c1", "c2"]
    assert params_of(responses.calls[0])["pageSize"] == "1000"   # the default


@responses.activate
def test_paging_stops_on_an_empty_page_or_a_missing_cursor(tmp_path, state, today):
    responses.get(SEARCH, body=page(["1"], "c1"))
    responses.get(SEARCH, body=page([], "c2"))
    assert len(list(EuropePMCSource().items(make_ctx(tmp_path, state)))) == 1
    assert len(responses.calls) == 2
    responses.reset()
    responses.get(SEARCH, body=page(["1"], None))
    assert len(list(EuropePMCSource().items(make_ctx(tmp_path, state)))) == 1
    assert len(responses.calls) == 1


@responses.activate
def test_paging_stops_once_hit_count_records_are_read(tmp_path, state, today):
    responses.get(SEARCH, body=page(["1", "2"], "c1", hits=3))
    responses.get(SEARCH, body=page(["3"], "c2", hits=3))
    assert len(list(EuropePMCSource().items(make_ctx(tmp_path, state)))) == 3
    assert len(responses.calls) == 2


@responses.activate
def test_window_advances_between_runs(tmp_path, state, today):
    responses.get(SEARCH, body=page(["1"], None))
    list(EuropePMCSource().items(make_ctx(tmp_path, state)))
    state.commit()
    today["value"] = date(2024, 7, 3)
    responses.get(SEARCH, body=fixture("search_empty.json"))
    assert list(EuropePMCSource().items(make_ctx(tmp_path, state))) == []
    assert "FIRST_PDATE:[2024-06-30 TO 2024-07-03]" in params_of(responses.calls[1])["query"]
    state.commit()
    assert state.feed("epmc").get(_window.CURSOR_KEY)["until"] == "2024-07-03"
    # --full starts again from since
    list(EuropePMCSource().items(make_ctx(tmp_path, state, full=True)))
    assert "FIRST_IDATE:[2024-01-01 TO 2024-07-03]" in params_of(responses.calls[2])["query"]


@responses.activate
def test_cursor_is_not_staged_when_a_page_fails(tmp_path, state, today):
    responses.get(SEARCH, body=page(["1"], "c1"))
    responses.get(SEARCH, body="<html><body>Service Temporarily Unavailable</body></html>",
                  content_type="text/html")
    ctx = make_ctx(tmp_path, state)
    items = list(EuropePMCSource().items(ctx))   # a later page costs that page, not the feed
    assert [a.pmid for a in items] == ["1"]
    assert ctx.stats["errors"] == 1 and "page 2: Europe PMC did not return JSON" in ctx.stats.first_error
    state.commit()
    assert ctx.state.get(_window.CURSOR_KEY) is None


@responses.activate
def test_base_url_is_honoured(tmp_path, state, today):
    responses.get("http://epmc-mirror.test/rest/search", body=page(["7"], None))
    ctx = make_ctx(tmp_path, state, extra="    base_url: http://epmc-mirror.test/rest")
    assert [a.pmid for a in EuropePMCSource().items(ctx)] == ["7"]


@responses.activate
def test_error_json_is_a_clean_error(tmp_path, state, today):
    responses.get(SEARCH, body=fixture("search_error.json"))
    with pytest.raises(ParseError, match="Europe PMC search failed: Query syntax error"):
        list(EuropePMCSource().items(make_ctx(tmp_path, state)))


@pytest.mark.parametrize("value", [0, 1001, "all"])
def test_page_size_is_validated(tmp_path, value):
    with pytest.raises(ConfigError, match="page_size"):
        tconfig.parse(FEEDS_YAML.format(query=QUERY, extra=f"    page_size: {value}"), tmp_path / "feeds.yaml")


# --- markup flattening shared by the registry sources --------------------------

@pytest.mark.parametrize("markup, text", [
    ("<h4>Aims</h4><p>To compare.</p><h4>Summary</h4>Done.", "Aims: To compare. Done."),
    ("<h4>Objective:</h4>Test.", "Objective: Test."),
    ("line one<br>line two<br/>three", "line one line two three"),
    ("CD4<sup>+</sup> T cells &amp; IL-23 &lt;5%", "CD4+ T cells & IL-23 <5%"),
    ("<p>kept</p><script>alert(1)</script><style>p{}</style>", "kept"),
    ("<jats:p>unclosed <jats:italic>italic", "unclosed italic"),
    ("<mml:math><mml:mi>x</mml:mi><mml:annotation encoding='TeX'>x</mml:annotation></mml:math> = 2", "x = 2"),
    ("plain   text\n with  spaces", "plain text with spaces"),
    ("", None),
    ("<p> </p>", None),
])
def test_flatten_markup(markup, text):
    from tracker.sources.markup import flatten_markup

    assert flatten_markup(markup) == text


@pytest.mark.parametrize("code, expected", [
    ("eng", "en"), ("spa", "es"), ("por", "pt"), ("ger", "de"), ("fre", "fr"), ("chi", "zh"),
    ("EN", "en"), ("en-GB", "en"), ("und", None), ("mul", None), ("xyz", None), ("", None), (None, None),
])
def test_language_codes(code, expected):
    from tracker.lexicon.languages import language_code

    assert language_code(code) == expected
