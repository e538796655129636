"""The `alerts:` and `smtp:` blocks of feeds.yaml -> AlertConfig and SmtpConfig.

Called by tracker.config's validator, which collects every problem; each
message names the alert (or `smtp:`) and the key. An alert's query is
parsed as `tracker search` would parse it, so a typo is a configuration
error now rather than a failed mail later.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

from tracker.errors import QueryError, shown
from tracker.settings import AlertConfig, SmtpConfig

ALERT_KEYS = ("name", "query", "to", "format")
SMTP_KEYS = ("host", "port", "from", "starttls", "ssl", "username", "password", "timeout")
FORMATS = ("markdown", "html")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_EMAIL = re.compile(r"^[^@\s,<>\"]+@[^@\s,<>\"]+\.[^@\s,<>\"]+$")
_ENV_REF = re.compile(r"^\s*\$\{[A-Za-z_][A-Za-z0-9_]*\}\s*$")
_WORD = re.compile(r"\w+")


class Checker(Protocol):
    """What tracker.config's validator offers: record a problem, check a value."""

    def err(self, where: str, message: str) -> None: ...

    def string(self, where: str, key: str, value: Any) -> str | None: ...

    def boolean(self, where: str, key: str, value: Any) -> bool | None: ...

    def number(self, where: str, key: str, value: Any, *, integer: bool = False) -> Any: ...


class _Words:
    """Splits words as a plain analyser would: enough to check a query's syntax,
    fields and ranges without opening the index (and loading Whoosh)."""

    def analyse(self, field: str, text: str) -> list[tuple[str, int]]:
        return [(m.group(0).lower(), i) for i, m in enumerate(_WORD.finditer(text))]

    def has_positions(self, field: str) -> bool:
        return True


def query_problem(text: str) -> str | None:
    """What is wrong with a search query, in one sentence; None when it parses."""
    from tracker.query.parser import compile_query  # only when alerts are configured

    try:
        compile_query(text, _Words())
    except QueryError as exc:
        return shown(exc, 300)     # the sentence may quote a long query word
    return None


def _default_sender(v: Checker, where: str, key: str, value: Any) -> str | None:
    text = v.string(where, key, value)
    if text is not None and not _EMAIL.match(text):
        v.err(where, f"key '{key}' must be an e-mail address, not '{shown(text)}'.")
        return None
    return text


def alerts(v: Checker, raw: Any) -> list[AlertConfig]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        v.err("", "key 'alerts' must be a list of alerts, each with a name and a query.")
        return []
    out: list[AlertConfig] = []
    seen: set[str] = set()
    for i, item in enumerate(raw, 1):
        alert = _alert(v, i, item, seen)
        if alert is not None:
            out.append(alert)
    return out


def _alert(v: Checker, i: int, raw: Any, seen: set[str]) -> AlertConfig | None:
    where = f"alert #{i}: "
    if not isinstance(raw, dict):
        v.err(where, "must be a mapping with a name and a query.")
        return None
    name = raw.get("name")
    if name is None or not str(name).strip():
        v.err(where, "missing key 'name'.")
        name = None
    else:
        name = str(name).strip()
        where = f"alert '{shown(name)}': "
        if not _NAME.match(name):
            v.err(where, "key 'name' may hold only letters, digits, '-', '_' and '.'.")
        if name in seen:
            v.err(where, "duplicate alert name; each alert needs its own name.")
        seen.add(name)
    for key in raw:
        if key not in ALERT_KEYS:
            v.err(where, f"unknown key '{shown(key)}' (an alert takes {', '.join(ALERT_KEYS)}).")
    query = raw.get("query")
    if query in (None, ""):
        v.err(where, "missing key 'query' (a search, e.g. 'natalizumab AND condition:pml').")
        query = None
    else:
        query = v.string(where, "query", query)
        problem = query_problem(query) if query else None
        if problem:
            v.err(where, f"key 'query' is not a valid search: {problem}")
            query = None
    to = _addresses(v, where, raw.get("to"))
    fmt = raw.get("format")
    if fmt is not None and fmt not in FORMATS:
        v.err(where, f"key 'format' must be markdown or html, not '{shown(fmt)}'.")
        fmt = None
    if name is None or query is None or to is None:
        return None
    return AlertConfig(name=name, query=query, to=to, format=fmt)


