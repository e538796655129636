"""PubMed efetch XML (PubmedArticleSet) -> Articles. Pure: bytes in, records out.

Parsed with defusedxml: every real efetch response declares an external DTD
(never fetched), but any entity declaration or external reference is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from xml.etree.ElementTree import Element

from tracker.dates import first_year, iso_date, month_number
from tracker.errors import ParseError
from tracker.lexicon.languages import language_code
from tracker.models import Article
from tracker.sources.markup import dedupe, element_text, initials, person, squash
from tracker.sources.records import RecordError, registry_article

PUBMED_URL = "https://pubmed.ncbi.nlm.nih.gov/{pmid}/"
_MONTH_WORD = re.compile(r"\b([A-Za-z]{3,9})\b")
# Records are mapped defensively; these mean one record's data was unusable.
_RECORD_FAILURES = (ValueError, TypeError, KeyError, IndexError, AttributeError)


def parse_efetch(xml: bytes) -> Iterator[Article | RecordError]:
    """Yield one Article (or RecordError) per PubmedArticle / PubmedBookArticle.

    Raises ParseError when the body is not a PubmedArticleSet at all
    (malformed XML, an HTML error page, an eFetchResult ERROR).
    """
    root = _parse(xml)
    for el in root:
        if el.tag not in ("PubmedArticle", "PubmedBookArticle"):
            continue  # DeleteCitation and friends carry no record
        try:
            yield _article(el) if el.tag == "PubmedArticle" else _book(el)
        except _RECORD_FAILURES as exc:
            pmid = el.findtext(".//PMID") or "?"
            yield RecordError(f"PubMed record {pmid.strip()} could not be read ({exc}).")


def _parse(xml: bytes) -> Element:
    from xml.etree.ElementTree import ParseError as XMLParseError

    import defusedxml.ElementTree as DET
    from defusedxml import DefusedXmlException

    try:
        root = DET.fromstring(xml)
    except DefusedXmlException as exc:
        raise ParseError(f"PubMed returned XML with forbidden entity or DTD content ({type(exc).__name__}).") from None
    except XMLParseError as exc:
        raise ParseError(f"PubMed returned malformed XML ({exc}).") from None
    if root.tag == "PubmedArticleSet":
        return root
    error = squash(root.findtext(".//ERROR"))
    if error:
        raise ParseError(f"PubMed efetch failed: {error}.")
    raise ParseError(f"PubMed returned <{root.tag}> instead of a PubmedArticleSet.")


def _article(el: Element) -> Article | RecordError:
    mc = el.find("MedlineCitation")
    pmid = squash(mc.findtext("PMID")) if mc is not None else None
    if mc is None or not pmid:
        return RecordError("A PubMed record without a PMID was skipped.")
    art = mc.find("Article")
    if art is None:
        return RecordError(f"PubMed record {pmid} has no Article element.")
    journal_el = art.find("Journal")
    pub_date = journal_el.find("JournalIssue/PubDate") if journal_el is not None else None
    year, month, day = _pub_date(pub_date)
    electronic = _article_date(art)
    ids = _ids(el.find("PubmedData/ArticleIdList"))
    doi = ids.get("doi") or _elocation_doi(art)
    keywords = [element_text(h) for h in mc.findall("MeshHeadingList/MeshHeading/DescriptorName")]
    keywords += [element_text(k) for k in mc.findall("KeywordList/Keyword")]
    # Substances name the drugs a paper is about, even when its abstract does not.
    keywords += [element_text(c) for c in mc.findall("ChemicalList/Chemical/NameOfSubstance")]
    return registry_article(
        title=_title(art.find("ArticleTitle"), art.find("VernacularTitle")),
        abstract=_abstract(art.find("Abstract")) or _abstract(mc.find("OtherAbstract")),
        authors=_authors(art.find("AuthorList")),
        journal=_journal(journal_el),
        year=year or (electronic[0] if electronic else None),
        published=iso_date(*electronic) if electronic else iso_date(year, month, day),
        doi=doi,
        pmid=pmid,
        pmcid=ids.get("pmc"),
        url=PUBMED_URL.format(pmid=pmid),
        language=_language(art.findall("Language")),
        publication_types=dedupe(element_text(p) for p in art.findall("PublicationTypeList/PublicationType")),
        keywords=dedupe(keywords),
        nct_ids=_trials(art.find("DataBankList")),
    )


def _trials(banks: Element | None) -> list[str]:
    """NCT numbers of the ClinicalTrials.gov DataBank entries."""
    if banks is None:
        return []
    return [element_text(n) or "" for bank in banks.findall("DataBank")
            if (bank.findtext("DataBankName") or "").strip().lower() == "clinicaltrials.gov"
            for n in bank.findall("AccessionNumberList/AccessionNumber")]


def _book(el: Element) -> Article | RecordError:
    doc = el.find("BookDocument")
    pmid = squash(doc.findtext("PMID")) if doc is not None else None
    if doc is None or not pmid:
        return RecordError("A PubMed book record without a PMID was skipped.")
    book = doc.find("Book")
    book_title = element_text(book.find("BookTitle")) if book is not None else None
    year, month, day = _pub_date(book.find("PubDate") if book is not None else None)
    ids = _ids(doc.find("ArticleIdList"))
    ids.update({k: v for k, v in _ids(el.find("PubmedBookData/ArticleIdList")).items() if k not in ids})
    author_lists = [a for a in doc.findall("AuthorList") if a.get("Type", "authors") == "authors"]
    # A whole-book record has no ArticleTitle; its own title is the BookTitle.
    title = _title(doc.find("ArticleTitle"), doc.find("VernacularTitle")) or book_title
    return registry_article(
        title=title,
        abstract=_abstract(doc.find("Abstract")),
        authors=_authors(author_lists[0] if author_lists else None),
        journal=book_title,
        year=year,
        published=iso_date(year, month, day),
        doi=ids.get("doi"),
        pmid=pmid,
        pmcid=ids.get("pmc"),
        url=PUBMED_URL.format(pmid=pmid),
        language=_language(doc.findall("Language")),
        publication_types=dedupe(element_text(p) for p in
                                 doc.findall("PublicationType") + doc.findall("PublicationTypeList/PublicationType")),
        keywords=dedupe(element_text(k) for k in doc.findall("KeywordList/Keyword")),
    )


def _is_bracketed(title: str) -> bool:
    """'[Vedolizumab in Crohn disease].' is NLM's translation of a foreign title.

    '[18F]FDG PET in ileitis.' is not: the first bracket must close at the end.
    """
    text = title.rstrip(".").rstrip()
    if not (text.startswith("[") and text.endswith("]")):
        return False
    depth = 0
    for i, ch in enumerate(text):
        depth += ch == "["
        depth -= ch == "]"
        if depth == 0:
            return i == len(text) - 1
    return False


def _title(article_title: Element | None, vernacular: Element | None) -> str | None:
    title = element_text(article_title)
    original = element_text(vernacular)
    if title and not _is_bracketed(title):
        return title
    if original:
        return original
    if title:  # a translation without its original: drop the brackets
        return title.rstrip(".").rstrip()[1:-1].strip() + "."
    return None


def _abstract(el: Element | None) -> str | None:
    if el is None:
        return None
    parts = []
    for section in el.findall("AbstractText"):
        text = element_text(section)
        if not text:
            continue
        label = squash(section.get("Label"))
        parts.append(f"{label}: {text}" if label else text)
    return " ".join(parts) or None


def _authors(author_list: Element | None) -> list[str]:
    if author_list is None:
        return []
    names = []
    for author in author_list.findall("Author"):
        if author.get("ValidYN", "Y") == "N":
            continue  # NLM keeps erroneous names, flagged invalid
        collective = element_text(author.find("CollectiveName"))
        if collective:
            names.append(collective)
            continue
        inits = squash(author.findtext("Initials")) or initials(author.findtext("ForeName"))
        name = person(author.findtext("LastName"), inits)
        if name:
            names.append(name)
    return names


def _journal(journal: Element | None) -> str | None:
    if journal is None:
        return None
    return element_text(journal.find("Title")) or element_text(journal.find("ISOAbbreviation"))


def _pub_date(el: Element | None) -> tuple[int | None, str | None, str | None]:
    """(year, month, day) of a PubDate; a MedlineDate gives its first year and month."""
    if el is None:
        return None, None, None
    year = first_year(el.findtext("Year"))
    if year:
        return year, squash(el.findtext("Month")), squash(el.findtext("Day"))
    medline = el.findtext("MedlineDate") or ""
    year = first_year(medline)
    if year is None:
        return None, None, None
    after = medline[medline.find(str(year)) + 4:]
    month = next((m for m in _MONTH_WORD.findall(after) if month_number(m)), None)
    return year, month, None


def _article_date(art: Element) -> tuple[int, str, str] | None:
    """The electronic publication date: the day an advance-online paper appeared."""
    dates = art.findall("ArticleDate")
    chosen = next((d for d in dates if d.get("DateType", "Electronic") == "Electronic"), None)
    if chosen is None:
        return None
    year = first_year(chosen.findtext("Year"))
    if year is None:
        return None
    return year, chosen.findtext("Month") or "", chosen.findtext("Day") or ""


def _ids(id_list: Element | None) -> dict[str, str]:
    out: dict[str, str] = {}
    if id_list is None:
        return out
    for item in id_list.findall("ArticleId"):
        kind = (item.get("IdType") or "").lower()
        value = squash(item.text)
        if kind and value and kind not in out:
            out[kind] = value
    return out


def _elocation_doi(art: Element) -> str | None:
    for loc in art.findall("ELocationID"):
        if loc.get("EIdType") == "doi" and loc.get("ValidYN", "Y") != "N":
            return squash(loc.text)
    return None


def _language(elements: list[Element]) -> str | None:
    for el in elements:
        code = language_code(el.text)
        if code:
            return code
    return None
