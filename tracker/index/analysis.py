"""Index-time analysis without Whoosh's token stream: for the analyzer chains
build_schema() uses, a function text -> {term: [positions]} giving exactly
what the field's Whoosh analyzer yields in index mode with positions.

Whoosh passes one Token object through a generator per filter, for every
word. Here each filter in the chain is a pure function of one word's text
(lowercase, charset folding, stop test, stemming), so a word's whole fate is
computed once and kept in a bounded dict; a text costs one regex findall,
one dict lookup per word and the position bookkeeping of the StopFilter.

Every parameter is read from the field's own analyzer objects; a chain with
anything this module does not reproduce exactly is left out, and the
writer uses Whoosh's own analyzer for it."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from operator import is_not
from typing import Any

from whoosh.analysis import (
    CharsetFilter,
    CompositeAnalyzer,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
from whoosh.analysis.tokenizers import default_pattern

Analyse = Callable[[str], dict[str, list[int]]]
_not_none = partial(is_not, None)

# Distinct words remembered per chain (~150 bytes each, so ~15 MB): a large
# crawl meets more, and the dict is emptied when full so memory stays flat;
# the frequent words are back after a few documents.
CACHE_SIZE = 100_000

# Whoosh's default token pattern without its capturing group, so that
# findall returns whole matches. Same language, same leftmost-greedy matches:
# `[\w*]+` takes every word character first, so the group can only go on
# through a dot followed by a word character, exactly as here.
_DEFAULT_NONCAPTURING = r"[\w\*]+(?:\.[\w\*]+)*"


def fast_analysers(schema) -> dict[str, Analyse]:
    """For each field of `schema` whose analyzer equals (==) one of the
    chains build_schema() uses, a function text -> {term: [positions]} with
    every term the analyzer yields in index mode, positions ascending.
    Other fields are absent."""
    from tracker.index.schema import build_schema

    known = []
    for _name, field in build_schema().items():
        analyzer = getattr(field, "analyzer", None)
        if isinstance(analyzer, CompositeAnalyzer) and analyzer not in known:
            known.append(analyzer)
    out: dict[str, Analyse] = {}
    compiled: list[tuple[Any, Analyse]] = []
    for name, field in schema.items():
        analyzer = getattr(field, "analyzer", None)
        if analyzer is None or not any(analyzer == k for k in known):
            continue
        # fields sharing one analyzer object share one word cache
        fn = next((f for a, f in compiled if a is analyzer), None)
        if fn is None:
            fn = compile_chain(analyzer)
            if fn is None:
                continue
            compiled.append((analyzer, fn))
        out[name] = fn
    return out


def compile_chain(analyzer) -> Analyse | None:
    """The fast form of a RegexTokenizer followed by Lowercase, Charset,
    Stop (at most one) and Stem filters, read from their attributes; None
    for any other chain or a setting not reproduced here."""
    if not isinstance(analyzer, CompositeAnalyzer):
        return None
    items = list(analyzer.items)
    if not items or type(items[0]) is not RegexTokenizer or items[0].gaps:
        return None
    findall = _token_finder(items[0].expression)
    before: list[Callable[[str], str]] = []
    after: list[Callable[[str], str]] = []
    stop: StopFilter | None = None
    for item in items[1:]:
        steps = after if stop is not None else before
        kind = type(item)
        if kind is LowercaseFilter:
            steps.append(str.lower)
        elif kind is CharsetFilter:
            steps.append(_translator(item.charmap))
        elif kind is StemFilter:
            if item.lang:
                return None
            steps.append(_stemmer(item.stemfn, item.ignore))
        elif kind is StopFilter and stop is None:
            stop = item
        else:
            return None
    word = _word_function(before, stop, after)
    if stop is None or not stop.renumber:
        return _positional(findall, word)
    return _renumbered(findall, word)


def _token_finder(expression: re.Pattern[str]) -> Callable[[str], list[str]]:
    if expression.pattern == default_pattern.pattern:
        findall = re.compile(_DEFAULT_NONCAPTURING, expression.flags).findall
        return lambda text: _ascii_tokens(text) if text.isascii() else findall(text)
    if expression.groups == 0:
        return expression.findall
    finditer = expression.finditer
    return lambda text: [m.group(0) for m in finditer(text)]


# ASCII bytes that can be part of a default-pattern token; the rest separate
_TOKEN_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_*.")
_SEPARATE = bytes(c if c in _TOKEN_BYTES else 32 for c in range(256))


def _ascii_tokens(text: str) -> list[str]:
    """The default pattern's matches in an ASCII text (where \\w is
    [A-Za-z0-9_]), by byte translation and split, ~3x faster than the regex:
    a dot stays only between two word characters."""
    cut = text.encode("ascii").translate(_SEPARATE).decode("ascii")
    if "." in cut:
        # one pass leaves no two dots side by side, then a dot next to a
        # space is no part of a token
        cut = f" {cut} ".replace("..", "  ").replace(" .", "  ").replace(". ", "  ")
    return cut.split()


def _translator(charmap) -> Callable[[str], str]:
    return lambda text: text.translate(charmap)


def _stemmer(stemfn, ignore: frozenset[str]) -> Callable[[str], str]:
    if not ignore:
        return stemfn
    return lambda text: text if text in ignore else stemfn(text)


def _word_function(before, stop: StopFilter | None, after) -> Callable[[str], str | None]:
    """A token's term, or None when the StopFilter drops it."""
    if stop is None:
        steps = before + after

        def plain(text: str) -> str | None:
            for step in steps:
                text = step(text)
            return text
        return plain
    stops, low, high = stop.stops, stop.min, stop.max

    def stopped(text: str) -> str | None:
        for step in before:
            text = step(text)
        if len(text) < low or (high is not None and len(text) > high) or text in stops:
            return None
        for step in after:
            text = step(text)
        return text
    return stopped


class _Words(dict):
    """token -> term (None: stopped), filled on a miss, emptied when full."""

    def __init__(self, word: Callable[[str], str | None]):
        super().__init__()
        self.word = word

    def __missing__(self, token: str) -> str | None:
        if len(self) >= CACHE_SIZE:
            self.clear()
        term = self[token] = self.word(token)
        return term


def _positional(findall, word) -> Analyse:
    """No renumbering: a term's position is its token's number in the text
    (with a non-renumbering StopFilter, stopped tokens leave gaps)."""
    lookup = _Words(word).__getitem__

    def analyse(text: str) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        add = out.setdefault
        for pos, term in enumerate(map(lookup, findall(text))):
            if term is not None:
                add(term, []).append(pos)
        return out
    return analyse


def _renumbered(findall, word) -> Analyse:
    """StopFilter(renumber=True): the first kept token keeps its own
    number, each later kept token takes the next one."""
    lookup = _Words(word).__getitem__

    def analyse(text: str) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        terms = list(map(lookup, findall(text)))
        first = 0
        for term in terms:
            if term is not None:
                break
            first += 1
        kept = filter(_not_none, terms)
        add = out.setdefault
        for pos, term in enumerate(kept, first):
            add(term, []).append(pos)
        return out
    return analyse
