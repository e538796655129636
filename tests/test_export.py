"""Every export format is written, then read back with a real parser."""

from __future__ import annotations

import csv
import io
import json
import os

import pytest

from tracker.errors import TrackerError
from tracker.models import RECORD_FIELDS, Article
from tracker.output import export

TRICKY_TITLE = "Crohn's & 5-ASA: 50% of TNF-α_users {paid} $3 #1 ~x^2 a\\b"


def record(**overrides) -> dict:
    base = dict(
        title="Natalizumab-associated PML in Crohn's disease",
        abstract="We report three cases. Patients, aged 30-45, received \"natalizumab\".",
        authors=["Smith JA", "Müller K", "IBD Study Group"],
        journal="Journal of Crohn's and Colitis",
        year=2019,
        published="2019-03-04",
        doi="10.1093/ecco-jcc/jjz001",
        pmid="30000001",
        pmcid="PMC6000001",
        url="https://academic.oup.com/ecco-jcc/article/13/1/1/5000001",
        study_type="case_series",
        case_count=3,
        drugs=["infliximab", "natalizumab"],
        conditions=["crohns_disease", "pml"],
        language="en",
        feeds=["pubmed-crohns-biologics", "europepmc-natalizumab"],
        first_seen="2026-11-25T17:40:00Z",
        fetched_at="2026-11-25T17:40:00Z",
        body="Full text of the page.",
    )
    base.update(overrides)
    return Article(**base).to_dict()


def web_page() -> dict:
    return record(title="Blog: living with Crohn's", authors=[], journal=None, year=None,
                  doi=None, pmid=None, pmcid=None, url="https://example.org/news/1",
                  drugs=[], conditions=[], study_type=None, case_count=None)


def dump(records, fmt: str, **kw) -> str:
    buf = io.StringIO(newline="")
    n = export.write(records, fmt, buf, **kw)
    assert n == len(records)
    return buf.getvalue()


# ---------------------------------------------------------------- CSV

