"""Bytes of any encoding -> a BeautifulSoup tree, within fixed bounds.

Decoding order: a byte-order mark; then strict UTF-8 when the bytes are
valid UTF-8 (pages labelled latin-1 that are really UTF-8 are common, while
latin-1 text almost never forms valid UTF-8); then the caller's hint (the
fetcher's charset: HTTP header, else the document's own declaration); then
the page's <meta charset> / http-equiv / XML declaration; then
windows-1252. Each candidate must decode the bytes strictly, so a wrong
label falls through to the next one. Nothing here raises for bad bytes: only content that is
clearly another format (PDF, image, archive) gives a ParseError.
"""

from __future__ import annotations

import codecs
import re
from typing import TYPE_CHECKING

from tracker.errors import ParseError
from tracker.extract.page.rules import MAX_ATTRIBUTE_CHARS, MAX_HTML_BYTES, MAX_RAW_BYTES, NOT_HTML_MAGIC

if TYPE_CHECKING:
    from bs4 import BeautifulSoup

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,400}?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]{1,40})""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})""", re.I)
# C0 controls other than tab/newline/CR are not allowed in HTML text; lxml
# trips on NUL in particular.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Quoted attribute values past the bound (base64 images, serialized state):
# linear to scan, since each match attempt stops at the next quote.
_HUGE_ATTRIBUTE = re.compile(
    f'=\\s*(?:"[^"]{{{MAX_ATTRIBUTE_CHARS},}}"|\'[^\']{{{MAX_ATTRIBUTE_CHARS},}}\')')


def sniff_not_html(data: bytes) -> str | None:
    """The name of a non-HTML format the bytes clearly start with, or None."""
    head = data[:1024].lstrip(b" \t\r\n\x0c")
    for magic, name in NOT_HTML_MAGIC:
        if head.startswith(magic):
            return name
    if head[4:8] == b"ftyp":
        return "an MP4 video"
    if head.startswith(b"RIFF") and head[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        return "a media file"
    return None


def _codec(label: str | None) -> str | None:
    from tracker.fetch.charset import normalize_charset

    name = normalize_charset(label)
    # a page cannot really be UTF-16 without a BOM; a declaration saying so lies
    return None if name and name.startswith(("utf-16", "utf-32")) else name


def _declared(data: bytes) -> str | None:
    head = data[:4096]
    match = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    return match.group(1).decode("ascii", "replace") if match else None


def _strict(data: bytes, codec: str) -> str | None:
    """Decode strictly; a multi-byte character cut at the very end (a
    truncated body) is dropped rather than failing the whole decode."""
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        if exc.start >= len(data) - 4 and "end of data" in str(exc.reason):
            try:
                return data[:exc.start].decode(codec)
            except UnicodeDecodeError:
                return None
        return None
    except LookupError:
        return None


def decode_html(data: bytes, hint: str | None = None) -> str:
    """Bytes -> text by the order in the module docstring; never raises."""
    for bom, bom_codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(bom_codec, errors="replace")
    if data.isascii():
        return data.decode("ascii")
    strict = _strict(data, "utf-8")
    if strict is not None:
        return strict
    for label in (hint, _declared(data)):
        codec = _codec(label)
        if codec and codec != "utf-8":
            text = _strict(data, codec)
            if text is not None:
                return text
    text = _strict(data, "cp1252")
    if text is not None:
        return text
    # cp1252 leaves five bytes undefined; latin-1 maps every byte
    return data.decode("latin-1")


def to_text(content: bytes | str, encoding: str | None = None) -> str:
    """Bounded, decoded, control-character-free HTML text.

    Raises ParseError only when the content is clearly not HTML.
    """
    if isinstance(content, (bytes, bytearray, memoryview)):
        data = bytes(content[:MAX_RAW_BYTES])
        kind = sniff_not_html(data)
        if kind:
            raise ParseError(f"The content is {kind}, not an HTML page.")
        text = decode_html(data, encoding)
    else:
        text = str(content)[:MAX_RAW_BYTES]
        if text.lstrip().startswith("%PDF-"):
            raise ParseError("The content is a PDF document, not an HTML page.")
    if len(text) > MAX_ATTRIBUTE_CHARS:
        text = _HUGE_ATTRIBUTE.sub('=""', text)
    return _CONTROL.sub("", text[:MAX_HTML_BYTES])


def parse_html(content: bytes | str, encoding: str | None = None) -> BeautifulSoup:
    """A soup of the page (lxml parser), never failing on bad markup."""
    import warnings

    from bs4 import BeautifulSoup

    text = to_text(content, encoding)
    with warnings.catch_warnings():
        # bs4 warns when markup looks like a file name or like XML; for
        # untrusted pages both are expected and harmless
        warnings.simplefilter("ignore")
        return BeautifulSoup(text if text.strip() else "", "lxml")
