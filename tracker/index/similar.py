"""Key terms of a record, for "similar papers": the words that set it apart.

A term's weight is its frequency in the record times its inverse document
frequency in the index (tf-idf), over the title, abstract and drugs; the
title counts double. The caller turns the strongest terms into a query.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tracker.index.core import Index

# field searched -> (record fields read, weight of one occurrence)
_SOURCES = (("title", ("title",), 2.0), ("abstract", ("title", "abstract"), 1.0), ("drugs", ("drugs",), 1.5))
_MIN_LENGTH = 3     # shorter tokens are mostly units and numbers


def key_terms(index: Index, record: dict[str, Any], n: int = 12) -> list[tuple[str, str, float]]:
    """(field, term, weight) of the `n` strongest terms of `record`, strongest first."""
    scores: defaultdict[tuple[str, str], float] = defaultdict(float)
    with index.searcher() as s:
        reader = s.reader()
        total = max(reader.doc_count(), 1)
        for field, names, weight in _SOURCES:
            if field not in reader.schema:
                continue
            text = " ".join(_text(record.get(name)) for name in names)
            counts = Counter(tok for tok, _ in index.analyser.analyse(field, text) if len(tok) >= _MIN_LENGTH)
            for term, tf in counts.items():
                df = reader.doc_frequency(field, term)
                if df <= 1:     # only this record has it: it finds nothing else
                    continue
                scores[field, term] += weight * (1 + math.log(tf)) * math.log(total / df)
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(field, term, round(w, 4)) for (field, term), w in ranked[:n] if w > 0]


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value or "")
