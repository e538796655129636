"""robots.txt rules for one origin, behind a two-method interface (allowed, delay).

The Fetcher downloads robots.txt once per origin per run and keeps the
RobotsRules it builds here. How a fetch outcome maps to rules follows
RFC 9309, section 2.3.1:

- 2xx: parse the body (protego: wildcards, `$`, Allow/Disallow precedence,
  Crawl-delay, Request-rate); only the first 500 KiB are read.
- 4xx, or more than five redirects: "unavailable", so everything is allowed.
  That includes 401 and 403, which RFC 9309 deliberately groups with 404.
- 429, 5xx, or a network failure: "unreachable", so the whole origin is
  treated as disallowed for this run. The failure is cached like any other
  outcome, so one broken robots.txt costs one (retried) fetch, not one per URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from protego import Protego

# RFC 9309 2.5: crawlers must parse at least 500 KiB; we read no more.
MAX_ROBOTS_BYTES = 500 * 1024
# A Crawl-delay above this is capped: a nightly crawl must still finish, and
# one page a minute is already far below any sensible server's capacity.
MAX_CRAWL_DELAY = 60.0


def origin(url: str) -> str:
    """The scheme://host:port a robots.txt governs (RFC 9309 2.3)."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def robots_url(url: str) -> str:
    return origin(url) + "/robots.txt"


def product_token(user_agent: str) -> str:
    """'tracker/0.1 (mailto:x@y)' -> 'tracker': robots.txt groups name products.

    Matching on the whole header would let a group such as `User-agent: example`
    hit the contact address in it.
    """
    token = user_agent.strip().split("/", 1)[0].split(None, 1)
    return token[0] if token else user_agent


@dataclass
class RobotsRules:
    parser: Protego | None = None       # None: no rules, everything allowed
    agent: str = "*"
    unreachable: str | None = None       # why robots.txt could not be read

    @classmethod
    def allow_all(cls) -> RobotsRules:
        return cls()

    @classmethod
    def failed(cls, reason: str) -> RobotsRules:
        return cls(unreachable=reason)

    @classmethod
    def parse(cls, text: str, agent: str) -> RobotsRules:
        from protego import Protego

        try:
            parser = Protego.parse(text)
        except Exception:  # noqa: BLE001 - a file the parser chokes on is treated as absent (RFC 9309 2.3.1.3)
            return cls(agent=agent)
        return cls(parser, agent)

    def allowed(self, url: str) -> bool:
        if self.unreachable is not None:
            return False
        if self.parser is None:
            return True
        return bool(self.parser.can_fetch(url, self.agent))

    def delay(self) -> float:
        """Seconds to keep between requests to this origin (0 when unstated)."""
        if self.parser is None:
            return 0.0
        delays = [0.0]
        crawl = self.parser.crawl_delay(self.agent)
        if crawl:
            delays.append(float(crawl))
        rate: Any = self.parser.request_rate(self.agent)
        if rate and rate.requests:
            delays.append(rate.seconds / rate.requests)
        return min(max(delays), MAX_CRAWL_DELAY)
