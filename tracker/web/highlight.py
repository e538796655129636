"""Marks for the search page's shown hits: the title whole, a snippet of the abstract.

Whoosh's highlighter re-analyses every word of a field for every hit (most
of a page's CPU). Here the query's terms are gathered once per query, the
text is split with the index's own tokeniser pattern, and each distinct
word is analysed (stemmed) once per process and remembered. The output has
the highlighter's form: matched words in [[ ]], fragments joined by " … ".
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tracker.query.nodes import And, Or, Phrase, Prefix, Query, Term

# whoosh's RegexTokenizer default, which the stemmed text fields use (tracker.index.schema)
_WORD = re.compile(r"\w+(?:\.?\w+)*", re.UNICODE)
FIELDS = ("title", "abstract", "body")
_MEMO_LIMIT = 200_000       # distinct words of a field remembered before starting afresh
_MAX_TEXT = 100_000         # characters of a body scanned for a snippet


@dataclass(frozen=True)
class Wanted:
    """The terms a query looks for in one field: exact analysed words and
    prefixes; and, as hits are marked, which surface words were judged."""
    words: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()
    judged: set[str] = field(default_factory=set, compare=False, hash=False)
    good: set[str] = field(default_factory=set, compare=False, hash=False)
    found: list[Any] = field(default_factory=lambda: [0, None], compare=False, hash=False)

    def pattern(self) -> re.Pattern[str]:
        """The good words so far as one regex, each only as a whole token."""
        size, pattern = self.found
        if size != len(self.good) or pattern is None:
            words = sorted(self.good, key=len, reverse=True)
            pattern = re.compile(r"(?<!\w)(?<!\w\.)(?:" + "|".join(map(re.escape, words)) + r")(?!\w)(?!\.\w)")
            self.found[:] = [len(words), pattern]
        return pattern

    def __bool__(self) -> bool:
        return bool(self.words or self.prefixes)

    def hit(self, stems: tuple[str, ...]) -> bool:
        return any(s in self.words or (self.prefixes and s.startswith(self.prefixes)) for s in stems)


@dataclass(frozen=True)
class QueryTerms:
    by_field: dict[str, Wanted] = field(default_factory=dict)


def query_terms(query: Query | None) -> QueryTerms:
    """The positive leaves' terms of `query` in the fields snippets come from
    (a NOT clause's words are never marked)."""
    words: dict[str, set[str]] = {name: set() for name in FIELDS}
    prefixes: dict[str, set[str]] = {name: set() for name in FIELDS}

    def walk(node: Any) -> None:
        if isinstance(node, (And, Or)):
            for item in node.items:
                walk(item)
        elif isinstance(node, Term) and node.field in words:
            words[node.field].add(node.text)
        elif isinstance(node, Phrase) and node.field in words:
            words[node.field].update(node.words)
        elif isinstance(node, Prefix) and node.field in words and node.text:
            prefixes[node.field].add(node.text)
        # Not, Range, Every, Nothing and other fields mark nothing

    walk(query)
    return QueryTerms({name: Wanted(frozenset(words[name]), tuple(sorted(prefixes[name]))) for name in FIELDS
                       if words[name] or prefixes[name]})


class Highlighter:
    """Marks hits' text; `analyse(field, text)` is the index's query-time analyser."""

    def __init__(self, analyse: Callable[[str, str], list[tuple[str, int]]]):
        self._analyse = analyse
        self._stems: dict[str, dict[str, tuple[str, ...]]] = {name: {} for name in FIELDS}  # word -> stems
        self._words: dict[str, dict[str, set[str]]] = {name: {} for name in FIELDS}         # stem -> words
        self._lock = threading.Lock()

    def learn(self, name: str, words: set[str]) -> None:
        """Analyse the words of field `name` not seen before (once per process)."""
        stems, surfaces = self._stems[name], self._words[name]
        unseen = words.difference(stems)
        if not unseen:
            return
        with self._lock:    # one thread at a time through the analyser's own caches
            if len(stems) + len(unseen) > _MEMO_LIMIT:
                stems.clear()
                surfaces.clear()
            for word in unseen:
                got = stems[word] = tuple(t for t, _ in self._analyse(name, word))
                for stem in got:
                    surfaces.setdefault(stem, set()).add(word)

    def spans(self, name: str, text: str, wanted: Wanted) -> list[tuple[int, int]]:
        """(start, end) of every word of `text` the query matches in field `name`."""
        text = text[:_MAX_TEXT]
        words = set(_WORD.findall(text))
        new = words - wanted.judged     # set arithmetic: a query's later hits cost little
        if new:
            self.learn(name, new)
            if wanted.prefixes:
                stems = self._stems[name]
                wanted.good.update(w for w in new if wanted.hit(stems.get(w, ())))
            else:   # the words already seen with the query's stems
                surfaces = self._words[name]
                known = set().union(*(surfaces.get(stem, ()) for stem in wanted.words))
                wanted.good.update(new & known)
            wanted.judged.update(new)
        if words.isdisjoint(wanted.good):
            return []
        return [m.span() for m in wanted.pattern().finditer(text)]

    def highlights(self, terms: QueryTerms, record: dict[str, Any]) -> dict[str, str]:
        """{"title": the whole title marked, "abstract" or "body": a snippet}, for the fields with a match."""
        out: dict[str, str] = {}
        for name in FIELDS:
            wanted = terms.by_field.get(name)
            text = record.get(name)
            if not wanted or not text or not isinstance(text, str):
                continue
            if name == "body" and "abstract" in out:
                continue    # one long-text snippet is enough
            found = self.spans(name, text, wanted)
            if found:
                out[name] = marked(text, found) if name == "title" else snippet(text, found)
        return out


def marked(text: str, spans: list[tuple[int, int]], start: int = 0, end: int | None = None) -> str:
    end = len(text) if end is None else end
    out, at = [], start
    for a, b in spans:
        if a < at or b > end:
            continue
        out += [text[at:a], "[[", text[a:b], "]]"]
        at = b
    out.append(text[at:end])
    return "".join(out)


def snippet(text: str, spans: list[tuple[int, int]], maxchars: int = 200, surround: int = 60,
            top: int = 2) -> str:
    """The `top` passages of `text` with the most distinct matched words (at
    most `maxchars` of matches plus `surround` either side, cut at spaces),
    in text order, joined by " … " — the form whoosh's ContextFragmenter gives."""
    frags = []
    i = 0
    while i < len(spans):
        first = spans[i][0]
        j = i
        while j + 1 < len(spans) and spans[j + 1][1] - first <= maxchars:
            j += 1
        words = {text[a:b].lower() for a, b in spans[i:j + 1]}
        frags.append((len(words), -first, i, j))
        i = j + 1
    best = sorted(sorted(frags, reverse=True)[:top], key=lambda f: f[2])
    windows: list[list[int]] = []
    for _, _, i, j in best:
        first, last = spans[i][0], spans[j][1]
        start = max(0, first - surround)
        if start:
            space = text.find(" ", start, first)
            start = space + 1 if space >= 0 else first
        end = min(len(text), last + surround)
        if end < len(text):
            space = text.rfind(" ", last, end)
            end = space if space > 0 else last
        if windows and start <= windows[-1][1]:     # overlapping context: one passage, no text twice
            windows[-1][1] = max(windows[-1][1], end)
        else:
            windows.append([start, end])
    # every match inside a passage is marked, whichever group chose it
    return " … ".join(marked(text, [sp for sp in spans if a <= sp[0] and sp[1] <= b], a, b).strip()
                      for a, b in windows)
