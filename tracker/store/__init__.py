"""The record store: every record, whole, in an SQLite file beside the index.

The store is the library's source of truth. Whoosh (tracker.index) keeps
the full-text index built from it and can always be rebuilt from it; show,
export, digest, stats and --since read records here, by id, by record
number or in order, without touching Whoosh.

    db        Store: the file, its tables, reads, writes, the change feed the
              index follows; Selection: rows read in order, as records or as
              the export lines the store keeps
    upsert    identity (DOI, then PMID, then URL) and merging an incoming batch
"""

from __future__ import annotations

from tracker.store.db import STORE_FILE, Change, Selection, Store
from tracker.store.upsert import UpsertResult

__all__ = ["STORE_FILE", "Change", "Selection", "Store", "UpsertResult"]
