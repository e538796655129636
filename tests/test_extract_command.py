"""`tracker extract FILE|URL|-`: what tracker reads from one page or text."""

from __future__ import annotations

import json
import responses
from click.testing import CliRunner

from tracker.cli import cli

PAGE = """<!doctype html><html lang="es"><head><meta charset="utf-8">
<title>Tres casos de LMP</title></head><body><article><h1>Tres casos de LMP con natalizumab</h1>
<p>Un estudio publicado en la Revista Médica de Chile en 2017 describió a tres pacientes con
enfermedad de Crohn tratados con natalizumab que desarrollaron leucoencefalopatía multifocal
progresiva.</p></article></body></html>"""


def run(*args: str, stdin: bytes | None = None):
    return CliRunner().invoke(cli, list(args), input=stdin)


def test_a_file_page_shows_each_field_with_its_provenance(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(PAGE, encoding="utf-8")
    res = run("extract", str(page))
    assert res.exit_code == 0, res.output
    lines = dict(line.split(None, 1) for line in res.stdout.splitlines() if line and not line.startswith(" "))
    assert lines["journal"] == "Revista Médica de Chile  [text]"
    assert lines["year"] == "2017  [text]"
    assert lines["case_count"] == "3  [text]"
    assert lines["drugs"] == "natalizumab  [text]"
    assert lines["url"] == page.resolve().as_uri()


def test_standard_input_as_plain_text_gives_json_with_every_record_field():
    text = "Natalizumab and PML: report of two cases\nWe describe two women with Crohn disease on natalizumab.\n"
    res = run("extract", "-", "-f", "json", stdin=text.encode())
    assert res.exit_code == 0, res.output
    record = json.loads(res.stdout)
    assert record["title"] == "Natalizumab and PML: report of two cases"
    assert record["case_count"] == 2 and record["study_type"] == "case_series"
    assert "case_count_evidence" in record and "body" not in record


@responses.activate
def test_a_url_is_fetched_politely_and_read():
    responses.get("https://news.example/robots.txt", status=404)
    responses.get("https://news.example/pml", body=PAGE.encode(), content_type="text/html; charset=utf-8")
    res = run("--config", "/nonexistent/feeds.yaml", "extract", "https://news.example/pml", "-f", "json")
    assert res.exit_code == 0, res.output
    record = json.loads(res.stdout)
    assert record["id"] == "url:https://news.example/pml"
    assert record["journal"] == "Revista Médica de Chile" and record["case_count"] == 3
    assert responses.calls[1].request.headers["User-Agent"].startswith("tracker/")


@responses.activate
def test_a_url_that_fails_is_one_line_on_stderr():
    responses.get("https://news.example/robots.txt", status=404)
    responses.get("https://news.example/gone", status=404)
    res = run("extract", "https://news.example/gone")
    assert res.exit_code == 1
    assert res.stderr.count("\n") == 1 and "404" in res.stderr


def test_a_missing_file_is_a_usage_error(tmp_path):
    res = run("extract", str(tmp_path / "none.html"))
    assert res.exit_code == 2
    assert f"cannot read '{tmp_path / 'none.html'}'" in res.stderr

