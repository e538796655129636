"""RSS/Atom parsing on golden fixtures: each *.xml beside its *.expected.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tracker.errors import ParseError
from tracker.sources.rss import parse_feed

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
CASES = sorted(FIXTURES.glob("*.xml"))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_feed_fixture(path: Path):
    expected = json.loads(path.with_name(path.stem + ".expected.json").read_text(encoding="utf-8"))
    articles, problems = parse_feed(path.read_bytes(), "https://blog.example.org/feeds/" + path.name)
    assert problems == []
    got = [a.to_dict() for a in articles]
    assert len(got) == len(expected)
    for rec, want in zip(got, expected):
        for key, value in want.items():
            assert rec[key] == value, f"{path.name}: {key}"


def test_html_in_descriptions_becomes_text():
    articles, _ = parse_feed((FIXTURES / "rss2_cdata_entities_relative.xml").read_bytes(),
                             "https://blog.example.org/feed")
    first = articles[0]
    assert "<" not in first.abstract and "alert" not in first.abstract
    # content:encoded longer than the description becomes the searchable body
    assert first.body and "two years of adalimumab" in first.body


def test_feed_date_is_not_the_study_year_for_a_blog():
    articles, _ = parse_feed((FIXTURES / "rss2_cdata_entities_relative.xml").read_bytes(), "https://b/")
    assert articles[0].published and articles[0].year is None


@pytest.mark.parametrize("body, message", [
    (b"", "empty"),
    (b"<!DOCTYPE html><html><body>Service unavailable</body></html>", "HTML page"),
    (b"\x89PNG\r\n\x1a\n\x00\x00binary", "not a readable"),
    (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
     b"<rss><channel><title>&lol2;</title></channel></rss>", "declares XML entities"),
    (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
     b"<rss><channel><item><title>&xxe;</title></item></channel></rss>", "declares XML entities"),
])
def test_bad_bodies_raise_one_sentence(body, message):
    with pytest.raises(ParseError) as info:
        parse_feed(body, "https://feeds.example.org/x")
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_truncated_feed_keeps_complete_items():
    data = (FIXTURES / "rss2_cdata_entities_relative.xml").read_bytes()
    cut = data[: data.index(b"<title>Date in an odd format")]
    articles, _ = parse_feed(cut, "https://blog.example.org/feed")
    assert [a.title for a in articles][:1] == ["Ustekinumab & the <ileum>: a patient\u2019s view"]


def test_failed_article_page_makes_the_next_run_read_the_feed_in_full(tmp_path, state):
    import responses
    from sourcetest import fetch_context

    from tracker.sources.rss import RssSource

    feed_url = "https://journal.example.org/rss.xml"
    yaml_text = f"feeds:\n  - name: j\n    kind: rss\n    url: {feed_url}\n    fetch_articles: true\n"
    body = (FIXTURES / "rss1_rdf_dc_prism.xml").read_bytes()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add(responses.GET, feed_url, body=body, headers={"ETag": '"f1"'},
                 content_type="application/rss+xml")
        rsps.add(responses.GET, "https://journal.example.org/doi/10.5555/ibd.2026.77", status=503)
        ctx = fetch_context(tmp_path, state, yaml_text)
        items = list(RssSource().items(ctx))
    assert len(items) == 1 and items[0].doi == "10.5555/ibd.2026.77"   # the feed data still stands
    assert ctx.stats["errors"] == 1
    state.commit()
    assert state.validators.get(feed_url) == (None, None)


AGGREGATOR = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>IBD reading list</title>
<link>https://reader.example/</link><description>Picks</description>
<item><title>Ustekinumab trough levels and endoscopic remission</title>
<link>https://reader.example/item/1</link><pubDate>Tue, 09 Mar 2021 08:00:00 GMT</pubDate>
<description>Gut. 2021 Mar;70(3):455-463. DOI: 10.1136/gutjnl-2020-322000. Trough levels in 120 adults.</description></item>
<item><title>Researchers report new findings on fatigue in Crohn's disease</title>
<link>https://reader.example/item/2</link><pubDate>Wed, 10 Mar 2021 08:00:00 GMT</pubDate>
<description>Patients describe how fatigue shapes their week.</description></item>
</channel></rss>"""


def test_an_aggregator_item_citing_its_journal_is_that_journals_article():
    articles, _ = parse_feed(AGGREGATOR, "https://reader.example/feed")
    cited, prose = articles
    assert (cited.journal, cited.year, cited.doi) == ("Gut", 2021, "10.1136/gutjnl-2020-322000")
    assert (prose.journal, prose.year, prose.doi) == (None, None, None)   # a blog's date is not a study year
