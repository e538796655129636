"""tracker.lexicon: languages, drug lookups, and what importing it costs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tracker.lexicon.drugs import ABBREVIATIONS, BRANDS, CLASSES, GENERICS, generic_of
from tracker.lexicon.languages import language_code


# Registries and feeds: codes. Pages also write names and lists.
@pytest.mark.parametrize("value, registry, page", [
    ("eng", "en", "en"), ("spa", "es", "es"), ("por", "pt", "pt"), ("ger", "de", "de"), ("fre", "fr", "fr"),
    ("chi", "zh", "zh"), ("fin", "fi", None), ("EN", "en", "en"), ("en-GB", "en", "en"), ("pt-BR", "pt", "pt"),
    ("es_ES", "es", "es"), ("zh-Hant-TW", "zh", "zh"), (" en ", "en", "en"),
    ("English", None, "en"), ("español", None, "es"), ("Deutsch", None, "de"), ("en, fr", None, "en"),
    ("x-klingon", None, None), ("und", None, None), ("mul", None, None), ("zxx", None, None), ("xyz", None, None),
    ("", None, None), (None, None, None),
])
def test_language_codes(value, registry, page):
    assert (language_code(value), language_code(value, names=True)) == (registry, page)


def test_generic_of_any_listed_name():
    assert [generic_of(n) for n in ("Tysabri", "CT-P13", "ct p13", "CTP13", "infliximab", "natalizimab",
                                    "tysabri", "placebo")] == [
        "natalizumab", "infliximab", "infliximab", "infliximab", "infliximab", "natalizumab", "natalizumab", None]


def test_tables_the_query_layer_reads():
    assert "natalizumab" in GENERICS
    assert BRANDS["inflectra"] == "infliximab" and ABBREVIATIONS["IFX"] == "infliximab"
    assert "vedolizumab" in CLASSES["anti-integrin"]


def test_lexicon_imports_stay_light():
    """Search imports the drug lexicon: no HTTP or HTML stack, and nothing of extract/, query/, index/."""
    code = ("import sys, tracker.lexicon.drugs, tracker.lexicon.journals, tracker.lexicon.languages; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('bs4', 'requests', 'whoosh') "
            "or m.startswith(('tracker.extract', 'tracker.query', 'tracker.index'))))")
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "[]"


def test_search_does_not_read_the_journal_catalog():
    """Importing the journal lexicon, and resolving names against it as search does, leaves the
    ~20,000-title catalog unread; extraction reads it on first use."""
    code = ("import tracker.lexicon.journals as j; j.resolve('Gut'); j.resolve('Curr Biol'); "
            "print(j._catalog.cache_info().currsize); j.resolve('Curr Biol', catalog=True); "
            "print(j._catalog.cache_info().currsize)")
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.split() == ["0", "1"]


def test_catalog_keys_agree_with_norm_key():
    """The catalog stores its comparison keys; each row's title and abbreviations must still map
    to that row under today's norm_key (rebuild it with tools/build_journal_catalog.py if not)."""
    from tracker.lexicon.journals import _catalog, norm_key

    index, rows = _catalog()
    assert len(rows) > 15_000
    stale = [names for n, names in enumerate(rows)
             if not any(index.get(norm_key(name)) == n for name in names if name)]
    assert not stale, stale[:5]


def test_romance_forms_follow_the_inn_endings():
    from tracker.lexicon.drugs import romance_forms

    assert {"ustekinumabe", "ustequinumab", "ustequinumabe"} <= romance_forms("ustekinumab")
    assert "azatioprina" in romance_forms("azathioprine")
    assert "metotrexato" in romance_forms("methotrexate")
    assert "hidrocortisona" in romance_forms("hydrocortisone")
    assert "ciprofloxacino" in romance_forms("ciprofloxacin")
    assert romance_forms("Humira") == romance_forms("CT-P13") == romance_forms("tramal") == set()


def test_generated_forms_never_take_another_drugs_name_or_a_common_word():
    from tracker.lexicon.drugs import DRUGS, generic_of

    for generic, entry in DRUGS.items():
        for variant in entry["variants"]:
            assert generic_of(variant) == generic, (generic, variant)
            assert len(variant) >= 7 and variant.isalpha()


def test_new_drugs_stay_out_of_the_ibd_classes_used_by_search():
    from tracker.lexicon.drugs import CLASSES, DRUGS

    assert DRUGS["apixaban"]["class"] == "other" and DRUGS["vancomycin"]["class"] == "antibiotic"
    assert "etanercept" not in CLASSES["anti-tnf"] and "baricitinib" not in CLASSES["jak"]
    assert "siponimod" not in CLASSES["s1p"]
