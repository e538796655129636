"""Article page extraction: golden fixtures plus targeted cases.

Each tests/fixtures/pages/<name>.html with a <name>.expected.json beside it
is a golden case (collected by glob): the listed fields must match exactly,
the body must contain / exclude the listed strings.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tracker.errors import ParseError
from tracker.extract.page.parse import extract_links, extract_page, next_page_link
from tracker.extract.page.html import decode_html
from tracker.extract.page.values import author_name

PAGES = Path(__file__).parent / "fixtures" / "pages"
GOLDEN = sorted(PAGES.glob("*.expected.json"))


def _page(body: str, head: str = "") -> str:
    return f"<!doctype html><html><head>{head}</head><body>{body}</body></html>"


LOREM = ("Vedolizumab was continued in all patients and the disease course was followed "
         "with regular clinical and endoscopic assessment over two years. ")


@pytest.mark.parametrize("expected_path", GOLDEN, ids=lambda p: p.name.split(".")[0])
def test_golden_page(expected_path: Path) -> None:
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    html = expected_path.with_name(expected_path.name.replace(".expected.json", ".html"))
    article = extract_page(html.read_bytes(), expected["url"], encoding=expected.get("encoding"))
    record = article.to_dict()
    for name, value in expected.get("fields", {}).items():
        assert record[name] == value, name
    for name, source in expected.get("provenance", {}).items():
        assert article.provenance.get(name) == source, name
    for text in expected.get("abstract_contains", []):
        assert text in (article.abstract or "")
    body = article.body or ""
    for text in expected.get("body_contains", []):
        assert text in body
    for text in expected.get("body_excludes", []):
        assert text not in body


def test_golden_set_is_collected() -> None:
    assert len(GOLDEN) >= 7


def test_metadata_fields_carry_metadata_provenance() -> None:
    html = (PAGES / "journal_highwire.html").read_bytes()
    article = extract_page(html, "https://academic.example.com/a")
    for name in ("title", "authors", "journal", "year", "published", "doi", "pmid", "abstract", "language"):
        assert article.provenance[name] == "metadata"
    assert article.id == "doi:10.1093/ecco-jcc/jjy171"


def test_body_paragraphs_are_lines() -> None:
    article = extract_page(_page("<article><p>First  paragraph\n text.</p><p>Second <b>bold</b> "
                                 "paragraph.</p>" + f"<p>{LOREM * 3}</p></article>"), "https://x.example/a")
    lines = article.body.split("\n")
    assert lines[:2] == ["First paragraph text.", "Second bold paragraph."]


# --- the cascade -------------------------------------------------------------

def test_highwire_beats_dublin_core_and_opengraph() -> None:
    head = ('<meta name="DC.title" content="DC title"><meta property="og:title" content="OG title">'
            '<meta name="citation_title" content="Highwire title"><title>Tag title</title>')
    assert extract_page(_page("", head), "https://x.example/").title == "Highwire title"


def test_title_tag_is_last_resort_and_loses_the_site_name() -> None:
    head = '<meta property="og:site_name" content="Gut Feelings"><title>My year on vedolizumab – Gut Feelings</title>'
    assert extract_page(_page("", head), "https://x.example/").title == "My year on vedolizumab"


def test_news_article_date_is_published_not_year() -> None:
    head = ('<script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle",'
            '"headline":"Study links natalizumab to PML","datePublished":"2021-05-04",'
            '"isPartOf":{"@type":"Periodical","name":"Daily Health"},'
            '"sameAs":"https://doi.org/10.1000/news.1"}</script>')
    article = extract_page(_page(f"<p>{LOREM}</p>", head), "https://news.example/a")
    assert article.title == "Study links natalizumab to PML"
    assert article.published == "2021-05-04"
    assert (article.year, article.journal, article.doi) == (None, None, None)


def test_scholarly_jsonld_gives_journal_year_doi() -> None:
    head = ('<script type="application/ld+json">[{"@type":"WebSite","name":"Publisher"},'
            '{"@type":"schema:ScholarlyArticle","name":"A cohort","datePublished":"2016-11-30",'
            '"isPartOf":{"@type":"Periodical","name":"Inflammatory Bowel Diseases"},'
            '"sameAs":["https://example.org/x","https://doi.org/10.1097/MIB.0000000000000999"],'
            '"author":["Jane Q. Public","Doe, John"]}]</script>')
    article = extract_page(_page("", head), "https://x.example/")
    assert (article.journal, article.year, article.doi) == (
        "Inflammatory Bowel Diseases", 2016, "10.1097/mib.0000000000000999")
    assert article.authors == ["Public JQ", "Doe J"]


def test_malformed_jsonld_is_ignored() -> None:
    head = ('<script type="application/ld+json">{"@type": "ScholarlyArticle", "name": </script>'
            '<meta property="og:title" content="Fallback title">')
    assert extract_page(_page("", head), "https://x.example/").title == "Fallback title"


def test_jsonld_trailing_comma_and_comment_wrapper_are_tolerated() -> None:
    head = ('<script type="application/ld+json"><!-- {"@type":"ScholarlyArticle","headline":"Tolerated",'
            '"datePublished":"2014",} --></script>')
    article = extract_page(_page("", head), "https://x.example/")
    assert (article.title, article.year) == ("Tolerated", 2014)


def test_citation_date_formats() -> None:
    head = ('<meta name="citation_title" content="T"><meta name="citation_journal_title" content="Gut">'
            '<meta name="citation_date" content="2015/7">')
    article = extract_page(_page("", head), "https://x.example/")
    assert (article.year, article.published) == (2015, "2015-07")


def test_malformed_date_yields_to_the_next_date_tag() -> None:
    head = ('<meta name="citation_doi" content="10.1000/x.1"><meta name="citation_publication_date" content="n/a">'
            '<meta name="citation_online_date" content="2018/11/02">')
    article = extract_page(_page("", head), "https://x.example/")
    assert (article.year, article.published) == (2018, "2018-11-02")


def test_old_citation_authors_list_is_split() -> None:
    head = '<meta name="citation_authors" content="Baert, Filip; Rutgeerts, Paul J.">'
    assert extract_page(_page("", head), "https://x.example/").authors == ["Baert F", "Rutgeerts PJ"]


def test_canonical_on_another_host_is_ignored() -> None:
    head = '<link rel="canonical" href="https://aggregator.example/copy/1">'
    article = extract_page(_page("", head), "https://origin.example/story?utm_campaign=x")
    assert article.url == "https://origin.example/story"


def test_relative_canonical_is_resolved() -> None:
    head = '<link rel="canonical" href="/story/1">'
    assert extract_page(_page("", head), "https://www.origin.example/s?id=1").url == "https://www.origin.example/story/1"


def test_abstract_block_used_when_no_abstract_meta() -> None:
    body = ('<article><div id="abstract"><h2>Abstract</h2><p>We describe a 34-year-old woman with '
            'ileocolonic Crohn disease treated with ustekinumab.</p><p>She reached remission.</p></div>'
            f"<p>{LOREM * 3}</p></article>")
    article = extract_page(_page(body, '<meta name="description" content="Site description">'), "https://x.example/")
    assert article.abstract == ("We describe a 34-year-old woman with ileocolonic Crohn disease treated "
                                "with ustekinumab. She reached remission.")


def test_main_container_prefers_article_over_page_chrome() -> None:
    body = (f'<div class="topics"><p>{"Infliximab topic page. " * 20}</p></div>'
            f"<article><p>{LOREM * 3}</p></article>")
    article = extract_page(_page(body), "https://x.example/")
    assert "Infliximab" not in article.body and "Vedolizumab" in article.body


def test_hidden_and_aria_hidden_blocks_are_dropped() -> None:
    body = (f'<article><p>{LOREM * 3}</p><div hidden>Tofacitinib promo</div>'
            '<span aria-hidden="true">Upadacitinib icon</span></article>')
    body_text = extract_page(_page(body), "https://x.example/").body
    assert "Tofacitinib" not in body_text and "Upadacitinib" not in body_text


def test_class_words_match_whole_words_only() -> None:
    body = (f'<article><div class="download-box"><p>{LOREM * 3}</p></div>'
            '<div class="ad-slot">Adalimumab advert</div><div class="shadow">Kept shadow text.</div></article>')
    body_text = extract_page(_page(body), "https://x.example/").body
    assert "Vedolizumab" in body_text and "Kept shadow text." in body_text
    assert "Adalimumab" not in body_text


# --- encodings -------------------------------------------------------------

def test_meta_charset_latin1_without_hint() -> None:
    html = _page("<article><p>Niño con enfermedad de Crohn tratado con azatioprina.</p></article>",
                 '<meta charset="iso-8859-1"><title>Señal</title>').encode("latin-1")
    article = extract_page(html, "https://x.example/")
    assert article.title == "Señal"
    assert "Niño" in article.body


def test_wrong_utf8_hint_falls_back_to_meta_charset() -> None:
    html = _page("", '<meta charset="iso-8859-1"><title>Inflamação intestinal</title>').encode("latin-1")
    assert extract_page(html, "https://x.example/", encoding="utf-8").title == "Inflamação intestinal"


def test_utf8_bytes_mislabelled_latin1_are_read_as_utf8() -> None:
    html = _page("", '<meta charset="iso-8859-1"><title>Doença de Crohn</title>').encode("utf-8")
    assert extract_page(html, "https://x.example/", encoding="iso-8859-1").title == "Doença de Crohn"


def test_hint_used_for_other_encodings() -> None:
    html = _page("", "<title>Болезнь Крона</title>").encode("windows-1251")
    assert extract_page(html, "https://x.example/", encoding="windows-1251").title == "Болезнь Крона"


@pytest.mark.parametrize("codec", ["utf-8-sig", "utf-16"])
def test_byte_order_marks(codec: str) -> None:
    html = _page("", "<title>Enfermedad de Crohn: niños</title>").encode(codec)
    assert extract_page(html, "https://x.example/").title == "Enfermedad de Crohn: niños"


def test_str_input() -> None:
    assert extract_page(_page("", "<title>Texto ñ</title>"), "https://x.example/").title == "Texto ñ"


def test_decode_drops_a_character_cut_by_truncation() -> None:
    data = "Crohn ñ".encode("utf-8") + "é".encode("utf-8")[:1]
    assert decode_html(data) == "Crohn ñ"


# --- bad input ---------------------------------------------------------------

@pytest.mark.parametrize("data, kind", [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "JPEG"),
])
def test_not_html_raises_parse_error(data: bytes, kind: str) -> None:
    with pytest.raises(ParseError, match=kind):
        extract_page(data, "https://x.example/file")


def test_binary_garbage_gives_an_article() -> None:
    data = bytes(range(256)) * 50
    article = extract_page(data, "https://x.example/blob")
    assert article.url == "https://x.example/blob"


def test_empty_body_gives_an_empty_article() -> None:
    article = extract_page(b"", "https://x.example/empty")
    assert (article.title, article.body) == (None, None)


def test_truncated_page_keeps_what_was_read() -> None:
    html = (PAGES / "journal_highwire.html").read_bytes()
    cut = html[: html.index(b"3. Results")]
    article = extract_page(cut, "https://academic.example.com/a")
    assert article.doi == "10.1093/ecco-jcc/jjy171"
    assert "gut-selective anti-integrin" in article.body


def test_deeply_nested_html_is_read() -> None:
    depth = 30_000
    html = ("<html><body><article><p>" + LOREM + "</p>" + "<div>" * depth + "natalizumab deep"
            + "</div>" * depth + "<p>after the nest</p></article></body></html>")
    body = extract_page(html, "https://x.example/deep").body
    assert "natalizumab deep" in body and "after the nest" in body


def test_unclosed_nesting_is_read() -> None:
    html = "<html><body><article>" + "<span><b><i>" * 10_000 + LOREM
    assert "Vedolizumab" in extract_page(html, "https://x.example/").body


def test_huge_attributes_past_the_size_cap() -> None:
    huge = "x" * 6_000_000
    html = (f'<html><head><meta name="citation_title" content="{huge}"><title>Real title</title></head>'
            f'<body><div class="{huge}" data-blob="{huge}"><article><p>{LOREM * 3}</p></article></div></body></html>')
    article = extract_page(html.encode(), "https://x.example/")
    # oversized values are emptied before the 5 MB cut, so the page survives it
    assert article.title == "Real title"
    assert "Vedolizumab" in article.body


def test_huge_attribute_within_the_cap() -> None:
    huge = "y" * 2_000_000
    html = (f'<html><head><title>Real title</title></head><body><div id="{huge}" class="c {huge}">'
            f"<article><p>{LOREM * 3}</p></article></div></body></html>")
    article = extract_page(html.encode(), "https://x.example/")
    assert article.title == "Real title"
    assert "Vedolizumab" in article.body


def test_many_jsonld_scripts_and_nodes_are_bounded() -> None:
    node = '{"@type":"Thing","name":"x"}'
    script = '<script type="application/ld+json">[' + ",".join([node] * 5000) + "]</script>"
    head = script * 3 + '<meta property="og:title" content="Still found">'
    assert extract_page(_page("", head), "https://x.example/").title == "Still found"


# --- values ------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("Smith, John A.", "Smith JA"),
    ("John A. Smith", "Smith JA"),
    ("Jean-Pierre Dubois", "Dubois JP"),
    ("Maria da Silva", "da Silva M"),
    ("Ludwig van Beethoven", "van Beethoven L"),
    ("de Groot, Anne-Marie", "de Groot AM"),
    ("Smith JA", "Smith JA"),
    ("Ana María García López", "Ana María García López"),
    ("Smith, John, Jr.", "Smith, John, Jr."),
    ("Smith, Jr.", "Smith, Jr."),
    ("GETAID Study Group", "GETAID Study Group"),
    ("Madonna", "Madonna"),
    ("https://facebook.com/someone", None),
    ("", None),
])
def test_author_names(raw: str, expected: str | None) -> None:
    assert author_name(raw) == expected


# --- listing pages -------------------------------------------------------------

def test_extract_links_absolute_deduplicated_http_only_in_order() -> None:
    html = (PAGES / "listing.html").read_bytes()
    links = extract_links(html, "https://ibdwatch.example/news/", "h2.post-title a")
    assert links == [
        "https://ibdwatch.example/news/2023/natalizumab-pml-case-series/",
        "https://ibdwatch.example/news/2023/vedolizumab-sc-cohort/",
        "https://journal.example.org/article/10.1093/ecco-jcc/jjy171",
    ]


def test_extract_links_selector_on_a_container() -> None:
    html = (PAGES / "listing.html").read_bytes()
    links = extract_links(html, "https://ibdwatch.example/news/", "h2.post-title")
    assert links[0] == "https://ibdwatch.example/news/2023/natalizumab-pml-case-series/"


def test_extract_links_respects_base_href() -> None:
    html = '<html><head><base href="https://cdn.example/site/"></head><body><a class="l" href="p/1">x</a></body></html>'
    assert extract_links(html, "https://origin.example/", "a.l") == ["https://cdn.example/site/p/1"]


def test_file_listing_may_link_to_files() -> None:
    html = '<a class="l" href="article1.html">one</a><a class="l" href="https://x.example/2">two</a>'
    assert extract_links(html, "file:///data/listing.html", "a.l") == [
        "file:///data/article1.html", "https://x.example/2"]
    assert extract_links('<a class="l" href="file:///etc/passwd">x</a>', "https://x.example/", "a.l") == []


def test_next_page_by_selector_and_by_rel_next() -> None:
    html = (PAGES / "listing.html").read_bytes()
    base = "https://ibdwatch.example/news/"
    assert next_page_link(html, base, "a.next") == "https://ibdwatch.example/news/?page=2"
    assert next_page_link(html, base, None) == "https://ibdwatch.example/news/?page=2"
    assert next_page_link(html, base, "a.missing") is None


def test_next_page_pointing_at_itself_is_none() -> None:
    html = '<a class="next" href="/news/">Next</a>'
    assert next_page_link(html, "https://x.example/news/", "a.next") is None


def test_theme_wrapper_named_sidebar_keeps_the_content() -> None:
    body = (f'<div id="content-sidebar-wrap"><div id="content"><h1>Post</h1><p>{LOREM * 3}</p>'
            f'<p>{LOREM}</p></div><div id="sidebar"><p>Golimumab archive</p></div></div>')
    text = extract_page(_page(body), "https://x.example/").body
    assert "Vedolizumab" in text and "Golimumab" not in text


def test_comments_stay_out_even_when_longer_than_the_post() -> None:
    body = (f'<div class="post"><p>{LOREM * 2}</p></div>'
            f'<div id="comments"><p>{"Tofacitinib worked for me. " * 60}</p></div>')
    text = extract_page(_page(body), "https://x.example/").body
    assert "Vedolizumab" in text and "Tofacitinib" not in text


# --- journal pages without citation tags: the masthead ------------------------

@pytest.mark.parametrize("masthead,journal,year", [
    ("<div>European Journal of Gastroenterology &amp; Hepatology: December 2020 - Volume 32 - Issue 12 - p 1540</div>",
     "European Journal of Gastroenterology & Hepatology", 2020),
    ("<p>Revista Española de Enfermedades Digestivas</p><p>versión impresa ISSN 1130-0108</p>"
     "<p>Rev. esp. enferm. dig. vol.109 no.8 Madrid ago. 2017</p>", "Revista Española de Enfermedades Digestivas", 2017),
    ("<p>World J Gastroenterol. Apr 14, 2016; 22(14): 3800-3810</p>", "World Journal of Gastroenterology", 2016),
    ("<div>Thorax, Volume 76, Issue 2, Pages 120 - 127, February 2021</div>", "Thorax", 2021),
    ("<nav>Back to Journals » Clinical and Experimental Gastroenterology » Volume 14</nav>"
     "<p>Received 12 November 2020</p><p>Published 3 March 2021 Volume 2021:14 Pages 71-80</p>",
     "Clinical and Experimental Gastroenterology", 2021),
    ("<div>Alimentary Pharmacology &amp; Therapeutics</div><div>Volume 53, Issue 6 | March 2021 | Pages 700-709</div>",
     "Alimentary Pharmacology & Therapeutics", 2021),
    ("<p>Journal: Scientific Reports, 2023, No 1</p>", "Scientific Reports", 2023),
    # journals in no list, where the masthead's shape says what they are
    ("<p>Revista Científica Ciencia Médica</p><p>Print version ISSN 1817-7433</p>"
     "<p>Rev Cient Cienc Méd vol.23 no.2 Cochabamba 2020</p>", "Revista Científica Ciencia Médica", 2020),
    ("<nav>Back to Journals » Patient Preference and Adherence » Volume 12</nav><p>Published 21 May 2018</p>",
     "Patient Preference and Adherence", 2018),
    ("<p>ISSUE: Central European Journal of Gastroenterology and Hepatology | 2018 | VOLUME 4, ISSUE 2</p>",
     "Central European Journal of Gastroenterology and Hepatology", 2018),
    # the issue line's year may sit on the next line
    ("<p>Gastroenterología y Hepatología</p><p>Journal Information</p><p>Vol. 35. Issue 8.</p>"
     "<p>Pages 551-559 (October 2012)</p>", "Gastroenterología y Hepatología", 2012),
])
def test_masthead_names_journal_and_year(masthead, journal, year):
    html = _page(f"<header>{masthead}</header><article><h1>Title</h1><p>{LOREM * 3}</p></article>")
    article = extract_page(html, "https://journal.example/a")
    assert (article.journal, article.year) == (journal, year)
    assert article.provenance["journal"] == "metadata"


def test_impact_factor_year_is_not_the_article_year():
    masthead = ("<div>Impact Factor: 0,917 (2016)</div><p>Rev. esp. enferm. dig. vol.109 no.8 Madrid ago. 2017</p>")
    article = extract_page(_page(f"{masthead}<article><p>{LOREM * 3}</p></article>"), "https://scielo.example/a")
    assert article.year == 2017


@pytest.mark.parametrize("top", [
    "<nav><a href='/science'>Science</a> <a href='/health'>Health</a></nav><p>Published March 3, 2021</p>",
    "<p>Gut feelings: a patient's diary</p><p>Published 3 March 2021</p>",
    "<h2>References</h2><ol><li>Feagan BG, et al. N Engl J Med. 2013;369:711-21.</li></ol>",
    "<nav>Home | News | Science</nav><p>Science</p><p>Published March 3, 2021</p><p>Issue 42 of our newsletter</p>",
])
def test_menus_diaries_and_reference_lists_are_no_masthead(top):
    article = extract_page(_page(f"{top}<article><h1>Title</h1><p>{LOREM * 3}</p></article>"), "https://news.example/a")
    assert (article.journal, article.year) == (None, None)


# --- DOIs -------------------------------------------------------------------

def test_doi_link_in_a_news_story_loses_its_tracking_query():
    body = (f"<article><p>{LOREM}</p><p>Published in the <a href='https://doi.org/10.1093/ecco-jcc/jjab101?"
            f"utm_source=newsletter&amp;utm_medium=email'>Journal of Crohn's and Colitis</a>.</p></article>"
            "<aside class='related-articles'><a href='https://doi.org/10.1053/j.gastro.2020.01.050'>Older</a></aside>")
    article = extract_page(_page(body), "https://news.example/a")
    assert article.doi == "10.1093/ecco-jcc/jjab101"


def test_doi_printed_in_the_text_is_read():
    body = f"<main><p>{LOREM}</p><p><b>Referencia:</b> Gastroenterol Hepatol. 2019;42:300-7. DOI: 10.1016/j.gastrohep.2019.01.005</p></main>"
    assert extract_page(_page(body), "https://society.example/n").doi == "10.1016/j.gastrohep.2019.01.005"


def test_publisher_link_doi_on_a_journal_page():
    body = ("<div>Alimentary Pharmacology &amp; Therapeutics</div><div>Volume 53, Issue 6 | March 2021</div>"
            "<a href='https://onlinelibrary.example.com/doi/10.1111/apt.16250?af=R&amp;utm_source=rss'>Full text</a>"
            f"<div class='body'><p>{LOREM * 3}</p></div>")
    assert extract_page(_page(body), "https://onlinelibrary.example.com/x").doi == "10.1111/apt.16250"


def test_dois_of_a_reference_list_are_not_the_page_doi():
    body = (f"<article><p>{LOREM * 2}</p><h2>References</h2><ol>"
            "<li>A B. N Engl J Med. 2013;369:711. doi:10.1056/NEJMoa1215739</li>"
            "<li>C D. Lancet. 2022;399:2015. https://doi.org/10.1016/S0140-6736(22)00467-6</li></ol></article>")
    article = extract_page(_page(body), "https://blog.example/p")
    assert (article.doi, article.journal, article.year) == (None, None, None)


def test_a_text_citing_many_dois_gives_none():
    links = "".join(f"<a href='https://doi.org/10.1000/x{i}'>study {i}</a> " for i in range(5))
    assert extract_page(_page(f"<article><p>{LOREM * 2} {links}</p></article>"), "https://blog.example/p").doi is None


def test_one_entry_reference_section_gives_the_study():
    body = (f"<article><p>{LOREM * 2}</p><h3>Reference</h3><p>Nguyen V, et al. Herpes zoster with JAK inhibitors. "
            "Clin Infect Dis. 2022;75(3):410-418. doi:10.1093/cid/ciab999</p></article>")
    article = extract_page(_page(body, '<meta property="og:type" content="article">'), "https://news.example/a")
    assert (article.journal, article.year, article.doi) == ("Clinical Infectious Diseases", 2022, "10.1093/cid/ciab999")
    assert article.provenance["journal"] == "text" and article.provenance["doi"] == "text"
    assert "Herpes zoster" not in (article.body or "")
