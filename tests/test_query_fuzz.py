"""The query fuzzer: whatever a user types, `tracker search` answers with
results (exit 0) or one sentence (exit 2), never a traceback, and the parser
raises nothing but QueryError.

Examples are derandomized (the same every run, so CI is reproducible) and
few enough to take seconds; speed is measured in bench/search/worst.py.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.cli import cli
from tracker.errors import QueryError
from tracker.index import Index
from tracker.index.schema import FieldAnalyser, build_schema
from tracker.models import Article
from tracker.query.parser import compile_query

# Pieces of the query language, and of what breaks parsers.
_PIECES = [
    "(", ")", '"', ":", "-", "*", "..", ">=", "<", "AND", "OR", "NOT", "and", "not",
    "year:", "cases:", "drug:", "type:", "journal:", "doi:", "id:", "pmid:", "title:", "author:",
    "natalizumab", "tysabri", "anti-tnf", "crohn's", "pml", "10.1000/x(1)", "PMC123",
    "2015..2020", ">=3", "9" * 40, "1" + "0" * 5000, "\x00", "\udcff", "é", "日本", "\u2028", "\t",
    " ", " ", " ", "--", "-v", "-n", "=cmd",
]
_QUERIES = st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=6)), max_size=14).map("".join)
_NESTED = st.tuples(st.integers(0, 300), st.sampled_from(["(", "NOT (", "drug:(", "-("]),
                    st.sampled_from(["a", "natalizumab", "year:>=2015", ""])).map(
    lambda t: t[1] * t[0] + t[2] + ")" * t[0])

RECORDS = [
    Article(title="Progressive multifocal leukoencephalopathy after natalizumab in Crohn's disease",
            abstract="A patient on Tysabri developed PML.", doi="10.1000/pml-1", journal="Gut", year=2019,
            study_type="case_report", case_count=1, drugs=["natalizumab"], conditions=["crohns_disease", "pml"]),
    Article(title="Vedolizumab in moderate Crohn's disease", abstract="A trial in 368 patients.",
            pmid="31000002", year=2013, study_type="rct", case_count=368, drugs=["vedolizumab"]),
]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz")
    with Index.open(path, create=True) as ix:
        ix.upsert(RECORDS)
    return path


@pytest.fixture(scope="module")
def analyser():
    return FieldAnalyser(build_schema())


def _search(index_dir, query: str):
    return CliRunner().invoke(cli, ["--index", str(index_dir), "search", "-n", "3", query],
                              env={"COLUMNS": "100"})


def _check_answer(res) -> None:
    assert res.exit_code in (0, 2), (res.exit_code, res.output, res.exception)
    assert "Traceback" not in res.output
    if res.exit_code == 2:
        # click's own usage errors ("--" alone leaves no QUERY) keep its Usage/Try lines
        said = [line for line in res.stderr.splitlines() if line and not line.startswith(("Usage:", "Try '"))]
        assert len(said) == 1 and said[0].startswith(("error: ", "Error: ")), res.stderr


_CLI = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
_PARSER = settings(max_examples=1500, deadline=None, derandomize=True, database=None,
                   suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@_CLI
@given(query=_QUERIES)
def test_search_answers_or_says_one_sentence(index_dir, query):
    _check_answer(_search(index_dir, query))


@_CLI
@given(query=_NESTED)
def test_nested_queries_answer_or_say_one_sentence(index_dir, query):
    res = _search(index_dir, query)
    _check_answer(res)
    assert "damaged" not in res.stderr


@_PARSER
@given(query=st.one_of(_QUERIES, _NESTED, st.text(max_size=40)))
def test_parser_raises_only_query_errors(analyser, query):
    try:
        compile_query(query, analyser)
    except QueryError as exc:
        assert "\n" not in str(exc)


@pytest.mark.parametrize("query", [
    "(" * 240 + "natalizumab" + ")" * 240,
    "NOT " * 3000 + "natalizumab",
    "year:1" + "0" * 5000,
    "cases:" + "0" * 5000 + "3",
    "natalizumab OR " * 120 + "pml",
    "x" * 1_000_000,
])
def test_hostile_queries_end_in_one_sentence(index_dir, query):
    res = _search(index_dir, query)
    _check_answer(res)
    assert "damaged" not in res.stderr
