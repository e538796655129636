"""DOIs as pages and feeds print them, and the journal a feed item's description cites.

- `dois_in_text`: "DOI: 10.1136/...", "doi:10...", "https://doi.org/10...",
  "dx.doi.org/10..." in running text, in order, normalised (link tails cut).
- `doi_of_link`: the DOI a link points at (doi.org, or a publisher's /doi/ path).
- `journal_of_feed_item`: an aggregator's item whose description names its
  journal in citation form ("Gut. 2021 Mar;70(3):456-65", "Journal of
  Crohn's and Colitis, Volume 15, Issue 3", "Source: Gastroenterology") is a
  journal article; the feed source then takes the item's date as its year.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from tracker.extract.journals import cited_journal
from tracker.lexicon.journals import lookup
from tracker.models import normalize_doi

# A DOI after a label or a resolver address; the label keeps "10.1000/abc" in prose from counting.
_DOI_IN_TEXT = re.compile(
    r"(?:\bdoi\b\s*(?:[:.]|\s)\s*(?:https?://(?:dx\.)?doi\.org/)?|(?:https?://)?(?:dx\.)?doi\.org/)"
    r"(10\.\d{4,9}/[^\s\"'<>]+)", re.I)
_DOI_IN_PATH = re.compile(
    r"/(?:doi|article|fullarticle|abs|full|pdf|epdf|epub|abstract)/(?:(?:abs|full|pdf|epdf|epub)/)?(10\.\d{4,9}/.+)$",
    re.I)
_DOI_IN_QUERY = re.compile(r"(?:^|&)doi=(10\.\d{4,9}[^&]+)", re.I)
_LABELLED_SOURCE = re.compile(
    r"(?:^|\n)\s*(?:source|journal|published\s+in|fuente|revista|publicado\s+en|fonte|publicado\s+em|"
    r"peri[oó]dico)\s*:\s*([^\n;]{3,150})", re.I)


def dois_in_text(text: str | None) -> list[str]:
    """Distinct DOIs printed with a label or resolver address, in order."""
    out: dict[str, None] = {}
    for m in _DOI_IN_TEXT.finditer(text or ""):
        doi = normalize_doi(m.group(1))
        if doi:
            out.setdefault(doi, None)
    return list(out)


def doi_of_link(href: str | None) -> str | None:
    """The DOI a link resolves to, without the link's query or view suffix; None for other links."""
    if not href or "10." not in href:
        return None
    try:
        parts = urlsplit(href.strip())
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if host in ("doi.org", "dx.doi.org", "www.doi.org"):
        return normalize_doi(unquote(parts.path.lstrip("/")))
    m = _DOI_IN_PATH.search(parts.path) or _DOI_IN_QUERY.search(parts.query)
    return normalize_doi(unquote(m.group(1))) if m else None


def journal_of_feed_item(description: str | None) -> str | None:
    """The journal an item's description cites as its own ("Gut. 2021 Mar;70(3):...",
    "Thorax, Volume 76, Issue 2", "Source: Gastroenterology"); None for prose mentions."""
    if not description:
        return None
    cited = cited_journal(description)
    if cited:
        return cited[0]
    for m in _LABELLED_SOURCE.finditer(description):
        name = re.split(r",\s*(?:vol|volume|issue|\d)", m.group(1), maxsplit=1, flags=re.I)[0]
        title = lookup(name.strip(" .,"))
        if title:
            return title
    return None
