"""PubMed source: efetch XML mapping on fixtures, and E-utilities paging/windows with `responses`."""

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
from tracker.sources.pubmed import PubMedSource
from tracker.sources.pubmed_xml import parse_efetch
from tracker.sources.records import RecordError
from tracker.state import State

FIXTURES = Path(__file__).parent / "fixtures" / "pubmed"
EUTILS = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
ESEARCH = EUTILS + "esearch.fcgi"
EFETCH = EUTILS + "efetch.fcgi"
QUERY = "(crohn disease[mh] OR crohn*[tiab]) AND vedolizumab"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def parsed(name: str) -> list[Article | RecordError]:
    return list(parse_efetch(fixture(name)))


def by_pmid(name: str) -> dict[str, Article]:
    return {a.pmid: a for a in parsed(name) if isinstance(a, Article)}


# --- efetch XML mapping ------------------------------------------------------

def test_labelled_abstract_inline_markup_and_ids():
    art = by_pmid("efetch_articles.xml")["38012345"]
    assert art.title == ("Vedolizumab versus ustekinumab as second-line therapy in anti-TNF-refractory "
                         "Crohn's disease: a multicentre cohort of 412 patients.")
    assert art.abstract.startswith("BACKGROUND: Patients with Crohn's disease [CD] who fail")
    assert "METHODS: We included 412 adults" in art.abstract
    assert "calprotectin <250 µg/g and CD4+ counts" in art.abstract
    assert "(p = 0.04). CONCLUSIONS: Ustekinumab" in art.abstract
    assert "Oxford University Press" not in art.abstract  # copyright is not abstract text
    assert art.journal == "Journal of Crohn's & colitis"
    assert art.year == 2024                      # the year
    assert art.published == "2023-10-27"         # the electronic (advance online) date
    assert art.doi == "10.1093/ecco-jcc/jjad171"
    assert art.pmid == "38012345"
    assert art.pmcid == "PMC10987654"
    assert art.url == "https://pubmed.ncbi.nlm.nih.gov/38012345/"
    assert art.id == "doi:10.1093/ecco-jcc/jjad171"
    assert art.language == "en"


def test_authors_publication_types_and_keywords():
    art = by_pmid("efetch_articles.xml")["38012345"]
    assert art.authors == ["García-López MJ", "O'Brien S", "van der Woude CJ"]
    assert art.publication_types == ["Journal Article", "Multicenter Study"]
    # MeSH, then author keywords (markup dropped, duplicates merged), then substances
    assert art.keywords == ["Crohn Disease", "Humans", "Ustekinumab", "Crohn’s disease",
                            "second-line biologics", "vedolizumab"]


def test_reference_list_ids_do_not_leak_into_the_record():
    art = by_pmid("efetch_articles.xml")["38012345"]
    assert art.doi != "10.1056/nejmoa1203572"


def test_registry_provenance_on_filled_fields_only():
    art = by_pmid("efetch_articles.xml")["28123456"]
    assert art.provenance["title"] == "registry"
    assert art.provenance["journal"] == "registry"
    assert "abstract" not in art.provenance and art.abstract is None
    assert "doi" not in art.provenance


def test_translated_title_medline_date_collective_and_invalid_author():
    art = by_pmid("efetch_articles.xml")["28123456"]
    assert art.title == "Natalizumab en la enfermedad de Crohn refractaria a anti-TNF: experiencia del registro ENEIDA."
    assert art.year == 2017
    assert art.published == "2017-01"            # "2017 Jan-Feb": first month, no invented day
    assert art.authors == ["Domènech E", "ENEIDA registry of GETECCU"]  # ValidYN="N" dropped
    assert art.language == "es"
    assert art.abstract is None
    assert art.doi is None and art.id == "pmid:28123456"


def test_season_elocation_doi_forename_only_and_mathml():
    art = by_pmid("efetch_articles.xml")["26234567"]
    assert art.year == 2015
    assert art.published == "2015"               # a Season gives no month
    assert art.doi == "10.1590/s0004-28032015000400010"
    assert art.authors == ["Souza AP", "Kotze"]
    assert art.abstract == ("Trough levels above 3µg/mL were found in 27 of 49 patients. "
                            "Antibodies to infliximab were detected in 9.")
    assert art.language == "pt"                  # first of several languages


