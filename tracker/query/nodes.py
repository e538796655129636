"""tracker's query model: what a parsed search means, independent of any index.

The parser builds these; tracker.index evaluates them (and translates them
for Whoosh where it must). Nodes are immutable and compare by value, so a
query can be checked against the tree it should be.

Boosts multiply a leaf's BM25F score; And and Or sum their children's
scores; Not, Range and Every match with a constant score of 1.0.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    """One indexed term of one field (text already analysed)."""
    field: str
    text: str
    boost: float = 1.0


@dataclass(frozen=True)
class Phrase:
    """Words in order, each within `slop` positions of the one before."""
    field: str
    words: tuple[str, ...]
    slop: int = 1
    boost: float = 1.0


@dataclass(frozen=True)
class Prefix:
    """Every term of the field starting with `text`."""
    field: str
    text: str
    boost: float = 1.0


@dataclass(frozen=True)
class And:
    items: tuple[Query, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Query, ...]


@dataclass(frozen=True)
class Not:
    item: Query


@dataclass(frozen=True)
class Range:
    """Numbers between start and end (None: open), each end inclusive unless excluded."""
    field: str
    start: int | None
    end: int | None
    start_excl: bool = False
    end_excl: bool = False


@dataclass(frozen=True)
class Every:
    """Every record (the empty query, and the left side of a lone NOT)."""


@dataclass(frozen=True)
class Nothing:
    """No record (a fielded value made only of stop words)."""


Query = Term | Phrase | Prefix | And | Or | Not | Range | Every | Nothing
