"""tracker serve's application in-process: pages, escaping, the JSON API, exports, bad input."""

from __future__ import annotations

import csv
import io
import json
import re
import socket
import subprocess
import sys
import time
import urllib.request

import bibtexparser
import pytest
import rispy
from click.testing import CliRunner
from webclient import get, q

from tracker.cli import cli
from tracker.index import Index
from tracker.models import Article
from tracker.query.nodes import Every
from tracker.web import App

EVIL = "<script>alert('x')</script>"
RECORDS = [
    Article(title="Progressive multifocal leukoencephalopathy after natalizumab in Crohn's disease",
            abstract="A woman treated with Tysabri for Crohn's disease developed PML after 24 infusions.",
            doi="10.1093/ecco-jcc/jjz001", journal="Journal of Crohn's and Colitis", year=2019,
            study_type="case_report", case_count=1, drugs=["natalizumab"], pmid="31000001", pmcid="PMC700001",
            conditions=["crohns_disease", "pml"], authors=["Rossi M", "Bianchi L"], feeds=["ibd-news"]),
    Article(title="Natalizumab-associated PML in three patients",
            abstract="Three patients on natalizumab for Crohn's disease developed PML; all were JCV positive.",
            pmid="31000002", journal="Neurology", year=2016, study_type="case_series", case_count=3,
            case_count_evidence="Three patients on natalizumab for Crohn's disease developed PML.",
            provenance={"case_count": "text", "journal": "registry"},
            drugs=["natalizumab"], conditions=["crohns_disease", "pml"]),
    Article(title="Vedolizumab versus placebo in moderate Crohn's disease",
            abstract="A randomised trial of vedolizumab (Entyvio) in 368 patients with Crohn's disease.",
            doi="10.1056/nejm-vdz", journal="New England Journal of Medicine", year=2013, study_type="rct",
            case_count=368, drugs=["vedolizumab"], conditions=["crohns_disease"]),
    Article(title=f"Natalizumab {EVIL} and <img src=x onerror=alert(1)> in Crohn's disease",
            abstract=f"Natalizumab abstract with {EVIL} and <a href=\"javascript:alert(2)\">a link</a>.",
            url="javascript:alert(3)", journal=f"Evil {EVIL} Journal", year=2020, drugs=["natalizumab"],
            authors=["<b onmouseover=alert(4)>Mallory</b>"], case_count_evidence=f"two {EVIL} cases",
            case_count=2),
]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("web")
    with Index.open(path, create=True) as ix:
        ix.upsert([Article(**vars(a)) for a in RECORDS])
    return path


@pytest.fixture(scope="module")
def app(index_dir):
    return App(index_dir)


def cli_json(index_dir, *args):
    res = CliRunner().invoke(cli, ["--index", str(index_dir), *args])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_search_page_lists_hits_with_marks_and_details(app):
    res = get(app, "/", q("tysabri"))
    assert res.status == 200 and res.headers["Content-Type"].startswith("text/html")
    page = res.text
    results = re.search(r'<section class="results">.*</section>', page, re.S)[0]
    assert "Progressive multifocal leukoencephalopathy" in results and "-associated PML in three" in results
    assert "Vedolizumab versus placebo" not in results
    new = re.search(r'<ul class="new">.*?</ul>', page, re.S)[0]     # the library's week, whatever the query
    assert "Vedolizumab versus placebo" in new
    assert "<mark>" in page                                  # highlighted snippet
    assert "Neurology" in page and "3 cases" in page and "case series" in page and "2016" in page
    assert "<details>" in page and "natalizumab" in re.search(r'<pre id="explain">(.*?)</pre>', page, re.S)[1]


def test_facet_links_add_a_clause_to_the_query(app):
    page = get(app, "/", q("tysabri")).text
    years = re.search(r'<ul class="facet" id="facet-year">(.*?)</ul>', page, re.S)[1]
    assert 'href="/?q=tysabri+year%3A2016"' in years
    res = get(app, "/", q("tysabri year:2016"))
    results = re.search(r'<section class="results">.*</section>', res.text, re.S)[0]
    assert "-associated PML in three" in results and "leukoencephalopathy after" not in results
    journal = re.search(r'<ul class="facet" id="facet-journal">(.*?)</ul>', page, re.S)[1]
    link = re.search(r'href="/\?(q=[^"]*)">Neurology<', journal)[1]
    assert "3 cases" in get(app, "/", link.replace("&amp;", "&")).text


