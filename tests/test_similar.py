"""`tracker similar` and search.similar: the records sharing a record's key terms."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tracker import search
from tracker.cli import cli
from tracker.errors import TrackerError
from tracker.index import Index
from tracker.models import Article

RECORDS = [
    Article(title="Progressive multifocal leukoencephalopathy after natalizumab in Crohn's disease",
            abstract="JC virus reactivation and leukoencephalopathy in a patient on natalizumab.",
            doi="10.1000/pml-1", year=2019, drugs=["natalizumab"]),
    Article(title="Natalizumab and progressive multifocal leukoencephalopathy: three patients",
            abstract="Three patients on natalizumab developed leukoencephalopathy; JC virus was found.",
            pmid="31000002", year=2016, drugs=["natalizumab"]),
    Article(title="Leukoencephalopathy risk stratification by JC virus antibody index",
            abstract="Antibody index thresholds for patients considered for natalizumab.",
            doi="10.1000/pml-3", year=2021, drugs=["natalizumab"]),
    Article(title="Vedolizumab versus placebo in moderate Crohn's disease",
            abstract="A randomised trial of vedolizumab in patients with Crohn's disease: remission at week 52.",
            doi="10.1000/vdz-1", year=2013, drugs=["vedolizumab"]),
    Article(title="Vedolizumab trough levels and remission in Crohn's disease",
            abstract="Vedolizumab trough concentrations predicted remission in patients with Crohn's disease.",
            doi="10.1000/vdz-2", year=2018, drugs=["vedolizumab"]),
    Article(title="Infliximab biosimilar switching", abstract="Switching infliximab to a biosimilar in patients.",
            doi="10.1000/ifx-1", year=2020, drugs=["infliximab"]),
]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("similar")
    with Index.open(path, create=True) as ix:
        ix.upsert(RECORDS)
    return path


def test_papers_on_the_same_subject_come_first_and_the_record_is_left_out(index_dir):
    with Index.open(index_dir) as ix:
        found = search.similar(ix, "doi:10.1000/pml-1", limit=5)
    ids = [h.record["id"] for h in found.hits]
    assert "doi:10.1000/pml-1" not in ids
    assert set(ids[:2]) == {"pmid:31000002", "doi:10.1000/pml-3"}
    assert "leukoencephalopathi" in found.terms or "leukoencephalopathy" in found.terms
    assert "natalizumab" in found.terms


def test_vedolizumab_trial_finds_the_other_vedolizumab_paper(index_dir):
    with Index.open(index_dir) as ix:
        found = search.similar(ix, "10.1000/vdz-1", limit=1)     # a bare DOI, as `show` takes it
    assert [h.record["id"] for h in found.hits] == ["doi:10.1000/vdz-2"]


def test_cli_json_matches_the_library(index_dir):
    res = CliRunner().invoke(cli, ["--index", str(index_dir), "similar", "pmid:31000002", "-n", "3", "-f", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    with Index.open(index_dir) as ix:
        found = search.similar(ix, "pmid:31000002", limit=3)
    assert [r["id"] for r in rows] == [h.record["id"] for h in found.hits]
    assert [r["score"] for r in rows] == [h.score for h in found.hits]
    assert set(rows[0]) >= {"id", "title", "score", "highlights"}
    assert res.stderr.startswith("key terms: ")


def test_cli_table(index_dir):
    res = CliRunner().invoke(cli, ["--index", str(index_dir), "similar", "doi:10.1000/vdz-1", "-n", "2"],
                             env={"COLUMNS": "120"})
    assert res.exit_code == 0
    lines = res.stdout.splitlines()
    assert lines[1].startswith("Vedolizumab trough levels and remission") and lines[-1] == "2 of 2 results"


def test_unknown_id_is_one_line_exit_1(index_dir):
    res = CliRunner().invoke(cli, ["--index", str(index_dir), "similar", "doi:10.9/none"])
    assert res.exit_code == 1 and res.stderr == "error: no record with id 'doi:10.9/none' in the index.\n"
    with Index.open(index_dir) as ix, pytest.raises(TrackerError):
        search.similar(ix, "doi:10.9/none")