def test_medline_date_range_and_leading_bracket_title():
    art = by_pmid("efetch_articles.xml")["27345678"]
    assert art.year == 2016
    assert art.title == "[18F]FDG PET/CT for ileal Crohn's disease activity."
    assert art.journal == "Inflamm Bowel Dis Rev"  # ISOAbbreviation when Title is missing
    assert art.abstract == "OBJECTIVE: To compare PET with MR enterography. RESULTS: Uptake correlated with the MaRIA score (r = 0.71)."
    assert art.publication_types == ["Journal Article", "Review"]


def test_season_first_medline_date_and_empty_title_uses_vernacular():
    art = by_pmid("efetch_articles.xml")["25456789"]
    assert art.year == 2015
    assert art.title == "Ustékinumab dans la maladie de Crohn."
    assert art.language == "fr"
    assert art.authors == []


def test_record_without_pmid_is_an_item_error_and_delete_citation_ignored():
    items = parsed("efetch_articles.xml")
    errors = [i for i in items if isinstance(i, RecordError)]
    assert len(errors) == 1 and "without a PMID" in errors[0].message
    assert [i.pmid for i in items if isinstance(i, Article)] == [
        "38012345", "28123456", "26234567", "27345678", "25456789"]


def test_book_article():
    (art,) = parsed("efetch_book.xml")
    assert art.pmid == "28613792"
    assert art.title == "Crohn Disease"
    assert art.journal == "StatPearls"
    assert art.year == 2025
    assert art.authors == ["Ranasinghe IR", "Hsu R"]   # authors, not editors
    assert art.publication_types == ["Review", "Study Guide"]
    assert "including infliximab, adalimumab" in art.abstract
    assert art.url == "https://pubmed.ncbi.nlm.nih.gov/28613792/"


@pytest.mark.parametrize("name, message", [
    ("efetch_truncated.xml", "malformed XML"),
    ("error_page.html", "malformed XML"),
    ("efetch_error.xml", "Unable to obtain query #1"),
    ("efetch_entities.xml", "forbidden"),
])
def test_unusable_bodies_raise_parse_error(name, message):
    with pytest.raises(ParseError, match=message):
        list(parse_efetch(fixture(name)))


def test_xhtml_page_is_not_a_pubmed_set():
    with pytest.raises(ParseError, match="<html> instead of a PubmedArticleSet"):
        list(parse_efetch(b"<html><body><p>Service unavailable</p></body></html>"))


# --- the source against a mocked E-utilities ----------------------------------

FEEDS_YAML = """
contact_email: curator@example.org
{api_key}
defaults:
  since: 2024-01-01
feeds:
  - name: pm
    kind: pubmed
    query: '{query}'
{extra}
"""


def make_ctx(tmp_path: Path, state: State, *, extra: str = "", api_key: str | None = None,
             query: str = QUERY, full: bool = False) -> FetchContext:
    text = FEEDS_YAML.format(api_key=f"ncbi_api_key: {api_key}" if api_key else "", query=query, extra=extra)
    return fetch_context(tmp_path, state, text, full=full, robots=False)




def query_of(call) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(call.request.url).query).items()}


def esearch_body(count: int, webenv: str | None = "MCID_abc", ids: list[str] | None = None) -> str:
    result = {"count": str(count), "retmax": "0", "retstart": "0", "idlist": ids or []}
    if webenv:
        result.update(webenv=webenv, querykey="1")
    return json.dumps({"header": {"type": "esearch"}, "esearchresult": result})


def efetch_xml(pmids: list[str]) -> str:
    records = "".join(
        f"<PubmedArticle><MedlineCitation><PMID Version=\"1\">{p}</PMID><Article>"
        f"<Journal><Title>Inflammatory bowel diseases</Title></Journal>"
        f"<ArticleTitle>Crohn's disease study {p}.</ArticleTitle></Article></MedlineCitation>"
        f"</PubmedArticle>" for p in pmids)
    return f"<?xml version=\"1.0\"?><PubmedArticleSet>{records}</PubmedArticleSet>"


