"""The source interface: one class per feed kind, registered by kind name.

A Source subclass declares everything about its kind in one place: the keys
it accepts and requires, the service root it defaults to and what it may
read (class attributes, below). tracker.config validates feeds.yaml against
these declarations, so this module imports nothing of tracker at run time
(the rest is for typing, none of it reaches config) and config may import it.

A source turns a feed's configuration into Articles. It fetches through
`ctx.http` only (never its own session), which counts requests, retries,
robots denials and 304s into `ctx.stats`; it keeps incremental cursors
through `ctx.state` (staged values are committed only after the index
commit). Per-item problems are counted with `ctx.item_error(...)` and the
crawl goes on; a problem that stops the whole feed is raised as a
TrackerError.

Registry APIs (registry_api = True: pubmed, europepmc, crossref) are fetched
without robots.txt: robots.txt governs crawlers of web pages (RFC 9309),
while these services publish usage policies for programs — rate limits,
tool/email/mailto — which those sources follow instead. Pages and feeds
always obey robots.txt.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from tracker.fetch.http import Fetcher
    from tracker.fetch.stats import FeedStats
    from tracker.models import Article
    from tracker.settings import Config, FeedConfig
    from tracker.state import FeedState


@dataclass
class FetchContext:
    config: Config
    feed: FeedConfig
    http: Fetcher        # the crawl's fetcher, counting into `stats` (Fetcher.for_feed)
    state: FeedState
    stats: FeedStats
    full: bool = False  # --full: ignore cursors and validators
    progress: Callable[[str], None] | None = None

    @classmethod
    def for_source(cls, source: Source, config: Config, feed: FeedConfig, fetcher: Fetcher,
                   state: FeedState, stats: FeedStats, *, full: bool = False,
                   progress: Callable[[str], None] | None = None) -> FetchContext:
        """The context `source` runs in: the crawl's fetcher counting into
        `stats`, without robots.txt for a registry API (see the module doc),
        kept to the addresses the feed may reach: its own URL (`url`, else
        the API's `base_url`) on a private address, or allow_private_addresses,
        opens private ones; a local-file feed counts as public."""
        own = feed.url or feed.base_url or source.default_base_url
        addresses = fetcher.address_policy(own, allow_private=feed.allow_private_addresses)
        http = fetcher.for_feed(stats, robots=not source.registry_api, addresses=addresses)
        return cls(config, feed, http, state, stats, full, progress)

    def item_error(self, message: str) -> None:
        self.stats.error(message)


# A checker cleans one feed-key value or raises ValueError with the reason,
# which config reports as "key '<name>' <reason>."
Checker = Callable[[Any], Any]


@dataclass
class KeySpec:
    check: Checker
    help: str = ""


class Source:
    """Base class. Subclasses declare their kind with the class attributes."""

    kind: ClassVar[str] = ""
    required: ClassVar[tuple[str, ...]] = ()
    # At least one of these keys must be set (a search needs something to search for).
    required_any: ClassVar[tuple[str, ...]] = ()
    # Extra feed keys this kind accepts beyond the common ones.
    keys: ClassVar[dict[str, KeySpec]] = {}
    # The service root a feed's base_url defaults to (API kinds only).
    default_base_url: ClassVar[str | None] = None
    # `url` may be a local file path or file:// URL (and so may its links).
    local_files: ClassVar[bool] = False
    # A registry's API: fetched without robots.txt under the service's usage
    # policy, which asks for a contact address (feeds.yaml contact_email).
    registry_api: ClassVar[bool] = False

    def items(self, ctx: FetchContext) -> Iterator[Article]:
        raise NotImplementedError


REGISTRY: dict[str, type[Source]] = {}


def register(cls: type[Source]) -> type[Source]:
    REGISTRY[cls.kind] = cls
    return cls


# Checkers for kind-specific keys (raise ValueError with the reason).
def check_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def check_positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError("must be a whole number greater than 0")
    return value


def check_int_at_most(limit: int, why: str) -> Checker:
    """A checker for a whole number from 1 to `limit` (`why` names the limit's source)."""
    def check(value: Any) -> int:
        n = check_positive_int(value)
        if n > limit:
            raise ValueError(f"must be at most {limit} ({why})")
        return n
    return check


def check_text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty text")
    return value.strip()


_INTERVAL = re.compile(r"(\d+)\s*([hdw])", re.I)
_INTERVAL_UNIT = {"h": "hours", "d": "days", "w": "weeks"}


def check_interval(value: Any) -> timedelta:
    """'30d', '12h' or '2w' -> a timedelta."""
    match = _INTERVAL.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None or int(match.group(1)) == 0:
        raise ValueError("must be a time like 30d, 12h or 2w (hours, days or weeks, more than 0)")
    return timedelta(**{_INTERVAL_UNIT[match.group(2).lower()]: int(match.group(1))})


# Shared by the kinds that fetch article pages (rss with fetch_articles, html).
REFRESH_AFTER = KeySpec(check_interval, "fetch a stored article page again after this long, e.g. 30d "
                                        "(default: only when its feed entry or listing date changes)")


def check_css(value: Any) -> str:
    text = check_text(value)
    try:
        import soupsieve  # installed with bs4; loaded only when a feed has a selector to check
    except ImportError:
        return text
    try:
        soupsieve.compile(text)
    except Exception as exc:  # soupsieve.SelectorSyntaxError
        raise ValueError(f"is not a valid CSS selector ({str(exc).splitlines()[0]})") from None
    return text
