"""The source interface: one class per feed kind, registered by kind name.

A source turns a feed's configuration into Articles. It fetches through
`ctx.http` only (never its own session), which counts requests, retries,
robots denials and 304s into `ctx.stats`; it keeps incremental cursors
through `ctx.state` (staged values are committed only after the index
commit). Per-item problems are counted with
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
    from tracker.fetch.stats import FeedStats
    from tracker.models import Article
    from tracker.state import FeedState


@dataclass
class FetchContext:
    config: "Config"
    feed: "FeedConfig"
    http: "Fetcher"        # the crawl's fetcher, counting into `stats` (Fetcher.for_feed)
    state: "FeedState"
    stats: "FeedStats"
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

