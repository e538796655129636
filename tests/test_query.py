"""The query language: syntax, fields, ranges, expansion and exact error messages."""

from __future__ import annotations

import pytest

from tracker.errors import QueryError
from tracker.index.schema import FieldAnalyser, build_schema
from tracker.query.nodes import And, Every, Not, Or, Phrase, Prefix, Range, Term
from tracker.query.parser import compile_query


@pytest.fixture(scope="module")
def analyser():
    """The index's analysis of each field, as Index.analyser gives it."""
    return FieldAnalyser(build_schema())


def leaves(q):
    """Every leaf node of a query, depth first."""
    if isinstance(q, (And, Or)):
        return [leaf for item in q.items for leaf in leaves(item)]
    if isinstance(q, Not):
        return leaves(q.item)
    return [q]


def shown(analyser, text: str) -> str:
    return compile_query(text, analyser).shown


def notes(analyser, text: str) -> list[str]:
    return compile_query(text, analyser).notes


def error(analyser, text: str) -> str:
    with pytest.raises(QueryError) as info:
        compile_query(text, analyser)
    return str(info.value)


# ------------------------------------------------------------------ syntax

@pytest.mark.parametrize("text,expected", [
    ("pregnancy outcomes", "pregnancy AND outcomes"),
    ('"trough levels" pediatric', '"trough levels" AND pediatric'),
    ("pregnancy OR lactation", "pregnancy OR lactation"),
    ("pregnancy NOT review", "pregnancy AND NOT review"),
    ("pregnancy -review", "pregnancy AND NOT review"),
    ("(pregnancy OR lactation) surgery", "(pregnancy OR lactation) AND surgery"),
    ("pregnancy OR lactation surgery", "pregnancy OR lactation AND surgery"),
    ("vedoli*", "vedoli*"),
    ("", "everything"),
    ("*", "everything"),
])
def test_syntax(analyser, text, expected):
    assert shown(analyser, text) == expected


def test_and_binds_tighter_than_or(analyser):
    q = compile_query("pregnancy OR lactation surgery", analyser).query
    assert isinstance(q, Or)
    assert isinstance(q.items[1], And)


def test_lowercase_operators_are_words_with_a_note(analyser):
    parsed = compile_query("pregnancy or lactation", analyser)
    assert parsed.shown == "pregnancy AND lactation"
    assert parsed.notes == ["lower-case 'or' at position 11 is an ordinary word (ignored); "
                            "write OR for the operator."]


def test_not_alone_means_everything_else(analyser):
    q = compile_query("NOT review", analyser).query
    assert isinstance(q, And) and q.items[0] == Every() and isinstance(q.items[1], Not)


def test_double_negation_cancels(analyser):
    plain = compile_query("natalizumab", analyser).query
    assert compile_query("NOT NOT natalizumab", analyser).query == plain
    assert compile_query("NOT -natalizumab", analyser).query == plain
    assert shown(analyser, "pregnancy NOT NOT NOT review") == "pregnancy AND NOT review"
    assert compile_query("NOT " * 2400 + "natalizumab", analyser).query == plain   # no recursion


def test_limits_of_one_query(analyser):
    assert error(analyser, "a" * 10_001) == ("the query is 10,001 characters long; tracker takes at most "
                                             "10,000 (split it into several searches).")
    assert error(analyser, "pml OR " * 50 + "pml") == ("the query has 51 terms; tracker takes at most 50 "
                                                       "in one search (split it into several).")
    compile_query("pml OR " * 49 + "pml", analyser)      # 50 terms: a long OR list still runs
    # each word of a phrase is a term; a prefix counts as two
    assert error(analyser, "\"loss of response\" OR " * 17).startswith("the query has 51 terms;")
    compile_query(" OR ".join(['"loss of response"'] * 16 + ["pml", "crohn"]), analyser)
    assert error(analyser, " OR ".join(["natali*"] * 26)) == ("the query has 52 terms (a prefix word* counts "
                                                            "as two); tracker takes at most 50 in one search "
                                                            "(split it into several).")
    compile_query(" OR ".join(["natali*"] * 25), analyser)
    assert error(analyser, " OR ".join(["natali*"] * 20 + ["pml"] * 11)).startswith("the query has 51 terms (")
    compile_query(" OR ".join(["natali*"] * 20 + ["pml"] * 10), analyser)
    nested = "(" * 32 + "natalizumab" + ")" * 32
    assert compile_query(nested, analyser).shown == "natalizumab OR drug:natalizumab"
    assert error(analyser, "(" + nested + ")") == ("parentheses nest more than 32 deep at position 33; "
                                                   "remove some of them.")


def test_numbers_longer_than_python_reads(analyser):
    assert error(analyser, "year:1" + "0" * 5000) == (
        "'year:10000000000000000000…' at position 1: 1000000000… (5,001 digits) is larger than any year "
        "tracker stores.")
    assert shown(analyser, "cases:" + "0" * 5000 + "3") == "cases:3"


def test_colon_in_prose_is_not_a_field(analyser):
    assert shown(analyser, "pouchitis: outcomes") == "(pouchitis OR condition:pouchitis) AND outcomes"


# ------------------------------------------------------------------ fields

@pytest.mark.parametrize("text,expected", [
    ("drug:tysabri", "drug:natalizumab"),
    ("drugs:Vedolizumab", "drug:vedolizumab"),
    ("drug:vedoli*", "drug:vedoli*"),
    ("type:case_report", "type:case_report"),
    ('type:"case report"', "type:case_report"),
    ("type:Case-Reports", "type:case_report"),
    ("type:rct", "type:rct"),
    ('type:"randomized controlled trial"', "type:rct"),
    ("type:meta-analysis", "type:meta_analysis"),
    ("type:series", "type:case_series"),
    ("doi:https://doi.org/10.1093/ECCO-JCC/jjz001", "doi:10.1093/ecco-jcc/jjz001"),
    ("doi:10.1016/S0140-6736(17)32448-0", "doi:10.1016/s0140-6736(17)32448-0"),
    ("(doi:10.1093/abc)", "doi:10.1093/abc"),
    ("pmid:PMID:31000001", "pmid:31000001"),
    ("pmcid:123", "pmcid:PMC123"),
    ("condition:crohns", "condition:crohns_disease"),
    ('condition:"regional enteritis"', "condition:crohns_disease"),
    ("author:Sandborn", "author:Sandborn"),
    ('author:"Sandborn WJ"', 'author:"Sandborn WJ"'),
    ("feed:ibd-news", "feed:ibd-news"),
    ("year:2015..2020", "year:2015..2020"),
    ("year:2015-2020", "year:2015..2020"),
    ("year:>=2015", "year:>=2015"),
    ("year:<2010", "year:<2010"),
    ("year:2015..", "year:2015.."),
    ("year:2019", "year:2019"),
    ("cases:>=3", "cases:>=3"),
    ("cases:1..5", "cases:1..5"),
    ("cases:>3", "cases:>3"),
    ("cases:<=10", "cases:<=10"),
    ("drug:(infliximab OR remicade)", "drug:infliximab OR drug:infliximab"),
])
def test_fields(analyser, text, expected):
    assert shown(analyser, text) == expected


def test_ranges_build_numeric_queries(analyser):
    assert compile_query("cases:>3", analyser).query == Range("case_count", 3, None, start_excl=True)
    assert compile_query("year:..2010", analyser).query == Range("year", None, 2010)


def test_unknown_journal_abbreviation_matches_word_prefixes(analyser):
    q = compile_query('journal:"Rev Xyzian Gastroenterol"', analyser).query
    assert q == Or((Phrase("journal", ("rev", "xyzian", "gastroenterol")),
                    And((Prefix("journal", "rev"), Prefix("journal", "xyzian"), Prefix("journal", "gastroenterol")))))


def test_known_journal_abbreviation_is_one_exact_term(analyser):
    parsed = compile_query('journal:"J Crohns Colitis"', analyser)
    assert parsed.query == Term("journal_name", "Journal of Crohn's and Colitis")
    assert parsed.notes == ["journal:\"J Crohns Colitis\" -> Journal of Crohn's and Colitis"]


# ------------------------------------------------------------------ expansion

def test_brand_expands_to_generic_text_and_keyword(analyser):
    parsed = compile_query("tysabri", analyser)
    assert parsed.shown == "tysabri OR natalizumab OR drug:natalizumab"
    assert parsed.notes == ["tysabri -> natalizumab (brand, biosimilar, code or abbreviation)"]
    assert Term("drugs", "natalizumab", boost=1.5) in leaves(parsed.query)


@pytest.mark.parametrize("brand,generic", [
    ("Entyvio", "vedolizumab"), ("remicade", "infliximab"), ("Inflectra", "infliximab"),
    ("humira", "adalimumab"), ("amgevita", "adalimumab"), ("stelara", "ustekinumab"),
    ("skyrizi", "risankizumab"), ("cimzia", "certolizumab pegol"), ("CT-P13", "infliximab"),
    ("IFX", "infliximab"), ("vdz", "vedolizumab"), ("UST", "ustekinumab"),
])
def test_brands_and_biosimilars(analyser, brand, generic):
    assert notes(analyser, brand) == [f"{brand} -> {generic} (brand, biosimilar, code or abbreviation)"]


