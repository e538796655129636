"""`tracker search` end to end: formats, facets, sorting, suggestions, errors, startup imports."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import subprocess
import sys

import pytest
from click.testing import CliRunner

from tracker import search
from tracker.cli import cli
from tracker.errors import QueryError
from tracker.index import Hit, Index
from tracker.models import Article
from tracker.output import render

RECORDS = [
    Article(title="Progressive multifocal leukoencephalopathy after natalizumab in Crohn's disease",
            abstract="A woman treated with Tysabri for Crohn's disease developed PML after 24 infusions.",
            doi="10.1093/ecco-jcc/jjz001", journal="Journal of Crohn's and Colitis", year=2019,
            study_type="case_report", case_count=1, drugs=["natalizumab"],
            conditions=["crohns_disease", "pml"], authors=["Rossi M", "Bianchi L"], feeds=["ibd-news"]),
    Article(title="Natalizumab-associated PML in three patients",
            abstract="Three patients on natalizumab for Crohn's disease developed PML; all were JCV positive.",
            pmid="31000002", journal="Neurology", year=2016, study_type="case_series", case_count=3,
            drugs=["natalizumab"], conditions=["crohns_disease", "pml"]),
    Article(title="Vedolizumab versus placebo in moderate Crohn's disease",
            abstract="A randomised trial of vedolizumab (Entyvio) in 368 patients with Crohn's disease.",
            doi="10.1056/nejm-vdz", journal="New England Journal of Medicine", year=2013, study_type="rct",
            case_count=368, drugs=["vedolizumab"], conditions=["crohns_disease"]),
    Article(title="Switching infliximab to the biosimilar CT-P13", abstract="Inflectra after Remicade.",
            doi="10.1000/switch", journal="Gut", year=2021, study_type="cohort", case_count=120,
            drugs=["infliximab"], conditions=["crohns_disease"]),
    Article(title="A review of thiopurines", abstract="Azathioprine in Crohn's disease.",
            url="https://example.org/review", year=None, study_type="review", drugs=["azathioprine"]),
]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("search")
    with Index.open(path, create=True) as ix:
        ix.upsert(RECORDS)
    return path


def run(index_dir, *args, env=None):
    runner = CliRunner(mix_stderr=False) if "mix_stderr" in CliRunner.__init__.__code__.co_varnames \
        else CliRunner()
    return runner.invoke(cli, ["--index", str(index_dir), "search", *args], env=env or {"COLUMNS": "100"})


# ------------------------------------------------------------------ formats

def test_table_has_header_rows_snippets_and_count(index_dir):
    res = run(index_dir, "natalizumab", "pml")
    assert res.exit_code == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].split() == ["title", "journal", "year", "cases", "drugs", "type"]
    assert lines[-1] == "2 of 2 results"
    assert all(len(line) <= 100 for line in lines)
    assert "  doi:10.1093/ecco-jcc/jjz001  " in res.stdout          # id moved beside the snippet
    assert "\x1b[" not in res.stdout                                  # no colour off a terminal


def test_table_shows_each_id_whole_for_tracker_show(index_dir):
    res = run(index_dir, "natalizumab", env={"COLUMNS": "160"})
    lines = res.stdout.splitlines()
    assert lines[0].split() == ["title", "journal", "year", "cases", "drugs", "type"]
    assert {lines[2].split()[0], lines[4].split()[0]} == {"doi:10.1093/ecco-jcc/jjz001", "pmid:31000002"}
    assert all(len(line) <= 160 for line in lines)


def test_title_gets_most_of_a_narrow_terminal(index_dir):
    res = run(index_dir, "vedolizumab", env={"COLUMNS": "60"})
    header = res.stdout.splitlines()[0]
    assert header.index("journal") >= 24 or "journal" not in header
    assert all(len(line) <= 60 for line in res.stdout.splitlines())


def test_json_carries_record_fields_score_and_highlights(index_dir):
    res = run(index_dir, "tysabri", "-f", "json")
    assert res.exit_code == 0
    rows = json.loads(res.stdout)
    assert [r["id"] for r in rows][0] == "doi:10.1093/ecco-jcc/jjz001"
    first = rows[0]
    assert first["drugs"] == ["natalizumab"] and first["year"] == 2019 and first["case_count"] == 1
    assert first["score"] > 0
    assert "[[Tysabri]]" in first["highlights"]["abstract"]


def test_jsonl_one_record_per_line(index_dir):
    res = run(index_dir, "natalizumab", "-f", "jsonl")
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    assert len(rows) == 2 and all("score" in r and "highlights" in r for r in rows)


def test_csv_appends_score_and_leaves_out_highlights(index_dir):
    res = run(index_dir, "natalizumab", "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert list(rows[0])[-1] == "score" and "highlights" not in rows[0] and "body" not in rows[0]
    assert rows[0]["drugs"] == "natalizumab" and float(rows[0]["score"]) > 0


def test_limit(index_dir):
    res = run(index_dir, "crohn", "-n", "2")
    assert res.stdout.splitlines()[-1] == "2 of 5 results"


# ------------------------------------------------------------------ sort, facets

@pytest.mark.parametrize("sort,expected", [
    ("-year", [2021, 2019, 2016, 2013, None]),
    ("year", [2013, 2016, 2019, 2021, None]),
])
def test_sort_by_year(index_dir, sort, expected):
    res = run(index_dir, "crohn", "--sort", sort, "-f", "json")
    assert [r["year"] for r in json.loads(res.stdout)] == expected


def test_sort_by_cases(index_dir):
    res = run(index_dir, "crohn", "--sort", "cases", "-f", "json")
    assert [r["case_count"] for r in json.loads(res.stdout)] == [368, 120, 3, 1, None]


def test_facets_count_the_whole_result_set(index_dir):
    res = run(index_dir, "crohn", "-n", "1", "--facet", "drug", "--facet", "year", "--facet", "study_type")
    assert res.exit_code == 0
    out = res.stdout
    assert "drug:\n       2  natalizumab\n       1  azathioprine\n       1  infliximab\n       1  vedolizumab\n" \
        in out
    assert "year:\n       1  (none)\n       1  2013\n       1  2016\n       1  2019\n       1  2021\n" in out
    assert "study_type:\n       1  case_report\n" in out


def test_journal_facet_uses_full_titles(index_dir):
    res = run(index_dir, "*", "--facet", "journal")
    assert "journal:\n" in res.stdout and "       1  (none)\n" in res.stdout
    assert "       1  Journal of Crohn's and Colitis\n" in res.stdout


def test_facets_go_to_stderr_with_machine_formats(index_dir):
    res = run(index_dir, "crohn", "-f", "json", "--facet", "type")
    json.loads(res.stdout)
    assert res.stderr.startswith("type:\n")


# ------------------------------------------------------------------ queries through the CLI

@pytest.mark.parametrize("query,ids", [
    ('journal:"J Crohns Colitis"', ["doi:10.1093/ecco-jcc/jjz001"]),
    ("journal:Neurology", ["pmid:31000002"]),
    ("doi:https://doi.org/10.1093/ECCO-JCC/JJZ001", ["doi:10.1093/ecco-jcc/jjz001"]),
    ("pmid:31000002", ["pmid:31000002"]),
    ("cases:>=3 drug:natalizumab", ["pmid:31000002"]),
    ("year:2015..2020", ["doi:10.1093/ecco-jcc/jjz001", "pmid:31000002"]),
    ('type:"case report"', ["doi:10.1093/ecco-jcc/jjz001"]),
    ("type:RCT", ["doi:10.1056/nejm-vdz"]),
    ("entyvio", ["doi:10.1056/nejm-vdz"]),
    ("anti-integrin NOT pml", ["doi:10.1056/nejm-vdz"]),
    ("vedoli*", ["doi:10.1056/nejm-vdz"]),
    ("author:rossi", ["doi:10.1093/ecco-jcc/jjz001"]),
    ("feed:ibd-news", ["doi:10.1093/ecco-jcc/jjz001"]),
    ("condition:pml", ["doi:10.1093/ecco-jcc/jjz001", "pmid:31000002"]),
    ("inflectra", ["doi:10.1000/switch"]),
])
def test_fielded_queries(index_dir, query, ids):
    res = run(index_dir, query, "-f", "json")
    assert res.exit_code == 0, res.stderr
    assert sorted(r["id"] for r in json.loads(res.stdout)) == sorted(ids)


def test_explain_shows_the_expansion(index_dir):
    res = run(index_dir, "tysabri", "cases:>=3", "--explain")
    assert res.stderr.splitlines()[:2] == [
        "query:    (tysabri OR natalizumab OR drug:natalizumab) AND cases:>=3",
        "expanded: tysabri -> natalizumab (brand, biosimilar, code or abbreviation)",
    ]


# ------------------------------------------------------------------ no results, bad queries

def test_no_results_suggests_a_correction(index_dir):
    res = run(index_dir, "natalizunab")
    assert res.exit_code == 0
    assert res.stdout == "no results\nDid you mean natalizumab?\n"


def test_suggestion_includes_lexicon_drug_names(index_dir):
    res = run(index_dir, "ustekinunab")      # in the drug lexicon, not in this index
    assert res.stdout == "no results\nDid you mean ustekinumab?\n"


def test_suggestion_keeps_the_rest_of_the_query(index_dir):
    res = run(index_dir, "vedolizunab", "year:>=2020")
    assert res.stdout == "no results\nDid you mean vedolizumab year:>=2020?\n"


@pytest.mark.parametrize("query,message", [
    ('"natalizumab pml', "error: unbalanced quote: the phrase opened at position 1 is never closed.\n"),
    ("(natalizumab", "error: unbalanced parenthesis: the '(' at position 1 is never closed.\n"),
    ("jornal:gut", "error: unknown field 'jornal:' at position 1; fields are abstract, author, body, cases, "
                   "condition, doi, drug, feed, id, journal, lang, pmcid, pmid, title, type, year.\n"),
    ("year:2020..2015", "error: the range 'year:2020..2015' at position 1 is inverted (2020 > 2015); "
                        "write year:2015..2020.\n"),
    ("cases:lots", "error: 'cases:lots' at position 1 needs a number or a range such as cases:1..5 or "
                   "cases:>=3.\n"),
    ("drug:", "error: empty value for 'drug:' at position 1.\n"),
])
def test_bad_queries_exit_2_with_one_sentence(index_dir, query, message):
    res = run(index_dir, query)
    assert res.exit_code == 2
    assert res.stderr == message
    assert res.stdout == ""


def test_a_leading_minus_word_is_query_text_not_an_option(index_dir):
    # -natalizumab is not "-n atalizumab"; "-a b" is not option -a
    every = {r["id"] for r in json.loads(run(index_dir, "*", "-f", "json").stdout)}
    res = run(index_dir, "-natalizumab", "-f", "json")
    assert res.exit_code == 0, res.stderr
    without = {r["id"] for r in json.loads(res.stdout)}
    assert without == every - {"doi:10.1093/ecco-jcc/jjz001", "pmid:31000002"}
    assert run(index_dir, "crohn -tysabri", "-fjson").exit_code == 0
    assert json.loads(run(index_dir, "pml", "-n1", "-f", "json").stdout)[0]["id"] in every   # -n1 is still -n 1
    res = run(index_dir, "-a", "natalizumab", "--explain")
    assert (res.exit_code, res.stderr.splitlines()[0]) == (0, "query:    NOT a AND (natalizumab OR drug:natalizumab)")
    assert run(index_dir, "--", "-natalizumab", "-n", "1").exit_code == 0
    assert run(index_dir, "--bogus", "pml").exit_code == 2


def test_an_undecodable_id_is_not_found_not_damage(index_dir):
    res = CliRunner().invoke(cli, ["--index", str(index_dir), "show", "doi:10.1000/\udcff"])
    assert res.exit_code == 1
    assert res.stderr == "error: no record with id 'doi:10.1000/\\udcff' in the index (it is not valid UTF-8).\n"


def test_verbose_anywhere_shows_the_traceback(index_dir):
    runner = CliRunner()
    for args in (["-v", "--index", str(index_dir), "search", "(pml"],
                 ["--index", str(index_dir), "search", "(pml", "-v"]):
        res = runner.invoke(cli, args)
        assert res.exit_code == 1 and isinstance(res.exception, QueryError), args
    res = runner.invoke(cli, ["--index", str(index_dir), "search", "(pml"])
    assert res.exit_code == 2 and res.exception.__class__ is SystemExit


def test_dates_print_in_one_form(tmp_path):
    # a record stored by an older version, its time with "+00:00"
    art = Article(title="Natalizumab levels", doi="10.1000/dated", published="2026-10-14T10:00:00+02:00")
    with Index.open(tmp_path, create=True) as ix:
        ix.upsert([art])
    row = json.loads(run(tmp_path, "natalizumab", "-f", "json").stdout)[0]
    assert row["published"] == "2026-10-14T08:00:00Z"
    assert row["first_seen"].endswith("Z") and len(row["first_seen"]) == 20
    # a record written before dates had one form: show and the web pages read it through Index.get
    with sqlite3.connect(tmp_path / "records.sqlite") as db:
        db.execute("UPDATE records SET record = json_set(record, '$.published', '2026-10-14T10:00:00+02:00')")
    db.close()
    shown = CliRunner().invoke(cli, ["--index", str(tmp_path), "show", "doi:10.1000/dated", "-f", "json"])
    assert json.loads(shown.stdout)["published"] == "2026-10-14T08:00:00Z"
    with Index.open(tmp_path) as ix:
        assert ix.get("doi:10.1000/dated")["published"] == "2026-10-14T08:00:00Z"


# ------------------------------------------------------------------ rendering details

def test_snippet_centres_the_first_match_and_colours_on_a_tty():
    marked = "word " * 40 + "[[natalizumab]] and more words after it"
    line = render.snippet(marked, 60, color=False)
    assert len(line) <= 60 and "natalizumab" in line and line.startswith("…")
    coloured = render.snippet("a [[natalizumab]] b", 60, color=True)
    assert coloured == "a \x1b[1;33mnatalizumab\x1b[0m b"


def test_table_colours_matches_only_when_asked():
    hit = Hit({"id": "pmid:1", "title": "T", "year": 2020}, 1.0, {"abstract": "x [[pml]] y"})
    assert "\x1b[1;33mpml" in render.table([hit], 1, width=100, color=True)
    assert "\x1b[" not in render.table([hit], 1, width=100, color=False)


def test_library_run_reports_total_and_explanation(index_dir):
    with Index.open(index_dir) as ix:
        out = search.run(ix, "crohn", limit=1)
    assert out.result.total == 5 and len(out.result.hits) == 1
    assert out.explained.startswith("query:    crohn OR condition:crohns_disease")


# ------------------------------------------------------------------ startup cost

def test_search_does_not_import_requests_or_bs4(index_dir):
    code = (
        "import sys\n"
        "from tracker.cli import cli\n"
        "try:\n"
        f"    cli(['--index', {str(index_dir)!r}, 'search', 'natalizumab', '-n', '1'], standalone_mode=False)\n"
        "finally:\n"
        "    heavy = sorted(m for m in ('requests', 'bs4', 'lxml', 'feedparser') if m in sys.modules)\n"
        "    print('HEAVY', heavy)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "HEAVY []"
