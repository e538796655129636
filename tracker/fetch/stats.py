"""Counts for one feed in one crawl, kept in one collector.

As in Scrapy's StatsCollector, every counter is a string key raised with
`inc(key, n)`; the fetcher, the sources and the pipeline all count into the
same object, which the CLI reads for the summary line, --json and --log-file.
The first item error and the feed's own failure sit in two text slots;
notes say why a feed stopped short without failing (a cap, a cursor loop).

This module imports nothing of tracker, so anything may import it.
"""

from __future__ import annotations

from typing import Any

# Summary order: the --json keys follow it, then first_error and feed_error.
COUNTERS = ("fetched", "new", "updated", "unchanged", "filtered", "robots_skipped",
            "not_modified", "retries", "requests", "errors", "address_refused")


class FeedStats:
    """One feed's counters (read as stats["new"]) and its first_error / feed_error."""

    def __init__(self) -> None:
        self._counts = dict.fromkeys(COUNTERS, 0)
        self.first_error: str | None = None
        self.feed_error: str | None = None  # set when the feed as a whole failed
        self.notes: list[str] = []  # warnings that are not failures, e.g. a cap was reached

    def inc(self, key: str, n: int = 1) -> None:
        # Unknown keys are refused: a misspelt counter would never be printed.
        if key not in self._counts:
            raise KeyError(f"unknown counter {key!r}; counters: {', '.join(COUNTERS)}")
        self._counts[key] += n

    def __getitem__(self, key: str) -> int:
        return self._counts[key]

    def error(self, message: str) -> None:
        """Count an item error; the first one's message is kept for the summary."""
        self.inc("errors")
        if self.first_error is None:
            self.first_error = message

    def fail(self, message: str) -> None:
        """The feed as a whole failed: counted as an error too."""
        self.feed_error = message
        self.error(message)

    def note(self, message: str) -> None:
        """A one-line warning for the summary (the feed still counts as done)."""
        if message not in self.notes:
            self.notes.append(message)

    def as_dict(self) -> dict[str, Any]:
        return {**self._counts, "first_error": self.first_error, "feed_error": self.feed_error,
                "notes": list(self.notes)}

    def __repr__(self) -> str:
        return f"FeedStats({self.as_dict()!r})"
