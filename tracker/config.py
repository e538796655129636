"""feeds.yaml -> validated Config and FeedConfig objects, with clear errors.

Every problem is collected and reported at once, each naming the file, the
feed and the key, so a user fixes the whole file in one pass. What a feed
kind accepts (its keys, required keys, default base_url, local files) is
declared on its Source class and read from the registry; the value classes
live in tracker.settings.
"""

from __future__ import annotations

import difflib
import math
import os
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from tracker import __version__, sources, yamlload
from tracker.alerts import validate as alert_blocks
from tracker.errors import ConfigError
from tracker.errors import shown as _shown
from tracker.settings import Config, FeedConfig, Filters

__all__ = ["Config", "FeedConfig", "Filters", "check_index_dir", "find_config", "load", "parse", "require_feeds"]

TOP_KEYS: tuple[str, ...] = ("index", "contact_email", "user_agent", "ncbi_api_key", "defaults", "filters", "feeds")
TOP_KEYS += ("alerts", "smtp")    # tracker.alerts.validate checks these blocks
TOP_KEYS += ("allow_private_addresses",)
DEFAULT_KEYS = ("rate_limit", "timeout", "max_bytes", "since", "max_records", "max_pages")
FILTER_KEYS = ("include_any", "exclude_any")
FEED_COMMON_KEYS = ("name", "kind", "url", "query", "base_url", "filters", "enabled",
                    "allow_private_addresses") + DEFAULT_KEYS
