"""Domain exceptions. The CLI turns each into one sentence and an exit code."""

from __future__ import annotations

from typing import Any


def shown(value: Any, limit: int = 60) -> str:
    """A value quoted back in an error: one short line."""
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


class TrackerError(Exception):
    """Base for every error tracker reports to a user."""

    exit_code = 1


class ConfigError(TrackerError):
    """feeds.yaml is missing, unreadable or invalid."""

    exit_code = 2

    def __init__(self, message: str, errors: list[str] | None = None):
        super().__init__(message)
        self.errors = errors or [message]


class QueryError(TrackerError):
    """A search query cannot be parsed."""

    exit_code = 2


class IndexFailure(TrackerError):
    """The index cannot be opened, read or written."""

    exit_code = 1


class OutdatedIndex(IndexFailure):
    """The index was written by another schema version; a rebuild from its
    stored records brings it up to date."""


class LockedError(TrackerError):
    """Another live crawl holds the index lock."""

    exit_code = 75


class FetchError(TrackerError):
    """A request failed for good (after retries)."""


class ParseError(TrackerError):
    """A response body could not be parsed."""
