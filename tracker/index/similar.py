"""Key terms of a record, for "similar papers": the words that set it apart.

A term's weight is its frequency in the record's title and abstract (a
title word counts double) times its inverse document frequency in the
index (tf-idf); the record's drugs are terms too. The caller searches the
strongest terms, text terms in both title and abstract, so a paper that
puts the same subject in its title rather than its abstract still counts.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tracker.index.core import Index

TEXT = "text"           # the field name key_terms gives a title-or-abstract term
_TEXT_FIELDS = (("title", 2.0), ("abstract", 1.0))
_DRUG_WEIGHT = 1.5
_MIN_LENGTH = 3         # shorter tokens are mostly units and numbers


def key_terms(index: Index, record: dict[str, Any], n: int = 12) -> list[tuple[str, str, float]]:
    """(field, term, weight) of the `n` strongest terms of `record`, strongest
    first; field is "drugs" or TEXT (title and abstract)."""
    tf: defaultdict[tuple[str, str], float] = defaultdict(float)
    for field, weight in _TEXT_FIELDS:
        for tok, _ in index.analyser.analyse(field, str(record.get(field) or "")):
            if len(tok) >= _MIN_LENGTH:
                tf[TEXT, tok] += weight
    for drug in record.get("drugs") or []:
        for tok, _ in index.analyser.analyse("drugs", drug):
            tf["drugs", tok] = _DRUG_WEIGHT
    scores = {}
    with index.searcher() as s:
        reader = s.reader()
        total = max(reader.doc_count(), 1)
        for (field, term), count in tf.items():
            fields = [f for f, _ in _TEXT_FIELDS] if field == TEXT else [field]
            df = max(reader.doc_frequency(f, term) for f in fields)
            if df <= 1:     # only this record has it: it finds nothing else
                continue
            scores[field, term] = (1 + math.log(count)) * math.log(total / df)
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(field, term, round(w, 4)) for (field, term), w in ranked[:n] if w > 0]