def test_year_chart_is_svg_with_a_bar_per_year(app):
    page = get(app, "/", q("natalizumab")).text
    svg = re.search(r"<svg.*?</svg>", page, re.S)[0]
    assert svg.count("<rect") == 3 and "2016: 1" in svg and "<script" not in svg


def test_sort_and_paging(app):
    page = get(app, "/", q("crohn") + "&sort=year").text
    years = [int(y) for y in re.findall(r"</b> · (\d{4}) ·", page)]
    assert years == sorted(years) and len(years) == 4
    assert get(app, "/", q("crohn") + "&sort=sideways").status == 400
    assert get(app, "/", q("crohn") + "&page=x").status == 400
    assert get(app, "/", q("crohn") + "&page=2").status == 200   # past the end: an empty page, not an error


def test_every_field_is_escaped_and_links_out_are_http_only(app, index_dir):
    evil_id = cli_json(index_dir, "search", "Mallory", "-f", "json")[0]["id"]
    for page in (get(app, "/", q("natalizumab")).text, get(app, f"/record/{evil_id}").text,
                 get(app, "/", q("Mallory")).text):
        assert "<script>alert" not in page and "<img src=x" not in page and "<b onmouseover" not in page
        assert "&lt;script&gt;" in page
        assert not re.search(r'(href|src)="\s*javascript:', page, re.I)
    res = get(app, "/", q("x"))
    assert "script-src" not in res.headers["Content-Security-Policy"]     # default-src 'none' covers scripts
    assert "default-src 'none'" in res.headers["Content-Security-Policy"]


def test_record_page_shows_fields_provenance_evidence_links_and_similar(app):
    res = get(app, "/record/pmid:31000002")
    assert res.status == 200
    page = res.text
    assert "<b>3 cases</b>" in page
    assert "Three patients on natalizumab for Crohn&#39;s disease developed PML." in page
    assert re.search(r"<th>case_count</th><td>3</td><td class=\"prov\">text</td>", page)
    assert re.search(r"<th>journal</th><td>Neurology</td><td class=\"prov\">registry</td>", page)
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/31000002/"' in page
    similar = re.search(r'<ul class="similar".*?</ul>', page, re.S)[0]
    assert "Progressive multifocal leukoencephalopathy" in similar and "PML in three patients" not in similar
    other = get(app, "/record/doi:10.1093/ecco-jcc/jjz001").text
    assert 'href="https://doi.org/10.1093/ecco-jcc/jjz001"' in other
    assert 'href="https://www.ncbi.nlm.nih.gov/pmc/articles/PMC700001/"' in other
    assert get(app, "/record/doi:10.9999/none").status == 404


def test_api_search_has_the_fields_of_search_json(app, index_dir):
    res = get(app, "/api/search", q("tysabri") + "&n=5&sort=-year&facet=year&facet=drug")
    assert res.status == 200 and res.headers["Content-Type"].startswith("application/json")
    data = json.loads(res.body)
    cli_rows = cli_json(index_dir, "search", "tysabri", "-n", "5", "--sort", "-year", "-f", "json")
    assert data["total"] == 3
    assert data["results"] == cli_rows
    assert data["facets"]["year"] == [{"value": "2016", "count": 1}, {"value": "2019", "count": 1},
                                      {"value": "2020", "count": 1}]
    assert data["facets"]["drug"] == [{"value": "natalizumab", "count": 3}]


def test_api_record_is_show_json(app, index_dir):
    data = json.loads(get(app, "/api/record/pmid:31000002").body)
    assert data == cli_json(index_dir, "show", "pmid:31000002", "-f", "json")
    missing = get(app, "/api/record/pmid:1")
    assert missing.status == 404 and "no record" in json.loads(missing.body)["error"]


