"""Article, the one record type, and the identity and merge rules."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from tracker.dates import DATE_FIELDS, normal

# Column order of the DESIGN record table; every output uses these names.
RECORD_FIELDS: tuple[str, ...] = (
    "id", "title", "abstract", "authors", "journal", "year", "published",
    "doi", "pmid", "pmcid", "url", "study_type", "case_count", "drugs",
    "conditions", "language", "feeds", "first_seen", "fetched_at", "body",
    "case_count_evidence", "nct_ids", "phase", "trial_status", "preprint", "preprint_doi",
)
LIST_FIELDS = frozenset({"authors", "drugs", "conditions", "feeds", "nct_ids"})
# ClinicalTrials.gov numbers: NCT and eight digits.
NCT_ID = re.compile(r"\bNCT\d{8}\b")
STUDY_TYPES = ("case_report", "case_series", "cohort", "rct", "meta_analysis", "review", "other")

# Provenance of an extracted value, most trusted first.
PROVENANCE_RANK = {"registry": 3, "metadata": 2, "text": 1}

# Fields whose value is "the one richest source wins" in a merge.
_SCALAR_MERGE = ("title", "abstract", "journal", "year", "published", "doi", "pmid",
                 "pmcid", "url", "study_type", "case_count", "language", "body")

_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*|info:doi/)", re.I)
_DOI_SHAPE = re.compile(r"^10\.\d{4,9}/\S+$")
# What a link adds after the DOI: a query ("?utm_source=...", "?rss=1", "?af=R"),
# a fragment, a tracking "&utm_..." tail, or a publisher's view suffix ("/full", "/pdf").
_DOI_LINK_TAIL = re.compile(
    r"(?:\?[A-Za-z_][\w.\-\[\]]*(?:=|&|$)|#|&(?:utm_|af=|rss|src=|ref=|source=)).*$"
    r"|/(?:full|abstract|abs|pdf|epdf|epub|fulltext|full\.pdf|fulltext\.html|html|meta|reader|suppinfo|"
    r"references|figures|citedby|summary)/?$", re.I)
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_TRACKING_PARAMS = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|_hsenc|_hsmi|igshid|yclid|"
    r"ref_?src|cmpid|source|rss|af|dgcid)$", re.I)
_WS = re.compile(r"\s+")
_PMID_PREFIX = re.compile(r"^(?:pmid:?\s*)", re.I)


def normalize_nct(value: Any) -> str | None:
    """'nct01234567' or 'nct:NCT01234567' -> 'NCT01234567'; None if not an NCT number."""
    if not value:
        return None
    text = re.sub(r"^nct:", "", str(value).strip(), flags=re.I).upper()
    return text if re.fullmatch(r"NCT\d{8}", text) else None


def normalize_doi(value: str | None) -> str | None:
    """'https://doi.org/10.1093/ECCO-JCC/jjz001' -> '10.1093/ecco-jcc/jjz001'; None if not a DOI."""
    if not value:
        return None
    if type(value) is str:
        return _normal_doi(value)
    return _normal_doi.__wrapped__(value)


# A record is normalised again at each step (source, merge, index catch-up):
# the same few thousand DOIs and URLs per batch, worth remembering.
@lru_cache(maxsize=8192)
def _normal_doi(value: str) -> str | None:
    doi = _DOI_PREFIX.sub("", value.strip()).strip()
    if _PERCENT.search(doi):
        doi = unquote(doi)  # "10.1016%2Fj.x" from a link's query string
    doi = _DOI_LINK_TAIL.sub("", doi)
    doi = doi.rstrip(".,;")
    while doi and doi[-1] in ")]>" and doi.count(doi[-1]) > doi.count({")": "(", "]": "[", ">": "<"}[doi[-1]]):
        doi = doi[:-1].rstrip(".,;")  # a closing bracket of the sentence, not of the DOI
    doi = doi.lower()
    return doi if _DOI_SHAPE.match(doi) else None


def normalize_pmid(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if not text.isdigit():
        text = _PMID_PREFIX.sub("", text)
    return text if text.isdigit() and text != "0" else None


def normalize_pmcid(value: Any) -> str | None:
    if not value:
        return None
    text = str(value).strip().upper()
    if text.isdigit():
        text = "PMC" + text
    return text if re.fullmatch(r"PMC\d+", text) else None


def canonical_url(url: str | None) -> str | None:
    """Drop the fragment and tracking parameters, lower-case scheme and host."""
    if not url:
        return None
    if type(url) is str:
        return _canonical_url(url)
    return _canonical_url.__wrapped__(url)


@lru_cache(maxsize=8192)
def _canonical_url(url: str) -> str | None:
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.scheme or not parts.netloc:
        return url
    host = parts.hostname or ""
    netloc = host.lower()
    if parts.port and (parts.scheme.lower(), parts.port) not in (("http", 80), ("https", 443)):
        netloc += f":{parts.port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not _TRACKING_PARAMS.match(k)]
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), netloc, path, urlencode(query), ""))


# Kinds of identity key that name one paper (or one trial registration), most
# authoritative first; any other key (a URL) is weak and joins records only
# when these do not disagree.
STRONG_KINDS: tuple[str, ...] = ("doi", "pmid", "nct")


def keys_conflict(a: Iterable[str], b: Iterable[str]) -> bool:
    """Whether two sets of identity keys name different papers.

    The most authoritative kind both sets carry decides: the same DOI is the
    same paper whatever the PMIDs say; two DOIs (or, without DOIs, two PMIDs
    or NCT numbers) that share nothing are two papers, whatever URL they share.
    """
    ka, kb = set(a), set(b)
    for kind in STRONG_KINDS:
        prefix = kind + ":"
        sa = {k for k in ka if k.startswith(prefix)}
        sb = {k for k in kb if k.startswith(prefix)}
        if sa and sb:
            return not (sa & sb)
    return False


def single_spaced(text: str) -> str:
    """`text` with every run of whitespace made one space (not stripped).

    Records are normalised several times on their way to the index, and
    most text is single-spaced already: checking that is ~10x cheaper
    than the regex rewrite of a long abstract."""
    if "  " not in text:
        if text.isascii():
            if not any(c in text for c in _ASCII_WS):
                return text
        elif text.isprintable():    # every whitespace character but the space is unprintable
            return text
    return _WS.sub(" ", text)


_ASCII_WS = "\t\n\v\f\r\x1c\x1d\x1e\x1f"


def clean_text(value: str | None) -> str | None:
    """Whitespace normalised, NFC; None for empty."""
    if value is None:
        return None
    text = unicodedata.normalize("NFC", single_spaced(str(value))).strip()
    return text or None


def utcnow() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass
class Article:
    """One paper or page. Field names are the DESIGN record table's."""

    title: str | None = None
    abstract: str | None = None
    authors: list[str] = field(default_factory=list)
    journal: str | None = None
    year: int | None = None
    published: str | None = None
    doi: str | None = None
    pmid: str | None = None
    pmcid: str | None = None
    url: str | None = None
    study_type: str | None = None
    case_count: int | None = None
    drugs: list[str] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)
    language: str | None = None
    feeds: list[str] = field(default_factory=list)
    first_seen: str | None = None
    fetched_at: str | None = None
    body: str | None = None
    case_count_evidence: str | None = None     # the sentence case_count was read from
    nct_ids: list[str] = field(default_factory=list)   # trials the record is or reports
    phase: str | None = None                   # "phase 3", "phase 2/3" (registrations)
    trial_status: str | None = None            # "recruiting", "completed", ... (registrations)
    preprint: bool = False                     # a preprint not yet merged with its journal version
    preprint_doi: str | None = None            # the preprint a journal record was merged with
    # Beyond the record table: where each extracted value came from
    # (registry, metadata, text), and registry subject data used by extraction.
    provenance: dict[str, str] = field(default_factory=dict)
    publication_types: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    # A registration's own NCT number (its identity); a preprint's journal
    # DOI once known (tracker.store.preprints merges the two); the date a
    # merged preprint was posted.
    registration: str | None = None
    published_as: str | None = None
    preprint_date: str | None = None

    def __post_init__(self) -> None:
        self.doi = normalize_doi(self.doi)
        self.pmid = normalize_pmid(self.pmid)
        self.pmcid = normalize_pmcid(self.pmcid)
        self.url = canonical_url(self.url)
        self.registration = normalize_nct(self.registration)
        self.published_as = normalize_doi(self.published_as)
        self.preprint_doi = normalize_doi(self.preprint_doi)
        self.nct_ids = sorted({n for n in map(normalize_nct, self.nct_ids) if n})
        self.preprint = bool(self.preprint)
        for name in ("title", "abstract", "journal", "language"):
            setattr(self, name, clean_text(getattr(self, name)))
        if self.year is not None:
            try:
                self.year = int(self.year)
            except (TypeError, ValueError):
                self.year = None
        if self.case_count is not None:
            try:
                self.case_count = int(self.case_count)
            except (TypeError, ValueError):
                self.case_count = None

    @property
    def id(self) -> str | None:
        if self.doi:
            return f"doi:{self.doi}"
        if self.pmid:
            return f"pmid:{self.pmid}"
        if self.registration:
            return f"nct:{self.registration}"
        if self.url:
            return f"url:{self.url}"
        return None

    def identity_keys(self) -> list[str]:
        """Every key this record may be known by, most authoritative first."""
        keys = []
        if self.doi:
            keys.append(f"doi:{self.doi}")
        if self.pmid:
            keys.append(f"pmid:{self.pmid}")
        if self.registration:
            keys.append(f"nct:{self.registration}")
        if self.url:
            keys.append(f"url:{self.url}")
        return keys

    def set(self, name: str, value: Any, source: str) -> bool:
        """Set a field if empty or if `source` is more trusted than what is there."""
        if value in (None, "", []):
            return False
        current = getattr(self, name)
        if current not in (None, "", []):
            have = PROVENANCE_RANK.get(self.provenance.get(name, ""), 0)
            if PROVENANCE_RANK.get(source, 0) <= have:
                return False
        setattr(self, name, value)
        self.provenance[name] = source
        return True

    def to_dict(self, include_body: bool = True) -> dict[str, Any]:
        # A shallow copy with fresh lists: dataclasses.asdict's deep copy is
        # a measurable share of ingest time and these values are flat.
        out: dict[str, Any] = {"id": self.id}
        for name in RECORD_FIELDS[1:]:
            if name == "body" and not include_body:
                continue
            value = getattr(self, name)
            out[name] = list(value) if isinstance(value, list) else value
        for name in DATE_FIELDS:    # one form in the store, whatever a source gave
            out[name] = normal(out[name])
        out["provenance"] = dict(self.provenance)
        out["publication_types"] = list(self.publication_types)
        out["keywords"] = list(self.keywords)
        for name in ("registration", "published_as", "preprint_date"):
            if getattr(self, name):     # only where set: older records' lines stay as they were
                out[name] = getattr(self, name)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Article:
        names = _FIELD_NAMES if cls is Article else {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


_FIELD_NAMES = frozenset(f.name for f in fields(Article))


def _richer(a: Any, b: Any) -> Any:
    """Prefer the fuller of two values of the same trust."""
    if a in (None, "", []):
        return b
    if b in (None, "", []):
        return a
    if isinstance(a, str) and isinstance(b, str):
        return b if len(b) > len(a) else a
    return a


def _union(a: list[str], b: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for item in list(a) + list(b):
        if item and item not in seen:
            seen[item] = None
    return list(seen)


def _merge_trial_fields(out: Article, old: Article, new: Article) -> None:
    """Registration and preprint fields: the newer registration snapshot
    wins (a status change updates the record); links are united."""
    out.nct_ids = sorted(set(old.nct_ids) | set(new.nct_ids))
    out.registration = old.registration or new.registration
    if new.trial_status or new.phase:
        out.trial_status = new.trial_status or old.trial_status
        out.phase = new.phase or old.phase
    out.preprint_doi = old.preprint_doi or new.preprint_doi
    out.published_as = new.published_as or old.published_as
    dates = [d for d in (old.preprint_date, new.preprint_date) if d]
    out.preprint_date = min(dates) if dates else None
    # a record merged with its journal version is no longer a preprint
    out.preprint = (old.preprint or new.preprint) and not out.preprint_doi


def merge(old: Article, new: Article) -> Article:
    """One record from two of the same paper (callers check keys_conflict first:
    merging two papers would keep one DOI and lose the other).

    Per field, the more trusted source wins (registry > metadata > text);
    at equal trust the fuller value wins, and the older record keeps ties.
    Feeds, drugs and conditions are united; first_seen is the earliest.
    """
    out = Article.from_dict(old.to_dict())
    # two snapshots of one registration: the later one is the registry's current word
    snapshot = bool(old.registration and new.registration)
    for name in _SCALAR_MERGE:
        a, b = getattr(old, name), getattr(new, name)
        ra = PROVENANCE_RANK.get(old.provenance.get(name, ""), 0)
        rb = PROVENANCE_RANK.get(new.provenance.get(name, ""), 0)
        if b in (None, "", []):
            continue
        if a in (None, "", []) or rb > ra:
            chosen, src = b, new.provenance.get(name)
        elif rb < ra:
            continue
        elif snapshot:
            chosen, src = b, new.provenance.get(name)
        else:
            chosen = _richer(a, b)
            src = new.provenance.get(name) if chosen is b else old.provenance.get(name)
        setattr(out, name, chosen)
        if src:
            out.provenance[name] = src
    # authors: the longer trusted list; order matters, so no union
    ra = PROVENANCE_RANK.get(old.provenance.get("authors", ""), 0)
    rb = PROVENANCE_RANK.get(new.provenance.get("authors", ""), 0)
    if new.authors and (not old.authors or rb > ra or (rb == ra and len(new.authors) > len(old.authors))):
        out.authors = list(new.authors)
        if "authors" in new.provenance:
            out.provenance["authors"] = new.provenance["authors"]
    # the evidence sentence travels with the count it supports
    out.case_count_evidence = next((a.case_count_evidence for a in (new, old)
                                    if a.case_count_evidence and a.case_count == out.case_count), None)
    out.drugs = sorted(set(old.drugs) | set(new.drugs))
    out.conditions = sorted(set(old.conditions) | set(new.conditions))
    out.feeds = sorted(set(old.feeds) | set(new.feeds))
    out.publication_types = _union(old.publication_types, new.publication_types)
    out.keywords = _union(old.keywords, new.keywords)
    _merge_trial_fields(out, old, new)
    firsts = [t for t in (old.first_seen, new.first_seen) if t]
    out.first_seen = min(firsts) if firsts else None
    fetched = [t for t in (old.fetched_at, new.fetched_at) if t]
    out.fetched_at = max(fetched) if fetched else None
    # A DOI learnt later re-keys the record; identity follows doi > pmid > url.
    return out
