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


# --- every record gets a design (issue 11, family 2) ---

@pytest.mark.parametrize("types,text,expected", [
    (["Systematic Review"], "Twelve studies were pooled with a random-effects model.", "meta_analysis"),
    (["Systematic Review"], "Results were not pooled and are summarised narratively.", "review"),
    (["Systematic Review"], "", "review"),
    (["Clinical Trial"], "Patients were randomly assigned to drug or placebo.", "rct"),
    (["Clinical Trial, Phase II"], "In this open-label, single-arm study, 40 patients received the drug.", "cohort"),
    (["Clinical Trial"], "Forty patients received the drug for 12 weeks.", "cohort"),
    (["Clinical Trial"], "A non-randomised comparison of two dosing schedules.", "cohort"),
    (["Letter"], "Sir, we describe two patients who developed bradycardia.", "case_series"),
    (["Letter", "Comment"], "We read with interest the meta-analysis by Lee and colleagues.", "other"),
    (["Editorial"], "In this issue of the journal, a randomised trial compares two strategies.", "other"),
    (["Case Reports"], "We describe three women who developed macular oedema.", "case_series"),
    (["Case Reports"], "A 34-year-old woman presented with fever.", "case_report"),
    (["Book Review"], "", "other"),
    (["Review", "Journal Article"], "", "review"),
])
def test_publication_types_settled_by_text(types, text, expected):
    assert studytype.from_publication_types(types, text) == expected


@pytest.mark.parametrize("title,text,expected", [
    # laboratory, animal, genetic and modelling work: other, even when animals were randomised
    ("Butyrate producers attenuate ileitis", "Forty mice were randomly assigned to the consortium or vehicle.", "other"),
    ("Epithelial response in patient-derived organoids", "Organoid lines were exposed in vitro to IL-23.", "other"),
    ("BMI and Crohn's disease: a Mendelian randomization study", "", "other"),
    ("Cost-effectiveness of early therapy", "A Markov model simulated a hypothetical cohort of adults.", "other"),
    ("Efecto de un probiótico", "Se indujo colitis en ratones mediante dextrano sulfato sódico.", "other"),
    # a review of animal models is a review
    ("Animal models of inflammatory bowel disease: a narrative review", "", "review"),
    # observational designs are cohort
    ("Ustekinumab for perianal fistulas: a single-centre retrospective review", "", "cohort"),
    ("Fatigue in IBD: a cross-sectional survey of 310 patients", "", "cohort"),
    ("Smoking and Crohn's disease: a population-based case-control study", "", "cohort"),
    ("Adesão ao tratamento", "Estudo transversal realizado em ambulatório de referência.", "cohort"),
    # letters about someone else's trial are not that trial
    ("Comentario sobre el ensayo", "Sr. Director: Hemos leído con interés el ensayo aleatorizado publicado.", "other"),
    ("Correspondence: subcutaneous infliximab", "To the Editor: We read with interest the recent report.", "other"),
    # randomisation in Spanish and Portuguese; "non-randomised" is not
    ("Un fármaco oral", "Los pacientes fueron asignados aleatoriamente a etrasimod o placebo.", "rct"),
    ("Budesonida versus prednisona", "Os pacientes foram randomizados para budesonida ou prednisona.", "rct"),
    ("Two dosing schedules", "A non-randomised comparison of two schedules in 80 patients.", "cohort"),
    # case series and case reports in Spanish and Portuguese
    ("Sacroileítis durante vedolizumab", "Presentamos una serie de cinco pacientes con enfermedad de Crohn.", "case_series"),
    ("Pioderma gangrenoso", "Paciente do sexo feminino, 27 anos, com doença de Crohn ileocólica.", "case_report"),
    # systematic reviews: pooled or not
    ("Diet in adults with Crohn's disease: a systematic review", "Results were not pooled.", "review"),
    ("Infections with vedolizumab: a systematic review", "Risk ratios were pooled with a random-effects model.", "meta_analysis"),
])
def test_stated_designs(title, text, expected):
    assert studytype.from_text(title, text) == expected


@pytest.mark.parametrize("title,text,expected", [
    ("Early biologics linked to fewer surgeries", "Researchers followed 1,204 children with Crohn's disease.", "cohort"),
    ("El tabaco y la cirugía", "Un estudio siguió durante quince años a 3.400 personas con enfermedad de Crohn.", "cohort"),
    ("Estudo brasileiro", "Pesquisadores acompanharam 860 pacientes durante cinco anos.", "cohort"),
    ("FDA clears at-home injections of Entyvio", "The agency approved a subcutaneous pen of vedolizumab.", "other"),
    ("Take Steps walk raises $85,000", "More than 600 walkers gathered for the annual walk.", "other"),
    ("SUS passa a oferecer ustequinumabe", "O Ministério da Saúde anunciou a incorporação do medicamento.", "other"),
    ("Infusion number three", "I was diagnosed with Crohn's disease when I was nineteen.", "other"),
    ("Guselkumab achieves endoscopic response in GALAXI-2 trial", "", "rct"),
    ("New data on IBD trial design", "", None),
    ("Vedolizumab in older adults: where are we now?", "", "review"),
    ("FDA review of a new Crohn's drug delayed", "", None),
    ("Something", "Nothing about design here.", None),
])
def test_weak_cues(title, text, expected):
    assert studytype.weak_cues(title, text) == expected


