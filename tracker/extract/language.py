"""A cheap ISO 639-1 guess (en, es, pt, fr, de, it) from function words.

Good enough to pick number-word rules and fill `language` when no source
states it; not a general language identifier.
"""

from __future__ import annotations

import re

# Frequent function words unique enough to tell these six apart.
STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset("the and of with was were which that this from have has been patients for are is in".split()),
    "es": frozenset("el los las del y que con por una para fue se en es al pacientes enfermedad como más".split()),
    "pt": frozenset("o os as do da dos das e que com para uma não em foi ao pacientes doença como mais são".split()),
    "fr": frozenset("le les des et que avec pour une est dans du au sont patients maladie chez été".split()),
    "de": frozenset("der die das und mit von bei ist eine den dem nicht wurden sich patienten zu".split()),
    "it": frozenset("il lo gli della delle e che con per una è nel sono pazienti malattia stato".split()),
}
# Letters that only one of the languages uses.
_MARKS = {"pt": re.compile(r"[ãõç]|ção|ões"), "es": re.compile(r"[ñ¿¡]|ción"), "de": re.compile(r"[äöüß]")}
# word -> the languages whose list holds it: one lookup a word instead of six
_LANGS_OF: dict[str, tuple[str, ...]] = {}
for _lang, _words in STOPWORDS.items():
    for _w in _words:
        _LANGS_OF[_w] = (*_LANGS_OF.get(_w, ()), _lang)
_WORD = re.compile(r"[^\W\d_]+")
_SAMPLE = 3000
_MIN_HITS = 3


def guess_language(text: str | None) -> str | None:
    """'en', 'es', 'pt', 'fr', 'de' or 'it', or None when the text is too short to tell."""
    if not text:
        return None
    sample = text[:_SAMPLE].lower()
    words = _WORD.findall(sample)
    if len(words) < 4:
        return None
    scores = {lang: 0.0 for lang in STOPWORDS}
    langs_of = _LANGS_OF.get
    for w in words:
        for lang in langs_of(w, ()):
            scores[lang] += 1
    for lang, mark in _MARKS.items():
        scores[lang] += 0.5 * len(mark.findall(sample))
    best = max(scores, key=lambda lang: scores[lang])
    return best if scores[best] >= _MIN_HITS else None
