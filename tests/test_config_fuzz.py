"""Malformed feeds.yaml, generated: any value at any key, hostile YAML text.

Whatever the file holds, `tracker feeds check` answers 'ok' (exit 0) or a few
plain `error:` lines naming the file (exit 2): never a traceback, never a
hang, never gigabytes. Examples are derandomized (the same every run, so CI
is reproducible); cases found by other seeds are kept as @example.
"""

from __future__ import annotations

import copy
import math
import tempfile
from pathlib import Path

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tracker.cli import cli

VALID = {
    "index": "idx",
    "contact_email": "lab@example.org",
    "defaults": {"rate_limit": 2, "timeout": 10, "max_bytes": 1_000_000, "since": "2015-01-01"},
    "filters": {"include_any": ["crohn"], "exclude_any": []},
    "feeds": [
        {"name": "pm", "kind": "pubmed", "query": "crohn AND natalizumab"},
        {"name": "jcc", "kind": "rss", "url": "https://example.org/rss.xml", "fetch_articles": True,
         "filters": {"include_any": []}},
        {"name": "news", "kind": "html", "url": "https://example.org/news/", "article_links": "a.post"},
    ],
    "alerts": [{"name": "pml", "query": "natalizumab AND condition:pml", "to": ["lab@example.org"],
                "format": "html"}],
    "smtp": {"host": "smtp.example.org", "port": 587, "from": "tracker@example.org", "starttls": True,
             "username": "tracker"},
}

# every place a value can go: (path of keys and list positions)
PLACES = [
    ("index",), ("contact_email",), ("user_agent",), ("ncbi_api_key",), ("defaults",), ("filters",), ("feeds",),
    *[("defaults", k) for k in ("rate_limit", "timeout", "max_bytes", "since")],
    ("filters", "include_any"), ("filters", "exclude_any"),
    *[("feeds", i) for i in range(3)],
    *[("feeds", i, k) for i in range(3) for k in ("name", "kind", "url", "query", "base_url", "enabled",
                                                   "rate_limit", "timeout", "max_bytes", "since", "filters")],
    ("feeds", 1, "fetch_articles"), ("feeds", 2, "article_links"), ("feeds", 1, "filters", "include_any"),
    ("alerts",), ("alerts", 0), *[("alerts", 0, k) for k in ("name", "query", "to", "format")],
    ("smtp",), *[("smtp", k) for k in ("host", "port", "from", "starttls", "username")],
    ("allow_private_addresses",), ("feeds", 0, "max_records"), ("feeds", 2, "max_pages"),
    ("feeds", 1, "allow_private_addresses"),
]

scalars = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6), st.integers(min_value=10**300, max_value=10**310),
    st.sampled_from([math.inf, -math.inf, math.nan, 0.0, -0.0, 1e-320, 1e308]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", " ", "/", "~", "..", "http://[::1/feed", "http://x:99999/", "ftp://x/", "file:///etc",
                     "a\x00b", "\x1b[31mred", "rss", "pubmed", "RSS", "inf", "nan", "-1", "1e999", "2015-13-45",
                     "${UNSET_TRACKER_VAR}", "x" * 5000, "é\u202e", "http://", "https://example.org/a b"]),
    st.text(max_size=40),
)
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                      max_leaves=12)


def _put(data: dict, place: tuple, value) -> None:
    node = data
    for step in place[:-1]:
        node = node[step]
    node[place[-1]] = value


def _check(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "feeds.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        res = CliRunner().invoke(cli, ["--config", str(path), "feeds", "check"])
    assert isinstance(res.exception, (SystemExit, type(None))), repr(res.exception)
    assert res.exit_code in (0, 2), res.output
    assert "Traceback" not in res.output
    if res.exit_code == 0:
        assert res.output == "ok\n"
    else:
        lines = res.stderr.splitlines()
        assert 1 <= len(lines) <= 10, res.stderr
        assert all(line.startswith(f"error: {path}") and len(line) < 400 for line in lines), res.stderr


FAST = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.lists(st.tuples(st.sampled_from(PLACES), values), min_size=1, max_size=3))
@example([(("alerts", 0, "format"), [None, 10 ** 300])])    # a long value quoted back whole
@example([(("alerts", 0, "name"), "x" * 500), (("alerts", 0, "to"), ["a" * 500])])
@example([(("alerts", 0, "query"), "type:" + "x" * 500), (("smtp", "bogus" * 100), 1)])
def test_any_value_at_any_key_is_ok_or_a_few_error_lines(changes):
    data = copy.deepcopy(VALID)
    for place, value in changes:
        try:
            _put(data, place, value)
        except (KeyError, IndexError, TypeError):
            pass    # an earlier change replaced the parent
    _check(yaml.safe_dump(data, allow_unicode=True))


@FAST
@given(st.text(alphabet=st.sampled_from(list("[]{}:,-&*!|>'\"#%@` \n\tabk0.~")), max_size=200))
def test_yaml_punctuation_soup_is_ok_or_a_few_error_lines(text):
    _check(text)


def _bomb(levels: int, width: int) -> str:
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\nfeeds: []\n"


@settings(max_examples=20, deadline=None, derandomize=True, database=None)
@given(st.integers(4, 12), st.integers(2, 12), st.integers(40, 3000), st.sampled_from("[{"))
def test_alias_bombs_and_deep_nesting_are_refused_in_one_line(levels, width, depth, bracket):
    _check(_bomb(levels, width))
    close = "]" if bracket == "[" else "}"
    inner = "1" if bracket == "[" else "a: 1"
    opener = "[" if bracket == "[" else "{a: "
    _check("feeds: " + opener * depth + inner + close * depth + "\n")


def test_a_small_anchor_still_works(tmp_path):
    text = ("defaults: &d {rate_limit: 0.5}\nfeeds:\n"
            "  - {<<: *d, name: a, kind: rss, url: 'https://example.org/a'}\n"
            "  - {<<: *d, name: b, kind: rss, url: 'https://example.org/b'}\n")
    path = tmp_path / "feeds.yaml"
    path.write_text(text, encoding="utf-8")
    res = CliRunner().invoke(cli, ["--config", str(path), "feeds", "check"])
    # `defaults:` also holds the anchor, so its key is valid there, and each feed inherits it
    assert res.exit_code == 0 and res.output == "ok\n", res.output
