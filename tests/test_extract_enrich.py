from __future__ import annotations

from tracker.extract import enrich
from tracker.models import Article

NEWS = ("A study published in 'Revista Médica de Chile' in 2017 reported on three cases of progressive "
        "multifocal leukoencephalopathy in patients with Crohn's disease treated with Tysabri.\n\n"
        "References\n1. Sandborn WJ. Vedolizumab. N Engl J Med. 2013;369:711-21.\n")


def test_news_page_gets_study_fields_from_prose():
    a = enrich(Article(title="PML in Crohn's disease", body=NEWS, published="2019-03-14"))
    assert (a.journal, a.year, a.case_count) == ("Revista Médica de Chile", 2017, 3)
    assert a.drugs == ["natalizumab"]  # vedolizumab is only in the reference list
    assert a.study_type == "case_series"
    assert a.provenance["journal"] == a.provenance["year"] == a.provenance["case_count"] == "text"
    assert a.published == "2019-03-14"


def test_registry_values_win_and_journal_is_normalised():
    a = Article(title="x", abstract="A study published in Gut in 2001 included 12 patients.",
                journal="J Crohns Colitis", year=2020, case_count=40, study_type="cohort",
                provenance={"journal": "registry", "year": "registry", "case_count": "registry",
                            "study_type": "registry"})
    enrich(a)
    assert (a.journal, a.year, a.case_count, a.study_type) == (
        "Journal of Crohn's and Colitis", 2020, 40, "cohort")
    assert a.provenance["journal"] == "registry"


def test_case_reports_publication_type_splits_by_count():
    a = enrich(Article(title="Two cases", abstract="We describe two patients with Crohn's disease.",
                       publication_types=["Case Reports"]))
    assert (a.study_type, a.provenance["study_type"], a.case_count) == ("case_series", "registry", 2)


def test_language_guess_fills_missing_only():
    a = enrich(Article(abstract="Los pacientes con enfermedad de Crohn fueron tratados con infliximab en el hospital."))
    assert a.language == "es" and a.provenance["language"] == "text"
    b = enrich(Article(abstract="Los pacientes con enfermedad de Crohn fueron tratados.", language="pt"))
    assert b.language == "pt"


def test_empty_article_is_fine():
    a = enrich(Article())
    assert a.drugs == [] and a.case_count is None and a.journal is None
