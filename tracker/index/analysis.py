"""Index-time analysis of text fields as {term: [positions]}.

A stand-in with the interface tracker.index.writer builds postings from:
it runs each TEXT field's own Whoosh analyzer, so it is exactly as fast as
Whoosh and gives exactly its terms and positions.
"""

from __future__ import annotations

from collections.abc import Callable

from whoosh import fields as F

Analyse = Callable[[str], dict[str, list[int]]]


def fast_analysers(schema: F.Schema) -> dict[str, Analyse]:
    """field name -> (text -> {term: [positions ascending]}), as the field's
    analyzer gives them in index mode, for the schema's TEXT fields."""
    return {name: _positions(field.analyzer) for name, field in schema.items() if isinstance(field, F.TEXT)}


def _positions(analyzer) -> Analyse:
    def analyse(text: str) -> dict[str, list[int]]:
        terms: dict[str, list[int]] = {}
        for token in analyzer(text, positions=True, boosts=True, mode="index"):
            if not token.stopped:      # as whoosh.formats drops them
                terms.setdefault(token.text, []).append(token.pos)
        return terms
    return analyse
