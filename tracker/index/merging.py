"""A tiered merge policy: each commit merges only segments of similar size.

Whoosh's default policy (MERGE_SMALL) folds the new segment into a run of
existing ones sized by a Fibonacci rule, so a crawl committing batch after
batch rewrites a share of the index that grows with the library. Here a
segment's tier is the base-FANOUT logarithm of its document count; when a
tier holds FANOUT segments they merge into one of the next tier, so every
document is rewritten about log_FANOUT(library / batch) times in its life
and a commit costs work in proportion to what it adds. Segments mostly
deleted are rewritten as well, and a hard bound on the count keeps searches
(which visit every segment) fast whatever the commit sizes were.
"""

from __future__ import annotations

import math

from tracker.index.writer import open_segment

FANOUT = 4
SMALLEST = 1000         # segments below this many documents share the lowest tier
MOSTLY_DELETED = 0.5
MAX_SEGMENTS = 16


def tier(count: int) -> int:
    return 0 if count <= SMALLEST else int(math.log(count / SMALLEST, FANOUT)) + 1


def choose(sizes: list[tuple[int, int]]) -> set[int]:
    """Positions of the segments to merge, from (documents, deleted) per segment."""
    chosen = {i for i, (n, deleted) in enumerate(sizes) if n and deleted / n >= MOSTLY_DELETED}
    tiers: dict[int, list[int]] = {}
    for i, (n, deleted) in enumerate(sizes):
        if i not in chosen:
            tiers.setdefault(tier(n - deleted), []).append(i)
    for level in sorted(tiers):
        if len(tiers[level]) >= FANOUT:
            chosen.update(tiers[level])
    left = sorted((n - d, i) for i, (n, d) in enumerate(sizes) if i not in chosen)
    # one merged segment replaces the chosen ones: drop the smallest until the bound holds
    while left and len(left) + (1 if chosen else 0) > MAX_SEGMENTS:
        chosen.add(left.pop(0)[1])
    return chosen if len(chosen) > 1 or any(sizes[i][1] for i in chosen) else set()


def tiered(writer, segments):
    """Whoosh mergetype: the chosen segments are read into the commit's new
    segment (their files read as needed, not copied whole); the rest stay as they are."""
    chosen = choose([(s.doc_count_all(), s.deleted_count()) for s in segments])
    for i in sorted(chosen):
        reader = open_segment(writer.storage, writer.schema, segments[i])
        writer.add_reader(reader)
        reader.close()
    return [s for i, s in enumerate(segments) if i not in chosen]
