from __future__ import annotations

import re

from tracker.extract.textutil import holds_any, lowered_for_tests


def test_lowered_keeps_offsets_and_case_insensitive_words():
    text = "Crohn's Disease (CD), KELVIN \u212a"
    lowered = lowered_for_tests(text)
    assert lowered == text.lower() and len(lowered) == len(text)
    assert holds_any(lowered, ("disease",)) and not holds_any(lowered, ("colitis", "pouch"))


def test_characters_lower_cannot_match_turn_the_tests_off():
    # re.I reads "ı" as "i" and "ſ" as "s", and "İ" lower-cases to two characters
    for text in ("termınal ileitis", "ſtudy", "İleitis"):
        assert re.search("ileitis|study", text, re.I)
        assert lowered_for_tests(text) is None
        assert holds_any(lowered_for_tests(text), ("nothing",))