@responses.activate
def test_first_run_searches_since_window_and_fetches_by_history(tmp_path, state, today):
    responses.get(ESEARCH, body=fixture("esearch.json"))
    responses.get(EFETCH, body=efetch_xml(["101", "102"]))
    responses.get(EFETCH, body=efetch_xml(["103"]))
    ctx = make_ctx(tmp_path, state, extra="    batch_size: 2")
    arts = list(PubMedSource().items(ctx))
    assert [a.pmid for a in arts] == ["101", "102", "103"]
    search = query_of(responses.calls[0])
    assert search == {"db": "pubmed", "term": QUERY, "usehistory": "y", "datetype": "edat",
                      "mindate": "2024/01/01", "maxdate": "2024/06/30", "retmode": "json",
                      "retmax": "0", "tool": "tracker", "email": "curator@example.org"}
    fetches = [query_of(c) for c in responses.calls[1:]]
    assert [(f["retstart"], f["retmax"]) for f in fetches] == [("0", "2"), ("2", "2")]
    for f in fetches:
        assert f["WebEnv"] == "MCID_6655f1c2a1b2c3d4e5f60718" and f["query_key"] == "1"
        assert f["retmode"] == "xml" and f["db"] == "pubmed" and f["tool"] == "tracker"
        assert "api_key" not in f
    assert ctx.http._host_rate["eutils.ncbi.nlm.nih.gov"] == 3
    assert ctx.stats["requests"] == 3


@responses.activate
def test_api_key_is_sent_and_raises_the_host_rate(tmp_path, state, today):
    responses.get(ESEARCH, body=esearch_body(1))
    responses.get(EFETCH, body=efetch_xml(["101"]))
    ctx = make_ctx(tmp_path, state, api_key="abc123")
    list(PubMedSource().items(ctx))
    assert all(query_of(c)["api_key"] == "abc123" for c in responses.calls)
    assert ctx.http._host_rate["eutils.ncbi.nlm.nih.gov"] == 10


@responses.activate
def test_default_batch_is_200(tmp_path, state, today):
    responses.get(ESEARCH, body=esearch_body(450))
    for _ in range(3):
        responses.get(EFETCH, body=efetch_xml(["1"]))
    list(PubMedSource().items(make_ctx(tmp_path, state)))
    assert [query_of(c)["retstart"] for c in responses.calls[1:]] == ["0", "200", "400"]
    assert {query_of(c)["retmax"] for c in responses.calls[1:]} == {"200"}


@responses.activate
def test_windows_over_the_cap_are_split_in_halves(tmp_path, state, today):
    # 2024/01/01..2024/06/30 holds 12,000 records; each half fits.
    counts = {("2024/01/01", "2024/06/30"): 12_000,
              ("2024/01/01", "2024/03/31"): 7_000,
              ("2024/04/01", "2024/06/30"): 5_000}

    def search(request):
        q = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}
        n = counts[(q["mindate"], q["maxdate"])]
        return 200, {}, esearch_body(n, webenv=f"W{q['mindate']}")

    responses.add_callback(responses.GET, ESEARCH, callback=search)
    responses.get(EFETCH, body=efetch_xml(["1"]))
    ctx = make_ctx(tmp_path, state)
    list(PubMedSource().items(ctx))
    searches = [(q["mindate"], q["maxdate"]) for q in map(query_of, responses.calls) if "term" in q]
    assert searches == list(counts)
    fetches = [q for q in map(query_of, responses.calls) if "WebEnv" in q]
    assert len(fetches) == 35 + 25                 # 7,000/200 + 5,000/200
    assert fetches[0]["WebEnv"] == "W2024/01/01" and fetches[-1]["WebEnv"] == "W2024/04/01"
    assert fetches[-1]["retstart"] == "4800"


