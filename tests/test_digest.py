"""Digest rendering: grouping, escaping, and HTML a mail client can show."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from tracker.errors import TrackerError
from tracker.models import Article
from tracker.output import digest

SINCE = "2026-11-18T00:00:00Z"
NOW = "2026-11-25T17:40:00Z"
EVIL = 'PML <script>alert("x")</script> & [link](javascript:alert(1)) *bold* _u_'


def rec(title, drugs=(), study_type=None, **kw) -> dict:
    return Article(title=title, drugs=list(drugs), study_type=study_type, **kw).to_dict()


@pytest.fixture
def records() -> list[dict]:
    return [
        rec("Natalizumab and infliximab in refractory Crohn's", ["infliximab", "natalizumab"],
            "case_report", journal="J Crohns Colitis", year=2019, case_count=1,
            doi="10.1093/ecco-jcc/jjz001", url="https://example.org/a"),
        rec("Vedolizumab versus placebo", ["vedolizumab"], "rct", journal="Gut", year=2021,
            case_count=120, url="https://example.org/trial"),
        rec("Natalizumab PML series", ["natalizumab"], "case_series", journal="Neurology",
            year=2017, case_count=3, pmid="31000001"),
        rec("Older natalizumab report", ["natalizumab"], "case_report", journal="BMJ", year=2010,
            url="https://example.org/old"),
        rec("IBD news roundup", [], None, url="https://example.org/news?a=1&b=2"),
        rec(EVIL, ["ustekinumab"], "review", journal="Evil <Journal>", url="javascript:alert(1)"),
    ]


def md(records):
    return digest.render(records, "markdown", since=SINCE, now=NOW)


def html_doc(records):
    return digest.render(records, "html", since=SINCE, now=NOW)


def headings(text: str, level: int) -> list[str]:
    return re.findall(rf"^{'#' * level} (.+)$", text, re.M)


# ---------------------------------------------------------------- Markdown

def test_markdown_header_has_period_and_counts(records):
    text = md(records)
    assert text.startswith("# What's new in the Crohn's disease literature\n")
    assert "6 new records from 2026-11-18 to 2026-11-25 (UTC)" in text
    assert "2 case reports, 1 case series, 1 randomised trial, 1 review, 1 unclassified item" in text
    assert "4 drugs named" in text


def test_markdown_groups_by_drug_then_study_type(records):
    text = md(records)
    # Most items first, ties by name, Other last; a two-drug record under each drug.
    assert headings(text, 2) == ["Natalizumab (3)", "Infliximab (1)", "Ustekinumab (1)",
                                 "Vedolizumab (1)", "Other (1)"]
    natalizumab = text.split("## Natalizumab (3)")[1].split("\n## ")[0]
    assert headings(natalizumab, 3) == ["Case reports (2)", "Case series (1)"]
    # newest first within a section
    assert natalizumab.index("refractory Crohn") < natalizumab.index("Older natalizumab")
    assert text.count("Natalizumab and infliximab in refractory") == 2


def test_markdown_item_has_link_journal_year_cases(records):
    text = md(records)
    assert ("- [Natalizumab and infliximab in refractory Crohn's]"
            "(https://doi.org/10.1093/ecco-jcc/jjz001)") in text  # DOI beats URL
    assert "J Crohns Colitis · 2019 · 1 case" in text
    assert "Gut · 2021 · 120 cases" in text
    assert "<https://example.org/trial>" in text
    assert "[Natalizumab PML series](" not in text  # no DOI or URL: no link
    assert "journal unknown" in text


def test_markdown_escapes_and_drops_unsafe_links(records):
    text = md(records)
    assert "javascript:" not in text.replace("\\[link\\](javascript:alert(1))", "")
    assert "\\<script\\>" in text and "<script>" not in text
    assert "\\*bold\\*" in text and "\\_u\\_" in text


def test_empty_digest():
    text = md([])
    assert "0 new records from 2026-11-18 to 2026-11-25 (UTC)." in text
    assert "## " not in text


# ---------------------------------------------------------------- HTML

class StrictChecker(HTMLParser):
    """Fails on unbalanced tags, scripts, event handlers and inline JS links."""

    VOID = {"meta", "br", "img", "hr", "link", "input"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "iframe", "object"):
            self.errors.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or (value or "").lower().startswith("javascript:"):
                self.errors.append(f"{tag} {name}={value}")
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        if tag not in self.VOID:
            self.errors.append(f"self-closed <{tag}/>")
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(f"unbalanced </{tag}>")

    def handle_data(self, data):
        self.text.append(data)


def test_html_is_valid_and_has_no_scripts(records):
    text = html_doc(records)
    assert text.startswith("<!DOCTYPE html>\n<html lang=\"en\">")
    checker = StrictChecker()
    checker.feed(text)
    checker.close()
    assert checker.errors == [] and checker.stack == []
    assert "<script" not in text.lower()
    assert '<meta charset="utf-8" />' in text
    # Well-formed as XML too, which rules out stray & and unclosed tags.
    root = ET.fromstring(text.split("\n", 1)[1])
    assert root.tag == "html"
    assert root.find("head/title") is not None


def test_html_parses_with_lxml(records):
    lxml_html = pytest.importorskip("lxml.html")
    doc = lxml_html.document_fromstring(html_doc(records))
    assert [h.text_content() for h in doc.iter("h2")][0] == "Natalizumab (3)"
    links = [a.get("href") for a in doc.iter("a")]
    assert "https://doi.org/10.1093/ecco-jcc/jjz001" in links
    assert "https://example.org/news?a=1&b=2" in links
    assert not any(link.startswith("javascript") for link in links)


def test_html_escapes_everything(records):
    text = html_doc(records)
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp;" in text
    assert "Evil &lt;Journal&gt;" in text
    checker = StrictChecker()
    checker.feed(text)
    assert EVIL in "".join(checker.text)  # shown as text, exactly


def test_html_uses_inline_styles_only(records):
    text = html_doc(records)
    assert "<style" not in text and "class=" not in text
    assert 'style="' in text


def test_unknown_format():
    with pytest.raises(TrackerError):
        digest.render([], "pdf", since=SINCE)
