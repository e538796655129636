"""The polite fetcher every source uses.

Minimal first version: one requests.Session, user agent, timeouts,
conditional GET, bounded body size, file:// for local feeds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping
from urllib.parse import urlsplit
from urllib.request import url2pathname

from tracker.errors import FetchError

if TYPE_CHECKING:
    from tracker.sources.base import FeedStats
    from tracker.state import Validators


class RobotsDisallowed(FetchError):
    """robots.txt forbids this URL: counted as a skip, not an error."""


class BodyTooLarge(FetchError):
    """The body went past max_bytes and was abandoned."""


@dataclass
class Limits:
    """Per-feed fetch settings (from feeds.yaml defaults or the feed)."""

    rate_limit: float = 1.0   # requests per second per host
    timeout: float = 30.0     # seconds, connect and read
    max_bytes: int = 20_000_000


@dataclass
class Response:
    url: str                  # final URL after redirects
    status: int
    headers: Mapping[str, str]
    content: bytes
    encoding: str | None = None   # declared or detected charset
    not_modified: bool = False    # a 304 to a conditional GET: content is empty
    elapsed: float = 0.0

    @property
    def text(self) -> str:
        enc = self.encoding or "utf-8"
        try:
            return self.content.decode(enc, errors="replace")
        except LookupError:
            return self.content.decode("utf-8", errors="replace")

    @property
    def content_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()


class Fetcher:
    """One per crawl. Sources call get(); nothing else talks to the network."""

    def __init__(self, user_agent: str, *, validators: "Validators | None" = None,
                 sleep=time.sleep, clock=time.monotonic):
        import requests

        self.session = requests.Session()
        self.session.headers["User-Agent"] = user_agent
        self.user_agent = user_agent
        self.validators = validators
        self._sleep = sleep
        self._clock = clock
        self._last: dict[str, float] = {}
        self._host_rate: dict[str, float] = {}

    def set_host_rate(self, host: str, rate: float) -> None:
        """Cap a host's request rate (e.g. NCBI's published limits)."""
        self._host_rate[host.lower()] = rate

    def close(self) -> None:
        self.session.close()

    def get(self, url: str, *, params: Mapping[str, Any] | None = None,
            data: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None,
            limits: Limits | None = None, stats: "FeedStats | None" = None,
            conditional: bool = False, allow_file: bool = False) -> Response:
        """GET (or POST when `data` is given) with politeness applied.

        conditional: send stored ETag/Last-Modified for this URL; a 304 gives
        Response(not_modified=True). New validators are staged in
        `self.validators` (committed by the pipeline after the index commit).
        Raises FetchError (or RobotsDisallowed, BodyTooLarge).
        """
        limits = limits or Limits()
        scheme = urlsplit(url).scheme.lower()
        if scheme == "file":
            if not allow_file:
                raise FetchError(f"{url}: file:// URLs are allowed only as a feed's own url.")
            return self._file(url, limits)
        if scheme not in ("http", "https"):
            raise FetchError(f"{url}: only http and https URLs can be fetched.")
        import requests

        host = (urlsplit(url).hostname or "").lower()
        self._wait(host, limits.rate_limit)
        send_headers = dict(headers or {})
        if conditional and self.validators is not None:
            etag, modified = self.validators.get(url)
            if etag:
                send_headers["If-None-Match"] = etag
            if modified:
                send_headers["If-Modified-Since"] = modified
        if stats is not None:
            stats.requests += 1
        try:
            method = "POST" if data is not None else "GET"
            resp = self.session.request(method, url, params=params, data=data, headers=send_headers,
                                        timeout=(limits.timeout, limits.timeout), stream=True)
        except requests.RequestException as exc:
            raise FetchError(f"{url}: {type(exc).__name__}: {exc}") from None
        try:
            if resp.status_code == 304:
                return Response(resp.url, 304, resp.headers, b"", None, not_modified=True)
            if resp.status_code >= 400:
                raise FetchError(f"{url}: HTTP {resp.status_code} {resp.reason or ''}".rstrip())
            chunks, total = [], 0
            for chunk in resp.iter_content(65536):
                total += len(chunk)
                if total > limits.max_bytes:
                    raise BodyTooLarge(f"{url}: body larger than max_bytes ({limits.max_bytes}).")
                chunks.append(chunk)
        except requests.RequestException as exc:
            raise FetchError(f"{url}: {type(exc).__name__}: {exc}") from None
        finally:
            resp.close()
        if conditional and self.validators is not None:
            self.validators.stage(url, resp.headers.get("ETag"), resp.headers.get("Last-Modified"))
        return Response(resp.url, resp.status_code, resp.headers, b"".join(chunks), resp.encoding)

    def _wait(self, host: str, rate: float) -> None:
        rate = min(rate, self._host_rate.get(host, rate))
        if rate <= 0:
            return
        gap = 1.0 / rate
        last = self._last.get(host)
        now = self._clock()
        if last is not None and now - last < gap:
            self._sleep(gap - (now - last))
        self._last[host] = self._clock()

    def _file(self, url: str, limits: Limits) -> Response:
        path = Path(url2pathname(urlsplit(url).path))
        try:
            size = path.stat().st_size
            if size > limits.max_bytes:
                raise BodyTooLarge(f"{path}: file larger than max_bytes ({limits.max_bytes}).")
            content = path.read_bytes()
        except FileNotFoundError:
            raise FetchError(f"{path}: no such file.") from None
        except OSError as exc:
            raise FetchError(f"{path}: cannot read ({exc.strerror}).") from None
        return Response(url, 200, {}, content, None)
