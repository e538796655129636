"""Article pages -> Article: scholarly metadata and the main text.

`extract_page` is a pure function over the page bytes (or text). Metadata
comes from an explicit cascade whose meta names live in rules.py; for
each field the first layer with a value wins:

    1. Highwire citation_* tags      4. JSON-LD (scholarly node or page node)
    2. Dublin Core (DC.*, DCTERMS.*) 5. OpenGraph / Twitter / plain meta
    3. PRISM                         6. the HTML: <title>, abstract block, lang

Journal, year, DOI and PMID come only from scholarly layers (1-3 and a
ScholarlyArticle JSON-LD node): on a news or blog page the page's own date
goes to `published`, never to `year`, which is the cited study's and is left
to the prose extractor. Every value set here has provenance "metadata",
but for those read from a one-entry reference section (see below).

When no tag names the journal, the page's masthead may (masthead.py:
"Journal: December 2020 - Volume 32 - Issue 12", a SciELO issue line, a
breadcrumb); such a page is a journal's own article page.

DOI, after the tags: on a journal's article page, a DOI printed in its head
("doi: 10...."), then a DOI link outside navigation and asides, then one in
its main text; on any other page, a DOI link in the main text, then a DOI
printed there ("DOI: 10...."), when the main text cites at most
MAX_BODY_DOIS of them. Never one from a reference list -- except that a news
story's one-entry "Reference" section is the study it reports: its journal,
year and DOI are taken, with provenance "text".
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import urljoin, urlsplit

from tracker.dates import iso_date, year_of
from tracker.extract.citation import doi_of_link, dois_in_text
from tracker.extract.journals import cited_journal
from tracker.extract.page.html import parse_html
from tracker.extract.page.jsonld import read_jsonld
from tracker.extract.page.masthead import read_masthead
from tracker.extract.page.rules import (
    DUBLIN_CORE,
    HIGHWIRE,
    MASTHEAD_CHARS,
    MAX_BODY_DOIS,
    MAX_META_CHARS,
    PRISM,
    SCHOLARLY_EVIDENCE,
    SOCIAL,
    TITLE_SEPARATORS,
)
from tracker.extract.page.text import MainContent, abstract_section, head_text, in_boilerplate, main_content
from tracker.extract.page.values import author_name, plain, split_list
from tracker.extract.prose import journal_and_year
from tracker.lexicon.languages import language_code
from tracker.models import Article, normalize_doi, normalize_pmcid, normalize_pmid

if TYPE_CHECKING:
    from bs4 import BeautifulSoup

Meta = dict[str, list[str]]


def collect_meta(soup: "BeautifulSoup") -> Meta:
    """Lower-cased meta name/property/itemprop -> every content, in order."""
    meta: Meta = {}
    for tag in soup.find_all("meta", limit=3000):
        key = tag.get("name") or tag.get("property") or tag.get("itemprop") or tag.get("http-equiv")
        content = tag.get("content")
        if not key or content is None:
            continue
        for name in str(key)[:200].lower().split():
            meta.setdefault(name, []).append(str(content)[:MAX_META_CHARS])
    return meta


def _first(meta: Meta, names: tuple[str, ...], valid: Callable[[str], Any] = bool) -> str | None:
    """The first value, in name order, that is non-empty and passes `valid`
    (dates: a malformed citation_publication_date yields to citation_online_date)."""
    for name in names:
        for value in meta.get(name, ()):
            text = plain(value)
            if text and valid(text):
                return text
    return None


def _layer(meta: Meta, rules: dict[str, tuple[str, ...]]) -> dict[str, str | None]:
    return {field: _first(meta, names, _year if field in ("date", "published") else bool)
            for field, names in rules.items()}


def _year(value: str | None) -> int | None:
    """The year a metadata date states, if not after next year (an issue may be dated ahead)."""
    return year_of(value, latest=date.today().year + 1)


def _iso_date(value: str | None) -> str | None:
    return iso_date(value, as_stated=True)


def _language(value: str | None) -> str | None:
    return language_code(value, names=True)


def _all(meta: Meta, names: tuple[str, ...]) -> list[str]:
    """Every value of the first name that has any (names are not mixed)."""
    for name in names:
        values = [v for v in (plain(x) for x in meta.get(name, ())) if v]
        if values:
            return values
    return []


def _identifiers(meta: Meta) -> tuple[str | None, str | None]:
    """DOI and PMID from DC.identifier values ('doi:10...', 'pmid:123', URLs)."""
    doi = pmid = None
    for value in (v for n in DUBLIN_CORE["identifier"] for v in meta.get(n, ())):
        text = value.strip()
        if text.lower().startswith("pmid") and not pmid:
            pmid = normalize_pmid(text.split(":")[-1])
        elif not doi:
            doi = normalize_doi(text[text.lower().find("10."):] if "10." in text else text)
    return doi, pmid


def _is_url(text: str | None) -> bool:
    return bool(text) and text.lower().startswith(("http://", "https://", "www."))


def _host(url: str | None) -> str:
    host = (urlsplit(url or "").hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def _same_host_url(candidate: str | None, url: str) -> str | None:
    if not candidate:
        return None
    absolute = urljoin(url, candidate.strip())
    if urlsplit(absolute).scheme in ("http", "https") and _host(absolute) == _host(url):
        return absolute
    return None


def _canonical(soup: "BeautifulSoup") -> str | None:
    for link in soup.find_all("link", limit=300):
        rel = link.get("rel") or []
        rel = rel if isinstance(rel, list) else str(rel).split()
        if "canonical" in (r.lower() for r in rel) and link.get("href"):
            return str(link["href"])[:2000]
    return None


def _title_tag(soup: "BeautifulSoup", site_name: str | None) -> str | None:
    tag = soup.find("title")
    title = plain(tag.get_text()[:2000]) if tag else None
    if not title:
        return None
    for sep in TITLE_SEPARATORS:
        parts = title.split(sep)
        if len(parts) < 2:
            continue
        if site_name and parts[-1].strip().casefold() == site_name.casefold():
            return sep.join(parts[:-1]).strip()
        if site_name and parts[0].strip().casefold() == site_name.casefold():
            return sep.join(parts[1:]).strip()
        if sep == " | " and len(parts[-1].split()) <= 3 < len(parts[0].split()):
            return sep.join(parts[:-1]).strip()
    return title


def _time_published(soup: "BeautifulSoup") -> str | None:
    tag = soup.select_one("time[itemprop=datePublished], time[pubdate], article time[datetime]")
    return str(tag.get("datetime") or tag.get_text())[:100] if tag else None


def _authors(*layers: list[Any]) -> list[str]:
    """The first non-empty layer, each name normalised, duplicates dropped."""
    for layer in layers:
        names: dict[str, None] = {}
        for raw in layer:
            if isinstance(raw, tuple):  # JSON-LD (name, is_organization)
                name = plain(raw[0]) if raw[1] else author_name(raw[0])
            else:
                name = author_name(raw)
            if name:
                names.setdefault(name, None)
        if names:
            return list(names)
    return []


def _pick(*values: Any) -> Any:
    return next((v for v in values if v not in (None, "", [])), None)


def read_metadata(soup: "BeautifulSoup", url: str) -> dict[str, Any]:
    """Field values by the cascade in the module docstring (before the soup
    is cleaned for the main text)."""
    meta = collect_meta(soup)
    hw, dc, pr, so = (_layer(meta, rules) for rules in (HIGHWIRE, DUBLIN_CORE, PRISM, SOCIAL))
    ld = read_jsonld(soup)
    dc_doi, dc_pmid = _identifiers(meta)
    dc_journal = None if _is_url(dc["journal"]) else dc["journal"]
    scholarly = bool(any(meta.get(n) for n in SCHOLARLY_EVIDENCE) or dc_journal or dc_doi
                     or ld.get("scholarly"))

    out: dict[str, Any] = {
        "title": _pick(hw["title"], dc["title"], pr["title"], ld.get("title"), so["title"],
                       _title_tag(soup, so["site_name"])),
        # citation_author is repeated; the older citation_authors is one "A; B" list
        "authors": _authors(_all(meta, ("citation_author",))
                            or split_list(_all(meta, ("citation_authors",)), ";"),
                            _all(meta, DUBLIN_CORE["authors"]), ld.get("authors", []),
                            _all(meta, SOCIAL["authors"])),
        "doi": _pick(normalize_doi(hw["doi"]), dc_doi, normalize_doi(pr["doi"]), ld.get("doi")),
        "pmid": _pick(normalize_pmid(hw["pmid"]), dc_pmid),
        "pmcid": normalize_pmcid(hw["pmcid"]),
        "language": _pick(_language(hw["language"]), _language(dc["language"]),
                          _language(ld.get("language")),
                          _language(soup.html.get("lang") if soup.html else None),
                          _language(so["language"])),
        "keywords": _pick(split_list(_all(meta, HIGHWIRE["keywords"])),
                          split_list(_all(meta, DUBLIN_CORE["keywords"])),
                          split_list(ld.get("keywords", [])), split_list(_all(meta, SOCIAL["keywords"]))),
        "publication_types": _all(meta, HIGHWIRE["article_type"])[:5],
    }
    if scholarly:
        out["journal"] = _pick(hw["journal"], dc_journal, pr["journal"], ld.get("journal"),
                               hw["journal_abbrev"])
        out["year"] = _pick(_year(hw["date"]), _year(dc["date"]), _year(pr["date"]),
                            _year(ld.get("year_date")))
        dates = (hw["date"], pr["date"], dc["date"], ld.get("published"), so["published"])
    else:
        dates = (ld.get("published"), so["published"], dc["date"], hw["date"])
    out["published"] = _pick(*(_iso_date(d) for d in dates), _iso_date(_time_published(soup)))
    # an abstract meta first, then the page's abstract block, then a description
    meta_abstract = _pick(hw["abstract"], dc["abstract"], dc["description"] if scholarly else None,
                          ld.get("abstract") if ld.get("scholarly") else None)
    out["abstract"] = _pick(meta_abstract, abstract_section(soup),
                            plain(ld.get("abstract")), so["description"], dc["description"])
    out["url"] = _pick(_same_host_url(_canonical(soup), url), _same_host_url(so["url"], url), url)
    if not out.get("journal"):
        head = head_text(soup, MASTHEAD_CHARS)
        mast = read_masthead(head)
        if mast.journal:
            out["journal"], out["year"] = mast.journal, out.get("year") or mast.year
            out["journal_page_dois"] = dois_in_text(head) + _link_dois(soup)
    return out


def _link_dois(soup: BeautifulSoup) -> list[str]:
    """DOIs of the page's links, outside navigation, asides, footers and reference lists."""
    out: dict[str, None] = {}
    for a in soup.find_all("a", href=True, limit=2000):
        doi = doi_of_link(str(a["href"])[:2000])
        if doi and not in_boilerplate(a):
            out.setdefault(doi, None)
    return list(out)