def test_comparison_words_are_not_required(analyser):
    parsed = compile_query("ustekinumab vs vedolizumab", analyser)
    assert parsed.shown == "(ustekinumab OR drug:ustekinumab) AND (vedolizumab OR drug:vedolizumab)"
    assert parsed.notes == ["'vs' at position 13 is ignored; both sides must match."]
    assert shown(analyser, "infliximab versus adalimumab") == \
        "(infliximab OR drug:infliximab) AND (adalimumab OR drug:adalimumab)"
    assert shown(analyser, '"infliximab versus placebo"') == '"infliximab versus placebo"'


@pytest.mark.parametrize("word,members", [
    ("anti-tnf", "adalimumab, certolizumab pegol, golimumab, infliximab"),
    ("anti-TNF", "adalimumab, certolizumab pegol, golimumab, infliximab"),
    ("anti-integrin", "etrolizumab, natalizumab, vedolizumab"),
    ("anti-il-23", "brazikumab, guselkumab, mirikizumab, risankizumab"),
    ("jak", "filgotinib, tofacitinib, upadacitinib"),
    ("s1p", "etrasimod, fingolimod, ozanimod"),
])
def test_classes_expand_to_members(analyser, word, members):
    assert notes(analyser, word)[0].startswith(f"{word} -> {members} (drug class ")


def test_multiword_class_and_condition_act_as_one_term(analyser):
    assert notes(analyser, "jak inhibitor")[0].startswith('"jak inhibitor" -> filgotinib')
    assert notes(analyser, "regional enteritis")[0].startswith('"regional enteritis" -> condition:crohns_disease')


@pytest.mark.parametrize("word", ["crohn", "crohn's", "crohns", "Crohns"])
def test_condition_synonyms(analyser, word):
    assert notes(analyser, word)[0].startswith(f"{word} -> condition:crohns_disease")


def test_cd_alone_is_not_expanded(analyser):
    assert notes(analyser, "cd") == []


def test_generic_also_matches_drug_keyword(analyser):
    assert shown(analyser, "natalizumab") == "natalizumab OR drug:natalizumab"


# ------------------------------------------------------------------ errors

@pytest.mark.parametrize("text,message", [
    ('"natalizumab pml', "unbalanced quote: the phrase opened at position 1 is never closed."),
    ('pml "natalizumab', "unbalanced quote: the phrase opened at position 5 is never closed."),
    ("(natalizumab OR pml", "unbalanced parenthesis: the '(' at position 1 is never closed."),
    ("natalizumab pml)", "unbalanced parenthesis: the ')' at position 16 has no matching '('."),
    ("jornal:gut", "unknown field 'jornal:' at position 1; fields are abstract, author, body, cases, "
                   "condition, doi, drug, feed, id, journal, lang, pmcid, pmid, title, type, year."),
    ("pml year:2020..2015", "the range 'year:2020..2015' at position 5 is inverted (2020 > 2015); "
                            "write year:2015..2020."),
    ("cases:9..3", "the range 'cases:9..3' at position 1 is inverted (9 > 3); write cases:3..9."),
    ("year:recent", "'year:recent' at position 1 needs a number or a range such as "
                    "year:2015..2020 or year:>=2015."),
    ("cases:>=many", "'cases:>=many' at position 1 needs a number or a range such as cases:1..5 or cases:>=3."),
    ("pml year:>=99999999999", "'year:>=99999999999' at position 5: 99999999999 is larger than any year "
                               "tracker stores."),
    ("cases:1..4294967296", "'cases:1..4294967296' at position 1: 4294967296 is larger than any cases "
                            "tracker stores."),
    ("drug:", "empty value for 'drug:' at position 1."),
    ("pml drug: natalizumab", "empty value for 'drug:' at position 5."),
    ('journal:""', "empty value for 'journal:' at position 1."),
    ("pml AND", "'AND' at position 5 needs a term on each side."),
    ("OR pml", "'OR' at position 1 needs a term on each side."),
    ("pml OR OR vedolizumab", "'OR' at position 5 needs a term on each side."),
    ("pml NOT", "'NOT' at position 5 needs a term after it."),
    ("pml NOT NOT", "'NOT' at position 9 needs a term after it."),
    ("NOT OR pml", "'NOT' at position 1 needs a term after it."),
    ("pml ()", "empty parentheses at position 5."),
    ("type:anecdote", "unknown study type 'type:anecdote' at position 1; use case_report, case_series, "
                      "cohort, rct, meta_analysis, review or other."),
    ("doi:nonsense", "'doi:nonsense' at position 1 is not a DOI (expected 10.<digits>/<suffix>)."),
    ("pmid:12ab", "'pmid:12ab' at position 1 is not a PubMed id (digits only)."),
    ("v*", "the prefix 'v*' at position 1 needs at least two letters before '*'."),
])
def test_errors_name_the_problem_and_position(analyser, text, message):
    assert error(analyser, text) == message
