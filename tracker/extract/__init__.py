"""Metadata extraction: structured metadata first, then prose.

`enrich(article)` fills the fields a source could not: drugs, conditions,
case_count, study_type, language, and journal/year from prose. It never
overrides a value of higher provenance (registry > metadata > text):
every write goes through `Article.set`, except the journal-name
normalisation, which keeps the provenance the name already had.

Order of precedence, per field:
- journal: source value (normalised to the list's full title) > prose.
- year: source value > prose (cited study's year, never `published`).
- study_type: publication types (registry) > title/abstract cues (text)
  > MeSH design headings (registry) > weak cues (news) > by count;
  always one of the seven values; case_report/case_series by count.
- case_count: title+abstract, then main body (references, menus cut off);
  narrative reviews only take explicit pooled totals.
- drugs: union of source values and lexicon hits in the title, abstract and
  main body; conditions: the same plus subject keywords (MeSH).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tracker.models import Article

# Submodules are imported inside enrich(): they take ~150 ms to import (their
# regexes compile at import), and query/expand.py still reads the drug lexicon
# through tracker.extract.drugs, which runs this file.

__all__ = ["enrich"]


def enrich(article: Article) -> Article:
    """Fill extracted fields in place and return the article."""
    from tracker.extract.language import guess_language
    from tracker.extract.textutil import join_text, strip_boilerplate, strip_references

    title = article.title or ""
    abstract = article.abstract or ""
    body = strip_boilerplate(strip_references(article.body))
    lead = join_text(title, abstract)
    full = join_text(lead, body)

    lang = article.language or guess_language(join_text(abstract, body[:3000]) or title)
    if not article.language and lang:
        article.set("language", lang, "text")

    _journal_year(article, title, abstract, body)
    _lists(article, full)
    _type_and_count(article, title, abstract, body, lang or "en")
    return article


def _journal_year(article: Article, title: str, abstract: str, body: str) -> None:
    from tracker.extract.prose import journal_and_year, source_note
    from tracker.extract.textutil import join_text
    from tracker.lexicon.journals import resolve

    if article.journal:
        canonical = resolve(article.journal, catalog=True)
        if canonical and canonical != article.journal:
            article.journal = canonical  # same journal, canonical spelling: provenance unchanged
    if article.journal and article.year:
        return
    # a news story's one-entry "Reference" section names its study; strip_references cut it from `body`
    journal, year = journal_and_year(join_text(title, body or abstract, source_note(article.body)),
                                     article.published)
    if journal is None and year is None and body and abstract:
        journal, year = journal_and_year(abstract, article.published)
    article.set("journal", journal, "text")
    article.set("year", year, "text")


def _lists(article: Article, full: str) -> None:
    from tracker.extract.conditions import find_conditions
    from tracker.extract.drugs import find_drugs
    from tracker.extract.trials import find_nct_ids

    # Drugs are those the text names (DESIGN: title, abstract, main text);
    # registry chemical lists also name drugs only discussed in the full text.
    # Conditions also come from subject headings ("Crohn Disease" [MeSH]).
    subjects = " ; ".join(article.keywords)
    drugs = find_drugs(full)
    conditions = find_conditions(full) | find_conditions(subjects)
    for name, found in (("drugs", drugs), ("conditions", conditions)):
        current = list(getattr(article, name))
        merged = sorted(set(current) | found)
        if merged != current:
            setattr(article, name, merged)
            article.provenance.setdefault(name, "text")
    # trials the record reports: registry links (PubMed DataBankList) and the numbers the text cites
    trials = sorted(set(article.nct_ids) | find_nct_ids(full) | find_nct_ids(subjects))
    if trials != article.nct_ids:
        article.nct_ids = trials


def _type_and_count(article: Article, title: str, abstract: str, body: str, lang: str) -> None:
    from tracker.extract import cases, studytype
    from tracker.extract.textutil import as_blocks, join_text

    # Precedence: registry types (settled by the text where they need it) > stated
    # design in title/text > MeSH headings > weak cues > fallback by count (below).
    text = abstract or body
    kind, source = studytype.from_publication_types(article.publication_types, join_text(title, text)), "registry"
    if kind is None:
        kind, source = studytype.from_text(title, text), "text"
    if kind is None:
        kind, source = studytype.from_mesh(article.keywords), "registry"
    if kind is None:
        kind, source = studytype.weak_cues(title, text, abstract=bool(abstract)), "text"
    current_kind = article.study_type
    if current_kind and kind is None:
        kind = current_kind

    pooled_only = (current_kind or kind) == "review"
    found = cases.find_case_count(join_text(title, abstract), lang, pooled_only=pooled_only)
    if found is None and body:
        found = cases.find_case_count(as_blocks(body), lang, pooled_only=pooled_only)
    article.set("case_count", found.count if found else None, "text")
    # The sentence goes with the count only when the text's count is the one kept.
    if found and article.case_count == found.count and not article.case_count_evidence:
        article.case_count_evidence = found.evidence

    known = article.case_count
    if kind is None and known is not None and _single_case_text(title, abstract or body, lang):
        kind, source = "case_report", "text"
    kind = studytype.split_case_type(kind, known)
    if kind is None:  # every record gets a design
        kind, source = studytype.fallback(known), "text"
    article.set("study_type", kind, source)
    # A registry "Case Reports" with a count from another source still splits by count.
    if article.study_type in ("case_report", "case_series"):
        split = studytype.split_case_type(article.study_type, known)
        if split != article.study_type:
            article.study_type = split


def _single_case_text(title: str, text: str, lang: str) -> bool:
    from tracker.extract import cases
    from tracker.extract.textutil import join_text

    found = cases.candidates(join_text(title, text[:3000]), lang)
    return any(c.count == 1 and c.score >= 6 for c in found)
