"""Crossref source: /works JSON mapping on fixtures, and cursor paging/incremental filters with `responses`."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from sourcetest import fetch_context

from tracker import config as tconfig
from tracker.errors import ConfigError, FetchError, ParseError
from tracker.models import Article
from tracker.sources import window as _window
from tracker.sources.base import FetchContext
from tracker.sources.crossref import SELECT, CrossrefSource
from tracker.sources.crossref_json import parse_item, parse_page
from tracker.sources.records import RecordError
from tracker.state import State

FIXTURES = Path(__file__).parent / "fixtures" / "crossref"
WORKS = "https://api.crossref.org/works"
QUERY = "crohn biologic therapy"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def items(name: str) -> list[Article | RecordError]:
    return [parse_item(i) for i in parse_page(fixture(name)).items]


# --- JSON mapping --------------------------------------------------------------

def test_page_envelope():
    page = parse_page(fixture("works_page1.json"))
    assert page.total == 5 and len(page.items) == 5
    assert page.next_cursor.startswith("DnF1ZXJ5VGhlbkZldGNo")


def test_full_work_with_jats_abstract():
    art = items("works_page1.json")[0]
    assert art.title == ("Ustekinumab Versus Adalimumab for Induction of Remission in Biologic-Naïve "
                         "Crohn’s Disease: A Target Trial Emulation")
    # the "Abstract" heading is dropped, section titles become labels
    assert art.abstract == (
        "Background & Aims: Head-to-head data for first-line biologics in Crohn’s disease are limited. "
        "Methods: We emulated a target trial in 2,134 biologic-naïve patients (n = 1,067 per arm). "
        "Results: Remission at week 16: 41.3% vs 38.9% (HR 1.08; 95% CI, 0.96–1.21; P = .19).")
    assert art.authors == ["Colombel JF", "Vermeire S", "Sandborn WJ"]
    assert art.journal == "Clinical Gastroenterology and Hepatology"
    assert art.year == 2024                      # published-print: the issue
    assert art.published == "2023-09-02"         # published-online: the day it appeared
    assert art.doi == "10.1016/j.cgh.2023.08.015"
    assert art.url == "https://doi.org/10.1016/j.cgh.2023.08.015"
    assert art.language == "en"
    assert art.publication_types == ["journal-article"]
    assert art.provenance["year"] == "registry" and art.provenance["abstract"] == "registry"


def test_short_container_title_org_author_html_and_partial_dates():
    art = items("works_page1.json")[1]
    assert art.title == "Natalizumab-associated PML in Crohn disease: a case series of 3 patients"
    assert art.journal == "Inflamm Bowel Dis"    # container-title is empty
    assert art.authors == ["Nakamura M", "IBD Safety Network"]
    assert art.abstract == "Three patients with Crohn disease developed PML after 24–36 infusions of natalizumab."
    assert art.year == 2019 and art.published == "2019-03"
    assert art.url == "https://doi.org/10.1097/mib.0000000000001234"  # no URL in the record


def test_preprint_with_null_issued_date_uses_posted():
    art = items("works_page1.json")[2]
    assert art.year == 2024 and art.published == "2024-04-03"
    assert art.publication_types == ["posted-content"]
    assert art.journal is None
    assert art.url == "http://dx.doi.org/10.21203/rs.3.rs-4123456/v1"


def test_missing_title_string_date_parts_and_three_letter_language():
    art = items("works_page1.json")[3]
    assert art.title is None
    assert art.year == 2024 and art.published == "2024-02"   # 31 February is no day
    assert art.language == "en"
    assert art.authors == ["Anonymous"]


def test_work_without_doi_is_a_record_error():
    assert isinstance(items("works_page1.json")[4], RecordError)
    assert isinstance(parse_item("10.1000/xyz"), RecordError)


def test_entities_in_container_title():
    (art,) = items("works_page2.json")
    assert art.journal == "Alimentary Pharmacology & Therapeutics"


@pytest.mark.parametrize("name, message", [
    ("works_truncated.json", "did not return JSON"),
    ("works_error.json", "Crossref answered 'failed': Filter from-idx-date specified"),
])
def test_unusable_pages_raise_parse_error(name, message):
    with pytest.raises(ParseError, match=message):
        parse_page(fixture(name))


@pytest.mark.parametrize("body, message", [
    (b"<html><head><title>503 Service Unavailable</title></head></html>", "did not return JSON"),
    (b'"Resource not found."', "not an API message"),
    (b'{"status": "ok", "message": {"total-results": 0}}', "without a list of works"),
])
def test_other_unusable_bodies(body, message):
    with pytest.raises(ParseError, match=message):
        parse_page(body)


# --- the source against a mocked REST API --------------------------------------

FEEDS_YAML = """
contact_email: curator@example.org
defaults:
  since: 2020-01-01
