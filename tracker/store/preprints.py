"""A preprint published in a journal: the explicit step that makes the two one record.

Identity never joins two records whose DOIs differ (tracker.store.upsert);
a preprint and its journal paper do differ, so their merge is this separate
step, run over a batch's planned writes before they are written, in the
same transaction. It applies when
- a preprint names its journal DOI (`published_as`, from the server), or
- a record arrives whose DOI a stored preprint was merged into before, or
  a journal record names its preprint (`preprint_doi`).
The result is one record under the journal DOI that keeps `preprint_doi`
and the preprint's posting date (`preprint_date`); `preprint` is false.
Values read from the preprint are demoted to the lowest trust ("text"), so
whatever the journal record says (registry data or page metadata) replaces
them when it arrives.
"""

from __future__ import annotations

from collections.abc import Callable

from tracker.models import Article, merge
from tracker.store.upsert import Plan, Stored, Write, comparable

# Fields of the preprint that the journal version's registry data replaces.
_DEMOTED = ("title", "abstract", "authors", "year", "published", "url", "case_count", "study_type")


def link_keys(article: Article) -> list[str]:
    """Lookup keys beside identity: the preprint a record was, the trials it reports."""
    keys = [f"preprint:{article.preprint_doi}"] if article.preprint_doi else []
    return keys + [f"trial:{n}" for n in article.nct_ids]


def published(preprint: Article, journal: Article | None, doi: str, now: str | None = None) -> Article:
    """One record under the journal DOI from a preprint and (when stored) its journal record."""
    base = Article.from_dict(preprint.to_dict())
    base.doi, base.url, base.journal = doi, f"https://doi.org/{doi}", None
    base.provenance.pop("journal", None)
    for name in _DEMOTED:
        if name in base.provenance:
            base.provenance[name] = "text"
    base.preprint_doi = preprint.preprint_doi or preprint.doi
    base.preprint_date = preprint.preprint_date or preprint.published
    base.preprint, base.published_as = False, None
    out = merge(journal, base) if journal is not None else base
    out.doi, out.preprint, out.published_as = doi, False, None
    # first stored as the journal paper now (the preprint's date is kept in preprint_date)
    out.first_seen = journal.first_seen if journal is not None and journal.first_seen else (now or out.first_seen)
    return out


def fold(find: Callable[[str], list[Stored]], todo: Plan, now: str | None = None) -> Plan:
    """The planned writes with every preprint merged into its journal record."""
    writes = {w.article.id: w for w in todo.writes}
    removed = list(todo.removed)
    for rid in list(writes):
        w = writes.get(rid)
        if w is None:
            continue
        art = w.article
        pre, journal_doi = _pair(find, art)
        if pre is None or journal_doi is None:
            continue
        target_id = f"doi:{journal_doi}"
        if pre is art:          # a preprint naming its journal
            writes.pop(rid)
            target = writes.pop(target_id, None)
            journal, row, origin = (target.article, target.row, None) if target else _stored(find, target_id)
            if journal is None:  # already merged before: the record that kept its DOI
                journal, row, origin = _stored(find, f"preprint:{art.doi}")
            pre_row = w.row
        else:                   # a journal record meeting a stored or staged preprint
            journal, row, origin = art, w.row, None
            pre_w = writes.pop(f"doi:{pre.doi}", None)
            pre_row = pre_w.row if pre_w else None
        merged = published(pre, journal, journal_doi, now)
        if pre.id != merged.id and _is_stored(find, pre.id):
            removed.append(str(pre.id))
        if origin is not None and comparable(origin) == comparable(merged.to_dict()):
            continue            # nothing new: the merged record stays as stored
        writes[str(merged.id)] = Write(merged, _older(row, pre_row))
    return Plan(writes=list(writes.values()), removed=list(dict.fromkeys(removed)))


def _pair(find: Callable[[str], list[Stored]], art: Article) -> tuple[Article | None, str | None]:
    """(the preprint, the journal DOI) when `art` is one half of a published preprint."""
    if art.preprint and art.doi:
        if art.published_as and art.published_as != art.doi:
            return art, art.published_as
        merged = find(f"preprint:{art.doi}")    # merged before; this copy came again
        if merged:
            return art, Article.from_dict(merged[0].record).doi
        return None, None
    if art.doi and not art.preprint:
        if art.preprint_doi:
            for stored in find(f"doi:{art.preprint_doi}"):
                rec = Article.from_dict(stored.record)
                if rec.preprint:
                    return rec, art.doi
    return None, None


def _stored(find: Callable[[str], list[Stored]], key: str) -> tuple[Article | None, int | None, dict | None]:
    for stored in find(key):
        return Article.from_dict(stored.record), stored.row, stored.record
    return None, None, None


def _is_stored(find: Callable[[str], list[Stored]], rid: str | None) -> bool:
    return rid is not None and any(s.id == rid for s in find(rid))


def _older(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)
