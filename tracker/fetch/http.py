"""The polite fetcher every source uses.

Politeness lives here and nowhere else: per-host rate limits (config,
source caps such as NCBI's, X-Rate-Limit-* headers, robots.txt Crawl-delay),
robots.txt, bounded retries that obey Retry-After, conditional GET, bounded
redirects, bounded bodies and time, hosts that cannot be reached marked
down for the rest of the run, and each feed kept to the addresses it may
reach (tracker.fetch.addresses, enforced at connect time by fetch.guard). Errors are FetchError subclasses whose
message is one sentence starting with the URL (tracker.fetch.response holds them,
with the header helpers).

requests is imported inside methods: only crawls import this module, and the
search CLI must stay fast.
"""

from __future__ import annotations

import copy
import os
import random
import socket
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit
from urllib.request import url2pathname

from tracker.errors import FetchError
from tracker.fetch import robots as robotslib
from tracker.fetch.addresses import CURRENT, AddressPolicy, AddressRefused, Resolver, system_resolver
from tracker.fetch.charset import decode, sniff_encoding
from tracker.fetch.response import (
    MAX_RETRY_AFTER,
    BodyTooLarge,
    HostUnreachable,
    HTTPStatusError,
    Limits,
    RedirectError,
    Response,
    RobotsDisallowed,
    RobotsUnavailable,
    Transient,
    describe,
    header_rate,
    parse_retry_after,
    redact,
    unreachable,
)
from tracker.fetch.stats import FeedStats

if TYPE_CHECKING:
    import requests

    from tracker.state import Validators

# Retried statuses: an explicit list, as in Scrapy's RETRY_HTTP_CODES.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_RETRIES = 3            # so at most 4 attempts per URL
MAX_REDIRECTS = 5
BACKOFF_BASE = 2.0         # seconds before the first retry (halved by jitter at worst)
BACKOFF_MAX = 60.0
DEADLINE_FACTOR = 4.0      # a whole response must arrive within this many timeouts
# A host that cannot be connected to is marked down for the rest of the run
# once one URL has spent these attempts (by how connecting failed), and every
# later request to it fails at once. A host that has already answered this run
# gets the usual retries instead, except for DNS failures: those are never
# retried. A connect timeout has already waited `timeout` seconds.
UNREACHABLE_ATTEMPTS = {"dns": 1, "timeout": 1, "refused": 2}
DEFAULT_PORTS = {"http": 80, "https": 443}
CHUNK = 65536