feeds:
  - name: xref
    kind: crossref
    query: {query}
{extra}
"""


def make_ctx(tmp_path: Path, state: State, *, extra: str = "", query: str = QUERY,
             full: bool = False) -> FetchContext:
    return fetch_context(tmp_path, state, FEEDS_YAML.format(query=query, extra=extra), full=full, robots=False)




def params_of(call) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(call.request.url).query).items()}


def page(dois: list[str], cursor: str | None = "next") -> str:
    works = [{"DOI": d, "type": "journal-article", "title": [f"Crohn's disease {d}"]} for d in dois]
    message: dict = {"total-results": 99, "items": works, "items-per-page": len(works)}
    if cursor is not None:
        message["next-cursor"] = cursor
    return json.dumps({"status": "ok", "message-type": "work-list", "message": message})


@responses.activate
def test_first_run_parameters_and_deep_paging(tmp_path, state, today):
    responses.get(WORKS, body=fixture("works_page1.json"))
    responses.get(WORKS, body=fixture("works_page2.json"))
    ctx = make_ctx(tmp_path, state, extra="    rows: 5")
    arts = list(CrossrefSource().items(ctx))
    assert [a.doi for a in arts] == ["10.1016/j.cgh.2023.08.015", "10.1097/mib.0000000000001234",
                                     "10.21203/rs.3.rs-4123456/v1", "10.5555/jcc.2024.erratum",
                                     "10.1111/apt.17890"]
    first, second = (params_of(c) for c in responses.calls)
    assert first == {"query": QUERY, "filter": "from-pub-date:2020-01-01", "rows": "5",
                     "select": SELECT, "mailto": "curator@example.org", "cursor": "*"}
    assert second["cursor"] == parse_page(fixture("works_page1.json")).next_cursor
    assert ctx.stats["errors"] == 1                  # the work without a DOI


@responses.activate
def test_paging_stops_on_a_short_page_or_without_next_cursor(tmp_path, state, today):
    responses.get(WORKS, body=page(["10.1000/a", "10.1000/b"], "c1"))
    responses.get(WORKS, body=page(["10.1000/c", "10.1000/d"], None))
    ctx = make_ctx(tmp_path, state, extra="    rows: 2")
    assert len(list(CrossrefSource().items(ctx))) == 4
    assert [params_of(c)["cursor"] for c in responses.calls] == ["*", "c1"]
    responses.reset()
    responses.get(WORKS, body=page(["10.1000/a"], "c1"))
    assert len(list(CrossrefSource().items(make_ctx(tmp_path, state)))) == 1
    assert len(responses.calls) == 1
    assert params_of(responses.calls[0])["rows"] == "1000"   # the default


@responses.activate
def test_incremental_runs_filter_by_index_date(tmp_path, state, today):
    responses.get(WORKS, body=page([], None))
    list(CrossrefSource().items(make_ctx(tmp_path, state)))
    state.commit()
    today["value"] = date(2024, 7, 3)
    list(CrossrefSource().items(make_ctx(tmp_path, state)))
    state.commit()
    assert params_of(responses.calls[1])["filter"] == "from-pub-date:2020-01-01,from-index-date:2024-06-30"
    list(CrossrefSource().items(make_ctx(tmp_path, state)))
    assert params_of(responses.calls[2])["filter"] == "from-pub-date:2020-01-01,from-index-date:2024-07-03"
    # --full and a changed query start from the publication date again
    list(CrossrefSource().items(make_ctx(tmp_path, state, full=True)))
    list(CrossrefSource().items(make_ctx(tmp_path, state, query="crohn vedolizumab")))
    assert [params_of(c)["filter"] for c in responses.calls[3:]] == ["from-pub-date:2020-01-01"] * 2


@responses.activate
def test_feed_filter_is_appended_and_scopes_the_cursor(tmp_path, state, today):
    responses.get(WORKS, body=page([], None))
    extra = "    filter: type:journal-article,has-abstract:true"
    list(CrossrefSource().items(make_ctx(tmp_path, state, extra=extra)))
    state.commit()
    assert params_of(responses.calls[0])["filter"] == (
        "from-pub-date:2020-01-01,type:journal-article,has-abstract:true")
    list(CrossrefSource().items(make_ctx(tmp_path, state, extra=extra)))
    assert "from-index-date:2024-06-30" in params_of(responses.calls[1])["filter"]
    list(CrossrefSource().items(make_ctx(tmp_path, state)))   # filter removed: start over
    assert "from-index-date" not in params_of(responses.calls[2])["filter"]


@responses.activate
def test_cursor_is_not_staged_when_a_page_fails(tmp_path, state, today):
    responses.get(WORKS, body=page(["10.1000/a"], "c1"))
    responses.get(WORKS, body=fixture("works_truncated.json"))
    ctx = make_ctx(tmp_path, state, extra="    rows: 1")
    items = list(CrossrefSource().items(ctx))   # a later page costs that page, not the feed
    assert [a.doi for a in items] == ["10.1000/a"]
    assert ctx.stats["errors"] == 1 and ctx.stats.first_error.startswith("Crossref page 2: ")
    state.commit()
    assert ctx.state.get(_window.CURSOR_KEY) is None


@responses.activate
def test_rate_limit_headers_reach_the_fetcher(tmp_path, state, today):
    responses.get(WORKS, body=page([], None),
                  headers={"X-Rate-Limit-Limit": "50", "X-Rate-Limit-Interval": "1s"})
    ctx = make_ctx(tmp_path, state)
    list(CrossrefSource().items(ctx))
    assert ctx.http.host_gap("api.crossref.org", 1000.0) == pytest.approx(1 / 50)


@responses.activate
def test_base_url_is_honoured(tmp_path, state, today):
    responses.get("http://crossref-proxy.test/api/works", body=page(["10.1000/z"], None))
    ctx = make_ctx(tmp_path, state, extra="    base_url: http://crossref-proxy.test/api/")
    assert [a.doi for a in CrossrefSource().items(ctx)] == ["10.1000/z"]


@responses.activate
def test_http_errors_and_html_pages_are_clean_errors(tmp_path, state, today):
    responses.get(WORKS, body=fixture("works_error.json"), status=400)
    with pytest.raises(FetchError, match="HTTP 400"):
        list(CrossrefSource().items(make_ctx(tmp_path, state)))
    responses.reset()
    responses.get(WORKS, body="<html><body><h1>Crossref is down for maintenance</h1></body></html>",
                  content_type="text/html")
    with pytest.raises(ParseError, match="did not return JSON"):
        list(CrossrefSource().items(make_ctx(tmp_path, state)))


@pytest.mark.parametrize("line", ["    rows: 1001", "    rows: 0", "    filter: ''"])
def test_keys_are_validated(tmp_path, line):
    with pytest.raises(ConfigError, match="rows|filter"):
        tconfig.parse(FEEDS_YAML.format(query=QUERY, extra=line), tmp_path / "feeds.yaml")


@responses.activate
def test_max_records_caps_a_run_of_a_fuzzy_query(tmp_path, state):
    """Crossref's query matches millions of works: a run reads the best ones and stops."""
    import json as _json

    from tracker.sources.crossref import CrossrefSource

    def page_of(n, start):
        return {"status": "ok", "message": {"total-results": 5_000_000, "next-cursor": f"c{start + n}",
                                            "items": [{"DOI": f"10.5555/cap.{start + i}", "title": ["Crohn"]}
                                                      for i in range(n)]}}

    calls = []

    def reply(request):
        calls.append(request.url)
        return (200, {"Content-Type": "application/json"}, _json.dumps(page_of(2, 2 * (len(calls) - 1))))

    responses.add_callback(responses.GET, "https://api.crossref.org/works", callback=reply)
    ctx = make_ctx(tmp_path, state, extra="    max_records: 5\n    rows: 2")
    items = list(CrossrefSource().items(ctx))
    assert len(calls) == 3 and len(items) == 5   # whole pages, the last one cut at max_records
    assert ctx.stats.notes == ["max_records (5) reached; the rest of the matching works were not read"]
