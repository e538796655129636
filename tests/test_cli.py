"""Every CLI command through click's CliRunner: exit codes and exact messages."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tracker.cli import cli
from tracker.models import RECORD_FIELDS

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "offline"

RSS_ONLY = """
index: idx
filters:
  include_any: [crohn, "inflammatory bowel"]
feeds:
  - name: jcc
    kind: rss
    url: data/jcc-advance.xml
  - name: gut
    kind: rss
    url: data/gut-atom.xml
"""


@pytest.fixture
def workdir(tmp_path):
    shutil.copytree(EXAMPLE / "data", tmp_path / "data")
    (tmp_path / "feeds.yaml").write_text(RSS_ONLY, encoding="utf-8")
    return tmp_path


def run(workdir: Path, *args: str):
    runner = CliRunner()
    return runner.invoke(cli, ["--config", str(workdir / "feeds.yaml"), *args], catch_exceptions=False)


@pytest.fixture
def crawled(workdir):
    result = run(workdir, "crawl")
    assert result.exit_code == 0, result.output
    return workdir


def test_feeds_lists_and_checks(workdir):
    out = run(workdir, "feeds").output.splitlines()
    assert [line.split()[:2] for line in out] == [["jcc", "rss"], ["gut", "rss"]]
    res = run(workdir, "feeds", "check")
    assert (res.exit_code, res.output) == (0, "ok\n")


def test_feeds_check_reports_misspelt_key(workdir):
    (workdir / "feeds.yaml").write_text(RSS_ONLY + "    fetch_article: true\n")
    res = run(workdir, "feeds", "check")
    assert res.exit_code == 2
    assert res.stderr == (f"error: {workdir / 'feeds.yaml'}: feed 'gut': unknown key 'fetch_article' "
                          f"(did you mean 'fetch_articles'?).\n")


def test_missing_config_is_one_line(tmp_path):
    res = CliRunner().invoke(cli, ["--config", str(tmp_path / "none.yaml"), "crawl"])
    assert res.exit_code == 2
    assert res.stderr == f"error: {tmp_path / 'none.yaml'}: no such configuration file (use --config or $TRACKER_CONFIG).\n"


def test_search_before_any_crawl(workdir):
    res = run(workdir, "search", "natalizumab")
    assert res.exit_code == 1
    assert res.stderr == f"error: {workdir / 'idx'}: no index here yet; run 'tracker crawl' first.\n"


def test_bad_option_is_usage_error(workdir):
    res = run(workdir, "search", "x", "--sort", "bogus")
    assert res.exit_code == 2 and "Invalid value for '--sort'" in res.stderr


def test_crawl_twice_is_idempotent(workdir):
    first = run(workdir, "crawl")
    assert first.exit_code == 0
    assert "jcc" in first.output and "new 3" in first.output and "filtered 1" in first.output
    second = run(workdir, "crawl")
    assert second.exit_code == 0
    lines = [ln for ln in second.output.splitlines() if ln.startswith(("jcc", "gut"))]
    assert all(" new 0," in ln for ln in lines), second.output
    assert "5 records in the index" in second.output


def test_crawl_json_summary(workdir):
    res = run(workdir, "crawl", "--json")
    data = json.loads(res.output)
    assert data["exit_code"] == 0 and data["records"] == 5
    assert {f["name"]: f["new"] for f in data["feeds"]} == {"jcc": 3, "gut": 2}


def test_crawl_quiet_prints_nothing_on_success(workdir):
    res = run(workdir, "crawl", "--quiet")
    assert (res.exit_code, res.output) == (0, "")


def test_broken_feed_exit_1_others_saved(workdir):
    (workdir / "data" / "gut-atom.xml").write_bytes(b"<html><body>502 Bad Gateway</body></html>")
    res = run(workdir, "crawl")
    assert res.exit_code == 1
    assert "FAILED" in res.output and "HTML page" in res.output
    assert "3 records in the index" in res.output


def test_unknown_feed_name(workdir):
    res = run(workdir, "crawl", "--feed", "nope")
    assert res.exit_code == 2 and "no feed named 'nope'" in res.stderr


def test_search_json_carries_every_record_field(crawled):
    res = run(crawled, "search", "natalizumab", "-f", "json")
    rows = json.loads(res.output)
    assert rows and all(set(RECORD_FIELDS) <= set(r) for r in rows)
    assert all("score" in r and "highlights" in r for r in rows)


def test_show_by_id_and_bare_doi(crawled):
    res = run(crawled, "show", "doi:10.5555/jcc.2026.0107", "-f", "json")
    assert json.loads(res.output)["doi"] == "10.5555/jcc.2026.0107"
    res = run(crawled, "show", "https://doi.org/10.5555/JCC.2026.0107")
    assert res.exit_code == 0 and "id          doi:10.5555/jcc.2026.0107" in res.output
    res = run(crawled, "show", "doi:10.5555/none")
    assert res.exit_code == 1 and res.stderr == "error: no record with id 'doi:10.5555/none' in the index.\n"


@pytest.mark.parametrize("args", [("show", "doi:10.5555/jcc.2026.0107"), ("export", "-f", "jsonl"),
                                  ("stats", "--by", "drug"), ("digest", "--since", "3650d")])
def test_commands_that_read_records_load_the_store_and_not_whoosh(crawled, args):
    code = (
        "import sys\n"
        "from tracker.cli import cli\n"
        "try:\n"
        f"    cli(['--config', {str(crawled / 'feeds.yaml')!r}, *{list(args)!r}], standalone_mode=False)\n"
        "finally:\n"
        "    print('LOADED', sorted(m for m in ('whoosh', 'numpy', 'sqlite3') if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "LOADED ['sqlite3']"


def test_a_query_export_reads_only_the_matching_rows(crawled, monkeypatch):
    from tracker.store import Store

    everything = [json.loads(line) for line in run(crawled, "export", "-f", "jsonl").output.splitlines()]
    wanted = [r["id"] for r in everything if "natalizumab" in r["drugs"]]
    assert 0 < len(wanted) < len(everything)
    asked, scanned = [], []
    rows_given, rows = Store.rows_given, Store.rows

    def spy_given(self, column, given):
        asked.extend(given)
        return rows_given(self, column, given)

    def spy_scan(self, *args, **kwargs):
        scanned.append(args)
        return rows(self, *args, **kwargs)

    monkeypatch.setattr(Store, "rows_given", spy_given)
    monkeypatch.setattr(Store, "rows", spy_scan)
    res = run(crawled, "export", "drug:natalizumab", "-f", "jsonl")
    assert [json.loads(line)["id"] for line in res.output.splitlines()] == wanted     # in store order
    assert len(asked) == len(wanted) and not scanned


def test_export_csv_round_trip(crawled):
    res = run(crawled, "export", "-f", "csv")
    rows = list(csv.reader(io.StringIO(res.output)))
    assert rows[0] == [f for f in RECORD_FIELDS if f not in ("body", "case_count_evidence")]
    assert len(rows) == 1 + 5


def test_export_to_file_and_since(crawled):
    out = crawled / "out.jsonl"
    res = run(crawled, "export", "-f", "jsonl", "-o", str(out), "--since", "2000-01-01")
    assert res.exit_code == 0
    assert len(out.read_text().splitlines()) == 5
    res = run(crawled, "export", "-f", "jsonl", "--since", "2999-01-01")
    assert res.output == ""
    res = run(crawled, "export", "--since", "last tuesday")
    assert res.exit_code == 2 and "Cannot read --since 'last tuesday'" in res.stderr


def test_stats_by_feed(crawled):
    res = run(crawled, "stats", "--by", "feed")
    assert res.exit_code == 0
    assert "jcc" in res.output and "gut" in res.output


def test_unreadable_index_is_clear(workdir):
    (workdir / "idx").mkdir()
    (workdir / "idx" / "whoosh").write_text("not a directory")
    res = run(workdir, "search", "x")
    assert res.exit_code == 1 and res.stderr.startswith("error: ") and "Traceback" not in res.output


def test_export_to_missing_directory_is_one_line(crawled):
    res = run(crawled, "export", "-o", str(crawled / "no" / "such" / "x.csv"))
    assert res.exit_code == 1
    assert res.stderr == f"error: {crawled / 'no' / 'such' / 'x.csv'}: cannot write here (No such file or directory).\n"


# The crawl's summary line, --log-file line and --json keys are contracts
# (cron jobs and scripts parse them): pinned here to the exact text.
NEWS_LISTING = """<html><body>
<a class="post" href="/a.html">A</a> <a class="post" href="/private/b.html">B</a>
<a class="post" href="/c.html">C</a></body></html>"""
NEWS_PAGE = """<html><head><title>Natalizumab in Crohn's disease</title></head><body><article>
<h1>Natalizumab in Crohn's disease</h1><p>Three patients with Crohn's disease received natalizumab.</p>
</article></body></html>"""
SERVED_YAML = """
index: idx
feeds:
  - name: news
    kind: html
    url: {url}/news/
    article_links: a.post
  - name: jcc
    kind: rss
    url: {url}/jcc.xml
