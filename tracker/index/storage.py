"""The index directory on disk: Whoosh storage, rebuilding from the stored
records, and putting an interrupted rebuild's swap right."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from whoosh import index as wix
from whoosh.filedb.filestore import FileStorage

from tracker.errors import IndexFailure
from tracker.index.formats import Codec
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


def rebuild(directory: str | os.PathLike) -> int:
    """Rebuild the index from its own stored records, whatever schema wrote it.

    The new index is written beside the old one and swapped in by renames,
    so an interrupted rebuild leaves the old index in place.
    """
    directory = Path(directory)
    recover_swap(directory)
    version = read_meta(directory / META_FILE)
    if version is not None and version > SCHEMA_VERSION:
        raise IndexFailure(f"{directory}: the index was written by a newer tracker (schema version "
                           f"{version}; this one reads {SCHEMA_VERSION}); rebuilding it here would drop "
                           f"what that version stores.")
    old_dir, new_dir, gone_dir = directory / WHOOSH_DIR, directory / (WHOOSH_DIR + ".new"), \
        directory / (WHOOSH_DIR + ".old")
    if not old_dir.exists() or not wix.exists_in(str(old_dir), indexname=INDEX_NAME):
        raise IndexFailure(f"{directory}: no index here to rebuild.")
    shutil.rmtree(new_dir, ignore_errors=True)
    new_dir.mkdir(parents=True)
    try:
        old = open_storage(old_dir).open_index(INDEX_NAME)
    except Exception as exc:  # any damage in the old files ends here, with its reason
        raise IndexFailure(f"{directory}: the old index cannot be read ({exc}).") from None
    new = open_storage(new_dir).create_index(build_schema(), indexname=INDEX_NAME)
    variants = journal_variants()
    writer = new.writer(limitmb=128, codec=Codec())
    n = 0
    try:
        with old.searcher() as s:
            for _, stored in s.reader().iter_docs():
                writer.add_document(**document(Article.from_dict(json.loads(stored["record"])), variants))
                n += 1
        writer.commit()
    except BaseException:
        writer.cancel()
        shutil.rmtree(new_dir, ignore_errors=True)
        raise
    finally:
        old.close()
        new.close()
    shutil.rmtree(gone_dir, ignore_errors=True)
    os.replace(old_dir, gone_dir)
    os.replace(new_dir, old_dir)
    write_meta(directory / META_FILE)
    shutil.rmtree(gone_dir, ignore_errors=True)
    return n


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
