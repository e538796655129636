"""Record what tracker answers for an index: ~70 queries through search
(JSON with scores, highlights and four facets; --explain; three sorts),
export (CSV, JSONL, RIS, BibTeX), stats and check, one file per command.

    python bench/golden/run.py INDEX_DIR OUT_DIR

Run it on the same index before and after a refactor and `diff -r` the two
folders: a change that should not change behaviour leaves them identical.
(Run it against a copy of the index; nothing here writes to it.)
"""

from __future__ import annotations

import sys
from pathlib import Path

from click.testing import CliRunner

from tracker.cli import cli

QUERIES = [
    "natalizumab", "pml", "pregnancy", "fistula", "immunogenicity", "calprotectin", '"mucosal healing"',
    '"progressive multifocal leukoencephalopathy"', '"loss of response"', '"therapeutic drug monitoring"',
    "natalizumab pml", "vedolizumab pregnancy", "infliximab biosimilar switching", "pediatric adalimumab",
    "natalizumab cases:>=3 year:>=2015", "drug:vedolizumab type:rct", "ustekinumab year:2015..2020",
    "infliximab type:case_report cases:1..5", 'journal:"J Crohns Colitis" vedolizumab', "tysabri",
    "entyvio crohn", "remicade", "humira biosimilar", "anti-tnf pregnancy", "jak", "anti-il-23", "vedoli*",
    "upadacitinib OR tofacitinib", "infliximab NOT type:review", "regional enteritis", "crohns", "NOT pml",
    "-natalizumab", "drug:anti-tnf", "drug:tysabri", "condition:pml", "author:smith", "journal:gut",
    "journal:gastro*", "title:vedolizumab", 'abstract:"loss of response"', "year:<2012", "cases:>100",
    "year:2015-2018 OR cases:1", "lang:en", "feed:bench", "ifx", "ustekinumab vs vedolizumab",
    "(tysabri OR entyvio) AND NOT type:review", '"jak inhibitor"', "progressive multifocal leukoencephalopathy",
    "natalizmab", "adalimumab title:(switch* OR biosimilar)", "menetrier", "crohn's disease",
    "inflammatory bowel disease", "id:pmid:100", "doi:10.1000/*", "pmid:12345", "*", "",
    # bad queries: their one-line errors are part of the contract too
    "the of", "a AND", "year:2020..2010", "foo:bar", "(unbalanced",
]
FACETS = ["--facet", "year", "--facet", "journal", "--facet", "drug", "--facet", "study_type"]


def record(runner: CliRunner, index: str, path: Path, args: list[str]) -> None:
    res = runner.invoke(cli, ["--index", index, *args], catch_exceptions=True)
    text = f"exit={res.exit_code}\n--stdout--\n{res.stdout}\n--stderr--\n{res.stderr}"
    if res.exception and not isinstance(res.exception, SystemExit):
        text += f"\nEXC {type(res.exception).__name__}: {res.exception}"
    path.write_text(text, encoding="utf-8")


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    index, out = sys.argv[1], Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    runner = CliRunner()
    for i, q in enumerate(QUERIES):
        record(runner, index, out / f"q{i:02d}.json", ["search", q, "-n", "30", "-f", "json", *FACETS])
        record(runner, index, out / f"q{i:02d}.explain", ["search", q, "-n", "5", "--explain", "-f", "jsonl"])
        for sort in ("year", "-year", "cases"):
            record(runner, index, out / f"q{i:02d}.sort{sort}", ["search", q, "-n", "15", "-f", "csv", "--sort", sort])
        record(runner, index, out / f"q{i:02d}.export", ["export", q, "-f", "csv"])
    for fmt in ("jsonl", "ris", "bibtex"):
        record(runner, index, out / f"all.export.{fmt}", ["export", "-f", fmt])
    for by in ("drug", "year"):
        record(runner, index, out / f"stats.{by}", ["stats", "--by", by])
    record(runner, index, out / "check", ["check"])


if __name__ == "__main__":
    main()
