from __future__ import annotations

import pytest

from tracker.extract.journals import cited_journal
from tracker.extract.prose import journal_and_year, source_note


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


@pytest.mark.parametrize("text,published,expected", [
    # catalog titles after a cue, and the hand-kept ones missing from the NLM snapshot
    ("Stool samples changed before flares, researchers reported in Nature Communications.", "2023-02-20",
     ("Nature Communications", None)),
    ("A trial published in The Lancet Respiratory Medicine in 2021 tested budesonide.", None,
     ("The Lancet Respiratory Medicine", 2021)),
    ("The findings appear in Clinical Pharmacology & Therapeutics.", None, ("Clinical Pharmacology & Therapeutics", None)),
    ("according to a cohort study published by JAMA Surgery.", None, ("JAMA Surgery", None)),
    # the longest name at a position: not "Cancer"
    ("In the journal Cancer Research, the team reports fewer lesions.", None, ("Cancer Research", None)),
    # year before the name; year after in another language; a date after the name
    ("results described in the May 4, 2017, issue of The New England Journal of Medicine.", None,
     ("New England Journal of Medicine", 2017)),
    ("Um estudo publicado na revista Science em 2015 mostrou o efeito.", None, ("Science", 2015)),
    ("a cross-sectional study published online in the American Journal of Respiratory and Critical Care "
     "Medicine on March 3, 2021.", None, ("American Journal of Respiratory and Critical Care Medicine", 2021)),
    ("Em 2020, um estudo publicado no periódico JAMA Oncology acompanhou pacientes.", None, ("JAMA Oncology", 2020)),
    # adjectives between "revista" and the name; the journal as subject
    ("publicado en marzo de 2016 en la revista científica estadounidense Annals of Internal Medicine.", None,
     ("Annals of Internal Medicine", 2016)),
    ("La revista The Lancet Respiratory Medicine publica esta semana un estudio.", "2020-10-07",
     ("The Lancet Respiratory Medicine", 2020)),
    ("Uma pesquisa publicada na segunda-feira (3) na revista científica americana Current Biology descreve.", None,
     ("Current Biology", None)),
    # citation tails naming catalog journals
    ("Source: Okafor T, et al. Eur Respir J. 2019;54(2):1900412.", None, ("European Respiratory Journal", 2019)),
    ("Thorax, Volume 76, Issue 2, February 2021. We followed 287 adults.", None, ("Thorax", 2021)),
    ("Rev. esp. enferm. dig. vol.109 no.8 Madrid ago. 2017", None, ("Revista Española de Enfermedades Digestivas", 2017)),
    ("World J Gastroenterol. Apr 14, 2016; 22(14): 3800-3810", None, ("World Journal of Gastroenterology", 2016)),
])
def test_journals_outside_the_hand_kept_list(text, published, expected):
    assert journal_and_year(text, published) == expected


@pytest.mark.parametrize("text,expected", [
    # ordinary-word titles in a citation context ...
    ("The study was published in Gut in 2019.", ("Gut", 2019)),
    ("Clot rates were reported in the journal Blood.", ("Blood", None)),
    ("Lung nodules were common; the study was published in the journal Chest in 2020.", ("Chest", 2020)),
    ("The work was published in Cell in January 2022.", ("Cell", 2022)),
    ("Blood. 2019;133(7):700-710.", ("Blood", 2019)),
    # ... and not outside one
    ("Gut bacteria changed before flares. Blood tests showed rising calprotectin.", (None, None)),
    ("Heart and brain health were on the agenda. At the heart of the method is a diary.", (None, None)),
    ("Cell death drove colitis in mice lacking the receptor.", (None, None)),
    ("A Study In Blood Cancer Patients Shows Benefit", (None, None)),
    ("The report was published in March and covered 40 patients.", (None, None)),
    ("Results were published in Africa and Asia first.", (None, None)),
    ("Adverse events were reported in Europe, Asia and North America.", (None, None)),
    ("Results were reported in Table 2; the survey was published in Spanish.", (None, None)),
])
def test_ordinary_word_titles_need_a_citation_context(text, expected):
    assert journal_and_year(text) == expected


def test_the_page_date_never_becomes_the_year():
    text = "Screening was missed in a fifth of patients, a cohort study in Clinical Infectious Diseases reports."
    assert journal_and_year(text, "2022-03-15") == ("Clinical Infectious Diseases", None)


def test_a_one_entry_reference_section_is_the_story_source():
    body = "Shingles was common on JAK inhibitors.\n\nReference\nNguyen V, et al. Clin Infect Dis. 2022;75:410-8."
    assert source_note(body) == "Nguyen V, et al. Clin Infect Dis. 2022;75:410-8."
    assert source_note("Story.\n\nReferences\n1. A B. Gut. 2020;1:1.\n2. C D. Gut. 2021;2:2.") is None
    assert cited_journal(source_note(body)) == ("Clinical Infectious Diseases", 2022)


def test_enrich_reads_the_story_source_and_canonicalises_catalog_names():
    from tracker.extract import enrich
    from tracker.models import Article

    news = enrich(Article(title="Shingles after JAK inhibitors", published="2022-09-12",
                          body="Herpes zoster was common among 2,946 people on tofacitinib.\n\nReference\n"
                               "Nguyen V, et al. Clin Infect Dis. 2022;75(3):410-418."))
    assert (news.journal, news.year, news.provenance["journal"]) == ("Clinical Infectious Diseases", 2022, "text")
    record = Article(title="A paper", journal="Current biology : CB", year=2020)
    record.provenance.update(journal="registry", year="registry")
    enrich(record)
    assert (record.journal, record.provenance["journal"]) == ("Current Biology", "registry")


# Real page and news layouts (wave 3): each case a form read on public pages, in our own words.
@pytest.mark.parametrize("text,published,expected", [
    # PMC: the journal closes the line above its citation
    ("Inflammatory Bowel Diseases logoLink to Inflammatory Bowel Diseases\n. 2019 Aug;25(8):1345–1352. doi: 10.1/x",
     None, ("Inflammatory Bowel Diseases", 2019)),
    # PubMed month range; the issue year, not the Epub year
    ("Inflamm Bowel Dis. Jul-Aug 2016;22(7):1602-8. Epub 2015 Dec 1.", None, ("Inflammatory Bowel Diseases", 2016)),
    # ahead of print with an eLocator
    ("J Crohns Colitis. 2023 Oct 5:jjad170. doi: 10.1093/ecco-jcc/jjad170.", None, ("Journal of Crohn's and Colitis", 2023)),
    ("Cite this article: Lund K. Anaemia at diagnosis. BMC Gastroenterol 22, 118 (2022).", None,
     ("BMC Gastroenterology", 2022)),
    ("J. Clin. Med. 2022, 11(3), 650; https://doi.org/10.3390/jcm11030650", None, ("Journal of Clinical Medicine", 2022)),
    ("ORIGINAL RESEARCH article\nFront. Immunol., 03 March 2023\nSec. Mucosal Immunity", None,
     ("Frontiers in Immunology", 2023)),
    ("ISSN 0001-6012 Acta Médica Costarricense, © 2013 Colegio de Médicos", None, ("Acta Médica Costarricense", 2013)),
    # SciELO masthead over its ISSN line; the year from the volume line below
    ("Anales de Medicina Interna\nversión impresa ISSN 0212-7199\n\nAn. Med. Interna (Madrid) vol.20 no.1  ene. 2003",
     None, ("Anales de Medicina Interna", 2003)),
    ("Among 413,590 adults, 244 developed the disease.\n\nSource: Gut, published online 12 January 2023.", None,
     ("Gut", 2023)),
    ("date: 2022-02-14 journal: Therap Adv Gastroenterol DOI: 10.1177/1", None,
     ("Therapeutic Advances in Gastroenterology", 2022)),
])
def test_journal_and_year_on_real_layouts(text, published, expected):
    assert journal_and_year(text, published) == expected


def test_reference_backing_a_sentence_yields_to_the_storys_venue():
    text = ("Earlier work (N Engl J Med. 2010;362:1383-95) showed that combination therapy helps. "
            "The new analysis, published in Alimentary Pharmacology & Therapeutics, looked at stopping it.")
    assert journal_and_year(text) == ("Alimentary Pharmacology & Therapeutics", None)
    # a citation on its own line closing a news story is the story's source
    own = "Older adults responded as often as younger ones.\n\n(Am J Gastroenterol. 2022;117:1030-1038)"
    assert journal_and_year(own) == ("American Journal of Gastroenterology", 2022)


def test_a_bare_year_closing_a_line_needs_its_day_and_month():
    assert journal_and_year("Gut 2021\nThe microbiome changes early.") == (None, None)
