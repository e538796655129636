"""What tracker reads from one page or text, on its own (`tracker extract`):
the same page parsing and enrichment a crawl applies, without an index."""

from __future__ import annotations

import re

from tracker.extract import enrich
from tracker.extract.page.parse import extract_page
from tracker.fetch.charset import decode_body
from tracker.fetch.http import Fetcher
from tracker.fetch.response import Limits
from tracker.models import Article

# Markup that makes a body a web page rather than plain text.
_HTML = re.compile(rb"<(?:!doctype|html|head|body|meta|article|main|div|p|h[1-6])\b", re.I)
# A first line this short, followed by more text, is read as the title.
_TITLE_CHARS = 300


def read(content: bytes, url: str | None = None, *, encoding: str | None = None) -> Article:
    """An HTML page (parsed as a crawl parses it) or plain text (first short
    line the title, the rest the abstract), enriched, with provenance and the
    case count's evidence sentence."""
    if _HTML.search(content[:4096]):
        article = extract_page(content, url or "", encoding=encoding)
    else:
        text = decode_body(content, encoding).strip()
        first, _, rest = text.partition("\n")
        if rest.strip() and len(first) <= _TITLE_CHARS:
            article = Article(title=first, abstract=rest.strip(), url=url)
        else:
            article = Article(abstract=text, url=url)
    return enrich(article)


def read_url(url: str, user_agent: str) -> Article:
    """Fetch one page politely (robots.txt, limits, retries) and read it."""
    resp = Fetcher(user_agent).get(url, limits=Limits())
    return read(resp.content, resp.url or url, encoding=resp.encoding)