@responses.activate
def test_a_single_day_over_the_cap_is_capped_and_reported(tmp_path, state, today):
    today["value"] = date(2024, 1, 1)
    responses.get(ESEARCH, body=esearch_body(10_500))
    responses.get(EFETCH, body=efetch_xml(["1"]))
    ctx = make_ctx(tmp_path, state)
    list(PubMedSource().items(ctx))
    fetches = [query_of(c) for c in responses.calls[1:]]
    assert len(fetches) == 50 and fetches[-1]["retstart"] == "9800"
    assert ctx.stats["errors"] == 1 and "exceed the 9,999" in ctx.stats.first_error


@responses.activate
def test_cursor_advances_between_runs_with_a_day_of_overlap(tmp_path, state, today):
    responses.get(ESEARCH, body=esearch_body(1))
    responses.get(EFETCH, body=efetch_xml(["101"]))
    list(PubMedSource().items(make_ctx(tmp_path, state)))
    state.commit()                                # the pipeline does this after the index commit

    today["value"] = date(2024, 7, 3)
    list(PubMedSource().items(make_ctx(tmp_path, state)))
    second = query_of(responses.calls[2])
    assert (second["mindate"], second["maxdate"]) == ("2024/06/30", "2024/07/03")


@responses.activate
def test_changed_query_or_full_starts_again_from_since(tmp_path, state, today):
    responses.get(ESEARCH, body=esearch_body(0))
    list(PubMedSource().items(make_ctx(tmp_path, state)))
    state.commit()
    today["value"] = date(2024, 7, 3)
    list(PubMedSource().items(make_ctx(tmp_path, state, query="ustekinumab AND crohn*")))
    list(PubMedSource().items(make_ctx(tmp_path, state, full=True)))
    assert [query_of(c)["mindate"] for c in responses.calls] == ["2024/01/01"] * 3


@responses.activate
def test_cursor_is_not_staged_when_a_window_fails(tmp_path, state, today):
    responses.get(ESEARCH, body=esearch_body(3))
    responses.get(EFETCH, body=fixture("error_page.html"), content_type="text/html")
    ctx = make_ctx(tmp_path, state)
    with pytest.raises(ParseError):
        list(PubMedSource().items(ctx))
    state.commit()
    assert ctx.state.get(_window.CURSOR_KEY) is None


@responses.activate
def test_cursor_is_staged_only_after_the_windows_last_record(tmp_path, state, today):
    responses.get(ESEARCH, body=esearch_body(2))
    responses.get(EFETCH, body=efetch_xml(["101", "102"]))
    ctx = make_ctx(tmp_path, state)
    items = PubMedSource().items(ctx)
    next(items), next(items)
    assert ctx.state.get(_window.CURSOR_KEY) is None
    assert list(items) == []
    assert ctx.state.get(_window.CURSOR_KEY)["until"] == "2024-06-30"


@responses.activate
def test_base_url_is_honoured(tmp_path, state, today):
    mirror = "http://eutils-mirror.test/proxy/eutils/"
    responses.get(mirror + "esearch.fcgi", body=esearch_body(1))
    responses.get(mirror + "efetch.fcgi", body=efetch_xml(["101"]))
    ctx = make_ctx(tmp_path, state, extra="    base_url: http://eutils-mirror.test/proxy/eutils")
    assert [a.pmid for a in PubMedSource().items(ctx)] == ["101"]
    # NCBI's own caps are for NCBI's hosts; a mirror keeps the feed's rate_limit
    assert "eutils-mirror.test" not in ctx.http._host_rate


@responses.activate
def test_without_history_ids_are_posted(tmp_path, state, today):
    ids = [str(40000000 + i) for i in range(250)]
    responses.get(ESEARCH, body=esearch_body(250, webenv=None))
    responses.get(ESEARCH, body=esearch_body(250, webenv=None, ids=ids))
    responses.post(EFETCH, body=efetch_xml(ids[:200]))
    responses.post(EFETCH, body=efetch_xml(ids[200:]))
    arts = list(PubMedSource().items(make_ctx(tmp_path, state)))
    assert len(arts) == 250
    second_search = query_of(responses.calls[1])
    assert second_search["retmax"] == "250" and "usehistory" not in second_search
    posts = [c.request for c in responses.calls if c.request.method == "POST"]
    assert len(posts) == 2
    body = parse_qs(posts[0].body)
    assert body["id"][0] == ",".join(ids[:200])
    assert body["tool"] == ["tracker"] and body["email"] == ["curator@example.org"]
    assert "?" not in posts[0].url


