from __future__ import annotations

import pytest

from tracker.extract.conditions import find_conditions


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
])
def test_conditions(text, expected):
    assert find_conditions(text) == expected


def test_noise_is_not_a_condition():
    assert find_conditions("CD4 counts and the ibd-news site; PML-RARA fusion") == set()
