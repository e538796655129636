from __future__ import annotations

import pytest

from tracker.extract import studytype
from tracker.extract.language import guess_language


@pytest.mark.parametrize("types,expected", [
    (["Journal Article", "Randomized Controlled Trial"], "rct"),
    (["Meta-Analysis", "Systematic Review"], "meta_analysis"),
    (["Case Reports", "Review"], "case_report"),
    (["Review"], "review"),
    (["Observational Study"], "cohort"),
    (["Journal Article"], None),
])
def test_publication_types(types, expected):
    assert studytype.from_publication_types(types) == expected


@pytest.mark.parametrize("title,text,expected", [
    ("Vedolizumab: a randomized, double-blind, placebo-controlled trial", "", "rct"),
    ("X: a systematic review and meta-analysis", "", "meta_analysis"),
    ("PML under natalizumab: case report and review of the literature", "", "case_report"),
    ("Outcomes of ustekinumab: a retrospective cohort", "", "cohort"),
    ("Biologics in pregnancy", "In this review we discuss several randomized controlled trials.", "review"),
    ("Leucoencefalopatía: caso clínico", "", "case_report"),
    ("Eficácia do ustequinumabe: revisão sistemática e metanálise", "", "meta_analysis"),
    ("Azatioprina frente a metotrexato", "Ensayo clínico aleatorizado, abierto.", "rct"),
    ("Something", "Nothing about design here.", None),
])
def test_text_cues(title, text, expected):
    assert studytype.from_text(title, text) == expected


def test_split_by_count():
    assert studytype.split_case_type("case_report", 3) == "case_series"
    assert studytype.split_case_type("case_series", 1) == "case_report"
    assert studytype.split_case_type("cohort", 1) == "cohort"


@pytest.mark.parametrize("text,lang", [
    ("The patients were treated with infliximab and the results have been good.", "en"),
    ("Los pacientes con enfermedad de Crohn fueron tratados con infliximab en el hospital.", "es"),
    ("Os pacientes com doença de Crohn foram tratados com infliximabe no hospital e não houve eventos.", "pt"),
])
def test_language(text, lang):
    assert guess_language(text) == lang


@pytest.mark.parametrize("title, expected", [
    ("Natalizumab-associated PML in Crohn's disease: two cases and a review", "case_series"),
    ("Vedolizumab and pregnancy: three new cases and review of the literature", "case_series"),
    ("Tres casos de leucoencefalopatía multifocal progresiva asociada a natalizumab", "case_series"),
    ("Outcomes in 500 cases of ileal resection: a retrospective cohort", "cohort"),
    ("Ustekinumab in Crohn's disease: a narrative review", "review"),
])
def test_a_title_naming_a_few_cases_is_a_case_series(title, expected):
    assert studytype.from_text(title, "") == expected


def test_a_few_patients_described_is_a_case_series():
    text = "Doctors in Chile have described three patients who developed a rare brain infection."
    assert studytype.from_text("Rare brain infection linked to Crohn's drug", text) == "case_series"
