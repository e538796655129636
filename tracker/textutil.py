"""Text helpers shared across tracker: markup to plain text, and the three
ways of folding accents, which differ in what they keep:

- `fold`: accents stripped, quotes and dashes unified, length unchanged (so
  offsets found in folded text are valid in the original);
- `strip_accents`: compatibility decomposition (NFKD), combining marks dropped
  (ligatures and compatibility forms expand: "ﬁ" -> "fi");
- `ascii_fold`: ASCII transliteration ("ø" -> "o", "ß" -> "ss"), anything
  else non-ASCII dropped.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

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


# fold: accented Latin letters -> base letter, one character for one.
_FOLD: dict[str, str] = {}
for _cp in range(0xC0, 0x250):
    _base = unicodedata.normalize("NFKD", chr(_cp))[0]
    if _base.isascii() and _base.isalpha():
        _FOLD[chr(_cp)] = _base
_FOLD.update({"’": "'", "‘": "'", "“": '"', "”": '"', "‐": "-", "‑": "-", "–": "-", "—": "-",
              "\u00a0": " ", "\u202f": " "})
_FOLDABLE = re.compile("[" + "".join(re.escape(c) for c in _FOLD) + "]")

# ascii_fold: letters NFKD does not decompose, spelled as bibliographies usually fold them
# (no "Þ": BibTeX keys have always dropped it), and typographic punctuation.
_TRANSLITERATE = str.maketrans({
    "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ß": "ss", "đ": "d", "Đ": "D",
    "ł": "l", "Ł": "L", "þ": "th", "ı": "i",
    "’": "'", "‘": "'", "“": '"', "”": '"', "‐": "-", "‑": "-", "–": "-", "—": "-",
})


@lru_cache(maxsize=8)
def fold(text: str) -> str:
    """Strip accents and unify quotes/dashes without changing the length (offsets stay valid).

    Cached: each extractor folds the same page text; a regex over the few
    non-ASCII characters is much faster than str.translate with a dict.
    """
    if text.isascii():
        return text
    return _FOLDABLE.sub(lambda m: _FOLD[m.group()], text)


def strip_accents(text: str) -> str:
    """NFKD with the combining marks dropped: "Ménétrier" -> "Menetrier", "ﬁ" -> "fi"."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def ascii_fold(text: str) -> str:
    """ASCII transliteration: "Søren Groß-Müller" -> "Soren Gross-Muller", curly quotes and
    dashes made plain; anything else non-ASCII is dropped."""
    return "".join(c for c in strip_accents(text.translate(_TRANSLITERATE)) if c.isascii())
