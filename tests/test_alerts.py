"""Alerts without a mail server: the feeds.yaml blocks, what an alert selects
and where its cursor goes, the rendered texts, and the printing CLI
(`tracker alerts`, `--list`, `search --new-for`, `digest QUERY --skip-empty`).
The SMTP side is in test_alerts_smtp.py."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from tracker.alerts.select import advanced, pending
from tracker.cli import cli
from tracker.config import parse
from tracker.dates import resolve_since
from tracker.errors import ConfigError
from tracker.index import Index
from tracker.models import Article
from tracker.output import mail
from tracker.settings import AlertConfig

T0 = "2026-11-30T10:00:00Z"
T1 = "2026-12-01T09:00:00Z"


# ------------------------------------------------------------------ feeds.yaml

def config(text: str, tmp_path: Path):
    return parse(text, tmp_path / "feeds.yaml")


def problems(text: str, tmp_path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        config(text, tmp_path)
    return [line.split(": ", 1)[1] for line in info.value.errors]


def test_alerts_and_smtp_blocks_are_read(tmp_path, monkeypatch):
    monkeypatch.setenv("SMTP_PASSWORD", "s3cret")
    cfg = config("""
alerts:
  - name: natalizumab-pml
    query: 'natalizumab AND condition:pml'
    to: [a@lab.org, b@lab.org]
    format: markdown
  - name: jak
    query: drug:jak
    to: c@lab.org
  - name: printed
    query: vedolizumab
smtp:
  host: smtp.lab.org
  from: tracker@lab.org
  starttls: true
  username: tracker
  password: ${SMTP_PASSWORD}
""", tmp_path)
    assert [a.name for a in cfg.alerts] == ["natalizumab-pml", "jak", "printed"]
    assert cfg.alerts[0] == AlertConfig("natalizumab-pml", "natalizumab AND condition:pml",
                                        ("a@lab.org", "b@lab.org"), "markdown")
    assert cfg.alert("jak").to == ("c@lab.org",) and cfg.alert("printed").to == ()
    assert (cfg.smtp.host, cfg.smtp.port, cfg.smtp.sender) == ("smtp.lab.org", 587, "tracker@lab.org")
    assert cfg.smtp.starttls and not cfg.smtp.ssl and cfg.smtp.password == "s3cret"
    assert "s3cret" not in repr(cfg.smtp)


def test_a_bad_alert_query_is_a_config_error_naming_the_alert_and_the_problem(tmp_path):
    found = problems("""
alerts:
  - name: good
    query: natalizumab
  - name: unbalanced
    query: 'natalizumab AND (pml'
  - name: fielded
    query: 'colour:blue'
  - name: inverted
    query: 'year:2020..2010'
""", tmp_path)
    assert found[0] == ("alert 'unbalanced': key 'query' is not a valid search: unbalanced parenthesis: "
                        "the '(' at position 17 is never closed.")
    assert found[1].startswith("alert 'fielded': key 'query' is not a valid search: unknown field 'colour:'")
    assert found[2].startswith("alert 'inverted': key 'query' is not a valid search:")
    assert len(found) == 3


def test_alert_and_smtp_mistakes_are_all_reported(tmp_path, monkeypatch):
    monkeypatch.delenv("NO_SUCH_VAR", raising=False)
    found = problems("""
alerts:
  - name: a
    query: x
    to: [someone@lab.org, not-an-address]
    format: pdf
  - name: a
    query: y
    cc: z@lab.org
  - query: z
smtp:
  host: smtp.lab.org
  from: tracker@lab.org
  starttls: true
  ssl: true
  username: u
  password: hunter2