"""
FEED_KEYS = ["name", "kind", "seconds", "fetched", "new", "updated", "unchanged", "filtered",
             "robots_skipped", "not_modified", "retries", "requests", "errors", "address_refused", "first_error",
             "feed_error", "notes"]


def test_crawl_summary_log_and_json_texts(tmp_path):
    import re

    from loopback import Loopback

    with Loopback() as srv:
        srv.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", "text/plain")
        srv.add("/news/", NEWS_LISTING)
        srv.add("/a.html", NEWS_PAGE)
        srv.add("/jcc.xml", (EXAMPLE / "data" / "jcc-advance.xml").read_bytes(), "application/rss+xml",
                headers={"ETag": '"v1"'})
        srv.routes["/jcc.xml"] = lambda path, query, headers, body: (
            (304, {}, b"") if headers.get("If-None-Match") == '"v1"' else
            (200, {"Content-Type": "application/rss+xml", "ETag": '"v1"'},
             (EXAMPLE / "data" / "jcc-advance.xml").read_bytes()))
        (tmp_path / "feeds.yaml").write_text(SERVED_YAML.format(url=srv.url), encoding="utf-8")
        log = tmp_path / "crawl.log"

        first = run(tmp_path, "crawl", "--log-file", str(log))
        assert first.exit_code == 0, first.output
        missing = f"{srv.url}/c.html: HTTP 404 Not Found."
        assert first.output.splitlines()[:2] == [
            f"{'news':<28} fetched 1, new 1, updated 0, unchanged 0, filtered 0, robots-skipped 1, "
            f"errors 1  first error: {missing}",
            f"{'jcc':<28} fetched 4, new 4, updated 0, unchanged 0, filtered 0, errors 0",
        ]
        lines = [re.sub(r"^\S+ ", "<started> ", re.sub(r"seconds=\d+\.\d", "seconds=<s>", line))
                 for line in log.read_text(encoding="utf-8").splitlines()]
        assert lines == [
            "<started> feed=news status=ok fetched=1 new=1 updated=0 unchanged=0 filtered=0 "
            f'robots_skipped=1 not_modified=0 errors=1 seconds=<s> error="{missing}"',
            "<started> feed=jcc status=ok fetched=4 new=4 updated=0 unchanged=0 filtered=0 "
            "robots_skipped=0 not_modified=0 errors=0 seconds=<s>",
        ]

        second = run(tmp_path, "crawl", "--json")
        feeds = json.loads(second.output)["feeds"]
        assert [list(f) for f in feeds] == [FEED_KEYS, FEED_KEYS]
        jcc = {k: v for k, v in feeds[1].items() if k != "seconds"}
        assert jcc == {"name": "jcc", "kind": "rss", "fetched": 0, "new": 0, "updated": 0, "unchanged": 0,
                       "filtered": 0, "robots_skipped": 0, "not_modified": 1, "retries": 0, "requests": 1,
                       "errors": 0, "address_refused": 0, "first_error": None, "feed_error": None,
                       "notes": []}
        third = run(tmp_path, "crawl", "--feed", "jcc")
        assert third.output.splitlines()[0] == (
            f"{'jcc':<28} fetched 0, new 0, updated 0, unchanged 0, filtered 0, not-modified 1, errors 0")


def test_failed_feed_summary_line(workdir):
    (workdir / "data" / "gut-atom.xml").write_bytes(b"<html><body>502 Bad Gateway</body></html>")
    res = run(workdir, "crawl")
    gut = next(line for line in res.output.splitlines() if line.startswith("gut "))
    assert gut == (f"{'gut':<28} fetched 0, new 0, updated 0, unchanged 0, filtered 0, errors 1  FAILED: "
                   f"{(workdir / 'data' / 'gut-atom.xml').as_uri()}: returned an HTML page, not an RSS or Atom feed.")


CONTACT_NOTE = ("note: contact_email is not set in feeds.yaml; NCBI and Crossref ask API users "
                "for a contact address.\n")
API_FEED = {"pubmed": "query: crohn", "europepmc": "query: crohn", "crossref": "query: crohn",
            "clinicaltrials": "query: crohn", "preprints": "server: medrxiv"}


def registry_api_kinds() -> list[str]:
    from tracker import sources

    return [kind for kind in sources.kinds() if sources.get(kind).registry_api]


def test_every_registry_api_kind_has_a_feed_here():
    assert sorted(API_FEED) == registry_api_kinds()


@pytest.mark.parametrize("kind", registry_api_kinds())
def test_contact_note_for_every_registry_api_kind(tmp_path, kind):
    from loopback import Loopback

    with Loopback() as srv:  # answers 404: the feed fails at once, without the network
        (tmp_path / "feeds.yaml").write_text(
            f"index: idx\nfeeds:\n  - name: api\n    kind: {kind}\n    {API_FEED[kind]}\n"
            f"    base_url: {srv.url}/\n", encoding="utf-8")
        res = run(tmp_path, "crawl")
    assert res.exit_code == 1 and res.stderr == CONTACT_NOTE
    (tmp_path / "feeds.yaml").write_text(
        f"index: idx\ncontact_email: lab@example.org\nfeeds:\n  - name: api\n    kind: {kind}\n"
        f"    {API_FEED[kind]}\n    base_url: http://127.0.0.1:9/\n    enabled: false\n", encoding="utf-8")
    assert run(tmp_path, "crawl").stderr == ""


def test_no_contact_note_without_registry_api_feeds(workdir):
    res = run(workdir, "crawl")
    assert res.exit_code == 0 and res.stderr == ""
