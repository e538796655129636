"""Phrases match consecutive words, and the numpy evaluator reads posting
lists, checks phrases and sorts exactly as whoosh does."""

from __future__ import annotations

import dataclasses

import pytest

from tracker import search
from tracker.index import Index
from tracker.index.fastscore import Evaluator
from tracker.index.searching import sort_spec
from tracker.index.whoosh_query import to_whoosh
from tracker.models import Article
from tracker.query import parser as q

RECORDS = [
    Article(title="Loss of response to infliximab in Crohn's disease", pmid="1",
            abstract="Secondary loss of response was managed by dose intensification."),
    Article(title="Appetite loss and treatment response in children", pmid="2",
            abstract="Loss of appetite was common; the response rate was 60%."),
    Article(title="Mucosal healing with vedolizumab", pmid="3",
            abstract="Endoscopic mucosal healing at week 52 predicted remission."),
    Article(title="Healing of mucosal lesions", pmid="4",
            abstract="Mucosal lesions showed healing after therapy."),
    Article(title="Proactive therapeutic drug monitoring of adalimumab", pmid="5",
            abstract="Therapeutic drug monitoring guided dosing in 80 patients."),
    Article(title="Drug monitoring in therapeutic trials", pmid="6",
            abstract="Monitoring of therapeutic drug levels is a therapeutic tool."),
    Article(title="Natalizumab and PML", pmid="7", authors=["van der Berg A", "Smith J"],
            abstract="Progressive multifocal leukoencephalopathy in a patient on natalizumab."),
]


def pmids(index, text):
    return sorted(h.record["pmid"] for h in search.run(index, text, limit=None).result.hits)


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    ix = Index.open(tmp_path_factory.mktemp("phrases"), create=True)
    ix.upsert(RECORDS)
    yield ix
    ix.close()


@pytest.mark.parametrize("text, expected", [
    ('"loss of response"', ["1"]),               # not "loss of appetite ... response"
    ('"mucosal healing"', ["3"]),                # not "healing of mucosal", not "mucosal lesions ... healing"
    ('"therapeutic drug monitoring"', ["5"]),     # every consecutive pair, in order
    ('"progressive multifocal leukoencephalopathy"', ["7"]),
    ('title:"mucosal healing"', ["3"]),
    ('abstract:"mucosal healing"', ["3"]),
    ('title:"loss of response" infliximab', ["1"]),
    ('author:"van der berg"', ["7"]),
    ('"mucosal healing" OR "loss of response"', ["1", "3"]),
    ('"mucosal healing" NOT vedolizumab', []),
])
def test_phrases_need_the_words_next_to_each_other(index, text, expected):
    assert pmids(index, text) == expected


def test_phrase_words_are_highlighted(index):
    hit = search.run(index, '"mucosal healing"').result.hits[0]
    assert "[[Mucosal]] [[healing]]" in hit.highlights["title"]
    assert "[[mucosal]] [[healing]]" in hit.highlights["abstract"]


def test_phrase_words_are_highlighted_in_sorted_results(index):
    hit = search.run(index, '"therapeutic drug monitoring"', sort="year").result.hits[0]
    assert "[[therapeutic]] [[drug]] [[monitoring]]" in hit.highlights["title"]


def test_repeated_prefixes_and_phrases_are_highlighted(index):
    """Each distinct part of a pasted OR list is looked up once for highlights;
    every expansion of a prefix is still marked, whichever repeat found it."""
    hits = search.run(index, " OR ".join(['"mucosal healing"', "monitor*", "natali*", "monitor*"] * 5),
                      limit=None).result.hits
    marked = {h.record["pmid"]: " ".join(h.highlights.values()) for h in hits}
    assert sorted(marked) == ["3", "5", "6", "7"]
    assert "[[Natalizumab]]" in marked["7"] and "[[natalizumab]]" in marked["7"]
    assert "[[monitoring]]" in marked["5"] and "[[Monitoring]]" in marked["6"]
    assert "[[Mucosal]] [[healing]]" in marked["3"]


def _many_segments(path):
    """900 records in two segments, every ninth one updated (deleted + re-added);
    some without a year or a case count."""
    words = ["crohn", "infliximab", "healing", "fistula"]
    journals = ["Journal of Crohn's and Colitis", "Gut", "Inflammatory Bowel Diseases"]
    arts = [Article(pmid=str(i), title=f"Study {i} of {words[i % 4]} and {words[(i // 4) % 4]}",
                    journal=journals[i % 3], year=None if i % 7 == 0 else 2000 + i % 20,
                    case_count=None if i % 5 == 0 else i % 40,
                    abstract=" ".join([words[i % 3]] * (1 + i % 5)) + f" cohort {i}")
            for i in range(900)]
    ix = Index.open(path, create=True)
    ix.upsert(arts[:500])
    ix.upsert(arts[500:])
    ix.upsert([dataclasses.replace(a, abstract=a.abstract + " revised") for a in arts[::9]])
    return ix