""", tmp_path)
    assert found == [
        "alert 'a': key 'to' holds something that is not an e-mail address: 'not-an-address'.",
        "alert 'a': key 'format' must be markdown or html, not 'pdf'.",
        "alert 'a': duplicate alert name; each alert needs its own name.",
        "alert 'a': unknown key 'cc' (an alert takes name, query, to, format).",
        "alert #3: missing key 'name'.",
        "smtp: keys 'starttls' and 'ssl' exclude each other: starttls upgrades a plain connection (port 587), "
        "ssl starts with TLS (port 465).",
        "smtp: key 'password' must name an environment variable, like ${SMTP_PASSWORD}, not hold the password "
        "itself.",
    ]
    assert problems("smtp:\n  host: h\n  from: t@lab.org\n  username: u\n  password: ${NO_SUCH_VAR}\n",
                    tmp_path) == ["smtp: key 'password' reads ${NO_SUCH_VAR}, which is not set in the environment."]


def test_addresses_need_an_smtp_block(tmp_path):
    assert problems("alerts:\n  - name: a\n    query: x\n    to: me@lab.org\n", tmp_path) == [
        "alert 'a': key 'to' needs an 'smtp:' block (host, port, from) to send from; without 'to' the alert "
        "is printed."]
    assert config("alerts:\n  - name: a\n    query: x\n", tmp_path).smtp is None


def test_bad_alerts_block_through_the_cli_exits_2_with_one_line_per_problem(tmp_path):
    (tmp_path / "feeds.yaml").write_text("alerts:\n  - name: x\n    query: '\"open'\n", encoding="utf-8")
    res = CliRunner().invoke(cli, ["--config", str(tmp_path / "feeds.yaml"), "alerts"])
    assert res.exit_code == 2
    assert res.stderr.startswith(f"error: {tmp_path / 'feeds.yaml'}: alert 'x': key 'query' is not a valid search: ")
    assert len(res.stderr.splitlines()) == 1 and "Traceback" not in res.output


# ------------------------------------------------------------------ selection and cursor

def art(n: int, first_seen: str, drugs=("natalizumab",), **kw) -> Article:
    return Article(doi=f"10.5555/al.{n}", title=f"Paper {n} on Crohn disease", journal="J Crohns Colitis",
                   year=2026, drugs=list(drugs), conditions=["crohns_disease"], first_seen=first_seen,
                   feeds=["f"], **kw)


@pytest.fixture
def index(tmp_path):
    with Index.open(tmp_path / "idx", create=True) as ix:
        yield ix


ALERT = AlertConfig("nat", "natalizumab")


def ids(records) -> list[str]:
    return [r["id"] for r in records]


def test_first_run_takes_what_was_stored_since_the_start_and_matches_the_query(index):
    index.upsert([art(1, "2026-11-01T00:00:00Z"), art(2, T0), art(3, T0, drugs=("vedolizumab",))])
    assert ids(pending(index, ALERT, None, "2026-11-20T00:00:00Z")) == ["doi:10.5555/al.2"]
    assert ids(pending(index, ALERT, None, "2026-10-01T00:00:00Z")) == ["doi:10.5555/al.1", "doi:10.5555/al.2"]


def test_records_stored_in_the_second_of_the_last_delivery_are_neither_skipped_nor_resent(index):
    index.upsert([art(1, T0)])
    first = pending(index, ALERT, None, "2026-11-01T00:00:00Z")
    cursor = advanced(None, first, T0)
    assert (cursor.first_seen, cursor.ids, cursor.sent) == (T0, ("doi:10.5555/al.1",), 1)
    # the crawl goes on within the same second, then in the next one
    index.upsert([art(2, T0)])
    index.upsert([art(3, T1)])
    second = pending(index, ALERT, cursor, "2026-11-01T00:00:00Z")
    assert ids(second) == ["doi:10.5555/al.2", "doi:10.5555/al.3"]
    cursor = advanced(cursor, second, T1)
    assert (cursor.first_seen, cursor.ids) == (T1, ("doi:10.5555/al.3",))
    assert pending(index, ALERT, cursor, "2026-11-01T00:00:00Z") == []
    index.upsert([art(4, T1)])          # same second as the cursor again
    assert ids(pending(index, ALERT, cursor, "2026-11-01T00:00:00Z")) == ["doi:10.5555/al.4"]


def test_a_delivered_record_that_is_updated_or_merged_later_is_not_sent_again(index):
    index.upsert([Article(url="https://news.example.org/story", title="Natalizumab story on Crohn disease",
                          drugs=["natalizumab"], first_seen=T0, feeds=["news"])])
    cursor = advanced(None, pending(index, ALERT, None, T0), T0)
    # the same page later carries a DOI: the record is re-keyed under the DOI, its first_seen kept
    index.upsert([Article(url="https://news.example.org/story", doi="10.5555/story", title="Natalizumab story",
                          drugs=["natalizumab"], first_seen=T1, feeds=["news"])])
    assert [r["id"] for r in index.iter_records()] == ["doi:10.5555/story"]
    assert pending(index, ALERT, cursor, T0) == []


# ------------------------------------------------------------------ rendering

HOSTILE = {
    "id": "url:https://evil.example.org/x", "title": 'Natalizumab <script>alert("x")</script> & PML',
    "journal": "J <b>Crohns</b>", "year": 2025, "study_type": "case_report", "case_count": 1,
    "drugs": ["natalizumab"], "url": "javascript:alert(1)",
}
LINKED = [
    {"id": "doi:10.5555/a(1)", "title": "DOI paper", "doi": "10.5555/a(1)", "pmid": "123", "journal": "Gut",
     "year": 2026, "study_type": "cohort", "case_count": 412, "drugs": ["ustekinumab", "vedolizumab"]},
    {"id": "pmid:456", "title": "PubMed paper", "pmid": "456", "journal": "Gut", "year": 2024},
    {"id": "url:https://news.example.org/a?b=1&c=2", "title": "News page", "url": "https://news.example.org/a?b=1&c=2"},
]


def test_each_paper_links_to_its_doi_else_pubmed_else_its_page():
    assert [mail.link(r) for r in LINKED] == ["https://doi.org/10.5555/a(1)", "https://pubmed.ncbi.nlm.nih.gov/456/",
                                              "https://news.example.org/a?b=1&c=2"]
    assert mail.link(HOSTILE) is None


def test_every_paper_shows_title_journal_year_design_cases_drugs():
    text = mail.plain("nat", "natalizumab", LINKED[:1], T0)
    assert "1. DOI paper\n   Gut · 2026 · cohort study · 412 cases · ustekinumab, vedolizumab\n" \
           "   https://doi.org/10.5555/a(1)\n" in text
    assert text.startswith("nat: 1 new paper\n\n1 new paper matching 'natalizumab' first stored since 2026-11-30.")


def test_html_escapes_everything_and_links_only_http():
    page = mail.html_page("nat", 'q "<x>"', [HOSTILE, *LINKED], T0)
    assert "<script>" not in page and "<b>Crohns" not in page and "javascript:" not in page
    assert "Natalizumab &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; PML" in page
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert [html.unescape(h) for h in hrefs[::2]] == [mail.link(r) for r in LINKED]
    assert 'href="https://news.example.org/a?b=1&amp;c=2"' in page


def test_markdown_escapes_titles_and_json_is_one_line_per_alert():
    md = mail.markdown("nat", "natalizumab", [HOSTILE, *LINKED], T0)
    assert "\\<script\\>" in md and "javascript" not in md
    assert "- [DOI paper](<https://doi.org/10.5555/a(1)>)" in md
    line = mail.as_json("nat", "natalizumab", LINKED, T0)
    assert "\n" not in line
    assert json.loads(line)["count"] == 3 and json.loads(line)["records"][2]["id"].startswith("url:")


# ------------------------------------------------------------------ the printing CLI

FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:prism="http://prismstandard.org/namespaces/basic/2.0/"><channel><title>Sample</title>
<link>https://journal.example.org/</link><description>sample</description>
{items}
</channel></rss>
"""
ITEM = """<item><title>{title}</title><link>https://journal.example.org/{n}</link>
<prism:doi>10.5555/cli.{n}</prism:doi><prism:publicationName>Gut</prism:publicationName>
<pubDate>Mon, 02 Nov 2026 09:30:00 GMT</pubDate><description>{text}</description></item>"""


