"""Crossref REST /works JSON -> Articles. Pure: bytes/dicts in.

Crossref quirks handled here: every title is a list; abstracts are JATS
fragments (<jats:p>, <jats:sec>, <jats:title>Abstract</jats:title>);
dates are "date-parts" of one to three numbers, sometimes [[null]];
organisations appear as authors with only a "name".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tracker.dates import iso_date, valid_year
from tracker.errors import ParseError
from tracker.lexicon.languages import language_code
from tracker.models import Article, normalize_doi
from tracker.sources.markup import flatten_markup, initials, load_json, person, squash
from tracker.sources.records import RecordError, registry_article

DOI_URL = "https://doi.org/{doi}"
# Which date gives the journal year (the issue's, as PubMed's PubDate) and
# which gives the day the paper itself appeared (online first). Preprints
# (posted-content) carry only "posted".
YEAR_DATES = ("published-print", "issued", "published-online", "published", "posted")
APPEARED_DATES = ("published-online", "issued", "published-print", "published", "posted")


@dataclass
class Page:
    items: list[Any]
    next_cursor: str | None
    total: int | None


def parse_page(body: bytes) -> Page:
    """One /works response; ParseError when it is not a Crossref work list."""
    data = load_json(body, "Crossref")
    if not isinstance(data, dict):
        raise ParseError("Crossref returned JSON that is not an API message.")
    message = data.get("message")
    if data.get("status") not in (None, "ok"):
        raise ParseError(f"Crossref answered '{data.get('status')}': {_problem(message)}.")
    if not isinstance(message, dict) or not isinstance(message.get("items"), list):
        raise ParseError("Crossref returned JSON without a list of works.")
    items = message["items"]
    cursor = message.get("next-cursor")
    total = message.get("total-results")
    return Page(items, cursor if isinstance(cursor, str) and cursor else None,
                total if isinstance(total, int) else None)


def _problem(message: Any) -> str:
    """Crossref's validation failures: a list of {type, value, message}."""
    if isinstance(message, list):
        texts = [m.get("message") for m in message if isinstance(m, dict) and m.get("message")]
        if texts:
            return "; ".join(str(t).rstrip(".") for t in texts)
    return squash(str(message)) or "no reason given"


def _first(value: Any) -> str | None:
    """Crossref wraps titles in lists; the first non-empty one is the title."""
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str) and item.strip():
            return item
    return None


def parse_item(item: Any) -> Article | RecordError:
    """One work -> Article, or RecordError when it has no DOI."""
    if not isinstance(item, dict):
        return RecordError("A Crossref item that is not an object was skipped.")
    doi = normalize_doi(item.get("DOI") if isinstance(item.get("DOI"), str) else None)
    if not doi:
        return RecordError(f"A Crossref item without a usable DOI ({item.get('DOI')!r}) was skipped.")
    url = item.get("URL") if isinstance(item.get("URL"), str) else None
    kind = item.get("type") if isinstance(item.get("type"), str) else None
    language = item.get("language") if isinstance(item.get("language"), str) else None
    return registry_article(
        title=_title(item),
        abstract=flatten_markup(item.get("abstract") if isinstance(item.get("abstract"), str) else None),
        authors=_authors(item.get("author")),
        journal=flatten_markup(_first(item.get("container-title")) or _first(item.get("short-container-title"))),
        year=next((y for y in (_parts(item.get(k))[0] for k in YEAR_DATES) if y), None),
        published=_appeared(item),
        doi=doi,
        url=url or DOI_URL.format(doi=doi),
        language=language_code(language),
        publication_types=[kind] if kind else [],
    )


def _title(item: dict[str, Any]) -> str | None:
    title = flatten_markup(_first(item.get("title")))
    subtitle = flatten_markup(_first(item.get("subtitle")))
    if title and subtitle and subtitle.lower() not in title.lower():
        return f"{title}{'' if title[-1] in ':?!.' else ':'} {subtitle}"
    return title or subtitle


def _authors(value: Any) -> list[str]:
    names: list[str] = []
    for author in value if isinstance(value, list) else []:
        if not isinstance(author, dict):
            continue
        family = author.get("family") if isinstance(author.get("family"), str) else None
        given = author.get("given") if isinstance(author.get("given"), str) else None
        org = author.get("name") if isinstance(author.get("name"), str) else None
        name = person(family, initials(given)) if family else squash(org) or squash(given)
        if name:
            names.append(name)
    return names


def _parts(value: Any) -> tuple[int | None, int | None, int | None]:
    """{'date-parts': [[2019, 3, 7]]} -> (2019, 3, 7); [[null]] and junk -> Nones."""
    parts = value.get("date-parts") if isinstance(value, dict) else None
    first = parts[0] if isinstance(parts, list) and parts and isinstance(parts[0], list) else []
    nums: list[int | None] = []
    for p in first[:3]:
        try:
            nums.append(int(p))
        except (TypeError, ValueError):
            break
    nums += [None] * (3 - len(nums))
    return valid_year(nums[0]) if nums[0] is not None else None, nums[1], nums[2]


def _appeared(item: dict[str, Any]) -> str | None:
    """The first full date among the candidates, else the most precise partial one."""
    best: str | None = None
    for key in APPEARED_DATES:
        year, month, day = _parts(item.get(key))
        text = iso_date(year, month, day)
        if text and len(text) == 10:
            return text
        if text and (best is None or len(text) > len(best)):
            best = text
    return best
