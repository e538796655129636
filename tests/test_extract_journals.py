from __future__ import annotations

import pytest

from tracker.lexicon.journals import TITLES, resolve, variants


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
