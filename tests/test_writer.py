"""tracker's bulk segment writer writes the index whoosh's SegmentWriter writes."""

from __future__ import annotations

import random
import tracemalloc
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.reading import SegmentReader
from whoosh.writing import SegmentWriter

from tracker.index import Index
from tracker.index.formats import Codec
from tracker.index.schema import FieldAnalyser, build_schema, document
from tracker.index.whoosh_adapter import term_matcher
from tracker.index.writer import BulkWriter
from tracker.models import Article
from tracker.query import parser as q

WORDS = ["crohn", "infliximab", "healing", "fistula", "mucosal", "response", "loss", "Ménétrier",
         "ustekinumab", "perianal", "the", "of", "2019", "IL-23", "naïve", "日本語", "résumé", "😀x"]


def article(rng: random.Random, i: int) -> Article:
    def words(lo, hi):
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(lo, hi)))
    return Article(
        pmid=str(1000 + i), doi=f"10.1/x{i}" if i % 3 else None,
        journal=rng.choice(["Gut", "Journal of Crohn's and Colitis", "", "Inflamm Bowel Dis"]),
        title=words(0, 8), abstract=words(0, 60) if i % 5 else "", body=words(0, 300) if i % 4 == 0 else None,
        authors=[f"Äuthor{rng.randint(0, 30)} B" for _ in range(rng.randint(0, 4))],
        drugs=rng.sample(["infliximab", "vedolizumab", "adalimumab"], rng.randint(0, 2)),
        conditions=rng.sample(["fistula", "stricture"], rng.randint(0, 2)),
        year=rng.choice([None, 1999, 2024, -5, 2 ** 31 + 3]), case_count=rng.choice([None, 0, 12, 340]),
        study_type=rng.choice([None, "rct", "cohort"]), preprint=i % 7 == 0,
        nct_ids=[f"NCT0{i:07d}"] if i % 9 == 0 else [], phase=rng.choice([None, "2/3", "1"]))


def run(tmp_path, name, writer_class, limitmb=128):
    """The same adds, deletes, updates and commits (merging segments) through
    one writer class: what a reader sees after each commit."""
    (tmp_path / name).mkdir()
    ix = whoosh_index.create_in(str(tmp_path / name), build_schema(), indexname="records")
    rng = random.Random(12)
    n = 0
    seen = []

    def docs(count):
        nonlocal n
        out = [document(article(rng, n + k), row=n + k) for k in range(count)]
        n += count
        return out

    for step, (count, commit) in enumerate([(120, {}), (40, {}), (30, {}), (60, {"merge": False}),
                                             (20, {}), (25, {"optimize": True})]):
        w = writer_class(ix, codec=Codec(), limitmb=limitmb, compound=False)
        for doc in docs(count):
            if doc["row"] % 11 == 3 and step:
                w.update_document(**{**doc, "id": f"pmid:{1000 + doc['row'] // 2}"})   # replaces an older one
            else:
                w.add_document(**doc)
        w.delete_by_term("id", f"pmid:{1000 + 7 * step}")
        w.commit(**commit)
        seen.append(snapshot(ix))
    return seen


def snapshot(ix) -> dict:
    """Everything a reader sees of each segment, deleted documents' postings
    included, and the bytes of its files (when not joined in a compound file)."""
    out = {}
    schema = ix.schema
    with ix.reader() as multi:
        out["counts"] = (multi.doc_count_all(), multi.doc_count())
        for k, (reader, offset) in enumerate(multi.leaf_readers()):
            segment_id = reader.segment().segment_id()
            seg: dict = {"offset": offset, "docs": reader.doc_count_all(),
                         "files": {path.name.replace(segment_id, "S"): path.read_bytes()    # byte for byte
                                   for path in Path(ix.storage.folder).glob(f"*{segment_id}*")
                                   if path.suffix != ".seg"},     # a compound file names its segment
                         "live": list(reader.all_doc_ids()), "stored": list(reader.iter_docs())}
            for field in schema.names():
                seg[field, "lengths"] = [reader.doc_field_length(d, field) for d in range(reader.doc_count_all())]
                if schema[field].scorable:
                    seg[field, "length"] = (reader.field_length(field), reader.min_field_length(field),
                                            reader.max_field_length(field))
                if schema[field].column_type and reader.has_column(field):
                    seg[field, "column"] = list(reader.column_reader(field))
            fmt_of = {f: schema[f].format for f in schema.names()}
            for field, btext in reader.all_terms():
                info = reader.term_info(field, btext)
                m = term_matcher(reader, field, btext, fmt_of[field])
                rows = []
                while m.is_active():
                    rows.append((m.id(), m.weight(), m.value()))
                    m.next()
                seg[field, btext] = (info.weight(), info.doc_frequency(), info.min_length(), info.max_length(),
                                     info.max_weight(), info.min_id(), info.max_id(), rows)
            out[k] = seg
    return out


@pytest.fixture(scope="module")
def whoosh_wrote(tmp_path_factory):
    return run(tmp_path_factory.mktemp("writer"), "whoosh", SegmentWriter)


@pytest.mark.parametrize("limitmb", [128, 0.3])  # 0.3: past the limit while adding and while merging
def test_writes_what_whoosh_writes(tmp_path, whoosh_wrote, limitmb):
    theirs = whoosh_wrote
    ours = run(tmp_path, "bulk", BulkWriter, limitmb)
    for commit, (mine, expected) in enumerate(zip(ours, theirs)):
        assert mine.keys() == expected.keys(), commit
        for key in expected:
            assert mine[key] == expected[key], (commit, key)
    assert max(len(seen) for seen in theirs) > 3           # several segments at a time
    assert any(seen["counts"][0] > seen["counts"][1] for seen in theirs)    # deletions kept
    assert len(theirs[-2]) > len(theirs[-1]) == 2          # the last commit merges them all


