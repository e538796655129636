"""Shared scaffolding for source tests: a FetchContext from feeds.yaml text."""

from __future__ import annotations

from pathlib import Path

from tracker import config as tconfig
from tracker import sources
from tracker.fetch.http import Fetcher
from tracker.fetch.stats import FeedStats
from tracker.sources.base import FetchContext
from tracker.state import State


def fetch_context(tmp_path: Path, state: State, feeds_yaml: str, *, full: bool = False,
                  robots: bool = False) -> FetchContext:
    """The first feed of `feeds_yaml`, a fetcher that never sleeps, and its state."""
    config = tconfig.parse(feeds_yaml, tmp_path / "feeds.yaml")
    feed = config.feeds[0]
    fetcher = Fetcher(config.user_agent, validators=state.validators, sleep=lambda s: None,
                      obey_robots=robots)
    return FetchContext.for_source(sources.get(feed.kind)(), config, feed, fetcher, state.feed(feed.name),
                                   FeedStats(), full=full)
