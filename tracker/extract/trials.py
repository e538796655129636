"""Trial registration numbers in text (ClinicalTrials.gov: NCT and eight digits)."""

from __future__ import annotations

import re

# "NCT01234567", also written "NCT 01234567" or "NCT-01234567" in prose
_NCT = re.compile(r"\bNCT[\s\-]?(\d{8})(?!\d)", re.I)


def find_nct_ids(text: str | None) -> set[str]:
    if not text or "nct" not in text.lower():  # no other character is "n", "c" or "t" to re.I
        return set()
    return {f"NCT{m.group(1)}" for m in _NCT.finditer(text)}