BUILTIN_DEFAULTS: dict[str, Any] = {
    "rate_limit": 1.0,
    "timeout": 30.0,
    "max_bytes": 20_000_000,
    "since": date(2010, 1, 1),
    "max_records": None,   # None: each source kind's own default (tracker.sources.paging)
    "max_pages": None,
}
# upper bounds of the numeric keys: beyond these a value is a typo, and an
# infinite or huge timeout cannot be handed to a socket
MAX_NUMBER = {"rate_limit": 1e6, "timeout": 86_400, "max_bytes": 1e12}
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
MAX_NAME = 80
MAX_SHOWN = 10      # problems listed at once; a file of nonsense should not fill the screen
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def find_config(explicit: str | os.PathLike | None) -> Path:
    """--config, then $TRACKER_CONFIG, then ./feeds.yaml."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("TRACKER_CONFIG")
    if env:
        return Path(env)
    return Path("feeds.yaml")


def load(path: str | os.PathLike | None = None) -> Config:
    p = find_config(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{p}: no such configuration file (use --config or $TRACKER_CONFIG).") from None
    except IsADirectoryError:
        raise ConfigError(f"{p}: is a directory, not a feeds.yaml file.") from None
    except PermissionError:
        raise ConfigError(f"{p}: cannot read the configuration file (permission denied).") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{p}: the configuration file is not UTF-8 text.") from None
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read the configuration file ({exc.strerror}).") from None
    return parse(text, p)


def parse(text: str, path: Path) -> Config:
    try:
        data = yamlload.load(text)
    except yamlload.YamlLimit as exc:
        raise ConfigError(f"{path}: not a usable configuration: {exc}.") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"{path}: not valid YAML{where}: {problem}.") from None
    return _Validator(path).run(data)


def _suggest(key: str, valid: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(key, list(valid), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


class _Validator:
    def __init__(self, path: Path):
        self.path = path
        self.base = path.resolve().parent
        self.errors: list[str] = []

    def err(self, where: str, message: str) -> None:
        self.errors.append(f"{self.path}: {where}{message}")

    # value checkers: return the cleaned value or None after recording an error
    def number(self, where: str, key: str, value: Any, *, integer: bool = False) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            if isinstance(value, str):
                try:
                    value = int(value) if integer else float(value)
                except ValueError:
                    value = None
            else:
                value = None
            if value is None:
                self.err(where, f"key '{key}' must be a {'whole ' if integer else ''}number.")
                return None
        if isinstance(value, float) and not math.isfinite(value) or value > MAX_NUMBER.get(key, 1e15):
            self.err(where, f"key '{key}' must be a finite number no larger than {MAX_NUMBER.get(key, 1e15):g}.")
            return None
        if integer and float(value) != int(value):
            self.err(where, f"key '{key}' must be a whole number.")
            return None
        if value <= 0:
            self.err(where, f"key '{key}' must be greater than 0.")
            return None
        return int(value) if integer else float(value)

    def a_date(self, where: str, key: str, value: Any) -> date | None:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.err(where, f"key '{key}' must be a date like 2015-01-31.")
        return None

    def string(self, where: str, key: str, value: Any) -> str | None:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            self.err(where, f"key '{key}' must be a non-empty text.")
            return None
        return value.strip()

    def boolean(self, where: str, key: str, value: Any) -> bool | None:
        if isinstance(value, bool):
            return value
        self.err(where, f"key '{key}' must be true or false.")
        return None

    def http_url(self, where: str, key: str, value: Any, *, local_ok: bool) -> str | None:
        text = self.string(where, key, value)
        if text is None:
            return None
        try:
            parts = urlsplit(text)
            parts.port  # noqa: B018 - raises on a port that is not a number in 0..65535
        except ValueError as exc:
            self.err(where, f"key '{key}' is not a valid URL ({exc}): '{_shown(text)}'.")
            return None
        if parts.scheme in ("http", "https") and parts.hostname:
            return text
        if local_ok and parts.scheme == "file":
            return text
        if local_ok and not parts.scheme or (local_ok and len(parts.scheme) == 1):
            # a local path (or a Windows drive letter): relative to feeds.yaml
            return (self.base / text).resolve().as_uri()
        allowed = "an http(s) URL or a local file path" if local_ok else "an http(s) URL"
        self.err(where, f"key '{key}' must be {allowed}, not '{_shown(text)}'.")
        return None

    def filters(self, where: str, value: Any, inherited: Filters) -> Filters:
        if value is None:
            return inherited
        if not isinstance(value, dict):
            self.err(where, "key 'filters' must be a mapping with include_any/exclude_any.")
            return inherited
        out = {"include_any": inherited.include_any, "exclude_any": inherited.exclude_any}
        for key, items in value.items():
            if key not in FILTER_KEYS:
                self.err(where, f"unknown key 'filters.{_shown(key)}'{_suggest(str(key), FILTER_KEYS)}.")
                continue
            if items is None:
                items = []
            if not isinstance(items, list) or not all(isinstance(i, (str, int)) for i in items):
                self.err(where, f"key 'filters.{key}' must be a list of words or phrases.")
                continue
            out[key] = tuple(str(i) for i in items if str(i).strip())
        return Filters(**out)

    def run(self, data: Any) -> Config:
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ConfigError(f"{self.path}: the top level must be a mapping of keys (index, feeds, ...).")
        smtp_unexpanded = data.get("smtp")    # the password must be a ${VAR}, not the secret itself
        data = _expand_env(data)
        control = _control_character(data)
        if control:
            # refused at once: every later message would carry the character to the terminal
            raise ConfigError(f"{self.path}: {control}; remove it.")
        for key in data:
            if key not in TOP_KEYS:
                self.err("", f"unknown top-level key '{_shown(key)}'{_suggest(str(key), TOP_KEYS)}.")

        index = data.get("index", "index")
        index_s = self.string("", "index", index) or "index"
        index_dir = Path(index_s).expanduser()
        if not index_dir.is_absolute():
            index_dir = self.base / index_dir
        if _shared_place(index_dir):
            self.err("", f"key 'index' names {index_dir}, {_shared_place(index_dir)}; tracker needs a "
                         f"directory of its own there, such as {index_dir / 'tracker-index'}.")

        email = data.get("contact_email")
        if email in (None, ""):
            email = None
        elif not isinstance(email, str) or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email.strip()):
            self.err("", f"key 'contact_email' must be an e-mail address, not '{_shown(email)}'.")
            email = None
        else:
            email = email.strip()
        user_agent = data.get("user_agent")
        if user_agent in (None, ""):
            user_agent = f"tracker/{__version__}" + (f" (mailto:{email})" if email else "")
        else:
            user_agent = self.string("", "user_agent", user_agent) or f"tracker/{__version__}"
        api_key = data.get("ncbi_api_key")
        api_key = str(api_key).strip() if api_key not in (None, "") else None

        defaults = dict(BUILTIN_DEFAULTS)
        raw_defaults = data.get("defaults") or {}
        if not isinstance(raw_defaults, dict):
            self.err("", "key 'defaults' must be a mapping.")
            raw_defaults = {}
        for key, value in raw_defaults.items():
            if key not in DEFAULT_KEYS:
                self.err("defaults: ", f"unknown key '{_shown(key)}'{_suggest(str(key), DEFAULT_KEYS)}.")
                continue
            checked = self._default_value("defaults: ", key, value)
            if checked is not None:
                defaults[key] = checked
        global_filters = self.filters("", data.get("filters"), Filters())
        allow_private = data.get("allow_private_addresses", False)
        allow_private = bool(self.boolean("", "allow_private_addresses", allow_private))

        registry = sources.load_all()
        feeds: list[FeedConfig] = []
        raw_feeds = data.get("feeds")
        if raw_feeds is None:
            raw_feeds = []
        if not isinstance(raw_feeds, list):
            self.err("", "key 'feeds' must be a list of feeds.")
            raw_feeds = []
        seen: set[str] = set()
        for i, raw in enumerate(raw_feeds, 1):
            feed = self._feed(i, raw, defaults, global_filters, registry, seen)
            if feed is not None and isinstance(raw, dict) and "allow_private_addresses" in raw:
                feed.allow_private_addresses = bool(
                    self.boolean(f"feed '{feed.name}': ", "allow_private_addresses", raw["allow_private_addresses"]))
            elif feed is not None:
                feed.allow_private_addresses = allow_private
            if feed is not None:
                feeds.append(feed)

        found_alerts = alert_blocks.alerts(self, data.get("alerts"))
        smtp = alert_blocks.smtp(self, data.get("smtp"), smtp_unexpanded)
        alert_blocks.need_smtp(self, found_alerts, smtp, "smtp" in data)

        if self.errors:
            n = len(self.errors)
            head = self.errors[0] if n == 1 else f"{self.path}: {n} problems in the configuration."
            shown = self.errors if n <= MAX_SHOWN else [
                *self.errors[:MAX_SHOWN - 1], f"{self.path}: and {n - MAX_SHOWN + 1} more problems."]
            raise ConfigError(head, shown)
        return Config(self.path, index_dir, email, user_agent, api_key, global_filters, feeds,
                      alerts=found_alerts, smtp=smtp)

    def _default_value(self, where: str, key: str, value: Any) -> Any:
        if key == "since":
            return self.a_date(where, key, value)
        return self.number(where, key, value, integer=(key in ("max_bytes", "max_records", "max_pages")))

    def _feed(self, i, raw, defaults, global_filters, registry, seen) -> FeedConfig | None:
        if not isinstance(raw, dict):
            self.err(f"feed #{i}: ", "must be a mapping with name, kind and url or query.")
            return None
        name = raw.get("name")
        if name is None or not str(name).strip():
            where = f"feed #{i}: "
            self.err(where, "missing key 'name'.")
            name = None
        elif isinstance(name, (list, dict)):
            where = f"feed #{i}: "
            self.err(where, "key 'name' must be one word, not a list or mapping.")
            name = None
        else:
            name = str(name).strip()
            where = f"feed '{_shown(name)}': "
            if not _NAME.match(name) or len(name) > MAX_NAME:
                self.err(where, f"key 'name' may hold only letters, digits, '-', '_' and '.' "
                                f"(at most {MAX_NAME} of them).")
            if name in seen:
                self.err(where, "duplicate feed name; each feed needs its own name.")
            seen.add(name)
        kind = raw.get("kind")
        cls = None
        if kind is None:
            self.err(where, f"missing key 'kind' (one of {', '.join(sorted(registry))}).")
        elif not isinstance(kind, str):
            self.err(where, f"key 'kind' must be one word, one of {', '.join(sorted(registry))}.")
        elif kind not in registry:
            self.err(where, f"unknown kind '{_shown(kind)}'{_suggest(str(kind), sorted(registry))}; "
                            f"valid kinds: {', '.join(sorted(registry))}.")
        else:
            cls = registry[kind]
        allowed = FEED_COMMON_KEYS + tuple(cls.keys if cls else ())
        for key in raw:
            if key not in allowed and cls is not None:
                self.err(where, f"unknown key '{_shown(key)}'{_suggest(str(key), allowed)}.")
        if cls is None:
            return None
        values: dict[str, Any] = dict(defaults)
        for key in DEFAULT_KEYS:
            if key in raw:
                checked = self._default_value(where, key, raw[key])
                if checked is not None:
                    values[key] = checked
        for key in cls.required:
            if raw.get(key) in (None, ""):
                self.err(where, f"missing key '{key}' (a {kind} feed needs it).")
        if cls.required_any and all(raw.get(key) in (None, "") for key in cls.required_any):
            *first, last = (f"'{key}'" for key in cls.required_any)
            self.err(where, f"a {kind} feed needs {', '.join(first)} or {last}: what to search for.")
        url = raw.get("url")
        if url not in (None, ""):
            url = self.http_url(where, "url", url, local_ok=cls.local_files)
        else:
            url = None
        query = raw.get("query")
        query = self.string(where, "query", query) if query not in (None, "") else None
        base_url = raw.get("base_url")
        if base_url not in (None, ""):
            base_url = self.http_url(where, "base_url", base_url, local_ok=False)
        else:
            base_url = cls.default_base_url
        if base_url and not base_url.endswith("/"):
            base_url += "/"
        enabled = raw.get("enabled", True)
        enabled = self.boolean(where, "enabled", enabled) if "enabled" in raw else True
        options: dict[str, Any] = {}
        for key, spec in (cls.keys or {}).items():
            if key in raw:
                try:
                    options[key] = spec.check(raw[key])
                except (TypeError, ValueError) as exc:
                    self.err(where, f"key '{key}' {exc}.")
        filters = self.filters(where, raw.get("filters"), global_filters)
        if name is None:
            return None
        return FeedConfig(
            name=name, kind=cls.kind, url=url, query=query, base_url=base_url,
            rate_limit=values["rate_limit"], timeout=values["timeout"],
            max_bytes=values["max_bytes"], since=values["since"], filters=filters,
            enabled=bool(enabled) if enabled is not None else True, options=options,
            max_records=values["max_records"], max_pages=values["max_pages"],
        )


def require_feeds(config: Config) -> None:
    """A crawl (and `feeds check`) needs a feed to crawl: a configuration
    without one would let a nightly crawl succeed at doing nothing forever."""
    if not config.feeds:
        raise ConfigError(f"{config.path}: no feeds are configured; add at least one under 'feeds:' "
                          f"(name, kind and url or query).")


# What tracker writes in an index directory (store, crawl state, Whoosh
# index and its table of contents, the crawl lock): a non-empty directory
# without any of these holds someone else's files.
INDEX_MARKERS = ("records.sqlite", "state.sqlite", "whoosh", "index.json", "crawl.lock")


def check_index_dir(directory: Path) -> None:
    """Refuse to write an index into the filesystem root, a home directory
    or a directory already holding files that are not tracker's (a file in
    its place is the store's to report, as for every command)."""
    place = _shared_place(directory)
    if place:
        raise ConfigError(f"{directory} is {place}; give the index a directory of its own "
                          f"(index: in feeds.yaml, or --index).")
    try:
        names = [p.name for p in directory.iterdir()] if directory.is_dir() else []
    except OSError as exc:
        raise ConfigError(f"{directory}: cannot read the index directory ({exc.strerror}).") from None
    if any(name.startswith(INDEX_MARKERS) for name in names):
        return
    others = [n for n in names if not n.startswith(".")]
    if others:
        raise ConfigError(f"{directory} holds files that are not a tracker index ({_shown(', '.join(others[:3]))}"
                          f"{', ...' if len(others) > 3 else ''}); give the index an empty directory of its own.")