def _addresses(v: Checker, where: str, raw: Any) -> tuple[str, ...] | None:
    if raw in (None, "", []):
        return ()
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not all(isinstance(a, str) for a in items):
        v.err(where, "key 'to' must be an e-mail address or a list of them.")
        return None
    bad = [a for a in items if not _EMAIL.match(a.strip())]
    if bad:
        v.err(where, f"key 'to' holds something that is not an e-mail address: '{shown(bad[0])}'.")
        return None
    return tuple(a.strip() for a in items)


def smtp(v: Checker, raw: Any, unexpanded: Any) -> SmtpConfig | None:
    """The smtp: block; `unexpanded` is the same block before ${VAR} was read,
    to make sure the password comes from the environment, not the file."""
    if raw is None:
        return None
    where = "smtp: "
    if not isinstance(raw, dict):
        v.err("", "key 'smtp' must be a mapping with host, port, from, ...")
        return None
    for key in raw:
        if key not in SMTP_KEYS:
            v.err(where, f"unknown key '{shown(key)}' (smtp takes {', '.join(SMTP_KEYS)}).")
    ok = True
    host = v.string(where, "host", raw.get("host")) if "host" in raw else None
    if host is None:
        if "host" not in raw:
            v.err(where, "missing key 'host' (the mail server, e.g. smtp.your-lab.org).")
        ok = False
    sender = _default_sender(v, where, "from", raw["from"]) if "from" in raw else None
    if sender is None:
        if "from" not in raw:
            v.err(where, "missing key 'from' (the address alerts are sent from).")
        ok = False
    flags = {}
    for key in ("starttls", "ssl"):
        flags[key] = bool(v.boolean(where, key, raw[key])) if key in raw else False
    if flags["starttls"] and flags["ssl"]:
        v.err(where, "keys 'starttls' and 'ssl' exclude each other: starttls upgrades a plain "
                     "connection (port 587), ssl starts with TLS (port 465).")
        ok = False
    port = 465 if flags["ssl"] else 587 if flags["starttls"] else 25
    if "port" in raw:
        port = v.number(where, "port", raw["port"], integer=True)
        if port is None or port > 65535:
            if port is not None:
                v.err(where, "key 'port' must be a port number (1 to 65535).")
            ok = False
    timeout = v.number(where, "timeout", raw["timeout"]) if "timeout" in raw else 30.0
    ok = ok and timeout is not None
    username = v.string(where, "username", raw["username"]) if raw.get("username") not in (None, "") else None
    password = raw.get("password")
    original = unexpanded.get("password") if isinstance(unexpanded, dict) else None
    if original not in (None, ""):
        if not isinstance(original, str) or not _ENV_REF.match(original):
            v.err(where, "key 'password' must name an environment variable, like ${SMTP_PASSWORD}, "
                         "not hold the password itself.")
            ok = False
        elif password in (None, ""):
            v.err(where, f"key 'password' reads {original.strip()}, which is not set in the environment.")
            ok = False
    if username and password in (None, ""):
        if original in (None, ""):
            v.err(where, "key 'username' needs a 'password' (as ${VAR}, read from the environment).")
        ok = False
    if not ok:
        return None
    assert host is not None and sender is not None
    return SmtpConfig(host=host, port=int(port), sender=sender, starttls=flags["starttls"], ssl=flags["ssl"],
                      username=username, password=str(password) if password else None, timeout=float(timeout))


def need_smtp(v: Checker, found: list[AlertConfig], server: SmtpConfig | None, smtp_given: bool) -> None:
    """An alert with addresses needs somewhere to send them from."""
    if server is None and not smtp_given:
        for alert in found:
            if alert.to:
                v.err(f"alert '{alert.name}': ", "key 'to' needs an 'smtp:' block (host, port, from) to "
                                                 "send from; without 'to' the alert is printed.")