def read_csv(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_csv_header_is_record_table_order_without_body():
    text = dump([record()], "csv")
    header = next(csv.reader(io.StringIO(text)))
    assert header == [f for f in RECORD_FIELDS if f not in ("body", "case_count_evidence")]
    assert text.count("\r\n") == 2  # header + one row, RFC 4180 line ends


def test_csv_round_trip_commas_quotes_newlines_unicode():
    tricky = record(title='Comma, "quote" and\nnewline – ünïcødé TNF-α',
                    abstract=None, case_count=None, drugs=[])
    row = read_csv(dump([tricky], "csv"))[0]
    assert row["title"] == 'Comma, "quote" and newline – ünïcødé TNF-α'  # Article normalises \n
    assert row["authors"] == "Smith JA; Müller K; IBD Study Group"
    assert row["feeds"] == "pubmed-crohns-biologics; europepmc-natalizumab"
    assert row["abstract"] == "" and row["case_count"] == "" and row["drugs"] == ""
    assert row["year"] == "2019"
    assert "body" not in row


def test_csv_embedded_newline_survives_quoting():
    rec = record()
    rec["abstract"] = 'Line one,\r\nline "two"'
    assert read_csv(dump([rec], "csv"))[0]["abstract"] == 'Line one,\r\nline "two"'


@pytest.mark.parametrize("lead", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_formula_cells_neutralised(lead):
    rec = record()
    rec["title"] = lead + "HYPERLINK(\"http://evil\")"
    rec["authors"] = [lead + "1+1", "Smith JA"]
    row = read_csv(dump([rec], "csv"))[0]
    assert row["title"] == "'" + rec["title"]
    assert row["authors"] == "'" + lead + "1+1; Smith JA"


def test_csv_raw_keeps_formula_cells():
    rec = record()
    rec["title"] = "=1+1"
    row = read_csv(dump([rec], "csv", raw=True))[0]
    assert row["title"] == "=1+1"


def test_csv_numbers_are_not_touched_but_negative_text_is():
    rec = record(case_count=12, year=2020)
    rec["journal"] = "-5"
    row = read_csv(dump([rec], "csv"))[0]
    assert row["case_count"] == "12" and row["year"] == "2020"
    assert row["journal"] == "'-5"


def test_csv_excel_writes_bom_once():
    text = dump([record(), record(doi="10.1/b")], "csv", excel=True)
    assert text.startswith("\ufeffid,title,")
    assert text.count("\ufeff") == 1
    assert not dump([record()], "csv").startswith("\ufeff")


def test_csv_empty_export_has_header_only():
    buf = io.StringIO(newline="")
    assert export.write(iter([]), "csv", buf) == 0
    assert buf.getvalue() == ",".join(export.CSV_COLUMNS) + "\r\n"


def test_unknown_format_is_a_clear_error():
    with pytest.raises(TrackerError, match="csv, jsonl, ris, bibtex"):
        export.write([], "xml", io.StringIO())


# ---------------------------------------------------------------- JSONL

def test_jsonl_round_trip_every_field():
    recs = [record(), record(doi="10.1/b", title="Ünïcødé – TNF-α \u2028 line sep")]
    text = dump(recs, "jsonl")
    lines = text.splitlines()  # splitlines breaks on U+2028: it must be escaped
    assert len(lines) == 2
    back = [json.loads(line) for line in lines]
    assert back == recs
    assert list(back[0])[: len(RECORD_FIELDS)] == list(RECORD_FIELDS)
    assert back[0]["body"] == "Full text of the page."
    assert "provenance" in back[0]
    assert "Ünïcødé" in text  # ensure_ascii=False


# ---------------------------------------------------------------- RIS

@pytest.fixture
def rispy():
    return pytest.importorskip("rispy")


def test_ris_parses_back_with_rispy(rispy):
    text = dump([record(), web_page()], "ris")
    assert text.startswith("TY  - JOUR\r\n")
    assert "\r\nER  - \r\nTY  - ELEC\r\n" in text
    entries = rispy.loads(text)
    assert len(entries) == 2
    art, page = entries
    assert art["type_of_reference"] == "JOUR"
    assert art["title"] == "Natalizumab-associated PML in Crohn's disease"
    assert art["authors"] == ["Smith, JA", "Müller, K", "IBD Study Group,"]
    assert art["secondary_title"] == "Journal of Crohn's and Colitis"
    assert art["year"] == "2019"
    assert art["date"] == "2019/03/04"
    assert art["doi"] == "10.1093/ecco-jcc/jjz001"
    assert art["accession_number"] == "30000001"
    assert art["name_of_database"] == "PubMed"
    assert art["abstract"].startswith("We report three cases.")
    assert art["keywords"] == ["infliximab", "natalizumab", "crohns_disease", "pml", "case_series"]
    assert art["language"] == "en"
    assert art["urls"] == ["https://academic.oup.com/ecco-jcc/article/13/1/1/5000001"]
    assert page["type_of_reference"] == "ELEC"
    assert page["urls"] == ["https://example.org/news/1"]
    assert "authors" not in page and "year" not in page


def test_ris_values_stay_on_one_line(rispy):
    rec = record()
    rec["abstract"] = "First line\nER  - injected\r\nthird"
    entries = rispy.loads(dump([rec], "ris"))
    assert len(entries) == 1
    assert entries[0]["abstract"] == "First line ER - injected third"


def test_ris_news_page_date_is_not_the_study_date(rispy):
    rec = record(published="2024-05-01", year=2017)
    entry = rispy.loads(dump([rec], "ris"))[0]
    assert entry["year"] == "2017"
    assert "date" not in entry


def test_ris_url_falls_back_to_doi(rispy):
    entry = rispy.loads(dump([record(url=None)], "ris"))[0]
    assert entry["urls"] == ["https://doi.org/10.1093/ecco-jcc/jjz001"]


# ---------------------------------------------------------------- names

@pytest.mark.parametrize("name, expected", [
    ("Smith JA", ("Smith", "JA")),
    ("Smith J.A.", ("Smith", "J.A.")),
    ("Smith, John A.", ("Smith", "John A.")),
    ("John A. Smith", ("Smith", "John A.")),
    ("Johan van der Berg", ("van der Berg", "Johan")),
    ("Garcia Lopez M", ("Garcia Lopez", "M")),
    ("IBD Study Group", ("IBD Study Group", "")),
    ("Madonna", ("Madonna", "")),
])
def test_split_name(name, expected):
    assert export.split_name(name) == expected


# ---------------------------------------------------------------- BibTeX

@pytest.fixture
def bibtexparser():
    return pytest.importorskip("bibtexparser")


def parse_bibtex(text: str, decode: bool = True):
    bibtexparser = pytest.importorskip("bibtexparser")
    from bibtexparser import middlewares as m
    stack = [m.LatexDecodingMiddleware()] if decode else []
    lib = bibtexparser.parse_string(text, append_middleware=stack)
    assert not lib.failed_blocks
    return lib


def test_bibtex_parses_back_with_fields():
    lib = parse_bibtex(dump([record(), web_page()], "bibtex"), decode=False)
    art, page = lib.entries
    assert art.entry_type == "article" and page.entry_type == "misc"
    f = {k: v.value for k, v in art.fields_dict.items()}
    assert f["author"] == "Smith, JA and Müller, K and {IBD Study Group}"
    assert f["title"] == "{Natalizumab-associated PML in Crohn's disease}"  # case protected
    assert f["journal"] == "Journal of Crohn's and Colitis"
    assert f["year"] == "2019"
    assert f["doi"] == "10.1093/ecco-jcc/jjz001"
    assert f["pmid"] == "30000001"
    assert f["note"] == "PMID: 30000001"
    assert f["url"] == "https://academic.oup.com/ecco-jcc/article/13/1/1/5000001"
    assert f["keywords"] == r"infliximab, natalizumab, crohns\_disease, pml, case\_series"
    assert f["abstract"].startswith("We report three cases.")


def test_bibtex_authors_split(bibtexparser):
    from bibtexparser import middlewares as m
    lib = bibtexparser.parse_string(dump([record()], "bibtex"),
                                    append_middleware=[m.SeparateCoAuthors(), m.SplitNameParts()])
    names = lib.entries[0]["author"]
    assert [n.last for n in names] == [["Smith"], ["Müller"], ["{IBD Study Group}"]]
    assert [n.first for n in names][:2] == [["JA"], ["K"]]


def test_bibtex_special_characters_survive():
    lib = parse_bibtex(dump([record(title=TRICKY_TITLE, journal="Gut & Liver_2")], "bibtex"))
    entry = lib.entries[0]
    # pylatexenc decodes \textasciicircum to U+02C6, LaTeX's own rendering of it
    assert entry["title"].replace("\u02c6", "^") == TRICKY_TITLE
    assert entry["journal"] == "Gut & Liver_2"


def test_bibtex_title_escaping_is_exact():
    raw = parse_bibtex(dump([record(title=TRICKY_TITLE)], "bibtex"), decode=False)
    assert raw.entries[0]["title"] == (
        r"{Crohn's \& 5-ASA: 50\% of TNF-α\_users \{paid\} \$3 \#1 "
        r"\textasciitilde{}x\textasciicircum{}2 a\textbackslash{}b}")


def test_bibtex_keys_unique_and_stable():
    recs = [record(doi=f"10.1/{i}") for i in range(4)] + [
        record(doi="10.1/x", title="The effect of vedolizumab", authors=["Ødegård ÅB"], year=2021),
        record(doi="10.1/y", title="A", authors=[], year=None),
    ]
    keys = [e.key for e in parse_bibtex(dump(recs, "bibtex")).entries]
    assert keys == ["smith2019natalizumabassociated", "smith2019natalizumabassociateda",
                    "smith2019natalizumabassociatedb", "smith2019natalizumabassociatedc",
                    "odegard2021effect", "anonnd"]
    again = [e.key for e in parse_bibtex(dump(recs, "bibtex")).entries]
    assert again == keys


def test_bibtex_suffix_never_reuses_a_natural_key():
    recs = [record(doi="10.1/a", title="Alpha"), record(doi="10.1/b", title="Alpha"),
            record(doi="10.1/c", title="Alphaa")]
    keys = [e.key for e in parse_bibtex(dump(recs, "bibtex")).entries]
    assert len(set(keys)) == 3


# ---------------------------------------------------------------- atomic_output

def test_atomic_output_replaces_on_success(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old")
    with export.atomic_output(target) as fh:
        export.write([record()], "csv", fh)
        assert target.read_text() == "old"  # not visible until done
    assert target.read_text(encoding="utf-8").startswith("id,title")
    assert os.listdir(tmp_path) == ["out.csv"]


def test_atomic_output_leaves_nothing_on_error(tmp_path):
    target = tmp_path / "out.jsonl"

    def boom():
        yield record()
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        with export.atomic_output(target) as fh:
            export.write(boom(), "jsonl", fh)
    assert os.listdir(tmp_path) == []


def test_atomic_output_keeps_old_file_on_error(tmp_path):
    target = tmp_path / "out.ris"
    target.write_text("previous export")
    with pytest.raises(KeyboardInterrupt):
        with export.atomic_output(target) as fh:
            fh.write("TY  - JOUR\r\n")
            raise KeyboardInterrupt
    assert target.read_text() == "previous export"
    assert os.listdir(tmp_path) == ["out.ris"]


def test_atomic_output_uses_normal_permissions(tmp_path):
    target = tmp_path / "new.csv"
    with export.atomic_output(target) as fh:
        fh.write("x")
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask
