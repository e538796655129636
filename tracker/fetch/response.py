"""The fetcher's vocabulary: its errors, limits and response, and the pure
helpers it uses to read headers (Retry-After, rate limits), describe
connection failures and keep secrets out of messages."""

from __future__ import annotations

import email.utils
import re
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from tracker.errors import FetchError
from tracker.fetch.charset import decode_body

MAX_RETRY_AFTER = 300.0    # a server asking for longer is failed, not waited for
# Query parameters whose values never appear in error messages.
SECRET_PARAMS = frozenset({"api_key", "apikey", "key", "token", "access_token"})


class RobotsDisallowed(FetchError):
    """robots.txt forbids this URL: counted as a skip, not an error."""


class RobotsUnavailable(FetchError):
    """robots.txt answered 429/5xx or not at all: the host is off limits this run."""


class BodyTooLarge(FetchError):
    """The body went past max_bytes and was abandoned."""


class HTTPStatusError(FetchError):
    """The server answered with an error status (after retries, for 429 and 5xx)."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


class RedirectError(FetchError):
    """A redirect loop, too many redirects, or a redirect to a non-http(s) URL."""


@dataclass
class Limits:
    """Per-feed fetch settings (from feeds.yaml defaults or the feed)."""

    rate_limit: float = 1.0   # requests per second per host
    timeout: float = 30.0     # seconds, connect and read (per socket operation)
    max_bytes: int = 20_000_000
    deadline: float | None = None  # whole response, seconds; None: DEADLINE_FACTOR x timeout


@dataclass
class Response:
    url: str                  # final URL after redirects
    status: int
    headers: Mapping[str, str]
    content: bytes
    encoding: str | None = None   # charset to decode with: BOM, header, in-document declaration; None if unknown
    not_modified: bool = False    # a 304 to a conditional GET: content is empty
    elapsed: float = 0.0
    reason: str = ""
    history: tuple[str, ...] = ()  # URLs that redirected here, in order

    @property
    def text(self) -> str:
        """The body decoded; undeclared bodies are tried as UTF-8, then Windows-1252."""
        return decode_body(self.content, self.encoding)

    @property
    def content_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()


# --- small helpers ------------------------------------------------------------

def redact(url: str) -> str:
    """The URL with secret query values (api_key...) masked, for messages."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    pairs = [(k, "***" if k.lower() in SECRET_PARAMS else v)
             for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit(parts._replace(query=urlencode(pairs, safe="*")))


def parse_retry_after(value: str | None, date: str | None = None, now: float | None = None) -> float | None:
    """Retry-After in seconds: delay-seconds or an HTTP date (RFC 9110 10.2.3).

    A date is measured against the response's own Date header when present, so
    a skewed local clock does not matter. None when absent or unreadable.
    """
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    when = _http_date(value)
    if when is None:
        return None
    ref = _http_date(date) if date else None
    base = ref.timestamp() if ref else (time.time() if now is None else now)
    return max(0.0, when.timestamp() - base)


def _http_date(value: str) -> datetime | None:
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


_INTERVAL = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*", re.I)
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def header_rate(headers: Mapping[str, str]) -> float | None:
    """Requests per second from Crossref-style X-Rate-Limit-Limit/-Interval."""
    limit, interval = headers.get("X-Rate-Limit-Limit"), headers.get("X-Rate-Limit-Interval")
    if not limit or not interval:
        return None
    match = _INTERVAL.fullmatch(interval)
    try:
        count = float(limit)
    except ValueError:
        return None
    if not match or count <= 0:
        return None
    seconds = float(match.group(1)) * _UNIT[(match.group(2) or "s").lower()]
    return count / seconds if seconds > 0 else None


def describe(exc: BaseException, timeout: float) -> str:
    """A connection failure as a short phrase, without urllib3's object reprs."""
    import requests

    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return f"connecting timed out after {timeout:g} s"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return f"the server sent nothing for {timeout:g} s (read timeout)"
    if isinstance(exc, requests.exceptions.SSLError):
        return "the TLS handshake failed"
    seen: set[int] = set()
    todo: list[Any] = [exc]
    while todo:  # walk urllib3's wrappers down to the socket error
        err = todo.pop(0)
        if not isinstance(err, BaseException) or id(err) in seen:
            continue
        seen.add(id(err))
        if isinstance(err, socket.gaierror):
            return "the host name could not be resolved"
        if isinstance(err, ConnectionRefusedError):
            return "the connection was refused"
        if isinstance(err, ConnectionResetError):
            return "the connection was reset"
        if isinstance(err, TimeoutError):
            return f"the server did not answer within {timeout:g} s"
        todo.extend([getattr(err, "reason", None), err.__cause__, err.__context__, *err.args])
    text = re.sub(r"\s+", " ", str(exc)).strip().rstrip(".")
    return f"the connection failed ({text[:150]})" if text else "the connection failed"


class Transient(Exception):
    """A failure worth retrying: the phrase for the message, and Retry-After if any."""

    def __init__(self, phrase: str, status: int | None = None, delay: float | None = None):
        super().__init__(phrase)
        self.phrase, self.status, self.delay = phrase, status, delay
