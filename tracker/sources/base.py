"""The source interface: one class per feed kind, registered by kind name.

A source turns a feed's configuration into Articles. It fetches through
`ctx.http` only (never its own session), keeps incremental cursors through
`ctx.state` (staged values are committed only after the index commit), and
counts what it skips in `ctx.stats`. Per-item problems are counted with
`ctx.item_error(...)` and the crawl goes on; a problem that stops the whole
feed is raised as a TrackerError.

Registry APIs (pubmed, europepmc, crossref) fetch with robots=False:
robots.txt governs crawlers of web pages (RFC 9309), while these services
publish usage policies for programs — rate limits, tool/email/mailto —
which those sources follow instead. Pages and feeds always obey robots.txt.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterator

if TYPE_CHECKING:
    from tracker.config import Config, FeedConfig
    from tracker.fetch.http import Fetcher
    from tracker.models import Article
    from tracker.state import FeedState


@dataclass
class FeedStats:
    """Counts for one feed in one crawl; printed as the summary line."""

    fetched: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    filtered: int = 0
    robots_skipped: int = 0
    not_modified: int = 0
    retries: int = 0
    requests: int = 0
    errors: int = 0
    first_error: str | None = None
    feed_error: str | None = None  # set when the feed as a whole failed

    def error(self, message: str) -> None:
        self.errors += 1
        if self.first_error is None:
            self.first_error = message

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class FetchContext:
    config: "Config"
    feed: "FeedConfig"
    http: "Fetcher"
    state: "FeedState"
    stats: FeedStats
    full: bool = False  # --full: ignore cursors and validators
    progress: Callable[[str], None] | None = None

    def item_error(self, message: str) -> None:
        self.stats.error(message)


# Option value checkers for feed keys: (type name for messages, check function).
Checker = Callable[[Any], Any]


@dataclass
class KeySpec:
    check: Checker
    help: str = ""


class Source:
    """Base class. Subclasses set `kind`, `required` and `keys`."""

    kind: ClassVar[str] = ""
    required: ClassVar[tuple[str, ...]] = ()
    # Extra feed keys this kind accepts beyond the common ones.
    keys: ClassVar[dict[str, KeySpec]] = {}

    def items(self, ctx: FetchContext) -> Iterator["Article"]:
        raise NotImplementedError


REGISTRY: dict[str, type[Source]] = {}


def register(cls: type[Source]) -> type[Source]:
    REGISTRY[cls.kind] = cls
    return cls

