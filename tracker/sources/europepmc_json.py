"""Europe PMC REST search JSON (resultType=core) -> Articles. Pure: bytes/dicts in.

Europe PMC merges PubMed (source MED), PMC, preprints (PPR), Agricola
(AGR) and more; abstracts and titles carry HTML (<h4> section headings,
<i>, <sup>), which is flattened the way PubMed labels are rendered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from tracker.dates import valid_year
from tracker.errors import ParseError
from tracker.lexicon.languages import language_code
from tracker.models import Article, normalize_doi
from tracker.sources.markup import dedupe, flatten_markup, load_json, person, squash
from tracker.sources.records import RecordError, registry_article

LANDING = "https://europepmc.org/article/{source}/{id}"
DOI_URL = "https://doi.org/{doi}"


@dataclass
class Page:
    results: list[Any]
    next_cursor: str | None
    hit_count: int | None


def parse_page(body: bytes) -> Page:
    """One search response; ParseError when it is not a Europe PMC result list."""
    data = load_json(body, "Europe PMC")
    if not isinstance(data, dict):
        raise ParseError("Europe PMC returned JSON that is not a search response.")
    if data.get("errMsg") or data.get("errCode"):
        raise ParseError(f"Europe PMC search failed: {data.get('errMsg') or data.get('errCode')}.")
    result_list = data.get("resultList")
    results = result_list.get("result") if isinstance(result_list, dict) else None
    if not isinstance(results, list):
        raise ParseError("Europe PMC returned JSON without a result list.")
    cursor = data.get("nextCursorMark")
    hits = data.get("hitCount")
    return Page(results, cursor if isinstance(cursor, str) and cursor else None,
                hits if isinstance(hits, int) else None)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    """Europe PMC gives a bare object where a list holds a single entry."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _str(value: Any) -> str | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    return squash(value) if isinstance(value, str) else None


def parse_result(rec: Any) -> Article | RecordError:
    """One `result` object -> Article, or RecordError when it names no paper."""
    if not isinstance(rec, dict):
        return RecordError("A Europe PMC result that is not an object was skipped.")
    source, ident = _str(rec.get("source")), _str(rec.get("id"))
    doi, pmid, pmcid = _str(rec.get("doi")), _str(rec.get("pmid")), _str(rec.get("pmcid"))
    if not (doi or pmid or (source and ident)):
        return RecordError("A Europe PMC result without DOI, PMID or id was skipped.")
    info = _dict(rec.get("journalInfo"))
    journal = _dict(info.get("journal"))
    book = _dict(rec.get("bookOrReportDetails"))
    doi = normalize_doi(doi)
    url = DOI_URL.format(doi=doi) if doi else (LANDING.format(source=source, id=ident)
                                                if source and ident else None)
    return registry_article(
        title=flatten_markup(_str(rec.get("title"))),
        abstract=flatten_markup(_str(rec.get("abstractText"))),
        authors=_authors(rec),
        journal=flatten_markup(
            _str(journal.get("title")) or _str(journal.get("isoabbreviation"))
            or _str(journal.get("medlineAbbreviation"))
            # a preprint appeared on its server (bioRxiv, medRxiv, Research Square)
            or (_str(book.get("publisher")) if source == "PPR" else None)),
        year=(valid_year(info.get("printPublicationDate")) or valid_year(info.get("yearOfPublication"))
              or valid_year(rec.get("pubYear"))),
        published=_date(rec.get("firstPublicationDate")) or _date(rec.get("electronicPublicationDate")),
        doi=doi,
        pmid=pmid,
        pmcid=pmcid,
        url=url,
        language=language_code(_str(rec.get("language"))),
        publication_types=dedupe(_str(t) for t in _list(_dict(rec.get("pubTypeList")).get("pubType"))),
        keywords=dedupe(_keywords(rec)),
        preprint=source == "PPR",   # Europe PMC's preprint source
    )


def _authors(rec: dict[str, Any]) -> list[str]:
    names: list[str] = []
    for author in _list(_dict(rec.get("authorList")).get("author")):
        if not isinstance(author, dict):
            continue
        name = (_str(author.get("collectiveName"))
                or person(_str(author.get("lastName")), _str(author.get("initials")))
                or _str(author.get("fullName")))
        if name:
            names.append(name)
    if names:
        return names
    # Some records carry only "Smith JA, Doe J, ENEIDA Group."
    text = (_str(rec.get("authorString")) or "").rstrip(".")
    return [n.strip() for n in text.split(",") if n.strip()]


def _keywords(rec: dict[str, Any]) -> list[str | None]:
    out: list[str | None] = []
    for heading in _list(_dict(rec.get("meshHeadingList")).get("meshHeading")):
        out.append(_str(_dict(heading).get("descriptorName")))
    out.extend(flatten_markup(_str(k)) for k in _list(_dict(rec.get("keywordList")).get("keyword")))
    for chem in _list(_dict(rec.get("chemicalList")).get("chemical")):
        out.append(_str(_dict(chem).get("name")))
    return out


def _date(value: Any) -> str | None:
    """'2023-10-27' -> itself once checked; anything else -> None (never a guess)."""
    text = _str(value) or ""
    try:
        return date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        return None
