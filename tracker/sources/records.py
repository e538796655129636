"""Building registry Articles: provenance, partial dates, per-record problems."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from tracker.models import Article

_MONTHS = {name: i for i, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|2[01]\d\d)(?!\d)")

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


def month_number(value: str | int | None) -> int | None:
    """'Jan', 'January', '01', 1 -> 1; None for anything else."""
    if value is None:
        return None
    text = str(value).strip().lower()
    if text.isdigit():
        n = int(text)
        return n if 1 <= n <= 12 else None
    return _MONTHS.get(text[:3])


def valid_year(value: Any) -> int | None:
    try:
        year = int(str(value).strip()[:4])
    except (TypeError, ValueError):
        return None
    return year if 1800 <= year <= 2199 else None


def first_year(text: str | None) -> int | None:
    """The first plausible year in free text: '2016-2017', 'Winter 2015' -> 2016, 2015."""
    match = _YEAR.search(text or "")
    return int(match.group(1)) if match else None


def iso_date(year: Any, month: Any = None, day: Any = None) -> str | None:
    """ISO 8601 at the precision stated: '2019', '2019-03' or '2019-03-07'.

    An invalid day or month drops that part rather than the whole date.
    """
    y = valid_year(year)
    if y is None:
        return None
    m = month_number(month)
    if m is None:
        return f"{y:04d}"
    try:
        d = int(str(day).strip()) if day is not None else None
        if d is not None:
            return date(y, m, d).isoformat()
    except ValueError:
        pass
    return f"{y:04d}-{m:02d}"
