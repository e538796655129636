"""tracker.index.analysis gives exactly what the fields' Whoosh analyzers
give at index time, for any text, and leaves out any chain it does not
reproduce. Examples are derandomized (the same every run, so CI is
reproducible); speed is measured in bench/ingest/analysis.py."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from whoosh import fields as F
from whoosh.analysis import (
    CharsetFilter,
    LowercaseFilter,
    RegexTokenizer,
    StandardAnalyzer,
    StemFilter,
    StemmingAnalyzer,
    StopFilter,
)
from whoosh.support.charset import accent_map

from tracker.index import analysis
from tracker.index.analysis import fast_analysers
from tracker.index.schema import build_schema

SCHEMA = build_schema()
FAST = fast_analysers(SCHEMA)
# one field per chain: stem, plain, spell
CHAINS = ("title", "journal", "spell")


def whoosh_terms(analyzer, text: str) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for token in analyzer(text, positions=True, mode="index"):
        out.setdefault(token.text, []).append(token.pos)
    return out


def test_every_text_field_of_the_schema_is_covered():
    assert set(FAST) == {"title", "abstract", "body", "journal", "authors", "spell"}


_PIECES = [
    "the", "a", "of", "and", "is", "to", "in", "be", "an", "it", "I", "x", "ab", "abc", "abcd",
    "TNF-α", "anti-TNFα", "İstanbul", "İ", "ı", "Straße", "ß", "ﬁnance", "ﬀ", "ĳ", "Œdème", "Æ",
    "e.g.", "i.e.", "1.5", "0.05", "3.", ".5", "2019", "a_b", "__", "don't", "Crohn's", "Crohn’s",
    "Ménétrier", "naïve", "x\u0301", "\u0301", "e\u0308", "日本語", "한국어", "👍", "🏳️‍🌈", "Σίσυφος", "ΣΑΣ",
    "ǅ", "Ⅻ", "\u212a", "\u212b", "Ⅷa", "*", "**", "a*b", "inflam*", ".", "..", "-", "/", "'", " ",
    "\n", "\t", "\u00a0", "\u2028", "\x00", "\udcff", "running", "runs", "Infliximab", "studies",
    "remission", "caused", "x" * 300, "ü" * 70,
]
_TEXTS = st.one_of(
    st.text(),
    st.text(alphabet="aZ09_*. .-,;'\n\t\x00\x1f\x7f", max_size=40),  # ASCII: tokenized without the regex
    st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=3)), max_size=30).map(" ".join),
    st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=3)), max_size=30).map("".join),
)


@settings(max_examples=600, deadline=None, derandomize=True, database=None)
@given(text=_TEXTS)
@example(text="")
@example(text="   ")
@example(text="the a of in")                       # every token stopped
@example(text="the a Crohn disease of the bowel")  # stopped words first: positions renumbered
@example(text="TNF-α anti-TNFα TNFα")
@example(text="Ménétrier's disease, naïve café, Œdème, Ærø")
@example(text="İSTANBUL İ ı I i")                  # Turkish dotted capital lowers to two characters
@example(text="Straße STRASSE ß ẞ")
@example(text="ﬁbrosis ﬂare ﬀ ĳ")                  # ligatures
@example(text="in 2019, 1.5 mg/kg e.g. i.e. 3. .5 10.000.000")
@example(text="a_b __init__ snake_case_word")
@example(text="Crohn's Crohn’s don't o'clock")
@example(text="日本語のテキスト 한국어 中文")
@example(text="x\u0301y e\u0308 \u0301 a\u0300\u0301\u0302")  # combining marks
@example(text="flare 👍 🏳️‍🌈 👨‍👩‍👧 ok")
@example(text="x" * 5000 + " " + "é" * 3000)      # very long tokens
@example(text="ab abc abcd abcde")                 # around each chain's minsize
@example(text="ǅ Ⅻ \u212a \u212b ΣΑΣ Σίσυφος")     # case mappings beyond ASCII
@example(text="inflam* a*b ** *")
@example(text=".a. a..b a...b .. . a.b.c. 1.5. .5 5.")   # a dot joins two word characters only
@example(text="x\x1c\x1dy\x0b\x0cz\x85w")                 # separators str.split() knows too
@example(text="running runs ran studies caused caresses ponies")
def test_equal_to_whoosh_for_any_text(text):
    for name in CHAINS:
        assert FAST[name](text) == whoosh_terms(SCHEMA[name].analyzer, text), name


BIOMEDICAL = [
    "Infliximab (Remicade) and adalimumab induced clinical remission in 62% of 368 patients "
    "with moderate-to-severe Crohn's disease at week 52 (p = 0.003).",
    "We describe a 34-year-old woman on anti-TNFα therapy who developed progressive multifocal "
    "leukoencephalopathy (PML) after switching to natalizumab.",
    "Faecal calprotectin fell from 850 to 120 µg/g; C-reactive protein (CRP) normalised, i.e. "
    "below 5 mg/L, in the vedolizumab arm.",
    "Ménétrier's disease and Crohn’s ileitis were distinguished by endoscopy, histology and "
    "CT enterography; the HLA-DQ2.5 genotype was absent.",
    "Ustekinumab 90 mg s.c. every 8 weeks (q8w) versus every 12 weeks: a randomised, "
    "double-blind, placebo-controlled trial of 1,281 adults (NCT01369355).",
    "Les patients traités par azathioprine ont présenté une rémission prolongée; Straße-Klinik, "
    "Universitätsspital Zürich.",
    "Perianal fistulas closed in 36% (IL-23 p19 blockade) vs. 15% with placebo; IBD-U and UC "
    "were excluded.",
]


@pytest.mark.parametrize("text", BIOMEDICAL)
def test_realistic_sentences(text):
    for name in FAST:
        assert FAST[name](text) == whoosh_terms(SCHEMA[name].analyzer, text), name


def test_realistic_terms_look_right():
    text = BIOMEDICAL[1]
    stem = FAST["title"](text)
    # "We" is stopped: "describe" keeps number 1, later kept words follow on
    assert stem["describ"] == [1] and stem["natalizumab"] == [17]
    assert "tnfα" in stem and "we" not in stem and "to" not in stem
    assert "woman" in FAST["journal"](text) and "after" in FAST["spell"](text)
    assert FAST["title"]("Ménétrier") == {"menetri": [0]}


def _schema(**analyzers) -> F.Schema:
    return F.Schema(**{name: F.TEXT(analyzer=a) for name, a in analyzers.items()})


def test_other_analyzers_are_left_out():
    fast = fast_analysers(_schema(
        minsize3=StandardAnalyzer(minsize=3) | CharsetFilter(accent_map),
        other_stops=StandardAnalyzer(stoplist=["crohn"]) | CharsetFilter(accent_map),
        stemming=StemmingAnalyzer(),
        no_charset=StandardAnalyzer(stoplist=None),
        reordered=RegexTokenizer() | LowercaseFilter() | StopFilter() | CharsetFilter(accent_map)
        | StemFilter(),
        other_pattern=StandardAnalyzer(expression=r"\w+") | CharsetFilter(accent_map),
        same=StandardAnalyzer(minsize=4) | CharsetFilter(accent_map),
    ))
    assert set(fast) == {"same"}


def test_equal_chains_with_settings_whoosh_does_not_compare_are_exact_or_left_out():
    # Whoosh's == ignores a StopFilter's maxsize, a tokenizer's gaps and a
    # StemFilter's lang and ignore list
    schema = _schema(
        maxsize=StandardAnalyzer(minsize=4, maxsize=7) | CharsetFilter(accent_map),
        gaps=StandardAnalyzer(minsize=4, gaps=True) | CharsetFilter(accent_map),
        lang=RegexTokenizer() | LowercaseFilter() | CharsetFilter(accent_map) | StopFilter()
        | StemFilter(lang="en"),
        ignore=RegexTokenizer() | LowercaseFilter() | CharsetFilter(accent_map) | StopFilter()
        | StemFilter(ignore=["studies", "running"]),
        no_renumber=RegexTokenizer() | LowercaseFilter() | CharsetFilter(accent_map)
        | StopFilter(renumber=False) | StemFilter(),
    )
    fast = fast_analysers(schema)
    assert {"maxsize", "ignore"} <= set(fast)
    for name, fn in fast.items():
        for text in BIOMEDICAL + ["the running studies of disease", "the a of x running"]:
            assert fn(text) == whoosh_terms(schema[name].analyzer, text), name


def test_exact_while_the_word_cache_is_emptied(monkeypatch):
    monkeypatch.setattr(analysis, "CACHE_SIZE", 3)
    fast = fast_analysers(SCHEMA)
    for text in BIOMEDICAL:
        for name in CHAINS:
            assert fast[name](text) == whoosh_terms(SCHEMA[name].analyzer, text), name
