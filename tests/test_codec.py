"""tracker's postings codec stores exactly what whoosh's own codec stores, and
indexes holding segments of both read the same."""

from __future__ import annotations

from tracker.index import Index
from tracker.index.fastscore import Evaluator
from tracker.index.formats import Codec
from tracker.index.whoosh_query import to_whoosh
from tracker.models import Article
from tracker.query import parser as q

WORDS = ["crohn", "infliximab", "healing", "fistula", "mucosal", "response", "loss"]


def articles(n, start=0):
    return [Article(pmid=str(start + i), journal=["Gut", "Journal of Crohn's and Colitis"][i % 2],
                    title=f"{WORDS[i % 7]} {WORDS[(i // 7) % 7]} in study {start + i}",
                    abstract=" ".join(WORDS[(i + k) % 7] for k in range(i % 11 + 1)) + " loss of response",
                    authors=[f"Author{i % 13} A"], drugs=[["infliximab"], ["vedolizumab"], []][i % 3],
                    year=2000 + i % 25 if i % 6 else None)
            for i in range(n)]


def _default_codec(monkeypatch):
    monkeypatch.setattr(Index, "writer", lambda self, **options: self._ix.writer(**options))


def postings(ix, fields=("title", "abstract", "authors", "drugs", "journal_name", "year")):
    """{(field, term): [(doc, weight, positions or value)]} through whoosh's matchers."""
    out = {}
    with ix.searcher() as s:
        reader = s.reader()
        for field in fields:
            fmt = ix.schema[field].format
            for term in reader.lexicon(field):
                m = reader.postings(field, term)
                rows = []
                while m.is_active():
                    value = m.value_as("positions") if fmt.supports("positions") else m.value()
                    rows.append((m.id(), m.weight(), value))
                    m.next()
                out[(field, term)] = rows
    return out


def test_codec_round_trips_what_whoosh_stores(tmp_path, monkeypatch):
    arts = articles(700)
    with Index.open(tmp_path / "tracker", create=True) as ours:
        ours.upsert(arts)
        mine = postings(ours)
    _default_codec(monkeypatch)
    with Index.open(tmp_path / "whoosh", create=True) as theirs:
        theirs.upsert(arts)
        expected = postings(theirs)
    assert mine == expected
    assert max(len(rows) for rows in mine.values()) > 300     # many blocks per list


def test_segments_of_both_codecs_search_alike(tmp_path, monkeypatch):
    """An index of schema 3 written before the codec, then crawled into."""
    with Index.open(tmp_path, create=True) as ix:
        with monkeypatch.context() as m:
            _default_codec(m)
            ix.upsert(articles(400))
        ix.upsert(articles(400, start=400))
        with ix.searcher() as s:
            codecs = {type(sub.reader().segment().codec()).__name__ for sub, _ in s.subsearchers}
            assert codecs == {"W3Codec", "Codec"}
            for text in ["crohn", '"loss of response"', '"mucosal healing" OR fistula', "heal*",
                         "infliximab NOT healing", 'journal:"Crohns Colit" loss']:
                node = q.compile_query(text, ix.analyser).query
                ids, scores = Evaluator(s).run(node)
                expected = {d: sc for sc, d in s.search(to_whoosh(node), limit=None).top_n}
                got = dict(zip(ids.tolist(), scores.tolist()))
                assert set(got) == set(expected) and len(got) > 20, text
                assert all(abs(got[d] - expected[d]) < 1e-9 for d in got), text


def test_codec_is_recorded_in_new_segments(tmp_path):
    with Index.open(tmp_path, create=True) as ix:
        ix.upsert(articles(10))
        with ix.searcher() as s:
            assert all(type(sub.reader().segment().codec()) is Codec for sub, _ in s.subsearchers or [(s, 0)])
