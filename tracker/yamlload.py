"""YAML text -> Python values within bounds, for feeds.yaml.

PyYAML's safe loader shares an aliased node between its uses, but anything
that walks the result (the ${VAR} expansion, the validator) visits every use:
ten lines of nested aliases ("billion laughs") become 10^9 values and
gigabytes. Nesting has no limit either, and a deep enough document ends in a
RecursionError. Here the composed node graph is measured before anything is
built from it: its depth, its size with every alias expanded, and aliases
that refer to themselves. Small anchors (`defaults: &d`, `<<: *d`) keep
working.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

MAX_DEPTH = 40              # feeds.yaml needs about 6 levels
MAX_VALUES = 200_000        # values after expanding aliases: thousands of feeds fit


class YamlLimit(ValueError):
    """A document beyond a bound, or a value the YAML constructors cannot build."""


class _Loader(yaml.SafeLoader):
    depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        # composing recurses once per level: stop long before Python's own limit
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise YamlLimit(f"at line {mark.line + 1}, column {mark.column + 1}: nested more than "
                                f"{MAX_DEPTH} levels deep")
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def load(text: str) -> Any:
    """The document's value; yaml.YAMLError for bad syntax, YamlLimit (one
    clause, no file name) for a document beyond the bounds."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _measure(node)
        try:
            return loader.construct_document(node)
        except (ValueError, TypeError, AttributeError, OverflowError) as exc:
            # a timestamp like 2015-13-45, an integer of 5,000 digits, a !!float tag on text
            raise YamlLimit(f"a value cannot be read ({_clause(exc)})") from None
    finally:
        loader.dispose()


def _measure(root: Node) -> None:
    """Refuse a graph that, with its aliases expanded, holds more than
    MAX_VALUES values, nests deeper than MAX_DEPTH or loops back into itself."""
    seen: dict[int, tuple[int, int]] = {}     # node -> (values, depth) below and including it
    open_nodes: set[int] = set()

    def measure(node: Node, level: int) -> tuple[int, int]:
        key = id(node)
        if key not in seen and level > MAX_DEPTH or key in seen and level + seen[key][1] - 1 > MAX_DEPTH:
            mark = node.start_mark
            raise YamlLimit(f"at line {mark.line + 1}: nested more than {MAX_DEPTH} levels deep "
                            f"once its aliases are expanded")
        if key in seen:
            return seen[key]
        if key in open_nodes:
            mark = node.start_mark
            raise YamlLimit(f"at line {mark.line + 1}: an alias refers to the value that contains it")
        open_nodes.add(key)
        if isinstance(node, SequenceNode):
            children: list[Node] = list(node.value)
        elif isinstance(node, MappingNode):
            children = [n for pair in node.value for n in pair]
        else:
            children = []
        total, depth = 1, 1
        for child in children:
            values, below = measure(child, level + 1)
            total += values
            depth = max(depth, below + 1)
            if total > MAX_VALUES:
                raise YamlLimit(f"its aliases expand to more than {MAX_VALUES:,} values; write the values out "
                                f"or use fewer aliases")
        open_nodes.discard(key)
        seen[key] = (total, depth)
        return total, depth

    # a path is refused as soon as it passes MAX_DEPTH: this recursion stays shallow
    measure(root, 1)


def _clause(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    text = re.split(r"[:;] ", text, maxsplit=1)[0]     # the first clause says what; the rest is advice for Python
    return text[:120] or type(exc).__name__
