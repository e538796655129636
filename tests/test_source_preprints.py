"""Preprint source: details API mapping on fixtures, cursor paging by the reported
count, date windows, the relevance gate; Europe PMC preprints."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import responses
from sourcetest import fetch_context

from tracker.errors import ConfigError, ParseError
from tracker.models import Article
from tracker.pipeline import relevant
from tracker.sources import window as _window
from tracker.sources.europepmc_json import parse_page as epmc_page
from tracker.sources.europepmc_json import parse_result
from tracker.sources.preprints import PreprintSource, authors, parse_entry, parse_page
from tracker.state import State

FIXTURES = Path(__file__).parent / "fixtures" / "preprints"
API = "https://api.biorxiv.org/details/medrxiv/"
FEED = ("filters:\n  include_any: [crohn]\nfeeds:\n  - name: mx\n    kind: preprints\n    server: medrxiv\n"
        "    since: 2024-01-01\n")


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_preprint_mapping():
    collection, count, total = parse_page(fixture("details_page1.json"))
    assert (count, total) == (3, 4)
    art = parse_entry(collection[0], "medrxiv")
    assert isinstance(art, Article)
    assert art.id == "doi:10.1101/2024.01.08.24300991" and art.preprint is True
    assert (art.journal, art.year, art.published) == ("medRxiv", 2024, "2024-01-10")
    assert art.authors == ["Okafor AN", "van der Berg M", "Lindqvist E"]
    assert art.url == "https://www.medrxiv.org/content/10.1101/2024.01.08.24300991v1"
    assert art.published_as is None                 # "NA": no journal version yet
    published = parse_entry(collection[2], "medrxiv")
    assert isinstance(published, Article) and published.published_as == "10.1053/j.gastro.2024.05.017"


def test_author_list_forms():
    assert authors("Moreau, C.") == ["Moreau C"]
    assert authors("Group of Seven; Lee, Ji-Hoon") == ["Group of Seven", "Lee JH"]
    assert authors(None) == []


def test_an_empty_window_and_a_broken_answer():
    assert parse_page(fixture("no_posts.json")) == ([], 0, 0)
    with pytest.raises(ParseError, match="no collection"):
        parse_page(b'{"messages": [{"status": "error: bad interval"}]}')


@responses.activate
def test_cursor_steps_by_the_reported_count_and_the_gate_keeps_the_relevant(tmp_path, monkeypatch):
    monkeypatch.setattr(_window, "today", lambda: date(2024, 1, 31))
    responses.get(API + "2024-01-01/2024-01-31/0", body=fixture("details_page1.json"))
    # the first page held 3 (not an assumed 100): the next cursor is 3
    responses.get(API + "2024-01-01/2024-01-31/3", body=fixture("details_page2.json"))
    state = State(tmp_path / "state.sqlite")
    ctx = fetch_context(tmp_path, state, FEED)
    items = list(PreprintSource().items(ctx))
    assert len(items) == 4 and len(responses.calls) == 2     # total 4 reached: no third request
    kept = [a.doi for a in items if relevant(a, ctx.feed.filters)]
    assert "10.1101/2024.01.09.24301004" not in kept and len(kept) == 3
    state.commit()
    responses.calls.reset()
    monkeypatch.setattr(_window, "today", lambda: date(2024, 2, 5))
    responses.get(API + "2024-01-31/2024-02-05/0", body=fixture("no_posts.json"))
    assert list(PreprintSource().items(fetch_context(tmp_path, state, FEED))) == []
    assert len(responses.calls) == 1                          # resumed on the last day covered


def test_a_preprints_feed_needs_a_relevance_gate(tmp_path):
    feed = FEED.replace("include_any: [crohn]", "include_any: []")
    with pytest.raises(ConfigError, match="relevance gate"):
        list(PreprintSource().items(fetch_context(tmp_path, State(tmp_path / "s.sqlite"), feed)))


def test_europe_pmc_preprint_source_is_a_preprint():
    page = {"hitCount": 2, "resultList": {"result": [
        {"id": "PPR812345", "source": "PPR", "doi": "10.1101/2024.01.08.24300991", "title": "A preprint",
         "bookOrReportDetails": {"publisher": "medRxiv"}},
        {"id": "38211234", "source": "MED", "pmid": "38211234", "title": "A paper"}]}}
    pre, paper = (parse_result(r) for r in epmc_page(json.dumps(page).encode()).results)
    assert isinstance(pre, Article) and isinstance(paper, Article)
    assert (pre.preprint, pre.journal, paper.preprint) == (True, "medRxiv", False)
