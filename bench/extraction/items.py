"""Articles as a crawl hands them to enrich(), without a server or network.

The synthetic corpus of examples/offline/sample_server.py (the ingest
benchmark's) is passed through the real source parsers: PubMed XML, Europe
PMC JSON, RSS with its linked journal pages, and news pages. The tuning set
(tests/extraction/items) is read as the labelled benchmark reads it. Shared by
bench/extraction/speed.py and bench/extraction/identical.py.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
ITEMS_DIR = ROOT / "tests" / "extraction" / "items"   # the tuning set only, never heldout/

KINDS = ("pubmed", "epmc", "rss", "html")


def _corpus_module() -> Any:
    sys.path.insert(0, str(ROOT / "examples" / "offline"))
    import sample_server

    return sample_server


def corpus_dicts(n: int, words: int = 220, kinds: tuple[str, ...] = KINDS) -> Iterator[dict[str, Any]]:
    """Input dicts (Article.to_dict) of n items per kind of a Corpus(words=words)."""
    from tracker.extract.page.parse import extract_page
    from tracker.sources.europepmc_json import parse_result
    from tracker.sources.pubmed_xml import parse_efetch
    from tracker.sources.rss import parse_feed

    server = _corpus_module()
    per_feed = 10
    corpus = server.Corpus(n_pubmed=n, n_epmc=n, n_crossref=0, n_rss_feeds=max(1, n // per_feed),
                           per_feed=per_feed, n_html=n, words=words)
    for kind in kinds:
        if kind == "pubmed":
            for i in range(n):
                xml = ("<PubmedArticleSet>" + server._pubmed_xml(corpus.record("pubmed", i))
                       + "</PubmedArticleSet>").encode()
                yield from (a.to_dict() for a in parse_efetch(xml) if not hasattr(a, "message"))
        elif kind == "epmc":
            for i in range(n):
                art = parse_result(server._epmc(corpus.record("epmc", i)))
                if not hasattr(art, "message"):
                    yield art.to_dict()
        elif kind == "rss":
            for feed in range(max(1, n // per_feed)):
                arts, _ = parse_feed(corpus.rss(feed), f"https://journal.example.org/rss/{feed}.xml")
                yield from (a.to_dict() for a in arts)
                # the same items as journal pages (feeds with fetch_articles)
                for j in range(per_feed):
                    i = feed * per_feed + j
                    yield extract_page(corpus.article(i), f"https://journal.example.org/a/{i}.html").to_dict()
        elif kind == "html":
            for i in range(n):
                yield extract_page(corpus.page(i), f"https://news.example.org/news/{i}.html").to_dict()


def tuning_dicts() -> Iterator[tuple[str, dict[str, Any]]]:
    """(name, input dict) per tuning-set item; a page item is parsed as the crawl would."""
    from tracker.extract.page.parse import extract_page

    for path in sorted(ITEMS_DIR.glob("*.json")):
        given = json.loads(path.read_text(encoding="utf-8"))["input"]
        if "html" in given:
            yield path.stem, extract_page((path.parent / given["html"]).read_bytes(), given["url"]).to_dict()
        else:
            yield path.stem, given
