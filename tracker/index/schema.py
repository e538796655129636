"""The Whoosh schema, query-time analysis of its fields, the record ->
document mapping and the index's meta file (schema version, and the store
change number the index is up to)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whoosh import fields as F
from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer, StandardAnalyzer, StemFilter, StopFilter

from tracker.index.formats import ArrayPositions
from tracker.models import Article

# 2: journal_name/study_type columns, spell field, boosts moved to query time
# 3: word positions stored as arrays (tracker.index.formats) for numpy phrase
#    checks; accents folded before stemming
# 4: records live in the record store (tracker.store); a document keeps the
#    record's id and its record number (`row`), no copy of the record
# 5: trial and preprint fields (nct_ids, phase, trial_status, preprint)
SCHEMA_VERSION = 5
WHOOSH_DIR = "whoosh"
META_FILE = "index.json"
INDEX_NAME = "records"

# Field boosts are applied at query time (tracker.query.weights).
TEXT_FIELDS = ("title", "abstract", "body", "journal", "authors")
# BM25 length normalisation per field: titles are short and uniform, so
# their length says little; bodies vary a lot.
BM25_B = {"title_B": 0.3, "journal_B": 0.0, "authors_B": 0.0}
# What a 32-bit signed sortable NUMERIC column holds for "no value".
MISSING_NUMBER = 2 ** 31 - 1


def build_schema() -> F.Schema:
    """The schema a new index is created with (an open index reads its own)."""
    # only index creation needs it: 2 ms of every search's start otherwise
    from whoosh.support.charset import accent_map

    # accents folded before stemming, so "Ménétrier" and "menetrier" stem alike
    stem = RegexTokenizer() | LowercaseFilter() | CharsetFilter(accent_map) | StopFilter() | StemFilter()
    plain = StandardAnalyzer(stoplist=None) | CharsetFilter(accent_map)
    # Unstemmed words of 4+ letters: the vocabulary "Did you mean" draws from.
    spell = StandardAnalyzer(minsize=4) | CharsetFilter(accent_map)
    return F.Schema(
        id=F.ID(stored=True, unique=True),
        row=F.NUMERIC(int, bits=32, signed=True, sortable=True),   # the record's number in the store
        keys=F.KEYWORD(lowercase=False),          # doi:/pmid:/url: identity keys
        title=_text(stem),
        abstract=_text(stem),
        body=_text(stem),
        journal=_text(plain),
        journal_name=F.ID(sortable=True),         # the full title alone, for facets
        authors=_text(plain),
        year=F.NUMERIC(int, bits=32, signed=True, sortable=True),
        case_count=F.NUMERIC(int, bits=32, signed=True, sortable=True),
        drugs=F.KEYWORD(lowercase=True, commas=True, scorable=True),
        conditions=F.KEYWORD(lowercase=True, commas=True, scorable=True),
        feeds=F.KEYWORD(lowercase=False, commas=True),
        study_type=F.ID(sortable=True),
        language=F.ID(),
        doi=F.ID(),
        pmid=F.ID(),
        pmcid=F.ID(),
        first_seen=F.ID(sortable=True),
        published=F.ID(sortable=True),
        nct_ids=F.KEYWORD(lowercase=False, commas=True),
        phase=F.KEYWORD(lowercase=True, commas=True),  # "2,3" for phase 2/3
        trial_status=F.ID(),
        preprint=F.ID(),
        spell=F.TEXT(analyzer=spell, phrase=False),
    )


def _text(analyzer) -> F.TEXT:
    """A TEXT field whose postings keep word positions in tracker's array layout."""
    field = F.TEXT(analyzer=analyzer, phrase=True)
    field.format = ArrayPositions(field_boost=field.format.field_boost)
    return field


class FieldAnalyser:
    """Query text analysed as each field indexes it: the Analyser the query
    parser asks (tracker.query.parser.Analyser)."""

    def __init__(self, schema: F.Schema):
        self._schema = schema

    def analyse(self, field: str, text: str) -> list[tuple[str, int]]:
        return [(t.text, t.pos) for t in self._schema[field].analyzer(text, positions=True, mode="query")]

    def has_positions(self, field: str) -> bool:
        return self._schema[field].format.supports("positions")


def document(article: Article, variants: Callable[[str], list[str]] | None = None,
             row: int | None = None) -> dict[str, Any]:
    """The Whoosh document of a record numbered `row` in the store;
    `variants` (journal_variants()) adds the other names of its journal."""
    journal = article.journal or ""
    if journal and variants is not None:
        extra = variants(journal)
        if extra:
            journal = " | ".join([journal, *extra])
    doc: dict[str, Any] = {
        "id": article.id,
        "keys": " ".join(article.identity_keys()),
        "title": article.title or "",
        "abstract": article.abstract or "",
        "body": article.body or "",
        "journal": journal,
        "journal_name": article.journal or "",
        "authors": "; ".join(article.authors),
        "drugs": ",".join(article.drugs),
        "conditions": ",".join(article.conditions),
        "feeds": ",".join(article.feeds),
        "study_type": article.study_type or "",
        "language": article.language or "",
        "doi": article.doi or "",
        "pmid": article.pmid or "",
        "pmcid": (article.pmcid or "").lower(),
        "first_seen": article.first_seen or "",
        "published": article.published or "",
        "nct_ids": ",".join(article.nct_ids),
        "phase": ",".join(re.findall(r"\d", article.phase or "")),
        "trial_status": article.trial_status or "",
        "preprint": "true" if article.preprint else "false",
        "spell": " ".join(filter(None, (article.title, article.abstract))),
    }
    if row is not None:
        doc["row"] = row
    # 32-bit columns, whose largest value means "none": anything beyond stays
    # in the stored record but is not indexed
    for name, value in (("year", article.year), ("case_count", article.case_count)):
        if isinstance(value, int) and -2 ** 31 <= value < MISSING_NUMBER:
            doc[name] = value
    return doc


def journal_variants() -> Callable[[str], list[str]]:
    """The journal lexicon's variants of a title (abbreviations, spellings), indexed beside it."""
    # imported here: reading the journal list costs ~12 ms that a search does not need
    from tracker.lexicon.journals import variants

    return variants


@dataclass
class Meta:
    """index.json: the schema version, and the store change number the index
    holds every change up to (`indexed`). `pending` is set while a commit of
    changes up to that number runs: if it is still set, a run was killed
    mid-commit and those changes may or may not be in the index."""

    version: int
    indexed: int = 0
    pending: int | None = None


def write_meta(path: Path, indexed: int = 0, pending: int | None = None) -> None:
    data: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "indexed": indexed}
    if pending is not None:
        data["pending"] = pending
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def read_meta(path: Path) -> Meta | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        pending = data.get("pending")
        return Meta(int(data.get("schema_version")), int(data.get("indexed", 0)),
                    None if pending is None else int(pending))
    except (OSError, ValueError, TypeError, AttributeError):
        return None