@pytest.mark.parametrize("fmt", ["csv", "ris", "bibtex"])
def test_export_uses_the_export_writers(app, index_dir, fmt):
    res = get(app, "/export", q("tysabri") + f"&f={fmt}")
    assert res.status == 200 and "attachment" in res.headers["Content-Disposition"]
    cli_out = CliRunner().invoke(cli, ["--index", str(index_dir), "export", "tysabri", "-f", fmt]).stdout_bytes.decode()
    assert res.text == cli_out
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(res.text)))
        assert sorted(r["year"] for r in rows) == ["2016", "2019", "2020"]
    elif fmt == "ris":
        assert len(rispy.loads(res.text)) == 3
    else:
        assert len(bibtexparser.parse_string(res.text).entries) == 3
    assert get(app, "/export", q("tysabri") + "&f=xls").status == 400


@pytest.mark.parametrize("query", ["year:>>2015", "((natalizumab", "cases:abc", "AND", "drug:"])
def test_a_bad_query_is_a_400_with_its_sentence(app, query):
    page = get(app, "/", q(query))
    assert page.status == 400
    message = re.search(r'<p class="error" id="error">(.*?)</p>', page.text, re.S)[1]
    assert message.endswith(".") and "Traceback" not in page.text
    api = get(app, "/api/search", q(query))
    assert api.status == 400 and json.loads(api.body)["error"] == message.replace("&#39;", "'").replace(
        "&#34;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


@pytest.mark.parametrize("query", ["(" * 3000 + "x", "x" * 100_000, "\x00\x01\ufffd%%%", "🦠 natalizumab",
                                   "'\"<>&;--", "*", "NOT NOT NOT", "year:1..99999999999999999999"])
def test_any_query_string_gives_a_page_not_a_500(app, query):
    for path in ("/", "/api/search", "/export"):
        res = get(app, path, q(query))
        assert res.status in (200, 400), (path, query, res.status)
        assert b"Traceback" not in res.body


def test_did_you_mean_on_no_results(app):
    page = get(app, "/", q("natalizumbab")).text
    assert re.search(r'Did you mean <a href="/\?q=natalizumab">natalizumab</a>', page)


def test_read_only_and_unknown_paths(app):
    assert get(app, "/", q("x"), method="POST").status == 405
    assert get(app, "/admin").status == 404
    assert get(app, "/", q("x"), method="HEAD").body == b""


def test_a_crawl_committing_meanwhile_is_seen_by_the_next_request(tmp_path):
    with Index.open(tmp_path, create=True) as ix:
        ix.upsert([Article(**vars(RECORDS[0]))])
    app = App(tmp_path)
    assert json.loads(get(app, "/api/search", q("crohn")).body)["total"] == 1
    with Index.open(tmp_path, create=True) as ix:      # the crawler, another writer, same directory
        ix.upsert([Article(**vars(RECORDS[2]))])
    assert json.loads(get(app, "/api/search", q("crohn")).body)["total"] == 2
    assert get(app, "/record/doi:10.1056/nejm-vdz").status == 200
    drugs = json.loads(get(app, "/api/search", q("crohn") + "&facet=drug").body)["facets"]["drug"]
    assert {"value": "natalizumab", "count": 1} in drugs
    with Index.open(tmp_path, create=True) as ix:      # a record's drug corrected: remembered facet ids go stale
        ix.upsert([Article(**dict(vars(RECORDS[0]), drugs=["infliximab"]))])
    drugs = json.loads(get(app, "/api/search", q("crohn") + "&facet=drug").body)["facets"]["drug"]
    with Index.open(tmp_path) as fresh:
        expected = fresh.search(Every(), facets=["drug"]).facets["drug"]
    assert [(d["value"], d["count"]) for d in drugs] == expected
    assert ("infliximab", 1) in expected and ("vedolizumab", 1) in expected


def test_no_index_is_a_503_sentence(tmp_path):
    res = get(App(tmp_path / "nowhere"), "/", q("x"))
    assert res.status == 503 and "no index here yet; run &#39;tracker crawl&#39; first." in res.text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_binds_loopback_and_answers(index_dir):
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "tracker", "--index", str(index_dir), "serve", "--port",
                             str(port)], stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stderr.readline()
        assert f"at http://127.0.0.1:{port}/" in first
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/search?q=tysabri", timeout=10) as resp:
                    assert json.loads(resp.read())["total"] == 3
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_without_an_index_is_one_line(tmp_path):
    res = CliRunner().invoke(cli, ["--index", str(tmp_path), "serve"])
    assert res.exit_code == 1 and "no index here yet" in res.stderr
