"""What an alert has not delivered yet, and where its cursor goes after a delivery.

An alert's cursor (tracker.state.AlertCursor) is the latest `first_seen`
among the records it delivered, with the ids delivered at exactly that
time. `first_seen` has whole seconds, so a crawl may store more records in
the second of the last delivered one after the alert ran: those are new
(none of their identity keys is in the cursor) and go with the next
delivery; the ones delivered are not sent again, even when re-keyed since
(a page later found to carry a DOI keeps its URL key). `first_seen` never
moves forward once stored (a merge keeps the earliest), so a record
delivered once stays behind the cursor even when merged with a later one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tracker import search as searching
from tracker.models import Article
from tracker.settings import AlertConfig
from tracker.state import AlertCursor

if TYPE_CHECKING:
    from tracker.index import Index


def is_new(record: dict[str, Any], cursor: AlertCursor | None, start: str) -> bool:
    """Whether `record` is past the cursor (or, with none, first stored at or after `start`)."""
    seen = record.get("first_seen") or ""
    if cursor is None:
        return seen >= start
    return seen > cursor.first_seen or (seen == cursor.first_seen and not _keys(record) & set(cursor.ids))


def _keys(record: dict[str, Any]) -> set[str]:
    """The id and every identity key (doi:, pmid:, url:, nct:) of a stored record."""
    return {record.get("id") or "", *Article.from_dict(record).identity_keys()} - {""}


def pending(index: Index, alert: AlertConfig, cursor: AlertCursor | None, start: str,
            narrow: str | None = None) -> list[dict[str, Any]]:
    """The records matching the alert's query (and `narrow`, a further query)
    that it has not delivered, oldest first. The index finds the candidates;
    the store's records decide, since the index may trail the store."""
    text = alert.query if not narrow else f"({alert.query}) AND ({narrow})"
    rows = searching.match_rows(index, text, since=cursor.first_seen if cursor else start)
    records = [rec for rec in index.store.select(rows=rows).records() if is_new(rec, cursor, start)]
    records.sort(key=lambda rec: (rec.get("first_seen") or "", rec.get("id") or ""))
    return records


def advanced(cursor: AlertCursor | None, delivered: list[dict[str, Any]], now: str) -> AlertCursor:
    """The cursor after `delivered` (never empty) was accepted."""
    top = max(rec.get("first_seen") or "" for rec in delivered)
    ids = set().union(*(_keys(rec) for rec in delivered if (rec.get("first_seen") or "") == top))
    if cursor is not None and cursor.first_seen == top:
        ids |= set(cursor.ids)
    return AlertCursor(top, tuple(sorted(ids)), now, len(delivered))
