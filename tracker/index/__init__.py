"""The on-disk index: the only package that imports Whoosh.

A small interface — open, upsert a batch, search, iterate — so the rest of
tracker never sees Whoosh and another backend can replace it. Every record
is stored whole (JSON) so output needs no second lookup.

    schema     the Whoosh schema, record -> document mapping, schema version
    formats    the word-position layout phrases are checked with
    core       Index (open, upsert, search, iterate, verify)
    storage    the directory on disk: Whoosh storage, rebuild, swap recovery
    searching  collecting, counting, facets, sorting, highlights, spelling
    fastscore  numpy evaluation of the common query shapes with Whoosh's BM25F
    postings   whoosh's on-disk postings and columns read straight into numpy
    results    the values handed back
"""

from __future__ import annotations

from tracker.index.core import Index
from tracker.index.storage import rebuild
from tracker.index.results import Hit, SearchResult, UpsertResult
from tracker.index.schema import (BM25_B, BOOSTS, INDEX_NAME, META_FILE, SCHEMA_VERSION, TEXT_FIELDS,
                                  WHOOSH_DIR, _doc, _journal_variants, _schema)
from tracker.index.fastscore import _Eval, _Unsupported

# The underscored names are for the benchmarks and tests that build documents
# or compare scores exactly as the index does.
__all__ = ["Index", "rebuild", "Hit", "SearchResult", "UpsertResult", "BM25_B", "BOOSTS", "INDEX_NAME",
           "META_FILE", "SCHEMA_VERSION", "TEXT_FIELDS", "WHOOSH_DIR", "_doc", "_journal_variants",
           "_schema", "_Eval", "_Unsupported"]
