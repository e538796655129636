"""Streaming export of records to CSV, JSONL, RIS and BibTeX.

Every writer takes an iterable of record dicts (the DESIGN record table's
keys, lists as lists, nulls as None) and a text file object, writes one
record at a time and returns the number of records written; nothing holds
the whole output in memory. Open `out` with ``newline=""`` (as the csv
module asks): CSV and RIS write their own CRLF line ends.

`atomic_output(path)` gives a file that appears at `path` only when the
export finished, so an interrupted export never leaves half a file.

The record store (tracker.store) keeps each record's CSV and JSONL line as
`csv_line` and `jsonl_line` render them, so a whole-library export writes
stored lines (`write_lines`) instead of rendering every row again; LINES_FORMAT
names the layout those lines were rendered with.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, TextIO

from tracker.dates import normal_dates
from tracker.errors import TrackerError
from tracker.models import RECORD_FIELDS
from tracker.textutil import ascii_fold

FORMATS = ("csv", "jsonl", "ris", "bibtex")

# CSV columns: the record table minus the page body (too big for a cell).
CSV_COLUMNS: tuple[str, ...] = tuple(f for f in RECORD_FIELDS if f not in ("body", "case_count_evidence"))
LIST_JOINER = "; "
# A cell starting with one of these is run as a formula by Excel, LibreOffice
# and Google Sheets (OWASP "CSV injection").
_FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_SET = frozenset(_FORMULA_LEADS)
_BOM = "\ufeff"

# Keys JSONL writes after the record table, when present.
_EXTRA_KEYS = ("provenance", "publication_types", "keywords")
# Characters valid inside JSON strings that str.splitlines() treats as line
# breaks; escaped so one record is one line for every reader.
_JSONL_BREAKS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}
# The layout of stored lines (tracker.store): a store whose lines were
# rendered with another layout renders its rows again instead of using them.
# "2": dates in the one form of tracker.dates (lines of "1" may hold "+00:00" times).
LINES_FORMAT = "2:" + ",".join(CSV_COLUMNS) + ":" + ",".join(RECORD_FIELDS)

# Family-name particles kept with the family name ("van der Berg").
_PARTICLES = frozenset({"van", "von", "der", "den", "de", "del", "della", "di", "da",
                        "dos", "das", "du", "la", "le", "ter", "ten", "bin", "al", "y"})
_CORPORATE = re.compile(r"\b(group|consortium|collaborat\w*|committee|society|"
                        r"investigators|association|organi[sz]ation|network|team|study)\b", re.I)


class Rows(Protocol):
    """Records to export that may also come as stored lines (tracker.store.Selection)."""

    def records(self) -> Iterator[dict]: ...

    def lines(self, fmt: str) -> Iterator[str] | None: ...


def write_rows(rows: Rows, fmt: str, out: TextIO, *, excel: bool = False, raw: bool = False) -> int:
    """`write`, taking the stored CSV or JSONL line of each row where the
    source keeps it (never for --raw CSV, whose cells differ)."""
    lines = None if (fmt == "csv" and raw) else rows.lines(fmt)
    if lines is None:
        return write(rows.records(), fmt, out, excel=excel, raw=raw)
    return write_lines(lines, fmt, out, excel=excel)


def write_lines(lines: Iterable[str], fmt: str, out: TextIO, *, excel: bool = False) -> int:
    """Lines rendered by csv_line or jsonl_line, after the CSV header."""
    if fmt == "csv":
        if excel:
            out.write(_BOM)
        csv.writer(out, lineterminator="\r\n").writerow(CSV_COLUMNS)
    n = 0
    for line in lines:
        out.write(line)
        n += 1
    return n


def write(records: Iterable[dict], fmt: str, out: TextIO, *,
          excel: bool = False, raw: bool = False) -> int:
    """Write `records` to `out` in `fmt` (one of FORMATS); return rows written.

    `excel` (CSV only) writes a UTF-8 byte order mark first so Excel reads the
    file as UTF-8. `raw` (CSV only) turns off formula neutralisation.
    """
    if fmt == "csv":
        return write_csv(records, out, excel=excel, raw=raw)
    writers: dict[str, Callable[[Iterable[dict], TextIO], int]] = {
        "jsonl": write_jsonl, "ris": write_ris, "bibtex": write_bibtex}
    if fmt not in writers:
        raise TrackerError(f"Unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}.")
    return writers[fmt](records, out)


@contextmanager
def atomic_output(path: str | os.PathLike[str], *, encoding: str = "utf-8") -> Iterator[TextIO]:
    """Open a temporary file beside `path`; move it onto `path` on success.

    The temp file lives in the same directory so `os.replace` is an atomic
    rename; on any exception it is removed and `path` is left untouched.
    The file is opened with ``newline=""`` and gets the permissions a plain
    ``open()`` would give (mkstemp alone makes it 0600).
    """
    target = Path(path)
    mode = _default_mode(target)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                   dir=target.parent)
    except OSError as exc:
        raise TrackerError(f"{target}: cannot write here ({exc.strerror or exc}).") from None
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline="") as fh:
            os.fchmod(fh.fileno(), mode)
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _default_mode(target: Path) -> int:
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


# ---------------------------------------------------------------- CSV

def write_csv(records: Iterable[dict], out: TextIO, *, excel: bool = False, raw: bool = False,
              extra: tuple[str, ...] = ()) -> int:
    """CSV: one header row (CSV_COLUMNS), RFC 4180 quoting, CRLF line ends.

    Lists are joined with "; ", None is an empty cell. Unless `raw`, a text
    cell starting with =, +, -, @, tab or CR gets a leading apostrophe so a
    spreadsheet shows it instead of running it as a formula. The check is
    by type: year and case_count are written from ints, which are never
    negative in our records and cannot be formulas, so numbers stay
    numbers; every text cell is checked, even one like "-5", because in a
    text column it is text and "-2+3" or "-cmd|..." would run. `extra`
    columns follow the record's (search adds `score`).
    """
    if excel:
        out.write(_BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    columns = CSV_COLUMNS + tuple(extra)
    writer.writerow(columns)
    cell = _cell if raw else _safe_cell
    n = 0
    for record in records:
        record = normal_dates(record)
        writer.writerow([cell(record.get(name)) for name in columns])
        n += 1
    return n


def csv_line(record: dict, *, raw: bool = False) -> str:
    """The CSV row write_csv writes for `record` (CSV_COLUMNS), with its CRLF
    (csv.writer keeps no state between rows, so the bytes are the same)."""
    cell = _cell if raw else _safe_cell
    record = normal_dates(record)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow([cell(record.get(name)) for name in CSV_COLUMNS])
    return buf.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return LIST_JOINER.join(str(v) for v in value if v is not None)
    return value


def _safe_cell(value: Any) -> Any:
    # The hot path of a CSV export: str first, one slice and one set lookup.
    if value.__class__ is str:
        return "'" + value if value[:1] in _FORMULA_SET else value
    value = _cell(value)
    if isinstance(value, str) and value[:1] in _FORMULA_SET:
        return "'" + value
    return value


# ---------------------------------------------------------------- JSONL

def write_jsonl(records: Iterable[dict], out: TextIO) -> int:
    """JSON Lines: one object per line, every record field in table order
    (body included) followed by provenance, publication_types, keywords."""
    n = 0
    for record in records:
        out.write(jsonl_line(record))
        n += 1
    return n


def jsonl_line(record: dict) -> str:
    """The line write_jsonl writes for `record`, with its newline."""
    record = normal_dates(record)
    ordered = {name: record.get(name) for name in RECORD_FIELDS}
    for key, value in record.items():
        if key not in ordered:
            ordered[key] = value
    line = json.dumps(ordered, ensure_ascii=False)
    if any(ch in line for ch in _JSONL_BREAKS):
        for ch, esc in _JSONL_BREAKS.items():
            line = line.replace(ch, esc)
    return line + "\n"


# ---------------------------------------------------------------- names

def split_name(name: str) -> tuple[str, str]:
    """"Smith JA" -> ("Smith", "JA"); "Smith, John" -> ("Smith", "John");
    "John van der Berg" -> ("van der Berg", "John"); a group name -> (name, "").
    """
    name = " ".join(name.split())
    if "," in name:
        family, _, given = name.partition(",")
        return family.strip(), given.strip()
    if _CORPORATE.search(name):
        return name, ""
    parts = name.split(" ")
    if len(parts) == 1:
        return name, ""
    # PubMed style: family name(s) then initials.
    if _is_initials(parts[-1]):
        return " ".join(parts[:-1]), parts[-1]
    # Given names first: the family name is the last word plus its particles.
    i = len(parts) - 1
    while i > 1 and parts[i - 1].lower() in _PARTICLES:
        i -= 1
    return " ".join(parts[i:]), " ".join(parts[:i])


def _is_initials(token: str) -> bool:
    letters = token.replace(".", "").replace("-", "")
    return 0 < len(letters) <= 4 and letters.isalpha() and letters.isupper()


def _key_part(text: str) -> str:
    """A BibTeX key part: ASCII letters and digits, lower case ("Groß-Müller" -> "grossmuller")."""
    return "".join(ch for ch in ascii_fold(text).lower() if ch.isalnum())


def _link(record: dict) -> str | None:
    doi = record.get("doi")
    if doi:
        return f"https://doi.org/{doi}"
    return record.get("url")


def _is_web_page(record: dict) -> bool:
    # A page with no journal and no registry identifier is cited as a web page.
    return not (record.get("journal") or record.get("doi") or record.get("pmid"))


def _registration(record: dict) -> str | None:
    """The NCT number of a trial registration (its id), else None."""
    rid = record.get("id") or ""
    return rid[4:] if rid.startswith("nct:") else None


def _one_line(text: Any) -> str:
    return " ".join(str(text).split())


# ---------------------------------------------------------------- RIS

def write_ris(records: Iterable[dict], out: TextIO) -> int:
    """RIS as Zotero, EndNote, Mendeley and JabRef import it.

    Lines are "XX  - value" ending in CRLF as the RIS specification says;
    each record runs from TY to "ER  - " with no blank line between records.
    Text is UTF-8 (Zotero, Mendeley and EndNote X+ read it).

    TY is JOUR for a journal study (also a news page that reports on one:
    the record carries that study's journal and year) and ELEC (a web page
    in EndNote and Zotero) for an item with no journal, DOI or PMID.
    The journal goes in T2, which both Zotero and EndNote read as the
    journal of a JOUR (Zotero reads JO as the journal *abbreviation*).
    The PMID goes in AN with "DB  - PubMed": EndNote's Accession Number and
    Name of Database, Zotero's "Loc. in Archive" and "Archive". (M1 is not
    used: Zotero reads M1 of a journal article as the issue.) The PMCID
    goes in C2, EndNote's PMCID field. KW lines carry drugs, conditions and
    study type. DA is written only when the item's own date falls in the
    study's year, so a news page's date never becomes the paper's date.
    """
    n = 0
    for record in records:
        for tag, value in _ris_lines(record):
            out.write(f"{tag}  - {_one_line(value)}\r\n")
        n += 1
    return n


def _ris_type(record: dict) -> str:
    # a registration is a database entry, a preprint an unpublished work
    if _registration(record):
        return "DBASE"
    if record.get("preprint"):
        return "UNPB"
    return "ELEC" if _is_web_page(record) else "JOUR"


def _ris_lines(record: dict) -> Iterator[tuple[str, str]]:
    yield "TY", _ris_type(record)
    if record.get("title"):
        yield "TI", _one_line(record["title"])
    for author in record.get("authors") or []:
        family, given = split_name(author)
        # A trailing comma marks a corporate author (no given name) for Zotero.
        yield "AU", _one_line(f"{family}, {given}" if given else f"{family},")
    if record.get("journal"):
        yield "T2", _one_line(record["journal"])
    year = record.get("year")
    if year is not None:
        yield "PY", str(year)
    date = _ris_date(record.get("published"), year)
    if date:
        yield "DA", date
    if record.get("doi"):
        yield "DO", record["doi"]
    if record.get("pmid"):
        yield "DB", "PubMed"
        yield "AN", str(record["pmid"])
    if record.get("pmcid"):
        yield "C2", record["pmcid"]
    nct = _registration(record)
    if nct:
        yield "DB", "ClinicalTrials.gov"
        yield "AN", nct
    for note in _notes(record):
        yield "N1", note
    if record.get("abstract"):
        yield "AB", _one_line(record["abstract"])
    link = record.get("url") or _link(record)
    if link:
        yield "UR", link
    for keyword in _keywords(record):
        yield "KW", keyword
    if record.get("language"):
        yield "LA", record["language"]
    yield "ER", ""


def _notes(record: dict) -> list[str]:
    """What a reader should know about a registration or preprint, one line each."""
    notes = []
    if _registration(record):
        status = "; ".join(filter(None, (record.get("phase"), record.get("trial_status"))))
        notes.append(f"Trial registration {_registration(record)}" + (f" ({status})" if status else ""))
    elif record.get("nct_ids"):
        notes.append("Trial registration: " + ", ".join(record["nct_ids"]))
    if record.get("preprint"):
        notes.append(f"Preprint ({record.get('journal') or 'preprint server'}), not peer reviewed")
    elif record.get("preprint_doi"):
        notes.append(f"Preprint: https://doi.org/{record['preprint_doi']}")
    return notes


def _ris_date(published: str | None, year: int | None) -> str | None:
    m = re.match(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", published or "")
    if not m or (year is not None and int(m.group(1)) != year):
        return None
    return "/".join(p for p in m.groups() if p)


def _keywords(record: dict) -> list[str]:
    words: list[str] = []
    for name in ("drugs", "conditions"):
        words.extend(v for v in record.get(name) or [] if v)
    if record.get("study_type"):
        words.append(record["study_type"])
    return words


# ---------------------------------------------------------------- BibTeX

_LATEX = str.maketrans({
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%",
    "$": r"\$", "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
})
# Verbatim fields (url, doi) are not LaTeX-escaped; only what would break
# the braces or the line is percent-encoded.
_VERBATIM = str.maketrans({"{": "%7B", "}": "%7D", "\\": "%5C", " ": "%20",
                           "\n": "%0A", "\r": "%0D", "\t": "%09"})
_STOPWORDS = frozenset(
    "a an the of on in and or for to with without from by at as is are was were "
    "its into after before under over via versus vs than".split()
    + "el la los las de del en un una y con por para o os as do da dos das em um uma".split()
    + "le les des du et une au aux der die das und mit von".split())


def latex_escape(text: str) -> str:
    """Escape the ten LaTeX special characters; keep every other character
    (UTF-8 is read by biber, Zotero, JabRef and 8-bit BibTeX alike)."""
    return _one_line(text).translate(_LATEX)


def write_bibtex(records: Iterable[dict], out: TextIO) -> int:
    """BibTeX: @article for a journal study, @misc for a web page.

    Fields: author ("A and B", corporate authors in braces), title (wrapped
    in an extra pair of braces so styles keep its capitalisation), journal,
    year, doi, pmid, note ("PMID: n", for styles that ignore pmid), abstract,
    url, keywords (drugs, conditions, study type, comma-separated).
    LaTeX special characters are escaped; other characters are kept as UTF-8.
    Keys are first author's family name + year + first meaningful title
    word, ASCII-folded and lower case, with suffixes a, b, c ... on
    collisions; the same records in the same order give the same keys.
    """
    used: set[str] = set()
    n = 0
    for record in records:
        key = _unique_key(_base_key(record), used)
        out.write(_bibtex_entry(record, key))
        n += 1
    return n


def _base_key(record: dict) -> str:
    authors = record.get("authors") or []
    family = _key_part(split_name(authors[0])[0]) if authors else ""
    year = record.get("year")
    word = ""
    for token in re.split(r"[\s/]+", record.get("title") or ""):
        folded = _key_part(token)
        if len(folded) >= 2 and folded not in _STOPWORDS:
            word = folded
            break
    return f"{family[:24] or 'anon'}{year if year is not None else 'nd'}{word[:24]}"


def _unique_key(base: str, used: set[str]) -> str:
    key, i = base, 0
    while key in used:
        key = base + _letters(i)
        i += 1
    used.add(key)
    return key


def _letters(i: int) -> str:
    """0 -> a, 25 -> z, 26 -> aa ..."""
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(97 + r) + s
    return s


def _bibtex_entry(record: dict, key: str) -> str:
    fields: list[tuple[str, str]] = []
    authors = record.get("authors") or []
    if authors:
        fields.append(("author", " and ".join(_bibtex_name(a) for a in authors)))
    if record.get("title"):
        fields.append(("title", "{" + latex_escape(record["title"]) + "}"))
    if record.get("journal"):
        fields.append(("journal", latex_escape(record["journal"])))
    if record.get("year") is not None:
        fields.append(("year", str(record["year"])))
    if record.get("doi"):
        fields.append(("doi", record["doi"].translate(_VERBATIM)))
    if record.get("pmid"):
        fields.append(("pmid", str(record["pmid"])))
        fields.append(("note", f"PMID: {record['pmid']}"))
    if record.get("pmcid"):
        fields.append(("pmcid", record["pmcid"]))
    nct = _registration(record)
    if nct or record.get("preprint"):
        # @misc: a registration or a preprint has no journal; its registry or server is where it appeared
        fields = [(k, v) for k, v in fields if k != "journal"]
        where = "ClinicalTrials.gov" if nct else record.get("journal")
        if where:
            fields.append(("howpublished", latex_escape(where)))
    notes = _notes(record)
    if notes:
        fields = [f for f in fields if f[0] != "note"]
        pmid_note = [f"PMID: {record['pmid']}"] if record.get("pmid") else []
        fields.append(("note", latex_escape(". ".join(pmid_note + notes))))
    if record.get("abstract"):
        fields.append(("abstract", latex_escape(record["abstract"])))
    link = record.get("url") or _link(record)
    if link:
        fields.append(("url", link.translate(_VERBATIM)))
    keywords = _keywords(record)
    if keywords:
        fields.append(("keywords", latex_escape(", ".join(keywords))))
    kind = "misc" if _is_web_page(record) or nct or record.get("preprint") else "article"
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@{kind}{{{key},\n{body}\n}}\n\n" if fields else f"@{kind}{{{key}\n}}\n\n"


def _bibtex_name(name: str) -> str:
    family, given = split_name(name)
    family, given = latex_escape(family), latex_escape(given)
    if not given:
        # Braces keep a group name whole instead of "Group, IBD Study".
        return "{" + family + "}"
    # " and " inside a name would split it into two authors.
    family = re.sub(r"\band\b", "{and}", family)
    return f"{family}, {given}"


__all__ = ["FORMATS", "CSV_COLUMNS", "LINES_FORMAT", "Rows", "write", "write_rows", "write_lines", "csv_line",
           "jsonl_line", "write_csv", "write_jsonl", "write_ris",
           "write_bibtex", "atomic_output", "split_name", "latex_escape"]
