from __future__ import annotations

import pytest

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


def test_regular_spanish_and_portuguese_forms():
    text = ("ustequinumab, vedolizumabe, infliximabe, adalimumabe, azatioprina, mercaptopurina, metotrexato, "
            "messalazina, ciclosporina, budesonida, prednisona, tofacitinibe, upadacitinibe, certolizumabe pegol")
    assert find_drugs(text) == {
        "ustekinumab", "vedolizumab", "infliximab", "adalimumab", "azathioprine", "mercaptopurine",
        "methotrexate", "mesalamine", "cyclosporine", "budesonide", "prednisone", "tofacitinib",
        "upadacitinib", "certolizumab pegol"}
    assert find_drugs("levetiracetam, carbamazepina, vancomicina, ciprofloxacino, enoxaparina, dexametasona, "
                      "fingolimode, dimetilfumarato, ácido valproico, teriflunomida") == {
        "levetiracetam", "carbamazepine", "vancomycin", "ciprofloxacin", "enoxaparin", "dexamethasone",
        "fingolimod", "dimethyl fumarate", "valproic acid", "teriflunomide"}


def test_common_non_ibd_drugs_and_brands():
    text = ("Eliquis, Xarelto and warfarin; Keppra; Valtrex; acyclovir; rifampin with INH; Tylenol; "
            "Lemtrada, Mavenclad, Copaxone, Ocrevus; mefloquine, mirtazapine, pembrolizumab, cidofovir")
    assert find_drugs(text) == {
        "apixaban", "rivaroxaban", "warfarin", "levetiracetam", "valaciclovir", "aciclovir", "rifampicin",
        "isoniazid", "paracetamol", "alemtuzumab", "cladribine", "glatiramer acetate", "ocrelizumab",
        "mefloquine", "mirtazapine", "pembrolizumab", "cidofovir"}


def test_lookalikes_of_new_drugs_are_not_drugs():
    text = ("An interferon-gamma release assay was negative; insulin resistance, serum iron, zinc and cortisol "
            "were measured in luminal disease; the Methods and Results sections; heparin-binding protein")
    assert find_drugs(text) == set()
    assert find_drugs("Luminal Crohn's disease; ASA grade II; DMF solvent") == set()


def test_text_with_a_longer_lower_case_still_matches():
    assert find_drugs("İzmir cohort on Humira and dimetilfumarato") == {"adalimumab", "dimethyl fumarate"}


@pytest.mark.parametrize("text,expected", [
    ("IFX and MTX", {"infliximab", "methotrexate"}),
    ("(IFX)", {"infliximab"}),
    ("xIFX, anti-IFX, /MTX, IFX/MTX, IFXs", set()),
    ("AIFX IFX", {"infliximab"}),        # a match dropped after a letter does not hide the next
    ("5-ASA and 6-MP", {"mesalamine", "mercaptopurine"}),
])
def test_abbreviations_stand_alone(text, expected):
    assert find_drugs(text) == expected
