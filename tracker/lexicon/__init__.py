"""Shared lexicons: the data tracker knows about journals, drugs and languages,
with their lookups. Extraction, the query layer and the index all read them;
this package imports nothing from extract/, query/ or index/, and nothing
heavy (search imports the drug lexicon to expand queries).
"""

from __future__ import annotations

from pathlib import Path

# The bundled lists (shipped as package data: see pyproject's package-data).
DATA_DIR = Path(__file__).resolve().parent.parent / "data"
