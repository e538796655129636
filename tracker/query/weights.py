"""How much each kind of match counts when ranking: query-time field boosts.

Applied by the parser to the query nodes it builds, so they can be tuned
without a reindex (tests/test_ranking.py is the judge; the index keeps only
its BM25 length normalisation, tracker.index.schema.BM25_B).
"""

from __future__ import annotations

# Field boosts for ranking (BM25F).
BOOSTS = {"title": 2.5, "abstract": 1.0, "journal": 0.5, "authors": 0.7, "body": 0.5,
          "drugs": 1.5, "conditions": 0.3}

# Text matches found only through an expansion (a brand's generic, a class
# member, a condition synonym) count this much of a typed word.
EXPANSION_WEIGHT = 0.6

# The fields a bare word searches (each weighted by BOOSTS).
DEFAULT_FIELDS = ("title", "abstract", "body", "journal", "authors")
