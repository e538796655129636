from __future__ import annotations

import pytest

from tracker.extract.prose import journal_and_year


@pytest.mark.parametrize("text,published,expected", [
    ("A study published in 'Revista Médica de Chile' in 2017 reported on three cases.", None,
     ("Revista Médica de Chile", 2017)),
    ("Researchers reported in Gastroenterology (2019) that early therapy helps.", None, ("Gastroenterology", 2019)),
    ("The findings were published in the Journal of Crohn's and Colitis last year.", "2021-05-02",
     ("Journal of Crohn's and Colitis", 2020)),
    ("Source: Rev Med Chil. 2017;145(2):1-9.", None, ("Revista Médica de Chile", 2017)),
    ("Smith et al. J Crohns Colitis 2020;14:123.", None, ("Journal of Crohn's and Colitis", 2020)),
    ("Un estudio publicado en la revista Gastroenterología y Hepatología en 2020.", None,
     ("Gastroenterología y Hepatología", 2020)),
    ("Um estudo publicado na revista Arquivos de Gastroenterologia em março de 2016.", None,
     ("Arquivos de Gastroenterologia", 2016)),
    ("Published in the Journal of Rare Gut Things in 2015, the report described five cases.", None,
     ("Journal of Rare Gut Things", 2015)),
])
def test_journal_and_year(text, published, expected):
    assert journal_and_year(text, published) == expected


def test_page_date_is_not_the_year():
    assert journal_and_year("Vedolizumab is given every eight weeks.", "2021-06-10") == (None, None)


def test_study_period_is_not_the_year():
    text = "The paper, published in The Lancet, enrolled patients between 2015 and 2018."
    assert journal_and_year(text) == ("The Lancet", None)


def test_department_names_are_not_journals():
    assert journal_and_year("Department of Gastroenterology, Hospital X. Gut microbiota in 2018.") == (None, None)


def test_year_without_journal():
    assert journal_and_year("A 2019 study of 1,200 patients found benefit.") == (None, 2019)
