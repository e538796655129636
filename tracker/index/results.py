"""What the index hands back: hits, search results, rebuilds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Hit:
    record: dict[str, Any]
    score: float
    highlights: dict[str, str]


@dataclass
class SearchResult:
    hits: list[Hit]
    total: int
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)


@dataclass
class Rebuilt:
    """A rebuild of the index from the record store that opening for writing had to run."""

    records: int
    reason: str         # one clause: why
    upgrade: bool       # an index of an older tracker version (schema or record location)
