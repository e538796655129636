"""The tiered merge policy keeps the segment count bounded and never loses a document."""

from __future__ import annotations

from tracker.index import Index
from tracker.index.merging import FANOUT, MAX_SEGMENTS, SMALLEST, choose, tier
from tracker.models import Article


def test_only_segments_of_one_size_merge():
    big, small = SMALLEST * FANOUT ** 2, 10
    sizes = [(big, 0)] * (FANOUT - 1) + [(small, 0)] * (FANOUT - 1)
    assert choose(sizes) == set()                       # no tier full: a commit merges nothing
    sizes.append((small, 0))
    assert choose(sizes) == set(range(FANOUT - 1, 2 * FANOUT - 1))   # the small ones, not the big
    assert tier(big) > tier(small)


def test_mostly_deleted_segments_are_rewritten_and_the_count_is_bounded():
    assert choose([(SMALLEST * 50, 0), (5000, 4000)]) == {1}
    # sizes that never fill a tier still stay under the bound
    sizes = [(SMALLEST * FANOUT ** k * 2, 0) for k in range(MAX_SEGMENTS + 4)]
    assert len(sizes) - len(choose(sizes)) + 1 <= MAX_SEGMENTS


def test_many_small_commits_keep_few_segments_and_every_record(tmp_path):
    n_commits = 3 * FANOUT * FANOUT
    with Index.open(tmp_path, create=True) as ix:
        for c in range(n_commits):
            ix.upsert([Article(pmid=f"{c}{k}0", title=f"Crohn cohort {c} {k}") for k in range(3)])
        with ix.searcher() as s:
            segments = len(s.reader().leaf_readers())
        assert segments < 2 * FANOUT      # 48 commits; without merging there would be 48
        assert sorted(rid for rid, _ in ix.documents()) == sorted(r["id"] for r in ix.iter_records())
        assert ix.doc_count() == 3 * n_commits
