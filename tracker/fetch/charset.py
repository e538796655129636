"""Decoding response bodies: BOM, declared charset, XML/HTML declarations.

Browsers' rules (WHATWG) where they differ from the labels: latin-1 and
US-ASCII are read as Windows-1252, and a BOM beats the Content-Type header.
"""

from __future__ import annotations

import codecs
import re

SNIFF_BYTES = 2048

_BOMS = (  # UTF-32 LE first: its BOM starts with UTF-16 LE's
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([^\s;"']+)""", re.I)
_XML_DECL = re.compile(rb"""^\s*<\?xml\s[^>]*?encoding\s*=\s*["']\s*([A-Za-z0-9._:-]+)""", re.I)
# Covers <meta charset=x> and <meta http-equiv=Content-Type content="...; charset=x">.
_META_CHARSET = re.compile(rb"""<meta\s[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)


def _cp1252_gaps(exc: UnicodeError) -> tuple[str, int]:
    # The five bytes cp1252 leaves undefined map to C1 controls, as in WHATWG.
    assert isinstance(exc, UnicodeDecodeError)
    return exc.object[exc.start:exc.end].decode("latin-1"), exc.end


codecs.register_error("tracker-cp1252", _cp1252_gaps)


def _strip_bom(text: str) -> str:
    return text[1:] if text.startswith("\ufeff") else text


def normalize_charset(label: str | None) -> str | None:
    """A charset label as a Python codec name, or None if unknown.

    ISO-8859-1 and US-ASCII mean Windows-1252, as browsers (WHATWG) read them:
    pages labelled latin-1 routinely carry cp1252 quotes and dashes.
    """
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    if name in ("iso8859-1", "ascii", "latin-1"):
        return "cp1252"
    return name


def decode(data: bytes, encoding: str) -> str:
    enc = normalize_charset(encoding) or "utf-8"
    errors = "tracker-cp1252" if enc == "cp1252" else "replace"
    return _strip_bom(data.decode(enc, errors=errors))


def sniff_encoding(content: bytes, content_type: str | None) -> str | None:
    """BOM, then the Content-Type charset, then the XML declaration or HTML meta
    in the first 2 KB; None when nothing says, so parsers can sniff themselves.

    A BOM beats the header (WHATWG and the XML spec agree): a BOM is never wrong
    about its own bytes, a server's default charset often is.
    """
    for bom, name in _BOMS:
        if content.startswith(bom):
            return name
    match = _HEADER_CHARSET.search(content_type or "")
    if match and (enc := normalize_charset(match.group(1))):
        return enc
    head = content[:SNIFF_BYTES]
    declared = _XML_DECL.match(head) or _META_CHARSET.search(head)
    if declared and (enc := normalize_charset(declared.group(1).decode("ascii"))):
        # A document that can state its charset in ASCII is not UTF-16 (WHATWG).
        return "utf-8" if enc.startswith("utf-16") else enc
    return None


def decode_body(data: bytes, encoding: str | None) -> str:
    """`data` as text: the given charset, else UTF-8, else Windows-1252."""
    if encoding is None:
        try:
            return _strip_bom(data.decode("utf-8"))
        except UnicodeDecodeError:
            encoding = "cp1252"
    return decode(data, encoding)
