"""Counts for `tracker stats` and the optional matplotlib charts."""

from __future__ import annotations

import sys

import pytest

from tracker.errors import TrackerError
from tracker.models import Article
from tracker.output import stats as report


def rec(**kw) -> dict:
    return Article(title="t", **kw).to_dict()


@pytest.fixture
def records() -> list[dict]:
    return [
        rec(year=2019, journal="Gut", drugs=["infliximab", "natalizumab"], study_type="cohort",
            feeds=["pubmed", "crossref"]),
        rec(year=2021, journal="Gut", drugs=["vedolizumab"], study_type="rct", feeds=["pubmed"]),
        rec(year=2019, journal="J Crohns Colitis", drugs=["natalizumab"], study_type="case_report",
            feeds=["pubmed"]),
        rec(year=None, journal=None, drugs=[], study_type=None, feeds=["ibd-news"]),
        rec(year=2009, journal="BMJ", drugs=["natalizumab", "natalizumab"], feeds=[]),
    ]


def test_count_by_year_sorted_by_year_unknown_last(records):
    assert report.count_by(records, "year") == [("2009", 1), ("2019", 2), ("2021", 1), ("unknown", 1)]


def test_count_by_drug_counts_each_member_once(records):
    assert report.count_by(records, "drug") == [
        ("natalizumab", 3), ("(none)", 1), ("infliximab", 1), ("vedolizumab", 1)]


def test_count_by_journal_study_type_feed(records):
    assert report.count_by(records, "journal") == [
        ("Gut", 2), ("(none)", 1), ("BMJ", 1), ("J Crohns Colitis", 1)]
    assert report.count_by(records, "study_type")[0] == ("(none)", 2)
    assert dict(report.count_by(records, "study_type")) == {
        "(none)": 2, "case_report": 1, "cohort": 1, "rct": 1}
    assert report.count_by(records, "feed") == [
        ("pubmed", 3), ("(none)", 1), ("crossref", 1), ("ibd-news", 1)]


def test_count_by_accepts_a_generator(records):
    assert sum(n for _, n in report.count_by(iter(records), "year")) == len(records)


def test_count_by_unknown_field():
    with pytest.raises(TrackerError, match="year, journal, drug, study_type, feed"):
        report.count_by([], "colour")


# ---------------------------------------------------------------- plot

@pytest.mark.parametrize("by", ["year", "drug", "journal"])
@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG\r\n\x1a\n"), (".svg", b"<svg")])
def test_plot_writes_png_and_svg(tmp_path, records, by, suffix, magic):
    pytest.importorskip("matplotlib")
    target = tmp_path / f"chart{suffix}"
    assert report.plot(iter(records), by, target) == target
    data = target.read_bytes()
    assert magic in data[:400]


def test_plot_with_no_records(tmp_path):
    pytest.importorskip("matplotlib")
    report.plot([], "year", tmp_path / "empty.png")
    assert (tmp_path / "empty.png").stat().st_size > 0


def test_plot_rejects_other_suffixes(tmp_path, records):
    with pytest.raises(TrackerError, match=r"must end in \.png or \.svg"):
        report.plot(records, "year", tmp_path / "chart.jpg")
    assert not (tmp_path / "chart.jpg").exists()


def test_plot_without_matplotlib_says_how_to_install(tmp_path, records, monkeypatch):
    # None in sys.modules makes `import matplotlib...` raise ImportError.
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(TrackerError) as err:
        report.plot(records, "year", tmp_path / "chart.png")
    assert str(err.value) == "Plotting needs matplotlib: pip install 'tracker[plot]'."
    assert not (tmp_path / "chart.png").exists()


def test_plot_unwritable_path_is_a_tracker_error(tmp_path, records):
    pytest.importorskip("matplotlib")
    with pytest.raises(TrackerError, match="Cannot write"):
        report.plot(records, "drug", tmp_path / "missing-dir" / "chart.png")
