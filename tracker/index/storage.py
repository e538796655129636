"""The index directory on disk: Whoosh storage, rebuilding the index from the
record store, moving an older index's stored records into a new store, and
putting an interrupted rebuild's swap right.

    index/
      whoosh/          the full-text index (Whoosh files)
      index.json       schema version; the store change number the index is up to
      records.sqlite   the record store (tracker.store): the source of truth
      state.sqlite     the crawl state (tracker.state)
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from whoosh.filedb.filestore import FileStorage

from tracker.errors import IndexFailure
from tracker.index.formats import Codec
from tracker.index.results import Rebuilt
from tracker.index.schema import (
    INDEX_NAME,
    META_FILE,
    SCHEMA_VERSION,
    WHOOSH_DIR,
    build_schema,
    document,
    journal_variants,
    read_meta,
    write_meta,
)
from tracker.models import Article
from tracker.store import STORE_FILE, Store


def prepare(directory: Path) -> tuple[Any, Store, Rebuilt | None]:
    """A writer's view of the directory (a crawl, under its lock): the Whoosh
    index and the store, after whatever repair the directory needs — an
    older index's records moved into a new store, the index rebuilt from the
    store when it is missing, outdated or unreadable (Rebuilt says why)."""
    recover_swap(directory)
    meta = read_meta(directory / META_FILE)
    if meta is not None and meta.version > SCHEMA_VERSION:
        # a rebuild here would drop what the newer version stores
        raise IndexFailure(f"{directory}: the index was written by a newer tracker (schema version "
                           f"{meta.version}; this one reads {SCHEMA_VERSION}); upgrade tracker to use it.")
    wdir = directory / WHOOSH_DIR
    has_index = has_toc(wdir)
    reason: tuple[str, bool] | None = None
    if not (directory / STORE_FILE).exists() and has_index:
        migrate(directory)
        reason = ("the records moved into the record store", True)
    store = Store.open(directory, create=True)
    try:
        if reason is None:
            reason = _why_rebuild(directory, store, has_index)
        if reason is not None:
            n = rebuild(directory, store)
            return open_storage(wdir).open_index(INDEX_NAME), store, Rebuilt(n, *reason)
        if not has_index:       # a new library
            wdir.mkdir(parents=True, exist_ok=True)
            ix = open_storage(wdir).create_index(build_schema(), indexname=INDEX_NAME)
            write_meta(directory / META_FILE, store.last_seq())
            return ix, store, None
        return open_storage(wdir).open_index(INDEX_NAME), store, None
    except OSError as exc:
        store.close()
        raise IndexFailure(f"{directory}: cannot create the index ({exc.strerror}).") from None
    except BaseException:
        store.close()
        raise


def _why_rebuild(directory: Path, store: Store, has_index: bool) -> tuple[str, bool] | None:
    """Why the Whoosh index cannot simply be opened and caught up, or None."""
    meta = read_meta(directory / META_FILE)
    if not has_index:
        return ("the index files were missing", False) if store.count() else None
    if meta is None:
        return f"{META_FILE} was missing or unreadable", False
    if meta.version < SCHEMA_VERSION:
        return "the index was written for an older version of tracker", True
    if meta.indexed > store.last_seq():
        return "the index was ahead of the record store (was the store restored from a backup?)", False
    try:   # the table of contents and every segment file it names
        ix = open_storage(directory / WHOOSH_DIR).open_index(INDEX_NAME)
        try:
            ix.reader().close()
        finally:
            ix.close()
    except Exception as exc:  # damaged or missing files: whatever whoosh raised
        return f"the index files could not be read ({type(exc).__name__}: {exc})", False
    return None


def rebuild(directory: str | os.PathLike, store: Store, **writer_options: Any) -> int:
    """Rebuild the Whoosh index from the record store, in record-number order.

    The new index is written beside the old one and swapped in by renames,
    so an interrupted rebuild leaves the old index in place; nothing of the
    old index is read, so a damaged one is rebuilt all the same.
    `writer_options` go to Whoosh's writer (bench/search builds with procs=2).
    """
    directory = Path(directory)
    recover_swap(directory)
    old_dir, new_dir, gone_dir = directory / WHOOSH_DIR, directory / (WHOOSH_DIR + ".new"), \
        directory / (WHOOSH_DIR + ".old")
    shutil.rmtree(new_dir, ignore_errors=True)
    new_dir.mkdir(parents=True)
    new = open_storage(new_dir).create_index(build_schema(), indexname=INDEX_NAME)
    variants = journal_variants()
    upto = store.last_seq()
    writer = new.writer(**{"limitmb": 128, **writer_options}, codec=Codec())
    n = 0
    try:
        for row, _, text in store.rows("record"):
            writer.add_document(**document(Article.from_dict(json.loads(text)), variants, row))
            n += 1
        writer.commit()
    except BaseException:
        writer.cancel()
        shutil.rmtree(new_dir, ignore_errors=True)
        raise
    finally:
        new.close()
    shutil.rmtree(gone_dir, ignore_errors=True)
    if old_dir.exists():
        os.replace(old_dir, gone_dir)
    os.replace(new_dir, old_dir)
    write_meta(directory / META_FILE, upto)
    shutil.rmtree(gone_dir, ignore_errors=True)
    store.forget_removed(upto)
    return n


def reindex(directory: Path) -> int:
    """`tracker reindex` (under the crawl lock): the index rebuilt from the
    record store, the store first filled from an older index if there is none."""
    recover_swap(directory)
    meta = read_meta(directory / META_FILE)
    if meta is not None and meta.version > SCHEMA_VERSION:
        raise IndexFailure(f"{directory}: the index was written by a newer tracker (schema version "
                           f"{meta.version}; this one reads {SCHEMA_VERSION}); rebuilding it here would drop "
                           f"what that version stores.")
    if not (directory / STORE_FILE).exists():
        if not has_toc(directory / WHOOSH_DIR):
            raise IndexFailure(f"{directory}: no index here to rebuild.")
        migrate(directory)
    with Store.open(directory, create=True) as store:
        return rebuild(directory, store)


def migrate(directory: Path) -> int:
    """Move the records an index of schema 3 or older stores into a new
    record store (the index is rebuilt from it next)."""
    wdir = directory / WHOOSH_DIR
    advice = (f"so there is nothing to rebuild from; delete {wdir} and {directory / META_FILE}, then run "
              f"'tracker crawl --full' to fetch every record again.")
    try:
        old = open_storage(wdir).open_index(INDEX_NAME)
    except Exception as exc:  # any damage in the old files ends here, with its reason
        raise IndexFailure(f"{directory}: there is no record store ({STORE_FILE}) and the index cannot be read "
                           f"({type(exc).__name__}: {exc}), {advice}") from None
    try:
        if "record" not in old.schema:
            raise IndexFailure(f"{directory}: the record store ({STORE_FILE}) is missing and the index holds "
                               f"no records, {advice} (Or restore {STORE_FILE} from a backup.)")
        return Store.build(directory, _stored_records(old))
    except (IndexFailure, OSError):
        raise
    except Exception as exc:  # damaged stored records
        raise IndexFailure(f"{directory}: there is no record store ({STORE_FILE}) and the records stored in "
                           f"the index cannot be read ({type(exc).__name__}: {exc}), {advice}") from None
    finally:
        old.close()


def _stored_records(ix) -> Iterator[dict[str, Any]]:
    with ix.searcher() as s:
        for _, stored in s.reader().iter_docs():
            yield json.loads(stored["record"])


def has_toc(wdir: Path) -> bool:
    """Whether `wdir` holds a Whoosh index: a table of contents file, read
    or not (whoosh's exists_in reads it, and raises when it is damaged)."""
    return wdir.is_dir() and any(wdir.glob(f"_{INDEX_NAME}_*.toc"))


def recover_swap(directory: Path) -> None:
    """A rebuild killed between its two renames leaves `whoosh.old` and no
    `whoosh`: put the old index back, so that nothing is taken for an empty
    index (the rebuild simply runs again)."""
    wdir, gone = directory / WHOOSH_DIR, directory / (WHOOSH_DIR + ".old")
    if gone.is_dir() and not wdir.exists():
        try:
            os.replace(gone, wdir)
        except OSError as exc:
            raise IndexFailure(f"{directory}: cannot restore the index from {gone.name} "
                               f"({exc.strerror}).") from None


def open_storage(wdir: Path) -> FileStorage:
    """Whoosh file storage with mmap off, for readers and writers alike.

    With mmap, Whoosh copies every compound segment's postings and terms into
    memory each time a reader opens (BufferFile -> BytesIO): ~200 ms per
    search at 100k records, and a crawl's memory growing with the index, since
    every upsert batch opens a searcher to find existing records.
    """
    return FileStorage(str(wdir), supports_mmap=False)