def items(*specs: tuple[int, str]) -> str:
    return "\n".join(ITEM.format(n=n, title=title, text=f"{title}. We report patients with Crohn's disease.")
                     for n, title in specs)


@pytest.fixture
def home(tmp_path):
    (tmp_path / "feed.xml").write_text(FEED.format(items=items(
        (1, "Natalizumab and progressive multifocal leukoencephalopathy"),
        (2, "Upadacitinib induction"), (3, "Vedolizumab in pregnancy"))), encoding="utf-8")
    (tmp_path / "feeds.yaml").write_text("""
index: idx
feeds:
  - name: sample
    kind: rss
    url: feed.xml
alerts:
  - name: nat
    query: natalizumab
  - name: jak
    query: 'drug:jak'
  - name: none
    query: 'drug:infliximab'
""", encoding="utf-8")
    res = tracker(tmp_path, "crawl", "-q")
    assert res.exit_code == 0, res.output
    return tmp_path


def tracker(home: Path, *args: str):
    return CliRunner().invoke(cli, ["--config", str(home / "feeds.yaml"), *args])


def test_alerts_without_send_print_and_move_nothing(home):
    first = tracker(home, "alerts")
    assert first.exit_code == 0, first.output
    assert "# nat: 1 new paper" in first.stdout and "# jak: 1 new paper" in first.stdout
    assert "infliximab" not in first.stdout
    assert first.stderr.splitlines() == [
        "alert nat: 1 new paper (not delivered without --send; nothing moved).",
        "alert jak: 1 new paper (not delivered without --send; nothing moved).",
        f"alert none: nothing new since {resolve_since('7d')[:10]}; nothing sent.",
    ]
    assert tracker(home, "alerts").stdout == first.stdout
    dry = tracker(home, "alerts", "--send", "--dry-run")
    assert dry.stdout == first.stdout and "dry run; nothing moved" in dry.stderr
    assert tracker(home, "alerts").stdout == first.stdout