def test_a_crawled_index_searches_alike(tmp_path, monkeypatch):
    rng = random.Random(3)
    batches = [[article(rng, i) for i in range(start, start + 90)] for start in (0, 60, 150)]
    queries = ["crohn", "fistula OR healing", '"loss response"', "title:infliximab", "menetrier",
               "drug:vedolizumab", "year:2024", "naïve AND NOT crohn"]

    analyser = FieldAnalyser(build_schema())

    def results(path):
        with Index.open(path, create=True) as index:
            for batch in batches:
                index.upsert(batch)          # overlapping batches: updates as well as adds
            found = [[(h.record["id"], h.score) for h in index.search(q.parse(text, analyser), limit=None).hits]
                     for text in queries]
            return found, snapshot(index._ix)

    ours = results(tmp_path / "bulk")
    monkeypatch.setattr(Index, "writer", lambda self, **options: SegmentWriter(self._ix, codec=Codec(), **options))
    theirs = results(tmp_path / "whoosh")
    assert ours == theirs
    assert all(ours[0][:5])


def merged_index(tmp_path, name, writer_class, segments=4, per_segment=50, body_words=0):
    """An index of `segments` unmerged segments of the test's articles."""
    (tmp_path / name).mkdir()
    ix = whoosh_index.create_in(str(tmp_path / name), build_schema(), indexname="records")
    rng = random.Random(5)
    for k in range(segments):
        w = writer_class(ix, codec=Codec(), compound=False)
        for i in range(k * per_segment, (k + 1) * per_segment):
            art = article(rng, i)
            if body_words:
                art.body = " ".join(rng.choice(WORDS) + str(rng.randint(0, 9)) for _ in range(body_words))
            w.add_document(**document(art, row=i))
        w.commit(merge=False)
    return ix


def test_documents_added_after_a_merge_are_written_as_whoosh_writes_them(tmp_path):
    """The bulk writer reads a merged segment at commit; a document added after
    add_reader() sends that segment's postings through whoosh's pool instead."""
    def merge_then_add(writer_class):
        ix = merged_index(tmp_path, writer_class.__name__, writer_class, segments=3)
        rng = random.Random(8)

        def policy(writer, segments):
            for segment in segments[:2]:
                reader = SegmentReader(writer.storage, writer.schema, segment)
                writer.add_reader(reader)
                reader.close()
            for i in range(200, 210):
                writer.add_document(**document(article(rng, i), row=i))
            return segments[2:]

        w = writer_class(ix, codec=Codec(), compound=False)
        for i in range(150, 160):
            w.add_document(**document(article(rng, i), row=i))
        w.delete_by_term("id", "pmid:1003")
        w.commit(mergetype=policy)
        return snapshot(ix)

    theirs = merge_then_add(SegmentWriter)
    assert theirs["counts"] == (169, 169) and len(theirs) == 3     # the merged segment and the third
    assert merge_then_add(BulkWriter) == theirs


def test_a_merge_holds_one_posting_list_at_a_time(tmp_path):
    """Merging segments reads them a term at a time: the commit's peak of
    Python allocations stays a fraction of the postings it rewrites."""
    ix = merged_index(tmp_path, "ix", BulkWriter, segments=4, per_segment=20, body_words=10000)
    postings = sum(path.stat().st_size for path in (tmp_path / "ix").glob("*.pst"))
    w = BulkWriter(ix, codec=Codec(), compound=False)
    tracemalloc.start()
    try:
        w.commit(optimize=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    with ix.reader() as r:
        assert r.doc_count() == 80 and len(r.leaf_readers()) == 1
    # holding the merged lists took over twice the postings' size; now a document's stored fields dominate
    assert peak < 0.75 * postings, (peak, postings)


def test_fixed_size_values_read_from_bytes_equal_the_matchers(tmp_path):
    """Merges read frequency fields' posting lists (4-byte values) from the
    segment's bytes: the same ids, weights and values as whoosh's matcher."""
    from tracker.index import whoosh_adapter
    from tracker.index.postings import parse_blocks

    ix = whoosh_index.create_in(str(tmp_path), build_schema(), indexname="records")
    rng = random.Random(5)
    w = BulkWriter(ix, codec=Codec())
    for i in range(300):
        w.add_document(**document(article(rng, i), row=i))
    w.commit()
    with ix.reader() as reader:
        seg = reader.leaf_readers()[0][0] if hasattr(reader, "leaf_readers") else reader
        fmt = ix.schema["drugs"].format
        assert fmt.fixed_value_size() == 4
        checked = 0
        for btext, info in seg.iter_field("drugs", b""):
            raw = whoosh_adapter.posting_list_bytes_at(seg, info, fmt, True, fixed_ok=True)
            if raw is None:
                continue        # inlined
            ids, weights, vals = parse_blocks(raw, True, 4)
            m = term_matcher(seg, "drugs", btext, fmt)
            want = []
            while m.is_active():
                want.append((m.id(), m.weight(), m.value()))
                m.next()
            assert vals is not None
            got = [(int(d), float(wt), vals.payload[4 * k:4 * k + 4]) for k, (d, wt) in enumerate(zip(ids, weights))]
            assert got == want
            checked += 1
        assert checked >= 2
