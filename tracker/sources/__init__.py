"""Feed kinds. Importing this package registers every built-in source."""

from __future__ import annotations

import importlib

from tracker.sources.base import REGISTRY, FetchContext, KeySpec, Source, register

_BUILTIN = ("rss", "html", "pubmed", "europepmc", "crossref", "clinicaltrials", "preprints")


def load_all() -> dict[str, type[Source]]:
    # By name, on first use: each kind module imports this package (base,
    # window, ...), so importing them at the top here would be an import cycle.
    for name in _BUILTIN:
        try:
            importlib.import_module(f"tracker.sources.{name}")
        except ModuleNotFoundError as exc:  # a kind still being written
            if exc.name != f"tracker.sources.{name}":
                raise
    return REGISTRY


def kinds() -> list[str]:
    return sorted(load_all())


def get(kind: str) -> type[Source]:
    return load_all()[kind]


__all__ = ["REGISTRY", "FetchContext", "KeySpec", "Source", "register", "kinds", "get", "load_all"]