def test_send_prints_alerts_without_addresses_once_and_then_says_nothing_is_new(home):
    sent = tracker(home, "alerts", "--send", "-f", "json")
    assert sent.exit_code == 0
    lines = [json.loads(line) for line in sent.stdout.splitlines()]
    assert [(d["alert"], d["count"]) for d in lines] == [("nat", 1), ("jak", 1)]
    assert lines[0]["records"][0]["id"] == "doi:10.5555/cli.1"
    assert "alert nat: printed 1 new paper." in sent.stderr
    again = tracker(home, "alerts", "--send")
    assert again.exit_code == 0 and again.stdout == ""
    assert [line.split(":")[0] for line in again.stderr.splitlines()] == ["alert nat", "alert jak", "alert none"]
    assert all("nothing new since" in line for line in again.stderr.splitlines())


def test_list_shows_query_recipients_last_delivery_and_waiting(home):
    before = tracker(home, "alerts", "--list")
    assert before.exit_code == 0
    assert before.stdout.splitlines()[:5] == ["nat", "  query:          natalizumab", "  to:             (none: printed)",
                                              "  last delivery:  never", "  waiting:        1 new paper"]
    tracker(home, "alerts", "--send")
    after = tracker(home, "alerts", "--list").stdout.splitlines()
    assert re.fullmatch(r"  last delivery:  \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(1 paper\)", after[3])
    assert after[4] == "  waiting:        0 new papers"
    assert tracker(home, "alerts", "--list", "--send").exit_code == 2


def test_search_new_for_shows_what_the_next_run_sends(home):
    res = tracker(home, "search", "--new-for", "jak", "-f", "json")
    assert res.exit_code == 0
    assert [r["id"] for r in json.loads(res.stdout)] == ["doi:10.5555/cli.2"]
    assert "Upadacitinib induction" in tracker(home, "search", "--new-for", "jak").stdout
    tracker(home, "alerts", "--send")
    assert tracker(home, "search", "--new-for", "jak").stdout == "nothing new for alert 'jak'\n"
    missing = tracker(home, "search", "--new-for", "nope")
    assert missing.exit_code == 2
    assert missing.stderr == f"error: no alert named 'nope' in {home / 'feeds.yaml'} (alerts: nat, jak, none).\n"
    assert tracker(home, "search").exit_code == 2


def test_digest_query_and_skip_empty(home):
    res = tracker(home, "digest", "drug:jak", "--since", "1d")
    assert res.exit_code == 0 and "Upadacitinib induction" in res.stdout and "Vedolizumab" not in res.stdout
    out = home / "digest.md"
    empty = tracker(home, "digest", "drug:infliximab", "--skip-empty", "-o", str(out))
    assert empty.exit_code == 0 and empty.output == "" and not out.exists()
    assert tracker(home, "digest", "drug:infliximab", "--since", "1d").output.startswith("# What's new")
    full = tracker(home, "digest", "--skip-empty", "-o", str(out))
    assert full.exit_code == 0 and "Vedolizumab in pregnancy" in out.read_text(encoding="utf-8")
