from __future__ import annotations

import pytest

from tracker.lexicon.journals import TITLES, is_common_word, resolve, variants


@pytest.mark.parametrize("name,expected", [
    ("Rev Med Chil", "Revista Médica de Chile"),
    ("Rev. Med. Chil.", "Revista Médica de Chile"),
    ("REVISTA MEDICA DE CHILE", "Revista Médica de Chile"),
    ("The Journal of Crohn's & Colitis", "Journal of Crohn's and Colitis"),
    ("J Crohns Colitis", "Journal of Crohn's and Colitis"),
    ("Lancet (London, England)", "The Lancet"),
    ("the lancet", "The Lancet"),
    ("Aliment Pharmacol Ther", "Alimentary Pharmacology & Therapeutics"),
    ("Alimentary Pharmacology and Therapeutics", "Alimentary Pharmacology & Therapeutics"),
    ("Gastroenterol Hepatol", "Gastroenterología y Hepatología"),
    ("Gastroenterol Hepatol (N Y)", "Gastroenterology & Hepatology"),
    ("NEJM", "New England Journal of Medicine"),
    ("Med Clin (Barc)", "Medicina Clínica"),
    ("Mult Scler", "Multiple Sclerosis Journal"),
])
def test_resolve(name, expected):
    assert resolve(name) == expected


def test_unknown_is_none():
    assert resolve("Journal of Things Nobody Publishes") is None
    assert resolve("") is None


def test_list_is_large():
    assert len(TITLES) >= 300


def test_variants_for_search():
    names = variants("Revista Médica de Chile")
    assert "Rev Med Chil" in names and "Rev. Med. Chil." in names


def test_fuzzy_is_optional(monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_rapidfuzz(name, *args, **kwargs):
        if name.startswith("rapidfuzz"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    resolve.cache_clear()
    monkeypatch.setattr(builtins, "__import__", no_rapidfuzz)
    assert resolve("Jounal of Crohns and Colitis Research Notes") is None
    assert resolve("Rev Med Chil") == "Revista Médica de Chile"
    resolve.cache_clear()


@pytest.mark.parametrize("name,expected", [
    ("Curr Biol", "Current Biology"),                      # NLM abbreviation
    ("Cancer Res.", "Cancer Research"),                    # ISO abbreviation
    ("Current biology : CB", "Current Biology"),           # NLM title with its subtitle
    ("AIDS (London, England)", "AIDS"),                    # and with its place
    ("Eur Respir J", "European Respiratory Journal"),
    ("Lancet Respir Med", "The Lancet Respiratory Medicine"),   # hand-kept: missing from the NLM snapshot
    ("Gut : journal of the British Society of Gastroenterology", "Gut"),
    ("Nat Commun", "Nature Communications"),               # the hand-kept spelling wins
])
def test_resolve_with_catalog(name, expected):
    assert resolve(name, catalog=True) == expected


def test_catalog_only_when_asked():
    assert resolve("Curr Biol") is None          # search resolves against the hand-kept list only
    assert resolve("Journal of Things Nobody Publishes", catalog=True) is None


def test_variants_of_a_catalog_title():
    assert variants("Current Biology") == ["Current Biology", "Curr Biol", "Curr. Biol."]


@pytest.mark.parametrize("title,common", [
    ("Gut", True), ("Blood", True), ("The Lancet", True), ("Internal Medicine", True), ("Thorax", True),
    ("Journal of Crohn's and Colitis", False), ("Nature Communications", False), ("Current Biology", False),
])
def test_common_word_titles(title, common):
    assert is_common_word(title) is common
