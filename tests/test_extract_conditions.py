from __future__ import annotations

import re

import pytest

from tracker.extract.conditions import CONDITION_PATTERNS, TRIGGERS, find_conditions


@pytest.mark.parametrize("text,expected", [
    ("Crohn's disease", {"crohns_disease"}),
    ("regional enteritis and terminal ileitis", {"crohns_disease"}),
    ("enfermedad de Crohn y colitis ulcerosa", {"crohns_disease", "ulcerative_colitis"}),
    ("doença de Crohn e retocolite ulcerativa", {"crohns_disease", "ulcerative_colitis"}),
    ("inflammatory bowel disease (IBD)", {"ibd"}),
    ("enfermedad inflamatoria intestinal (EII)", {"ibd"}),
    ("chronic pouchitis", {"pouchitis"}),
    ("progressive multifocal leukoencephalopathy", {"pml"}),
    ("leucoencefalopatía multifocal progresiva por virus JC", {"pml"}),
    ("JC virus antibody index", {"pml"}),
    # past the trigger words that let a text skip a pattern
    ("colitis ulcerativa", {"ulcerative_colitis"}),
    ("JOHN CUNNINGHAM VIRUS", {"pml"}),
    ("Virus JC", {"pml"}),
    ("progressive multifokale Leukenzephalopathie", {"pml"}),
    ("REGIONAL ILEITIS", {"crohns_disease"}),
    # re.I reads a dotless "ı" as "i", which str.lower() keeps: such a text runs every pattern
    ("termınal ıleıtıs", {"crohns_disease"}),
    ("cd and uc", set()),
])
def test_conditions(text, expected):
    assert find_conditions(text) == expected


def test_noise_is_not_a_condition():
    assert find_conditions("CD4 counts and the ibd-news site; PML-RARA fusion") == set()


def _outside_groups(pattern: str) -> str:
    """The pattern with every parenthesised part (and its quantifier) removed."""
    out, depth, i = [], 0, 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            if not depth:
                out.append(pattern[i:i + 2])
            i += 2
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if not depth and pattern[i + 1:i + 2] in ("?", "*"):
                i += 1
        elif not depth:
            out.append(ch)
        i += 1
    return "".join(out)


def test_every_pattern_holds_one_of_its_trigger_words():
    # find_conditions skips a condition's regex when none of its words is in the text, so each
    # pattern must need one: a plain run of letters, outside any group, its last letter not optional.
    for cond, patterns in CONDITION_PATTERNS.items():
        lower_words, cased_words = TRIGGERS[cond]
        for pattern in patterns:
            cased = pattern.startswith("\\b") and pattern[2:3].isupper()
            words = cased_words if cased else lower_words
            top = _outside_groups(pattern if cased else pattern.lower())
            assert "|" not in top, pattern
            held = [w for w in words if re.fullmatch(r"[\w' -]+", w) and any(
                top[i - 1:i] != "\\" and top[i + len(w):i + len(w) + 1] not in ("?", "*", "{")
                for i in range(len(top)) if top.startswith(w, i))]
            assert held, f"{cond}: {pattern!r} holds none of {words}"

