"""The full-text index: the only package that imports Whoosh.

A small interface — open, upsert a batch, search, iterate — so the rest of
tracker never sees Whoosh and another backend can replace it. Searches take
tracker's query nodes (tracker.query.nodes); Index.analyser tells the query
parser how the index analyses text. Records live in the record store
(tracker.store), the source of truth: the index is built from it, follows
its changes by change number, and can always be rebuilt from it. A document
keeps its record's id and record number; hits and exports read the records
from the store.

    core            Index (open, upsert, catch up, search, match, verify)
    schema          the Whoosh schema, query-time analysis, record -> document, index.json
    storage         the directory on disk: Whoosh storage, rebuild from the store, migration, swap recovery
    searching       collecting, counting, facets, sorting, highlights, spelling
    fastscore       numpy evaluation of query nodes with Whoosh's BM25F
    postings        whoosh's on-disk postings and columns read straight into numpy
    whoosh_query    query nodes -> Whoosh queries, for what Whoosh still runs
    whoosh_adapter  every use of Whoosh's private internals (the codec, raw reads)
    blocks          tracker's array layout of a posting block
    formats         names written into index files (never rename)
    results         the values handed back
    similar         key terms of a record (tf-idf), for "similar papers"
"""

from __future__ import annotations

from tracker.index.core import Index
from tracker.index.results import Hit, Rebuilt, SearchResult
from tracker.index.schema import BM25_B, INDEX_NAME, META_FILE, SCHEMA_VERSION, TEXT_FIELDS, WHOOSH_DIR
from tracker.index.storage import rebuild, reindex

__all__ = ["Index", "rebuild", "reindex", "Hit", "Rebuilt", "SearchResult", "BM25_B", "INDEX_NAME", "META_FILE",
           "SCHEMA_VERSION", "TEXT_FIELDS", "WHOOSH_DIR"]
