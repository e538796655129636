"""The on-disk index: the only module that imports Whoosh.

A small interface — open, upsert a batch, search, iterate — so the rest of
tracker never sees Whoosh and another backend can replace it. Every record
is stored whole (JSON) so output needs no second lookup.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from tracker.errors import IndexFailure
from tracker.models import Article, merge, utcnow

SCHEMA_VERSION = 1
WHOOSH_DIR = "whoosh"
META_FILE = "index.json"
INDEX_NAME = "records"

# Field boosts for ranking (BM25F): a match in the title counts most.
BOOSTS = {"title": 3.0, "abstract": 1.5, "journal": 1.0, "authors": 1.0, "body": 0.8}
TEXT_FIELDS = ("title", "abstract", "body", "journal", "authors")


def _schema():
    from whoosh import fields as F
    from whoosh.analysis import StemmingAnalyzer, StandardAnalyzer
    from whoosh.analysis import CharsetFilter
    from whoosh.support.charset import accent_map

    stem = StemmingAnalyzer() | CharsetFilter(accent_map)
    plain = StandardAnalyzer(stoplist=None) | CharsetFilter(accent_map)
    return F.Schema(
        id=F.ID(stored=True, unique=True),
        keys=F.KEYWORD(lowercase=False),          # doi:/pmid:/url: identity keys
        title=F.TEXT(analyzer=stem, field_boost=BOOSTS["title"], phrase=True),
        abstract=F.TEXT(analyzer=stem, field_boost=BOOSTS["abstract"], phrase=True),
        body=F.TEXT(analyzer=stem, field_boost=BOOSTS["body"], phrase=True),
        journal=F.TEXT(analyzer=plain, field_boost=BOOSTS["journal"], phrase=True),
        authors=F.TEXT(analyzer=plain, field_boost=BOOSTS["authors"], phrase=True),
        year=F.NUMERIC(int, bits=32, signed=True, sortable=True),
        case_count=F.NUMERIC(int, bits=32, signed=True, sortable=True),
        drugs=F.KEYWORD(lowercase=True, commas=True, scorable=True),
        conditions=F.KEYWORD(lowercase=True, commas=True, scorable=True),
        feeds=F.KEYWORD(lowercase=False, commas=True),
        study_type=F.ID(),
        language=F.ID(),
        doi=F.ID(),
        pmid=F.ID(),
        pmcid=F.ID(),
        first_seen=F.ID(sortable=True),
        published=F.ID(sortable=True),
        record=F.STORED(),
    )


@dataclass
class UpsertResult:
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    outcome: dict[int, str] = field(default_factory=dict)  # batch position -> new/updated/unchanged


@dataclass
class Hit:
    record: dict[str, Any]
    score: float
    highlights: dict[str, str]


@dataclass
class SearchResult:
    hits: list[Hit]
    total: int
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)


def _comparable(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in ("fetched_at",)}


def _doc(article: Article, journal_variants=None) -> dict[str, Any]:
    rec = article.to_dict()
    journal = article.journal or ""
    if journal and journal_variants is not None:
        extra = journal_variants(journal)
        if extra:
            journal = " | ".join([journal, *extra])
    doc: dict[str, Any] = {
        "id": article.id,
        "keys": " ".join(article.identity_keys()),
        "title": article.title or "",
        "abstract": article.abstract or "",
        "body": article.body or "",
        "journal": journal,
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
        "record": json.dumps(rec, ensure_ascii=False, separators=(",", ":")),
    }
    if article.year is not None:
        doc["year"] = article.year
    if article.case_count is not None:
        doc["case_count"] = article.case_count
    return doc


def _journal_variants():
    try:
        from tracker.extract.journals import variants
    except ImportError:
        return None
    return variants


class Index:
    """An index directory: Whoosh files, schema version, crawl state beside it."""

    def __init__(self, directory: Path, ix):
        self.directory = Path(directory)
        self._ix = ix

    # opening -----------------------------------------------------------
    @classmethod
    def open(cls, directory: str | os.PathLike, *, create: bool = False) -> "Index":
        from whoosh import index as wix
        from whoosh.index import EmptyIndexError

        directory = Path(directory)
        wdir = directory / WHOOSH_DIR
        meta = directory / META_FILE
        if not wdir.exists() or not wix.exists_in(str(wdir), indexname=INDEX_NAME):
            if not create:
                raise IndexFailure(f"{directory}: no index here yet; run 'tracker crawl' first.")
            try:
                wdir.mkdir(parents=True, exist_ok=True)
                ix = wix.create_in(str(wdir), _schema(), indexname=INDEX_NAME)
                _write_meta(meta)
            except OSError as exc:
                raise IndexFailure(f"{directory}: cannot create the index ({exc.strerror}).") from None
            return cls(directory, ix)
        version = _read_meta(meta)
        if version != SCHEMA_VERSION:
            raise IndexFailure(
                f"{directory}: the index was written with schema version {version}, this tracker "
                f"uses {SCHEMA_VERSION}; run 'tracker reindex' to rebuild it from the stored records.")
        try:
            ix = wix.open_dir(str(wdir), indexname=INDEX_NAME)
        except (EmptyIndexError, OSError, ValueError, EOFError) as exc:
            raise IndexFailure(f"{directory}: the index cannot be opened ({exc}).") from None
        return cls(directory, ix)

    def close(self) -> None:
        self._ix.close()

    def __enter__(self) -> "Index":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def schema(self):
        return self._ix.schema

    def doc_count(self) -> int:
        return self._ix.doc_count()

    # writing -----------------------------------------------------------
    def upsert(self, articles: list[Article]) -> UpsertResult:
        """Merge each article into the index by identity and commit once.

        Identity is DOI, then PMID, then canonical URL: a record is matched
        by any of its keys, so a page later found to carry a DOI joins the
        registry record of that DOI.
        """
        result = UpsertResult()
        if not articles:
            return result
        variants = _journal_variants()
        now = utcnow()
        writer = self._ix.writer(timeout=60.0)
        try:
            with writer.searcher() as searcher:
                staged: dict[str, Article] = {}            # id -> merged record to write
                origins: dict[str, dict | None] = {}       # id -> stored record it replaces
                alias: dict[str, str] = {}                 # identity key -> staged id
                loaded: set[str] = set()                   # stored ids already read
                stored_ids: set[str] = set()
                for pos, art in enumerate(articles):
                    if art.id is None:
                        continue
                    parts: list[Article] = []
                    origin: dict | None = None
                    for key in art.identity_keys():
                        sid = alias.get(key)
                        if sid is not None and sid in staged:
                            parts.append(staged.pop(sid))
                            origin = origin or origins.pop(sid, None)
                            continue
                        for stored in searcher.documents(keys=key):
                            if stored["id"] in loaded:
                                continue
                            loaded.add(stored["id"])
                            stored_ids.add(stored["id"])
                            rec = json.loads(stored["record"])
                            parts.append(Article.from_dict(rec))
                            origin = origin or rec
                    art.first_seen = art.first_seen or now
                    art.fetched_at = now
                    merged = art
                    for part in reversed(parts):
                        merged = merge(part, merged)
                    staged[merged.id] = merged
                    origins[merged.id] = origin
                    for part in (*parts, merged):
                        for key in part.identity_keys():
                            alias[key] = merged.id
                    if origin is None:
                        result.outcome[pos] = "updated" if parts else "new"
                    elif _comparable(origin) == _comparable(merged.to_dict()):
                        result.outcome[pos] = "unchanged"
                    else:
                        result.outcome[pos] = "updated"
                dirty = bool(stored_ids - staged.keys())
                for sid in stored_ids - staged.keys():
                    writer.delete_by_term("id", sid)
                for rid, art in staged.items():
                    orig = origins.get(rid)
                    if orig is not None and orig.get("id") == rid and \
                            _comparable(orig) == _comparable(art.to_dict()):
                        art.fetched_at = orig.get("fetched_at")
                        continue
                    writer.update_document(**_doc(art, variants))
                    dirty = True
            if dirty:
                writer.commit()
            else:
                writer.cancel()
        except BaseException:
            writer.cancel()
            raise
        for pos, outcome in result.outcome.items():
            getattr(result, outcome).append(articles[pos].id)
        return result

    def replace_all(self, records: Iterable[dict[str, Any]]) -> int:
        """Rewrite every document from stored records (reindex)."""
        variants = _journal_variants()
        writer = self._ix.writer(timeout=60.0)
        n = 0
        try:
            for rec in records:
                writer.update_document(**_doc(Article.from_dict(rec), variants))
                n += 1
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        return n

    # reading -----------------------------------------------------------
    def get(self, record_id: str) -> dict[str, Any] | None:
        with self._ix.searcher() as s:
            doc = s.document(id=record_id)
            if doc is None:
                doc = next(iter(s.documents(keys=record_id)), None)
            return json.loads(doc["record"]) if doc else None

    def iter_records(self) -> Iterator[dict[str, Any]]:
        with self._ix.searcher() as s:
            reader = s.reader()
            for _, stored in reader.iter_docs():
                yield json.loads(stored["record"])

    def search(self, query, *, limit: int | None = 20, sort: str = "relevance",
               facets: Iterable[str] = (), highlight: bool = True,
               since: str | None = None) -> SearchResult:
        """Run a parsed query (a whoosh query object from tracker.query)."""
        from whoosh import sorting
        from whoosh.query import TermRange

        flt = TermRange("first_seen", since, None) if since else None
        sortedby, reverse = _sort_spec(sort, sorting)
        with self._ix.searcher() as s:
            results = s.search(query, limit=limit, sortedby=sortedby, reverse=reverse,
                               terms=highlight, filter=flt)
            hits = []
            for hit in results:
                rec = json.loads(hit["record"])
                hl = _highlights(hit, rec) if highlight else {}
                hits.append(Hit(rec, round(float(hit.score or 0.0), 4), hl))
            total = len(results) if results.has_exact_length() else results.estimated_length()
            out = SearchResult(hits, total)
            for name in facets:
                out.facets[name] = self._facet(s, query, name, flt)
            return out

    def iter_matches(self, query, *, since: str | None = None,
                     sort: str = "relevance") -> Iterator[dict[str, Any]]:
        """Every matching record, streamed (exports)."""
        from whoosh.query import TermRange

        flt = TermRange("first_seen", since, None) if since else None
        with self._ix.searcher() as s:
            docnums = s.docs_for_query(query, for_deletion=False)
            if flt is not None:
                allowed = set(s.docs_for_query(flt))
                docnums = (d for d in docnums if d in allowed)
            reader = s.reader()
            for docnum in docnums:
                yield json.loads(reader.stored_fields(docnum)["record"])

    def _facet(self, s, query, name: str, flt) -> list[tuple[str, int]]:
        from collections import Counter

        key = {"drug": "drugs", "type": "study_type", "condition": "conditions",
               "feed": "feeds"}.get(name, name)
        counts: Counter = Counter()
        reader = s.reader()
        allowed = set(s.docs_for_query(flt)) if flt is not None else None
        for docnum in s.docs_for_query(query):
            if allowed is not None and docnum not in allowed:
                continue
            value = json.loads(reader.stored_fields(docnum)["record"]).get(key)
            if isinstance(value, list):
                counts.update(value or ["(none)"])
            else:
                counts[str(value) if value is not None else "(none)"] += 1
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))

    def vocabulary(self, fieldname: str) -> Iterator[str]:
        with self._ix.searcher() as s:
            for term in s.reader().lexicon(fieldname):
                yield term.decode("utf-8") if isinstance(term, bytes) else term

    def corrector_suggest(self, word: str, fieldnames=("title", "abstract", "body")) -> str | None:
        with self._ix.searcher() as s:
            for name in fieldnames:
                for sugg in s.suggest(name, word, limit=1, maxdist=2):
                    return sugg
        return None


def _sort_spec(sort: str, sorting):
    if sort == "relevance":
        return None, False
    if sort == "year":
        return sorting.FieldFacet("year"), False
    if sort == "-year":
        return sorting.FieldFacet("year"), True
    if sort == "cases":
        return sorting.FieldFacet("case_count"), True
    raise IndexFailure(f"unknown sort '{sort}' (relevance, year, -year, cases).")


def _highlights(hit, rec: dict[str, Any]) -> dict[str, str]:
    from whoosh.highlight import ContextFragmenter, UppercaseFormatter

    out = {}
    for name in ("title", "abstract", "body"):
        text = rec.get(name)
        if not text:
            continue
        try:
            hit.results.fragmenter = ContextFragmenter(maxchars=200, surround=60)
            hit.results.formatter = _Marker()
            frag = hit.highlights(name, text=text, top=2)
        except Exception:  # highlighting must never break a search
            frag = ""
        if frag:
            out[name] = frag
    return out


class _Marker:
    """Wrap matched terms in [[ ]] so each renderer can style them."""

    between = " … "

    def __call__(self, text, fragments):
        return self.format(fragments)

    def format_token(self, text, token, replace=False):
        return f"[[{text[token.startchar:token.endchar]}]]"

    def format_fragment(self, fragment, replace=False):
        text = fragment.text
        out, index = [], fragment.startchar
        for t in fragment.matches:
            if t.startchar is None or t.startchar < index:
                continue
            out.append(text[index:t.startchar])
            out.append(self.format_token(text, t, replace))
            index = t.endchar
        out.append(text[index:fragment.endchar])
        return "".join(out).strip()

    def format(self, fragments, replace=False):
        return self.between.join(self.format_fragment(f, replace) for f in fragments)


def _write_meta(path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"schema_version": SCHEMA_VERSION}) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _read_meta(path: Path) -> int | None:
    try:
        return int(json.loads(path.read_text(encoding="utf-8")).get("schema_version"))
    except (OSError, ValueError, TypeError, AttributeError):
        return None