def _body_doi(content: MainContent) -> str | None:
    """The DOI a page's main text links or prints, if it names few enough to be reporting one."""
    linked = [d for d in (doi_of_link(h) for h in content.links) if d]
    printed = dois_in_text(content.text)
    if not linked and not printed or len(set(linked) | set(printed)) > MAX_BODY_DOIS:
        return None
    return (linked or printed)[0]


def _single_source(content: MainContent) -> str | None:
    """The one entry of a reference section with one entry (a news story's study), if any."""
    for section in content.cut_sections:
        lines = [ln for ln in section.split("\n") if ln.strip()]
        if len(lines) == 1 and len(lines[0]) <= 600:
            return lines[0]
    return None


def extract_page(content: bytes | str, url: str, *, encoding: str | None = None) -> Article:
    """One article page -> Article (metadata provenance "metadata", body).

    Never raises for bad or truncated markup; raises ParseError only when
    the content is clearly not HTML (a PDF, an image, an archive).
    """
    soup = parse_html(content, encoding)
    fields = read_metadata(soup, url)
    article = Article(url=fields.pop("url"))
    for name in ("publication_types", "keywords"):
        setattr(article, name, fields.pop(name) or [])
    journal_page_dois = fields.pop("journal_page_dois", None)
    for name, value in fields.items():
        article.set(name, value, "metadata")  # values are already normalised
    main = main_content(soup)  # last: it cleans the soup in place
    article.body = main.text or None
    if journal_page_dois is not None:
        article.set("doi", journal_page_dois[0] if journal_page_dois else _body_doi(main), "metadata")
        return article
    article.set("doi", _body_doi(main), "metadata")
    source = _single_source(main)
    if source and not article.journal:
        journal, year = cited_journal(source) or journal_and_year(source)
        article.set("journal", journal, "text")
        article.set("year", year, "text")
        printed = dois_in_text(source)
        article.set("doi", printed[0] if printed else None, "text")
    return article


