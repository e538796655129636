"""A text read for counting: sentence by sentence, number words as digits, accents folded.

`Reading(text, lang).work` is the converted text ("sesenta y un niños" -> "61 ninos",
"1.3 million" -> "1300000"); each of its sentences stays aligned with the original one,
so a match in `work` leads back to the sentence it came from (`sentence(pos)`).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import cached_property

from tracker.extract.textutil import Sentences, lowered_for_tests
from tracker.textutil import fold

_NUMBER_LANGS = {"en": "en", "es": "es", "pt": "pt", "fr": "fr", "de": "de", "it": "it"}
# Spanish/Portuguese articles and first ordinals stay words ("una paciente", "el primer caso"),
# except inside a compound number ("sesenta y un niños", "vinte e uma mulheres").
_KEEP_WORDS = {
    "en": re.compile(r"\b(first)\b", re.I),
    "es": re.compile(r"\b(?=[uptsUPTS])(un|una|primer|primera|primero|segund[oa]|tercer[oa]?)\b", re.I),
    "pt": re.compile(r"\b(?=[uptsUPTS])(um|uma|primeir[oa]|segund[oa]|terceir[oa])\b", re.I),
}
_COMPOUND_BEFORE = re.compile(r"(?:(?:veinte|treinta|cuarenta|cincuenta|sesenta|setenta|ochenta|noventa|vinte|trinta|"
                              r"quarenta|cinquenta|sessenta|oitenta)\s+(?:y|e)|ciento|cento\s+e)\s+$", re.I)
_KEPT_BACK = re.compile(r"QQ(\w+)")
_SCALED = re.compile(r"(?<![\d.,])(\d{1,3}(?:[.,]\d{1,3})?)\s*"
                     r"(million|millions|millones|mill[oó]n|milh[oõ]es|milh[aã]o|thousand|mil)\b"
                     r"(?:\s+de\b(?=\s+[^\W\d]))?", re.I)   # "6,1 milhões de crianças" counts the children
_SCALE_HINT = re.compile(r"\d\s*(?:[mM][iI][lL]|[tT]housand)")  # a fast test first: most texts name no scale
_SCALES = {"million": 1_000_000, "millions": 1_000_000, "millones": 1_000_000, "millon": 1_000_000,
           "milhoes": 1_000_000, "milhao": 1_000_000, "thousand": 1_000, "mil": 1_000}
_UNACCENT = str.maketrans("óõã", "ooa")
_DIGIT = re.compile(r"\d")
_SEP = "\x1f"
# Boundaries the shared splitter leaves out: after an acronym ("caused by JC virus. We report"; it keeps
# those together to protect initials), and before a sentence that opens on a count ("15 mg. 126 patients").
_ACRONYM_END = re.compile(r"(?<=[A-Z]{2}[.!?])(?=\s+[A-Z¿¡\"“(])|(?<=[a-z]{2}[.!?])(?=\s+\d+\s+[a-z])")
# "194 711" with a no-break or thin space between thousands
_THIN_THOUSANDS = re.compile(r"(?<![\d.,])\d{1,3}(?:[\u00a0\u202f\u2009]\d{3})+(?![\d.,]\d)")
_WS = re.compile(r"\s+")
_EVIDENCE_CHARS = 600


class Reading:
    """A text read sentence by sentence: `work` is the converted text, each of its sentences
    aligned with the original one, so a match in `work` maps back to the sentence it came from."""

    def __init__(self, text: str, lang: str) -> None:
        self.text = text
        self.spans = _sentence_spans(text)      # original (start, end) per sentence
        # One conversion for the whole text, sentences kept apart by a separator it leaves alone.
        joined = _SEP.join(text[s0:s1].replace(_SEP, " ") for s0, s1 in self.spans)
        if not joined.isascii():  # the thin and no-break spaces it removes are not ASCII
            joined = _THIN_THOUSANDS.sub(_drop_spaces, joined)
        pieces = fold(to_digits(_scaled(joined, lang), lang)).split(_SEP)
        if len(pieces) != len(self.spans):  # the converter moved a separator: convert one by one
            pieces = [fold(to_digits(_scaled(text[s0:s1], lang), lang)) for s0, s1 in self.spans]
        self.ends: list[int] = []               # end offset in `work` per sentence
        end = 0
        for piece in pieces:
            end += len(piece)
            self.ends.append(end)
        self.work = "".join(pieces)

    @cached_property
    def lowered(self) -> str | None:
        """`work` lower-cased for the substring tests before patterns (textutil.holds_any)."""
        return lowered_for_tests(self.work)

    def index(self, pos: int) -> int:
        return min(bisect_right(self.ends, pos), len(self.ends) - 1)

    def bounds(self, pos: int) -> tuple[int, int]:
        i = self.index(pos)
        return (self.ends[i - 1] if i else 0), self.ends[i]

    def sentence(self, pos: int) -> str:
        s0, s1 = self.spans[self.index(pos)]
        return _WS.sub(" ", self.text[s0:s1]).strip()[:_EVIDENCE_CHARS]

    def runs(self, test: re.Pattern) -> list[tuple[int, int]]:
        """Runs of sentences where `test` matches, the only places a pattern needing it can match
        (the main saving on long texts); each run starts a few characters early so a pattern
        anchored on the previous sentence's full stop still matches."""
        runs: list[tuple[int, int]] = []
        start = 0
        for end in self.ends:
            if test.search(self.work, start, end):
                if runs and runs[-1][1] >= start - 3:
                    runs[-1] = (runs[-1][0], end)
                else:
                    runs.append((max(0, start - 3), end))
            start = end
        return runs


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    """The shared splitter's sentences, also split where _ACRONYM_END says."""
    spans = []
    for s0, s1 in Sentences(text).spans():
        for m in _ACRONYM_END.finditer(text, s0, s1):
            spans.append((s0, m.start()))
            s0 = m.start()
        spans.append((s0, s1))
    return spans


