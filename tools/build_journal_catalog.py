"""Build tracker/data/journal_catalog.tsv from the JabRef journal lists (CC0).

    python tools/build_journal_catalog.py /path/to/journals/ > tracker/data/journal_catalog.tsv

The input folder holds journal_abbreviations_{entrez,lifescience,medicus}.csv
(abbrv.jabref.org, CC0 1.0). Each output line is

    Full Title <TAB> NLM abbreviation <TAB> ISO abbreviation <TAB> key|key|...

where the keys are tracker.lexicon.journals.norm_key of every name the
journal goes by, precomputed so that loading the catalog needs no text
normalisation (test_lexicon checks they still agree with norm_key).
An abbreviation two journals share is dropped: it names neither for sure.
"""

from __future__ import annotations

import csv
import re
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tracker.lexicon.journals import norm_key  # noqa: E402

SMALL = {"a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "of", "on", "or", "the", "to",
         "with", "de", "del", "della", "der", "des", "di", "do", "dos", "da", "das", "du", "e", "en", "et",
         "für", "fur", "la", "le", "les", "los", "und", "y", "van", "von", "voor", "och", "i"}
_PLACE = re.compile(r"\s*\([^()]*\)\s*$")
_WORD = re.compile(r"[^\s\-/]+|[\s\-/]+")


def base_title(title: str) -> str:
    """Title without subtitle (' : ...'), responsible body (' / ...') or place '(London, England)'."""
    title = title.split(" : ")[0].split(" / ")[0].strip().rstrip(".:;,")
    return _PLACE.sub("", title).strip() or title


def title_case(title: str) -> str:
    """'Cell host & microbe' -> 'Cell Host & Microbe'; acronyms and odd casing kept."""
    out, first = [], True
    for token in _WORD.findall(title):
        if not token.strip() or not token[0].isalpha():
            out.append(token)
            continue
        lower = token.lower()
        if any(c.isupper() for c in token[1:]) or (token.isupper() and len(token) > 1):
            out.append(token)          # JAMA, mAbs, BMJ
        elif not first and lower in SMALL:
            out.append(lower)
        else:
            out.append(token[0].upper() + token[1:])
        first = False
    return "".join(out)


def read(folder: Path, name: str) -> list[tuple[str, str]]:
    with open(folder / f"journal_abbreviations_{name}.csv", encoding="utf-8", newline="") as fh:
        return [(r[0].strip(), r[1].strip()) for r in csv.reader(fh) if len(r) >= 2 and r[0].strip()]


def build(folder: Path) -> list[tuple[str, str, str, list[str]]]:
    entrez = read(folder, "entrez")
    cased: dict[str, str] = {}   # base key -> a title-cased spelling from the other lists
    iso: dict[str, str] = {}     # base key -> dotted ISO abbreviation
    extra: list[tuple[str, str]] = []
    for name in ("lifescience", "medicus"):
        for title, abbr in read(folder, name):
            key = norm_key(base_title(title))
            cased.setdefault(key, base_title(title))
            if "." in abbr:
                iso.setdefault(key, abbr)
            extra.append((title, abbr))

    groups: dict[str, dict] = {}
    for title, abbr in entrez + extra:
        key = norm_key(base_title(title))
        if not key:
            continue
        group = groups.setdefault(key, {"titles": [], "abbrevs": []})
        group["titles"].append(title)
        group["abbrevs"].append(abbr)

    owners: dict[str, set[str]] = defaultdict(set)   # any name key -> groups using it
    for key, group in groups.items():
        for name in [base_title(t) for t in group["titles"]] + group["abbrevs"]:
            owners[norm_key(name)].add(key)

    rows = []
    for key, group in sorted(groups.items()):
        display = cased.get(key) or title_case(base_title(group["titles"][0]))
        nlm = next((a for a in group["abbrevs"] if "." not in a), group["abbrevs"][0])
        keys = {key}
        # subtitles and places are dropped from the names: prose rarely spells them out
        for name in [base_title(t) for t in group["titles"]] + group["abbrevs"]:
            k = norm_key(name)
            # a name shared with another journal counts only where it is that journal's own title
            if k and (owners[k] == {key} or k == key):
                keys.add(k)
        dotted = iso.get(key, "")
        rows.append((display, nlm, dotted if dotted.replace(".", "") != nlm else "", sorted(keys)))
    return rows


def main() -> None:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/journals")
    out = sys.stdout
    out.write("# Journal catalog: titles and abbreviations for resolving journal names tracker's own list\n"
              "# (journals.tsv) lacks. Built by tools/build_journal_catalog.py from the JabRef abbreviation\n"
              "# lists (abbrv.jabref.org, commit a6879a8, June 2026: NLM Entrez, Index Medicus and\n"
              "# life-science lists), released under CC0 1.0; facts, bundled with this note.\n"
              "# Columns: full title, NLM abbreviation, ISO abbreviation, comparison keys (norm_key).\n")
    for display, nlm, iso_abbr, keys in build(folder):
        out.write(f"{display}\t{nlm}\t{iso_abbr}\t{'|'.join(keys)}\n")


if __name__ == "__main__":
    main()
