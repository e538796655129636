"""The validated configuration: Config, FeedConfig and Filters.

tracker.config builds these from feeds.yaml (and re-exports them). They live
apart from the validator because the validator asks the source registry
about each kind, while the sources read these values: keeping the values
here lets both import them without an import cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Filters:
    include_any: tuple[str, ...] = ()
    exclude_any: tuple[str, ...] = ()


@dataclass
class FeedConfig:
    name: str
    kind: str
    url: str | None = None
    query: str | None = None
    base_url: str | None = None
    rate_limit: float = 1.0
    timeout: float = 30.0
    max_bytes: int = 20_000_000
    since: date = date(2010, 1, 1)
    filters: Filters = field(default_factory=Filters)
    enabled: bool = True
    options: dict[str, Any] = field(default_factory=dict)
    max_records: int | None = None   # None: the source kind's default (tracker.sources.paging)
    max_pages: int | None = None
    allow_private_addresses: bool = False

    def option(self, key: str, default: Any = None) -> Any:
        return self.options.get(key, default)


@dataclass(frozen=True)
class AlertConfig:
    """A saved search under `alerts:`; without addresses `tracker alerts` prints it."""

    name: str
    query: str
    to: tuple[str, ...] = ()
    format: str | None = None       # markdown | html; None: html when mailed, markdown when printed


@dataclass(frozen=True)
class SmtpConfig:
    """The `smtp:` block: where alerts are mailed from."""

    host: str
    port: int
    sender: str                     # the `from:` key
    starttls: bool = False
    ssl: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0


@dataclass
class Config:
    path: Path
    index_dir: Path
    contact_email: str | None
    user_agent: str
    ncbi_api_key: str | None
    filters: Filters
    feeds: list[FeedConfig]
    alerts: list[AlertConfig] = field(default_factory=list)
    smtp: SmtpConfig | None = None

    def alert(self, name: str) -> AlertConfig | None:
        return next((a for a in self.alerts if a.name == name), None)

    def feed(self, name: str) -> FeedConfig | None:
        return next((f for f in self.feeds if f.name == name), None)
