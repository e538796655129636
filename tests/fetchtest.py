"""Shared pieces of the fetcher tests: a user agent and a clock that only
moves when the fetcher sleeps (sleeping is recorded, never done)."""

from __future__ import annotations

UA = "tracker/0.1 (mailto:test@example.org)"


class FakeTime:
    """A monotonic clock that only moves when the fetcher sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds
