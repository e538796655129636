"""Small text helpers for feed sources: markup to plain text, dates."""

from __future__ import annotations

import html
import re
import unicodedata
from datetime import datetime, timezone

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


def iso_date(value) -> str | None:
    """A date/time (struct_time, datetime or text) as ISO 8601; None if unreadable."""
    if value is None or value == "":
        return None
    if hasattr(value, "tm_year"):
        try:
            dt = datetime(*value[:6], tzinfo=timezone.utc)
        except (TypeError, ValueError):
            return None
        return dt.isoformat().replace("+00:00", "Z")
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
            return value.replace(tzinfo=None).isoformat() + "Z"
        return value.isoformat()
    text = str(value).strip()
    if re.fullmatch(r"\d{4}", text):
        return text
    if re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", text):
        return text
    try:
        from dateutil import parser as dparser

        dt = dparser.parse(text, fuzzy=True, default=datetime(1900, 1, 1))
    except (ValueError, OverflowError, TypeError):
        return None
    if dt.year < 1800:
        return None
    return iso_date(dt)


def year_of(value: str | None) -> int | None:
    if not value:
        return None
    m = re.match(r"(\d{4})", value)
    if m and 1800 <= int(m.group(1)) <= 2100:
        return int(m.group(1))
    return None