def _anchor_href(tag: Any) -> str | None:
    if tag.name in ("a", "area", "link") and tag.get("href"):
        return str(tag["href"])
    inner = tag.find("a", href=True)
    if inner is not None:
        return str(inner["href"])
    outer = tag.find_parent("a", href=True)
    return str(outer["href"]) if outer is not None else None


def _base(soup: "BeautifulSoup", url: str) -> str:
    base = soup.find("base", href=True)
    return urljoin(url, str(base["href"]).strip()) if base is not None else url


def _absolute(href: str, base: str, schemes: tuple[str, ...]) -> str | None:
    href = href.strip()
    if not href or href.startswith("#"):
        return None
    try:
        absolute = urljoin(base, href).split("#", 1)[0]
    except ValueError:
        return None
    return absolute if urlsplit(absolute).scheme.lower() in schemes else None


def _schemes(base_url: str) -> tuple[str, ...]:
    # a local listing (file://) may link to local articles; a web one may not
    return ("http", "https", "file") if base_url.lower().startswith("file:") else ("http", "https")


def links_in(soup: "BeautifulSoup", base_url: str, selector: str) -> list[str]:
    base = _base(soup, base_url)
    schemes = _schemes(base_url)
    seen: dict[str, None] = {}
    for tag in soup.select(selector):
        href = _anchor_href(tag)
        absolute = _absolute(href, base, schemes) if href else None
        if absolute:
            seen.setdefault(absolute, None)
    return list(seen)


def next_in(soup: "BeautifulSoup", base_url: str, selector: str | None) -> str | None:
    base = _base(soup, base_url)
    if selector:
        tags = soup.select(selector, limit=1)
    else:
        tags = soup.select("link[rel~=next], a[rel~=next]", limit=1)
    href = _anchor_href(tags[0]) if tags else None
    absolute = _absolute(href, base, _schemes(base_url)) if href else None
    return absolute if absolute and absolute != base_url else None


def extract_links(content: bytes | str, base_url: str, selector: str, *,
                  encoding: str | None = None) -> list[str]:
    """Absolute, de-duplicated http(s) links matched by `selector`, in page order."""
    return links_in(parse_html(content, encoding), base_url, selector)


def next_page_link(content: bytes | str, base_url: str, selector: str | None, *,
                   encoding: str | None = None) -> str | None:
    """The next listing page (by `selector`, else rel=next), or None."""
    return next_in(parse_html(content, encoding), base_url, selector)