def _shared_place(directory: Path) -> str | None:
    """What a directory is when no index belongs there: the filesystem root or a home directory."""
    path = Path(os.path.abspath(directory))
    if path == Path(path.anchor):
        return "the filesystem root"
    try:
        home = Path(os.path.abspath(Path.home()))
    except RuntimeError:        # no home directory known
        return None
    return "your home directory" if path == home else None


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")


def _control_character(value: Any, trail: str = "") -> str | None:
    """Where the first control character (NUL and the like) sits in the data, if any."""
    if isinstance(value, str):
        found = _CONTROL.search(value)
        return f"key '{trail or '(top)'}' holds a control character (U+{ord(found.group()):04X})" if found else None
    if isinstance(value, list):
        return next((c for i, v in enumerate(value) if (c := _control_character(v, f"{trail}[{i}]"))), None)
    if isinstance(value, dict):
        for k, v in value.items():
            here = _CONTROL.sub("?", _shown(f"{trail}.{k}" if trail else k))
            if isinstance(k, str) and _CONTROL.search(k):
                return f"key '{here}' holds a control character in its name"
            inner = _control_character(v, here)
            if inner:
                return inner
    return None


def _expand_env(value: Any) -> Any:
    if isinstance(value, str):
        return _ENV.sub(lambda m: os.environ.get(m.group(1), ""), value)
    if isinstance(value, list):
        return [_expand_env(v) for v in value]
    if isinstance(value, dict):
        return {k: _expand_env(v) for k, v in value.items()}
    return value