def _host_port(url: str) -> tuple[str, int]:
    """What a connection goes to: 127.0.0.1:8080 being down says nothing of 127.0.0.1:9090."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:  # a malformed port fails when requested; key it apart
        port = None
    return (parts.hostname or "").lower(), port or DEFAULT_PORTS.get(parts.scheme.lower(), 0)


# --- the fetcher --------------------------------------------------------------

class Fetcher:
    """One per crawl. Sources call get(); nothing else talks to the network.

    Each feed fetches through `for_feed(stats)`, a view that shares this
    fetcher's session, per-host timing, robots.txt cache and validators but
    counts requests, retries, robots denials and 304s into that feed's stats.
    Hosts marked down (see UNREACHABLE_ATTEMPTS) stay down for every feed.

    `sleep` and `clock` (monotonic) are injectable so tests never wait; `rng`
    gives jitter. `obey_robots=False` turns robots.txt off for the whole
    fetcher (tests, or a user's explicit choice); for_feed(robots=False)
    turns it off for one feed, see get().
    """

    def __init__(self, user_agent: str, *, validators: Validators | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic,
                 retries: int = MAX_RETRIES, backoff: float = BACKOFF_BASE,
                 max_retry_after: float = MAX_RETRY_AFTER, max_redirects: int = MAX_REDIRECTS,
                 obey_robots: bool = True, robots_agent: str | None = None,
                 rng: random.Random | None = None, resolver: Resolver | None = None):
        import requests

        from tracker.fetch.guard import VettingAdapter

        self.session = requests.Session()
        for prefix in ("http://", "https://"):
            self.session.mount(prefix, VettingAdapter())
        self.resolver = resolver or system_resolver
        self.addresses: AddressPolicy | None = None  # for_feed() sets each feed's; None: no check
        self.session.headers["User-Agent"] = user_agent
        self.user_agent = user_agent
        self.robots_agent = robots_agent or robotslib.product_token(user_agent)
        self.validators = validators
        self.retries = max(0, retries)
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self.max_redirects = max_redirects
        self.obey_robots = obey_robots
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._lock = threading.Lock()          # rate bookkeeping
        self._robots_lock = threading.Lock()   # one robots.txt fetch per origin
        self._last: dict[str, float] = {}       # host -> start of its last request
        self._not_before: dict[str, float] = {}  # host -> Retry-After / backoff horizon
        self._deferred_by: dict[str, int | None] = {}  # host -> status that set the horizon
        self._host_rate: dict[str, float] = {}  # caps from sources (NCBI)
        self._header_rate: dict[str, float] = {}  # from X-Rate-Limit-* headers
        self._crawl_delay: dict[str, float] = {}  # from robots.txt
        self._robots: dict[str, robotslib.RobotsRules] = {}
        self._answered: set[tuple[str, int]] = set()    # (host, port) that sent an HTTP answer
        self._down: dict[tuple[str, int], str] = {}     # (host, port) -> why it is unreachable
        self.stats = FeedStats()  # counts outside any feed; for_feed() gives each feed its own

    def for_feed(self, stats: FeedStats, *, robots: bool = True,
                 addresses: AddressPolicy | None = None) -> Fetcher:
        """This fetcher counting into `stats`; robots=False skips robots.txt for
        the feed's requests; `addresses` is the feed's rule for where it may
        connect (address_policy()). A shallow copy: session, per-host timing,
        robots cache, hosts marked down and validators stay shared, so
        politeness spans every feed."""
        view = copy.copy(self)
        view.stats = stats
        view.obey_robots = self.obey_robots and robots
        view.addresses = addresses
        return view

    def address_policy(self, own_url: str | None, *, allow_private: bool = False) -> AddressPolicy:
        """The rule for a feed whose own URL is `own_url` (None or a file: a
        local-file feed, which counts as public)."""
        parts = urlsplit(own_url or "")
        own_host = parts.hostname if parts.scheme.lower() in ("http", "https") else None
        return AddressPolicy(allow_private, own_host, self.resolver)

    def set_host_rate(self, host: str, rate: float) -> None:
        """Cap a host's request rate (e.g. NCBI's published limits: 3/s, 10/s with a key)."""
        self._host_rate[host.lower()] = rate

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public ---------------------------------------------------------------

    def get(self, url: str, *, params: Mapping[str, Any] | None = None,
            data: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None,
            limits: Limits | None = None, conditional: bool = False, fresh: bool = False,
            allow_file: bool = False) -> Response:
        """GET (or POST when `data` is given) with politeness applied.

        conditional: send stored ETag/Last-Modified for this URL (with its
        params); a 304 gives Response(not_modified=True). New validators are
        staged in `self.validators` (committed by the pipeline after the index
        commit). fresh=True with conditional: send none this time (a full
        read: --full, or a refresh that a 304 must not hide) but still keep
        the new ones.

        robots.txt is obeyed for every URL and every redirect hop unless this
        fetcher was made with obey_robots=False or for_feed(robots=False).
        Feeds of the registry API kinds (Source.registry_api: pubmed,
        europepmc, crossref) get robots=False (FetchContext.for_source): RFC
        9309 governs crawlers of web pages, and those services publish usage
        policies for programs (rate limits, tool/email/mailto) that their
        sources follow instead. Feeds and web pages always obey robots.txt.

        POSTs are retried like GETs: every POST tracker sends is a read-only
        query (efetch with a long id list), so repeating one is harmless.

        Raises FetchError, or its subclasses RobotsDisallowed (already counted
        as robots_skipped), RobotsUnavailable, HostUnreachable, BodyTooLarge,
        HTTPStatusError, RedirectError.
        """
        limits = limits or Limits()
        scheme = urlsplit(url).scheme.lower()
        if scheme == "file":
            if not allow_file:
                raise FetchError(f"{url}: file:// URLs are allowed only as a feed's own url.")
            return self._file(url, limits)
        if scheme not in ("http", "https") or not urlsplit(url).hostname:
            raise FetchError(f"{redact(url)}: only http and https URLs can be fetched.")
        send_headers = dict(headers or {})
        key = self._full_url(url, params)
        if conditional and not fresh and self.validators is not None:
            etag, modified = self.validators.get(key)
            if etag:
                send_headers["If-None-Match"] = etag
            if modified:
                send_headers["If-Modified-Since"] = modified
        method = "POST" if data is not None else "GET"
        resp = self._follow(url, method, params, data, send_headers, limits, robots=self.obey_robots)
        if resp.status == 304:
            self.stats.inc("not_modified")
            resp.not_modified = True
            return resp
        if resp.status >= 400:
            raise HTTPStatusError(f"{redact(url)}: HTTP {resp.status} {resp.reason}".rstrip() + ".",
                                  resp.status)
        if not 200 <= resp.status < 300:
            detail = " without a Location header" if resp.status in REDIRECT_STATUSES else ""
            raise HTTPStatusError(
                f"{redact(url)}: unexpected HTTP {resp.status} {resp.reason}".rstrip() + f"{detail}.",
                resp.status)
        if conditional and self.validators is not None:
            self.validators.stage(key, resp.headers.get("ETag"), resp.headers.get("Last-Modified"))
        return resp

    # -- redirects --------------------------------------------------------------

    def _follow(self, url: str, method: str, params: Mapping[str, Any] | None,
                data: Mapping[str, Any] | None, headers: dict[str, str], limits: Limits,
                *, robots: bool, truncate: bool = False) -> Response:
        """Redirects by hand, so every hop is checked for scheme, loops, robots
        and its own host's rate limit."""
        history: list[str] = []
        current = url
        for _ in range(self.max_redirects + 1):
            if robots:
                try:
                    self._check_robots(current, limits)
                except HostUnreachable:
                    self._refuse_if_down(current)  # its robots.txt found the host down: say so for this URL
                    raise
                except AddressRefused as exc:
                    raise exc.at(redact(current)) from None  # the link was refused, not just its robots.txt
            resp = self._attempts(current, method, params, data, headers, limits, truncate)
            location = resp.headers.get("Location")
            if resp.status not in REDIRECT_STATUSES or not location:
                resp.history = tuple(history)
                return resp
            history.append(resp.url)
            target = urljoin(resp.url, location.strip()).split("#", 1)[0]
            scheme = urlsplit(target).scheme.lower()
            if scheme not in ("http", "https"):
                raise RedirectError(f"{redact(url)}: redirected to {redact(target)}, "
                                    f"which is not an http or https URL.")
            if target in history:
                raise RedirectError(f"{redact(url)}: redirect loop back to {redact(target)}.")
            if resp.status == 303 or (resp.status in (301, 302) and method == "POST"):
                method, data = "GET", None  # what browsers and requests do
            if (urlsplit(target).hostname or "") != (urlsplit(resp.url).hostname or ""):
                for name in [h for h in headers if h.lower() in ("authorization", "cookie")]:
                    del headers[name]
            current, params = target, None  # the Location carries its own query
        raise RedirectError(f"{redact(url)}: more than {self.max_redirects} redirects.")

    # -- retries ----------------------------------------------------------------

    def _attempts(self, url: str, method: str, params: Mapping[str, Any] | None,
                  data: Mapping[str, Any] | None, headers: Mapping[str, str], limits: Limits,
                  truncate: bool) -> Response:
        host = (urlsplit(url).hostname or "").lower()
        attempts = self.retries + 1
        problem = Transient("it failed")
        for attempt in range(1, attempts + 1):
            self._refuse_if_down(url)
            self._refuse_if_told_to_wait(url, host)
            self._wait(host, limits.rate_limit)
            self.stats.inc("requests")
            try:
                return self._once(url, method, params, data, headers, limits, truncate)
            except Transient as exc:
                problem = exc
            if problem.unreachable and attempt >= self._unreachable_attempts(url, problem.unreachable, attempts):
                raise self._mark_down(url, problem.phrase)
            if problem.delay is not None:
                # Retry-After speaks for the whole host, so it outlives this URL,
                # and a wait beyond the cap fails this and later URLs at once.
                self._defer(host, problem.delay, problem.status)
                if problem.delay > self.max_retry_after:
                    raise HTTPStatusError(
                        f"{redact(url)}: {problem.phrase} asking to retry after {problem.delay:.0f} s, "
                        f"longer than the {self.max_retry_after:.0f} s tracker waits.", problem.status or 0)
            if attempt == attempts:
                break
            self.stats.inc("retries")
            if problem.delay is None:
                self._defer(host, self._backoff(attempt), None)
        tries = "1 attempt" if attempts == 1 else f"{attempts} attempts"
        message = f"{redact(url)}: {problem.phrase}, still failing after {tries}."
        if problem.status is not None:
            raise HTTPStatusError(message, problem.status)
        raise FetchError(message)

    def _once(self, url: str, method: str, params: Mapping[str, Any] | None,
              data: Mapping[str, Any] | None, headers: Mapping[str, str], limits: Limits,
              truncate: bool) -> Response:
        """One request; raises Transient for what is worth retrying."""
        import requests

        started = self._clock()
        token = CURRENT.set(self.addresses)
        try:
            self._vet_if_proxied(url)
            raw = self.session.request(method, url, params=params, data=data, headers=headers,
                                       timeout=(limits.timeout, limits.timeout), stream=True,
                                       allow_redirects=False)
        except AddressRefused as exc:
            self.stats.inc("address_refused")
            raise exc.at(redact(url)) from None
        except (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema,
                requests.exceptions.MissingSchema) as exc:
            raise FetchError(f"{redact(url)}: not a valid URL ({exc}).") from None
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise Transient(describe(exc, limits.timeout), unreachable=unreachable(exc)) from None
        except requests.RequestException as exc:
            raise FetchError(f"{redact(url)}: the request failed ({type(exc).__name__}).") from None
        finally:
            CURRENT.reset(token)
        self._answered.add(_host_port(url))
        try:
            rate = header_rate(raw.headers)
            if rate is not None:
                self._header_rate[(urlsplit(url).hostname or "").lower()] = rate
            status, reason = raw.status_code, raw.reason or ""
            if status in RETRY_STATUSES:
                delay = parse_retry_after(raw.headers.get("Retry-After"), raw.headers.get("Date"))
                raise Transient(f"HTTP {status} {reason}".rstrip(), status, delay)
            result = Response(raw.url, status, raw.headers, b"", None, reason=reason)
            if 200 <= status < 300:
                result.content = self._read_body(url, raw, limits, started, truncate)
                result.encoding = sniff_encoding(result.content, raw.headers.get("Content-Type"))
            result.elapsed = self._clock() - started
            return result
        finally:
            raw.close()

    def _read_body(self, url: str, raw: requests.Response, limits: Limits,
                   started: float, truncate: bool) -> bytes:
        """Stream the decoded body, bounded in bytes and in wall-clock time.

        read1 returns whatever has arrived instead of blocking for a full chunk,
        so a body trickling a byte at a time is still checked against the
        deadline; urllib3 bounds each decompression step, so a gzip bomb is
        counted (and abandoned) as it inflates.
        """
        from urllib3.exceptions import DecodeError, ProtocolError, ReadTimeoutError

        cap = limits.max_bytes
        declared = (raw.headers.get("Content-Length") or "").strip()
        if not truncate and declared.isdigit() and int(declared) > cap:
            raise BodyTooLarge(f"{redact(url)}: the server declares {int(declared)} bytes, "
                               f"more than max_bytes ({cap}).")
        budget = limits.deadline if limits.deadline is not None else limits.timeout * DEADLINE_FACTOR
        deadline = started + budget
        chunks: list[bytes] = []
        total = 0
        while True:
            try:
                # read1 and bounded decompression need urllib3 >= 2.6 (pyproject requires it)
                chunk = raw.raw.read1(CHUNK, decode_content=True)
            except ReadTimeoutError:
                raise Transient(f"the body stalled for {limits.timeout:g} s (read timeout)") from None
            except ProtocolError:
                raise Transient("the connection broke while reading the body") from None
            except DecodeError:
                raise FetchError(f"{redact(url)}: the compressed body could not be decoded.") from None
            except OSError as exc:
                raise Transient(f"reading the body failed ({exc.strerror or type(exc).__name__})") from None
            if not chunk:
                break
            if total + len(chunk) > cap:
                if truncate:
                    chunks.append(chunk[:cap - total])
                    break
                raise BodyTooLarge(f"{redact(url)}: the body grew past max_bytes ({cap}) "
                                   f"and was abandoned.")
            total += len(chunk)
            chunks.append(chunk)
            if self._clock() > deadline:
                raise FetchError(f"{redact(url)}: the body was still arriving after {budget:g} s "
                                 f"and was abandoned.")
        return b"".join(chunks)

    def _defer(self, host: str, delay: float, status: int | None) -> None:
        with self._lock:
            horizon = self._clock() + delay
            if horizon > self._not_before.get(host, horizon - 1):
                self._not_before[host] = horizon
                self._deferred_by[host] = status

    def _refuse_if_told_to_wait(self, url: str, host: str) -> None:
        with self._lock:
            left = self._not_before.get(host, 0.0) - self._clock()
            status = self._deferred_by.get(host)
        if left > self.max_retry_after:
            raise HTTPStatusError(f"{redact(url)}: {host} asked tracker to wait {left:.0f} s more, "
                                  f"longer than the {self.max_retry_after:.0f} s tracker waits.", status or 0)

    # -- hosts that cannot be reached ---------------------------------------------

    def _unreachable_attempts(self, url: str, kind: str, attempts: int) -> int:
        """Attempts before a URL failing to connect this way marks its host down."""
        if kind == "dns" or _host_port(url) not in self._answered:
            return min(attempts, UNREACHABLE_ATTEMPTS.get(kind, attempts))
        return attempts  # it answered earlier this run: more likely a blip

    def _mark_down(self, url: str, phrase: str) -> HostUnreachable:
        with self._lock:
            self._down.setdefault(_host_port(url), phrase)
        return self._down_error(url)

    def _refuse_if_down(self, url: str) -> None:
        if _host_port(url) in self._down:
            raise self._down_error(url)

    def _down_error(self, url: str) -> HostUnreachable:
        # one wording for the URL that found the host down and every URL after it
        parts = urlsplit(url)
        host, port = _host_port(url)
        where = host if port == DEFAULT_PORTS.get(parts.scheme.lower()) else f"{host}:{port}"
        return HostUnreachable(f"{redact(url)}: {where} is unreachable ({self._down[(host, port)]}); "
                               f"not tried again this run.")

    def _backoff(self, attempt: int) -> float:
        # Exponential with "equal jitter": never less than half the step, so
        # retries from many crawls spread out without ever hammering.
        step = min(BACKOFF_MAX, self.backoff * 2 ** (attempt - 1))
        return step / 2 + self._rng.uniform(0, step / 2)

    # -- rate limiting ----------------------------------------------------------

    def host_gap(self, host: str, rate: float) -> float:
        """Seconds between request starts for `host`: the strictest of the feed's
        rate, the source's cap, the server's X-Rate-Limit headers and robots.txt."""
        host = host.lower()
        rates = [r for r in (rate, self._host_rate.get(host), self._header_rate.get(host))
                 if r is not None and r > 0]
        gap = 1.0 / min(rates) if rates else 0.0
        return max(gap, self._crawl_delay.get(host, 0.0))

    def _wait(self, host: str, rate: float) -> None:
        gap = self.host_gap(host, rate)
        with self._lock:  # reserve a slot, then sleep outside the lock
            now = self._clock()
            start = max(now, self._last.get(host, now - gap) + gap, self._not_before.get(host, now))
            self._last[host] = start
        if start > now:
            self._sleep(start - now)

    # -- robots.txt -------------------------------------------------------------

    def _check_robots(self, url: str, limits: Limits) -> None:
        key = robotslib.origin(url)
        with self._robots_lock:
            rules = self._robots.get(key)
            if rules is None:
                rules = self._robots[key] = self._load_robots(url, limits)
                host = (urlsplit(url).hostname or "").lower()
                delay = rules.delay()
                if delay:
                    self._crawl_delay[host] = max(delay, self._crawl_delay.get(host, 0.0))
        if rules.unreachable is not None:
            raise RobotsUnavailable(f"{redact(url)}: robots.txt of {key} could not be read "
                                    f"({rules.unreachable}), so the host is skipped this run.")
        if not rules.allowed(url):
            self.stats.inc("robots_skipped")
            raise RobotsDisallowed(f"{redact(url)}: robots.txt disallows it for {self.robots_agent}.")

    def _load_robots(self, url: str, limits: Limits) -> robotslib.RobotsRules:
        where = robotslib.robots_url(url)
        small = Limits(rate_limit=limits.rate_limit, timeout=limits.timeout,
                       max_bytes=robotslib.MAX_ROBOTS_BYTES)
        try:
            resp = self._follow(where, "GET", None, None, {}, small, robots=False, truncate=True)
        except RedirectError:
            return robotslib.RobotsRules.allow_all()  # RFC 9309: treat as unavailable
        except HostUnreachable:
            raise  # not cached as rules: the host is down for every URL, with or without robots
        except AddressRefused:
            raise  # not cached: refused for this feed, perhaps allowed for another
        except FetchError as exc:
            # Keep the cause only: the message's own URL is robots.txt's.
            reason = str(exc).split(": ", 1)[-1].rstrip(".")
            return robotslib.RobotsRules.failed(reason)
        if 200 <= resp.status < 300:
            return robotslib.RobotsRules.parse(decode(resp.content, "utf-8"), self.robots_agent)
        return robotslib.RobotsRules.allow_all()  # 4xx (and stray 3xx/1xx): unavailable

    # -- misc ---------------------------------------------------------------------

    def _vet_if_proxied(self, url: str) -> None:
        """Through a proxy the connection goes to the proxy, which resolves the
        name itself: the name is vetted here instead (best effort: the proxy's
        answer may differ)."""
        if self.addresses is None or not self.session.trust_env or not _proxy_variables():
            return
        from requests.utils import get_environ_proxies, select_proxy

        if select_proxy(url, get_environ_proxies(url)):
            parts = urlsplit(url)
            try:
                self.addresses.vet(parts.hostname or "", parts.port or DEFAULT_PORTS.get(parts.scheme, 80))
            except socket.gaierror:
                pass  # the proxy may know names this machine does not

    @staticmethod
    def _full_url(url: str, params: Mapping[str, Any] | None) -> str:
        """The URL a request with `params` goes to: the key for stored validators."""
        if not params:
            return url
        from requests.models import PreparedRequest

        prepared = PreparedRequest()
        prepared.prepare_url(url, params)
        return prepared.url or url

    def _file(self, url: str, limits: Limits) -> Response:
        path = Path(url2pathname(urlsplit(url).path))
        try:
            size = path.stat().st_size
            if size > limits.max_bytes:
                raise BodyTooLarge(f"{url}: the file is larger than max_bytes ({limits.max_bytes}).")
            content = path.read_bytes()
        except FileNotFoundError:
            raise FetchError(f"{url}: no such file.") from None
        except IsADirectoryError:
            raise FetchError(f"{url}: is a directory, not a file.") from None
        except OSError as exc:
            raise FetchError(f"{url}: cannot read the file ({exc.strerror}).") from None
        return Response(url, 200, {}, content, sniff_encoding(content, None))


def _proxy_variables() -> bool:
    """Whether a proxy may be configured: on Linux only *_proxy environment
    variables name one, and asking requests (~0.3 ms, it reads the whole
    environment twice) is needless without them."""
    if not sys.platform.startswith("linux"):
        return True     # the system settings elsewhere (macOS, Windows) are asked as well
    return any(name[-6:].lower() == "_proxy" for name in os.environ)
