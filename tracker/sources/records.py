"""Building registry Articles: provenance and per-record problems (dates: tracker.dates)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tracker.models import Article

# Fields a registry fills but that are not extraction results.
_NOT_PROVENANCED = frozenset({"publication_types", "keywords", "provenance", "feeds"})


@dataclass(frozen=True)
class RecordError:
    """One record that could not be mapped; the source reports it and goes on."""

    message: str


def registry_article(**values: Any) -> Article:
    """An Article whose non-empty fields are marked as registry data.

    Built through the constructor so DOIs, PMIDs and URLs are normalised.
    """
    article = Article(**values)
    for name in values:
        if name in _NOT_PROVENANCED:
            continue
        if getattr(article, name) not in (None, "", []):
            article.provenance[name] = "registry"
    return article


def parse_safely(parse: Callable[[Any], Article | RecordError], raw: Any, service: str) -> Article | RecordError:
    """parse(raw), with any surprise in one record costing that record alone."""
    try:
        return parse(raw)
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError, RecursionError) as exc:
        return RecordError(f"A {service} record that could not be read was skipped ({type(exc).__name__}).")