def test_reference_markers_mean_an_overview_only_in_an_abstract():
    text = "Since 2004, metabolite levels have guided dosing [12]. Guidelines recommend testing [3,4]."
    assert studytype.weak_cues("Thiopurine monitoring", text, abstract=True) == "review"
    assert studytype.weak_cues("Thiopurine monitoring", text, abstract=False) is None


def test_fallback():
    assert studytype.fallback(None) == "other"
    assert studytype.fallback(1) == "other"
    assert studytype.fallback(212) == "cohort"


@pytest.mark.parametrize("fields,expected", [
    ({"title": "What to know before starting Entyvio", "body": "Entyvio is given as an infusion."}, "other"),
    ({"title": "Crohn's disease"}, "other"),
    ({"title": "Biosimilar switch did not affect remission",
      "body": "A 2018 study of 210 patients who switched from Remicade to Inflectra found no loss of response."}, "cohort"),
    ({"title": "Ustekinumab outcomes", "abstract": "Of 212 patients treated with ustekinumab, 60% were in remission."},
     "cohort"),
])
def test_every_record_gets_one_of_the_seven(fields, expected):
    from tracker.extract import enrich
    from tracker.models import Article

    article = enrich(Article.from_dict(fields))
    assert article.study_type == expected
    assert article.study_type in studytype.STUDY_TYPES
    assert article.provenance["study_type"] == "text"


def _item_texts():
    import json
    from pathlib import Path

    for path in sorted((Path(__file__).parent / "extraction" / "items").glob("*.json")):
        given = json.loads(path.read_text(encoding="utf-8"))["input"]
        for key in ("title", "abstract", "body"):
            if given.get(key):
                yield given[key]


def test_substring_precheck_never_changes_a_match():
    # _Cue skips its regex when none of the alternatives' literal starts occurs in the text;
    # that must be an optimisation only.
    from tracker.textutil import fold

    texts = [fold(t).lower() for t in _item_texts()]
    texts += ["in this issue of the journal", "sr. director: hemos leido", "a 34-year-old man", "mice", "in-vitro",
              "the walk", "an update", "is it time", "no aleatorizado", "un solo brazo", "del registro", ""]
    cues = [c for table in (studytype._TITLE, studytype._TEXT, studytype._WEAK, studytype._WEAK_TITLE) for c, _ in table]
    assert any(c.starts for c in cues)
    for cue in cues:
        for text in texts:
            assert bool(cue.search(text)) == bool(cue.regex.search(text)), (cue.regex.pattern[:40], text[:60])


def test_cue_patterns_are_lower_case():
    # they run without re.I on lower-cased text; an upper-case letter would never match
    import re

    for table in (studytype.TITLE_CUES, studytype.TEXT_CUES, studytype.WEAK_CUES, studytype.WEAK_TITLE_CUES):
        for pattern, _ in table:
            assert not re.search(r"[A-Z]", re.sub(r"\\.", "", pattern)), pattern[:60]


@pytest.mark.parametrize("keywords,expected", [
    (["Crohn Disease", "Retrospective Studies"], "cohort"),
    (["Cross-Sectional Studies"], "cohort"),
    (["Animals", "Mice", "Colitis"], "other"),
    (["Markov Chains", "Cost-Benefit Analysis"], "other"),
    (["Crohn Disease", "Humans"], None),
])
def test_mesh_designs(keywords, expected):
    assert studytype.from_mesh(keywords) == expected


@pytest.mark.parametrize("title,text,expected", [
    ("Crohn's disease in a rural hospital", "Case presentation: A 70-year man presented with abdominal pain.", "case_report"),
    ("Efficacy of X in fistulizing Crohn's disease", "Study Type: Interventional. Allocation: Randomized. Enrollment: 94", "rct"),
    ("Smoking and colitis", "SIR,-Dr Holdstock and colleagues say that smoking protects against colitis.", "other"),
    ("Fatigue in IBD", "Our 10-year experience with 212 patients treated at the unit.", "cohort"),
])
def test_more_stated_designs(title, text, expected):
    assert studytype.from_text(title, text) == expected


@pytest.mark.parametrize("title,text,expected", [
    ("EUA aprovam primeiro medicamento oral", "A FDA aprovou nesta quinta-feira o uso do medicamento.", "other"),
    ("Crohn's disease blog", "I started this blog to document my experience of living with Crohn's disease.", "other"),
    # trials cited as the basis of an approval are not the study the page reports
    ("FDA approves oral drug for Crohn's", "The approval rests on two placebo-controlled trials in adults.", "other"),
])
def test_more_news_without_a_study(title, text, expected):
    assert studytype.from_text(title, text) is None
    assert studytype.weak_cues(title, text) == expected


def test_real_design_phrasings():
    # a placebo comparison in a news story is a trial's
    assert studytype.weak_cues("JAK pill shows benefit", "Half were in remission, compared with 29% on placebo.") == "rct"
    assert studytype.weak_cues("Novo remédio", "Mais pacientes entraram em remissão do que o placebo.") == "rct"
    # "in this open-label, non-randomised study" states no randomisation
    assert studytype.from_text("Tofacitinib in acute severe colitis",
                               "In this open-label, non-randomised study, 40 patients received it.") == "cohort"
    # an overview title beats its "real life" words
    assert studytype.from_text("Vedolizumab: from randomized controlled trials to real-life evidence", "") == "review"
    # news of an approval is not a study; an abstract's background "was approved" says nothing
    assert studytype.weak_cues("Agency approves drug", "The drug was approved today.") == "other"
    assert studytype.weak_cues("CT-P13 in IBD", "CT-P13 was approved by extrapolation.", abstract=True) is None
