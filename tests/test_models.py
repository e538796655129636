from __future__ import annotations

from tracker.models import RECORD_FIELDS, Article, canonical_url, clean_text, merge, normalize_doi


def test_doi_normalisation():
    assert normalize_doi("https://doi.org/10.1093/ECCO-JCC/jjz001") == "10.1093/ecco-jcc/jjz001"
    assert normalize_doi("doi:10.1016/S0140-6736(20)30123-4") == "10.1016/s0140-6736(20)30123-4"
    assert normalize_doi("http://dx.doi.org/10.1111/apt.15000.") == "10.1111/apt.15000"
    assert normalize_doi("not a doi") is None


def test_doi_from_a_link_keeps_none_of_the_link():
    assert normalize_doi("https://doi.org/10.1093/ecco-jcc/jjab101?utm_source=newsletter&utm_medium=email") \
        == "10.1093/ecco-jcc/jjab101"
    assert normalize_doi("10.1056/NEJMoa2034577?rss=1") == "10.1056/nejmoa2034577"
    assert normalize_doi("10.1111/apt.16250?af=R&utm_source=rss") == "10.1111/apt.16250"
    assert normalize_doi("10.1111/j.1365-2036.2010.04400.x/full") == "10.1111/j.1365-2036.2010.04400.x"
    assert normalize_doi("10.1007/s10620-020-06000-0/fulltext.html") == "10.1007/s10620-020-06000-0"
    assert normalize_doi("10.1016%2Fj.gaceta.2016.10.005") == "10.1016/j.gaceta.2016.10.005"
    assert normalize_doi("https://doi.org/10.1136/bmj.f6633#citeas") == "10.1136/bmj.f6633"


def test_doi_brackets_belong_to_the_doi_only_when_balanced():
    assert normalize_doi("10.1016/S0140-6736(22)00467-6)") == "10.1016/s0140-6736(22)00467-6"
    assert normalize_doi("10.1002/(SICI)1097-4636(199706)35:4<461::AID-JBM7>3.0.CO;2-G") \
        == "10.1002/(sici)1097-4636(199706)35:4<461::aid-jbm7>3.0.co;2-g"
    assert normalize_doi("10.1093/annonc/mdz001).") == "10.1093/annonc/mdz001"


def test_canonical_url_drops_tracking_and_fragment():
    url = "HTTPS://Journals.Example.ORG:443/article/1?utm_source=rss&id=7&fbclid=x#abstract"
    assert canonical_url(url) == "https://journals.example.org/article/1?id=7"


def test_identity_prefers_doi_then_pmid_then_url():
    assert Article(doi="10.1234/X", pmid="12", url="http://a/").id == "doi:10.1234/x"
    assert Article(pmid="12", url="http://a/").id == "pmid:12"
    assert Article(url="http://A/b?utm_medium=x").id == "url:http://a/b"
    assert Article(title="no identity").id is None


def test_to_dict_carries_every_record_field():
    data = Article(doi="10.1234/x").to_dict()
    assert list(data)[: len(RECORD_FIELDS)] == list(RECORD_FIELDS)


def test_merge_keeps_trusted_and_richer_values():
    registry = Article(doi="10.1234/x", title="Vedolizumab in Crohn disease", journal="Gut", year=2019,
                       feeds=["pubmed"], first_seen="2026-01-02T00:00:00Z", drugs=["vedolizumab"])
    registry.provenance.update(title="registry", journal="registry", year="registry")
    page = Article(doi="10.1234/X", title="Vedolizumab in Crohn's disease: a cohort (news)", year=2026,
                   abstract="Long abstract text", feeds=["news"], first_seen="2026-03-01T00:00:00Z",
                   drugs=["ustekinumab"])
    page.provenance.update(title="metadata", year="text", abstract="metadata")
    out = merge(registry, page)
    assert out.title == "Vedolizumab in Crohn disease"       # registry beats page metadata
    assert out.year == 2019                                   # registry beats prose
    assert out.abstract == "Long abstract text"               # filled from the page
    assert out.feeds == ["news", "pubmed"]
    assert out.drugs == ["ustekinumab", "vedolizumab"]
    assert out.first_seen == "2026-01-02T00:00:00Z"
    # the same merge the other way round gives the same trusted values
    back = merge(page, registry)
    assert (back.title, back.year, back.feeds) == (out.title, out.year, out.feeds)


def test_set_respects_provenance():
    art = Article()
    assert art.set("journal", "Gut", "registry")
    assert not art.set("journal", "Gastroenterology", "text")
    assert art.journal == "Gut" and art.provenance["journal"] == "registry"


def test_clean_text_folds_every_kind_of_whitespace():
    # the fast path that skips the regex must agree with it for every
    # character the regex calls whitespace, ASCII text or not
    spaces = [chr(c) for c in range(0x3001) if chr(c).isspace()] + ["\u2028", "\u2029", "\u205f"]
    for ws in spaces:
        for text, want in ((f"a{ws}b", "a b"), (f"é{ws}b", "é b"), (f"a {ws}b", "a b"), (f"{ws}a", "a"),
                           (f"é{ws}", "é")):
            assert clean_text(text) == want, repr(text)
    assert clean_text("Crohn  disease\n\tand ileitis ") == "Crohn disease and ileitis"
    assert clean_text("Me\u0301ne\u0301trier disease") == "Ménétrier disease"      # NFC
    assert clean_text(" \u00a0\n") is None
