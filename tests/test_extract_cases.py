from __future__ import annotations

import pytest

from tracker.extract.cases import case_count


@pytest.mark.parametrize("text,lang,expected", [
    ("A study reported on three cases of PML.", "en", 3),
    ("We report a 34-year-old woman with Crohn's disease.", "en", 1),
    ("n = 45 patients received infliximab 5 mg/kg.", "en", 45),
    ("A total of 120 patients were included, of whom 12 achieved remission.", "en", 120),
    ("Of 1,200 patients screened, 567 were randomized.", "en", 567),
    ("Forty-nine patients were enrolled; twenty (41%) had fistulas.", "en", 49),
    ("Se presentan tres pacientes con enfermedad de Crohn.", "es", 3),
    ("Se presenta el caso de una mujer de 45 años.", "es", 1),
    ("Un total de 87 pacientes fueron incluidos.", "es", 87),
    ("Relatamos dois casos de doença de Crohn.", "pt", 2),
    ("Foram incluídos 112 pacientes, dos quais 40 usavam infliximabe.", "pt", 112),
    ("We included 24 studies including 3,456 patients.", "en", 3456),
    ("A total of 95 patients with UC and 61 with CD were switched.", "en", 156),
])
def test_counts(text, lang, expected):
    assert case_count(text, lang) == expected


@pytest.mark.parametrize("text", [
    "Vedolizumab is effective in Crohn's disease.",
    "Patients aged 18-65 years received 300 mg at weeks 0, 2 and 6 (p = 0.03) [12].",
    "Since 2010, natalizumab has been used in more than 200,000 patients worldwide.",
    "Data from 2014 to 2019 were analysed.",
    "In 2015, 45% of centres used thiopurines.",
])
def test_no_count_stated(text):
    assert case_count(text) is None


def test_literature_cases_are_not_the_study():
    assert case_count("We report a case of PML and review 23 previously reported cases.") == 1


def test_review_takes_only_pooled_or_own_totals():
    text = "In GEMINI 2, 368 patients were randomised to vedolizumab. This review summarises the data."
    assert case_count(text, pooled_only=True) is None
    assert case_count("Twenty trials comprising 8,720 patients were included.", pooled_only=True) == 8720
