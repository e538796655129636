"""The search page's cache of searches and its marks of the shown hits."""

from __future__ import annotations

import re

import pytest
from webclient import get, q

from tracker import search as searching
from tracker.index import Index
from tracker.models import Article
from tracker.query import parser
from tracker.web import App
from tracker.web.highlight import Highlighter, query_terms


def paper(n: int, year: int, **kw) -> Article:
    return Article(title=f"Crohn's disease cohort {n}", abstract=f"Patients with Crohn's disease, cohort {n}.",
                   pmid=str(40000000 + n), journal="Gut" if n % 2 else "Neurology", year=year, **kw)


def titles(page: str) -> list[str]:
    return [re.sub(r"</?mark>", "", t) for t in re.findall(r'<h2><a href="[^"]*">(.*?)</a></h2>', page)]


def total(page: str) -> int:
    return int(re.search(r'<p class="meta" id="total"><b>([\d,]+)</b>', page)[1].replace(",", ""))


@pytest.fixture
def library(tmp_path):
    with Index.open(tmp_path, create=True) as ix:
        ix.upsert([paper(n, 2000 + n) for n in range(45)])
    return tmp_path


def test_a_commit_between_two_requests_shows_the_new_records(library):
    app = App(library)
    first = get(app, "/", q("crohn")).text
    deep = get(app, "/", q("crohn") + "&page=3").text
    assert total(first) == 45 and len(titles(deep)) == 5
    with Index.open(library, create=True) as ix:        # a crawl committing while the server runs
        ix.upsert([paper(100, 2100), paper(101, 2101)])
    again = get(app, "/", q("crohn") + "&sort=-year").text
    assert total(again) == 47 and titles(again)[:2] == ["Crohn&#39;s disease cohort 101",
                                                          "Crohn&#39;s disease cohort 100"]
    assert len(titles(get(app, "/", q("crohn") + "&page=3").text)) == 7
    chart = re.search(r"<svg.*?</svg>", get(app, "/", q("crohn")).text, re.S)[0]
    assert "<title>2101: 1</title>" in chart


def test_sorts_and_facet_clauses_never_share_an_entry(library):
    cached = App(library)
    urls = [q(text) + extra for text in ("crohn", "crohn year:2010", "crohn journal:gut", "cohort")
            for extra in ("", "&sort=year", "&sort=-year", "&sort=cases", "&page=2", "&sort=year&page=2")]
    for url in urls + urls[::-1]:                   # each asked twice, in both orders, through one cache
        page = get(cached, "/", url).text
        assert page == get(App(library), "/", url).text, url     # a fresh app: no cache at all
    years = [int(y) for y in re.findall(r"</b> · (\d{4}) ·", get(cached, "/", q("crohn") + "&sort=year").text)]
    assert years == sorted(years) and years[0] == 2000
    assert total(get(cached, "/", q("crohn year:2010")).text) == 1


def test_later_pages_and_the_back_button_reuse_one_search(library, monkeypatch):
    app = App(library)
    runs = []
    real = searching.run

    def counted(*args, **kwargs):
        runs.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(searching, "run", counted)
    for url in ("", "&page=2", "", "&page=2"):
        assert get(app, "/", q("crohn") + url).status == 200
    assert runs.count("crohn") == 1
    deeper = get(app, "/", q("crohn") + "&page=3").text       # past what the first search kept
    assert runs.count("crohn") == 2 and len(titles(deeper)) == 5
    get(app, "/", q("crohn"))
    get(app, "/", q("crohn") + "&sort=year")
    assert runs.count("crohn") == 3                 # another order is another search


def test_marks_match_the_query_as_the_index_analyses_it(library):
    with Index.open(library) as ix:
        marker = Highlighter(ix.analyser.analyse)

        def marks(text: str, record: dict) -> dict:
            return marker.highlights(query_terms(parser.compile_query(text, ix.analyser).query), record)

        record = {"title": "Treating Ménétrier disease: infliximab-treated patients",
                  "abstract": " ".join(["filler"] * 80 + ["Patients", "were", "treated", "with", "Remicade."]
                                       + ["more"] * 80)}
        got = marks("treat menetrier", record)
        assert got["title"] == "[[Treating]] [[Ménétrier]] disease: infliximab-[[treated]] patients"
        assert "[[treated]] with Remicade." in got["abstract"] and len(got["abstract"]) < 200
        assert not got["abstract"].startswith("filler filler filler filler filler filler filler filler filler")
        assert "with [[Remicade]]. more" in marks("remicade", record)["abstract"]     # a brand and its drug
        assert "[[infliximab]]" in marks("remicade", record)["title"]
        assert marks("menetri* NOT treated", record)["title"] == "Treating [[Ménétrier]] disease: " \
                                                                   "infliximab-treated patients"
        assert marks("title:patients", record) == {"title": "Treating Ménétrier disease: infliximab-treated "
                                                            "[[patients]]"}
        assert marks("cohort", record) == {}


def test_snippet_passages_never_repeat_text_and_mark_every_match_they_show():
    from tracker.web.highlight import snippet

    text = ("Doctors followed patients on natalizumab for two years. Three of them developed PML, "
            "and all three had taken natalizumab, sold as Tysabri, for more than two years before.")
    spans = [(m.start(), m.end()) for m in re.finditer(r"natalizumab|Tysabri", text)]
    shown = snippet(text, spans, maxchars=30, surround=60)
    plain = shown.replace("[[", "").replace("]]", "")
    at = 0
    for part in plain.split(" … "):     # passages in text order, none overlapping another
        found = text.find(part, at)
        assert found >= at, (part, shown)
        at = found + len(part)
    assert shown.count("[[") == plain.count("natalizumab") + plain.count("Tysabri")