@responses.activate
def test_record_errors_are_counted_and_the_feed_goes_on(tmp_path, state, today):
    responses.get(ESEARCH, body=esearch_body(6))
    responses.get(EFETCH, body=fixture("efetch_articles.xml"))
    ctx = make_ctx(tmp_path, state)
    arts = list(PubMedSource().items(ctx))
    assert len(arts) == 5
    assert ctx.stats["errors"] == 1 and "without a PMID" in ctx.stats.first_error


@pytest.mark.parametrize("body, message", [
    ("<html><body>Bad gateway</body></html>", "did not return JSON"),
    ('{"esearchresult": {"ERROR": "Invalid query syntax"}}', "Invalid query syntax"),
    ('{"error": "API rate limit exceeded", "api-key": "1.2.3.4", "count": "11"}', "API rate limit exceeded"),
    ('{"esearchresult": {"webenv": "x"}}', "no record count"),
])
@responses.activate
def test_bad_esearch_responses_are_clean_errors(tmp_path, state, today, body, message):
    responses.get(ESEARCH, body=body)
    with pytest.raises(ParseError, match=message):
        list(PubMedSource().items(make_ctx(tmp_path, state)))


@responses.activate
def test_malformed_efetch_xml_is_a_clean_error(tmp_path, state, today):
    responses.get(ESEARCH, body=esearch_body(5))
    responses.get(EFETCH, body=fixture("efetch_truncated.xml"))
    with pytest.raises(ParseError, match="malformed XML"):
        list(PubMedSource().items(make_ctx(tmp_path, state)))


@pytest.mark.parametrize("value", [0, 201, "lots"])
def test_batch_size_is_validated(tmp_path, value):
    text = FEEDS_YAML.format(api_key="", query=QUERY, extra=f"    batch_size: {value}")
    with pytest.raises(ConfigError, match="batch_size"):
        tconfig.parse(text, tmp_path / "feeds.yaml")


# --- through the crawl pipeline -------------------------------------------------

@responses.activate
def test_crawl_twice_stores_once_and_the_second_run_is_windowed(tmp_path, today):
    from tracker import pipeline
    from tracker.index import Index

    responses.get("https://eutils.ncbi.nlm.nih.gov/robots.txt", status=404)
    responses.get(ESEARCH, body=esearch_body(6))
    responses.get(EFETCH, body=fixture("efetch_articles.xml"))
    text = """
contact_email: curator@example.org
index: idx
defaults: {since: 2024-01-01, rate_limit: 1000}
filters: {include_any: [crohn]}
feeds:
  - {name: pm, kind: pubmed, query: crohn}
"""
    config = tconfig.parse(text, tmp_path / "feeds.yaml")
    first = pipeline.crawl(config).feeds[0].stats
    assert (first["fetched"], first["new"], first["errors"], first.feed_error) == (5, 5, 1, None)

    today["value"] = date(2024, 7, 2)
    second = pipeline.crawl(config).feeds[0].stats
    assert (second["new"], second["unchanged"]) == (0, 5)
    searches = [query_of(c) for c in responses.calls if c.request.url.startswith(ESEARCH)]
    assert [(s["mindate"], s["maxdate"]) for s in searches] == [
        ("2024/01/01", "2024/06/30"), ("2024/06/30", "2024/07/02")]
    index = Index.open(tmp_path / "idx")
    try:
        record = index.get("doi:10.1093/ecco-jcc/jjad171")
        assert record["pmid"] == "38012345" and record["feeds"] == ["pm"]
        assert index.doc_count() == 5
    finally:
        index.close()


def test_translated_title_without_vernacular_loses_its_brackets():
    xml = (b"<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>5</PMID><Article>"
           b"<ArticleTitle>[Adalimumab in pediatric Crohn disease].</ArticleTitle>"
           b"<Language>pol</Language></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>")
    (art,) = parse_efetch(xml)
    assert art.title == "Adalimumab in pediatric Crohn disease."
    assert art.language == "pl"
    assert art.year is None and art.published is None and art.journal is None