def test_whole_posting_lists_read_like_whoosh(tmp_path):
    """Terms in hundreds of documents span many compressed blocks and several
    segments, some documents deleted: ids, weights and scores must be whoosh's."""
    with _many_segments(tmp_path) as ix:
        with ix.searcher() as s:
            assert len(s.subsearchers) > 1 and s.reader().has_deletions()
            assert s.doc_frequency("abstract", "crohn") > 200       # several blocks in each segment
            for text in ["crohn", "infliximab healing", "fistula OR crohn", "cohort NOT healing", "heal*",
                         "inf* OR fist*", "st* crohn", 'journal:"Inflam Bowel" healing', 'journal:"Crohns Colit"',
                         '"crohn and infliximab"', '"crohn infliximab"', '"crohn crohn"', '"healing cohort"',
                         '"healing cohort" OR "crohn crohn crohn"', 'title:"study 17" NOT fistula']:
                node = q.compile_query(text, ix.analyser).query
                ids, scores = Evaluator(s).run(node)
                expected = {d: sc for sc, d in s.search(to_whoosh(node), limit=None).top_n}
                assert len(ids) == len(expected), text
                got = dict(zip(ids.tolist(), scores.tolist()))
                assert set(got) == set(expected), text
                assert all(abs(got[d] - expected[d]) < 1e-9 for d in got), text


@pytest.mark.parametrize("sort", ["year", "-year", "cases"])
def test_sorted_results_in_whoosh_order(tmp_path, sort):
    with _many_segments(tmp_path) as ix:
        for text in ["crohn", "healing OR fistula", '"crohn and infliximab"', "cohort NOT healing"]:
            node = q.compile_query(text, ix.analyser).query
            with ix.searcher() as s:
                expected = [s.stored_fields(d)["id"]
                            for _, d in s.search(to_whoosh(node), limit=None, sortedby=sort_spec(sort)).top_n]
            shown = [h.record["id"] for h in ix.search(node, limit=25, sort=sort, highlight=False).hits]
            exported = [r["id"] for r in ix.iter_matches(node, sort=sort)]
            assert len(expected) > 50
            assert shown == expected[:25], (text, sort)
            assert exported == expected, (text, sort)


def test_snippets_of_long_texts_find_late_and_accented_matches(tmp_path):
    filler = "Patients were followed for several years at tertiary centres. " * 60
    with Index.open(tmp_path, create=True) as ix:
        ix.upsert([Article(pmid="10", title="Outcomes", abstract=filler + "Endoscopic mucosal healing was rare."),
                   Article(pmid="11", title="Gastric folds", abstract=filler + "Ménétrier disease was found.")])
        late = search.run(ix, '"mucosal healing"').result.hits[0].highlights
        assert "[[mucosal]] [[healing]] was rare" in late["abstract"]
        accented = search.run(ix, "menetrier").result.hits[0].highlights
        assert "[[Ménétrier]] disease" in accented["abstract"]


@pytest.mark.parametrize("facet, field", [("year", "year"), ("journal", "journal"), ("type", "study_type"),
                                          ("drug", "drugs")])
def test_facets_count_what_the_matching_records_hold(tmp_path, facet, field):
    from collections import Counter

    with _many_segments(tmp_path) as ix:
        ix.upsert([Article(pmid=str(1000 + i), title=f"Crohn study {i}", study_type=["rct", "review", None][i % 3],
                           drugs=[["infliximab"], ["infliximab", "vedolizumab"], []][i % 3]) for i in range(60)])
        for text in ["crohn", "healing OR fistula", '"crohn and infliximab"']:
            node = q.compile_query(text, ix.analyser).query
            expected: Counter = Counter()
            for rec in ix.iter_matches(node):
                value = rec.get(field)
                values = [str(v) for v in (value if isinstance(value, list) else [value]) if v not in (None, "")]
                expected.update(values or ["(none)"])
            got = ix.search(node, limit=1, facets=[facet]).facets[facet]
            assert dict(got) == dict(expected), (text, facet)


def test_an_empty_index_searches_sorts_and_facets(tmp_path):
    with Index.open(tmp_path, create=True) as ix:
        for text in ["crohn", '"mucosal healing"', "ved*", "crohn NOT jak", "year:2000..2020", "*"]:
            for options in ({}, {"sort": "-year"}, {"sort": "cases", "facets": ["year", "drug", "journal"]}):
                out = search.run(ix, text, **options).result
                assert out.total == 0 and out.hits == [], (text, options)
