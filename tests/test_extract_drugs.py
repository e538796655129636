from __future__ import annotations

from tracker.extract.drugs import find_drugs
from tracker.lexicon.drugs import BRANDS, CLASSES


def test_generics_brands_and_codes():
    text = "Switched from Remicade to CT-P13 (Inflectra); others on Humira, ABP 501 or SB5; Tysabri; Entyvio."
    assert find_drugs(text) == {"infliximab", "adalimumab", "natalizumab", "vedolizumab"}


def test_spacing_and_hyphen_variants():
    assert find_drugs("CT P13 and CTP13 and BI-695501") == {"infliximab", "adalimumab"}
    assert find_drugs("infliximab-dyyb and adalimumab-atto") == {"infliximab", "adalimumab"}


def test_misspellings_and_portuguese_forms():
    assert find_drugs("natalizimab, adalimumb, vedolizumabe, infliximabe, ustequinumabe") == {
        "natalizumab", "adalimumab", "vedolizumab", "infliximab", "ustekinumab"}


def test_abbreviations_are_case_sensitive_whole_words():
    assert find_drugs("IFX and MTX and 6-MP") == {"infliximab", "methotrexate", "mercaptopurine"}
    assert find_drugs("ifx mtx") == set()


def test_no_false_positives_on_common_words():
    assert find_drugs("Methods: predictive modelling of the previous cohort; Ca2+ rayos X") == set()


def test_metabolites_are_not_the_drug():
    assert find_drugs("6-thioguanine nucleotide levels were measured") == set()


def test_public_maps():
    assert BRANDS["tysabri"] == "natalizumab"
    assert BRANDS["inflectra"] == "infliximab"
    assert "vedolizumab" in CLASSES["anti-integrin"]
    assert CLASSES["tnf inhibitor"] == CLASSES["anti-tnf"]
    assert set(CLASSES["jak inhibitor"]) == {"tofacitinib", "upadacitinib", "filgotinib"}
