"""What the index hands back: upsert outcomes, hits, search results."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class UpsertResult:
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    outcome: dict[int, str] = field(default_factory=dict)  # batch position -> new/updated/unchanged


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
