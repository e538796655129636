"""Small text helpers for feed sources: markup to plain text."""

from __future__ import annotations

import html
import re
import unicodedata

_WS = re.compile(r"[ \t\r\f\v\u00a0\u2009\u200b]+")
_BLOCK = re.compile(r"(?i)</?(p|div|br|li|ul|ol|h[1-6]|tr|table|section|blockquote)\b[^>]*>")
_TAG = re.compile(r"<[^>]{0,2000}>")
_DROP = re.compile(r"(?is)<(script|style|noscript)\b[^>]*>.*?</\1\s*>")


def html_to_text(value: str | None, *, keep_paragraphs: bool = False) -> str | None:
    """Inline markup removed, entities decoded, whitespace normalised."""
    if value is None:
        return None
    text = str(value)
    if "<" in text:
        text = _DROP.sub(" ", text)
        text = _BLOCK.sub("\n", text)
        text = _TAG.sub("", text)
    if "&" in text:
        text = html.unescape(text)
    text = _WS.sub(" ", text)
    if keep_paragraphs:
        lines = [ln.strip() for ln in text.split("\n")]
        text = "\n".join(ln for ln in lines if ln)
    else:
        text = re.sub(r"\s+", " ", text)
    text = unicodedata.normalize("NFC", text).strip()
    return text or None