def _drop_spaces(m: re.Match) -> str:
    return re.sub(r"\D", "", m.group())


def _scaled(text: str, lang: str) -> str:
    """'1.3 million' -> '1300000', '212 mil' -> '212000' (a decimal comma in Spanish and Portuguese)."""
    def one(m: re.Match) -> str:
        scale = m.group(2).lower().translate(_UNACCENT)   # scales are read before accents are folded
        if scale == "mil" and lang not in ("es", "pt"):
            return m.group()
        raw = m.group(1)
        decimal = "," if lang in ("es", "pt") else "."
        if decimal in raw:
            raw = raw.replace(decimal, ".")
        elif re.fullmatch(r"\d{1,3}[.,]\d{3}", raw):
            raw = raw.replace(",", "").replace(".", "")
        try:
            return str(round(float(raw) * _SCALES[scale]))
        except ValueError:
            return m.group()
    return _SCALED.sub(one, text) if _SCALE_HINT.search(text) else text


def to_digits(text: str, lang: str) -> str:
    """Number words -> digits ("three cases" -> "3 cases"); articles and first ordinals stay words."""
    try:
        from text_to_num import alpha2digit
    except ImportError:  # text2num is a dependency; without it digits still work
        return text

    def keep(m: re.Match) -> str:
        article = m.group(1).lower() in ("un", "una", "um", "uma")
        if article and _COMPOUND_BEFORE.search(text, max(0, m.start() - 16), m.start()):
            return m.group()
        return "QQ" + m.group()

    if lang == "es":
        text = re.sub(r"\bveinti[uú]n[oa]?\b", "veintiuno", text, flags=re.I)
    keep_words = _KEEP_WORDS.get(lang)
    protected = keep_words.sub(keep, text) if keep_words else text
    try:
        converted = alpha2digit(protected, _NUMBER_LANGS.get(lang, "en"), threshold=0)
    except Exception:  # a parser error on odd input must not lose the item
        return text
    return _KEPT_BACK.sub(r"\1", converted) if "QQ" in converted else converted
