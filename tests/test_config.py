from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tracker import config
from tracker.errors import ConfigError


def load(tmp_path: Path, text: str) -> config.Config:
    path = tmp_path / "feeds.yaml"
    path.write_text(text, encoding="utf-8")
    return config.load(path)


def errors(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text)
    return info.value.errors


GOOD = """
index: idx
contact_email: lab@example.org
ncbi_api_key: ${TEST_NCBI_KEY}
defaults:
  rate_limit: 2
  since: 2015-01-01
filters:
  include_any: [crohn]
feeds:
  - name: pm
    kind: pubmed
    query: crohn AND natalizumab
  - name: jcc
    kind: rss
    url: https://example.org/rss.xml
    rate_limit: 0.5
    filters:
      include_any: []
  - name: local
    kind: rss
    url: data/feed.xml
"""


def test_defaults_inherited_and_overridden(tmp_path, monkeypatch):
    monkeypatch.setenv("TEST_NCBI_KEY", "secret123")
    cfg = load(tmp_path, GOOD)
    assert cfg.index_dir == tmp_path / "idx"
    assert cfg.ncbi_api_key == "secret123"
    assert cfg.user_agent.endswith("(mailto:lab@example.org)")
    pm, jcc, local = cfg.feeds
    assert pm.rate_limit == 2.0 and pm.since == date(2015, 1, 1)
    assert pm.base_url == "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
    assert pm.filters.include_any == ("crohn",)
    assert jcc.rate_limit == 0.5
    assert jcc.filters.include_any == ()   # per-feed block replaces the global one
    assert local.url == (tmp_path / "data" / "feed.xml").resolve().as_uri()


def test_missing_env_var_leaves_optional_key_unset(tmp_path, monkeypatch):
    monkeypatch.delenv("TEST_NCBI_KEY", raising=False)
    assert load(tmp_path, GOOD).ncbi_api_key is None


def test_misspelt_key_names_file_feed_and_key(tmp_path):
    errs = errors(tmp_path, """
feeds:
  - name: news
    kind: html
    url: https://example.org/news/
    artcle_links: a.title
""")
    assert len(errs) == 1 or any("artcle_links" in e for e in errs)
    msg = next(e for e in errs if "artcle_links" in e)
    assert "feeds.yaml" in msg and "feed 'news'" in msg
    assert "did you mean 'article_links'" in msg


def test_all_errors_reported_at_once(tmp_path):
    errs = errors(tmp_path, """
defaults:
  rate_limit: fast
  since: yesterday
feeds:
  - name: a
    kind: rss
  - name: a
    kind: pubmed
    query: crohn
  - kind: rss
    url: https://example.org/x
  - name: b
    kind: gopher
    url: https://example.org/
  - name: c
    kind: rss
    url: ftp://example.org/feed
    timeout: -3
""")
    text = "\n".join(errs)
    assert "defaults: key 'rate_limit' must be a number" in text
    assert "defaults: key 'since' must be a date" in text
    assert "feed 'a': missing key 'url'" in text
    assert "feed 'a': duplicate feed name" in text
    assert "feed #3: missing key 'name'" in text
    assert "feed 'b': unknown kind 'gopher'" in text and "valid kinds:" in text
    assert "feed 'c': key 'url' must be an http(s) URL or a local file path" in text
    assert "feed 'c': key 'timeout' must be greater than 0" in text
    assert all(e.startswith(str(tmp_path / "feeds.yaml")) for e in errs)


def test_bad_yaml_is_one_line(tmp_path):
    errs = errors(tmp_path, "feeds: [\n  - name: x\n")
    assert len(errs) == 1 and "not valid YAML" in errs[0] and "line" in errs[0]


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="no such configuration file"):
        config.load(tmp_path / "nope.yaml")


def test_config_lookup_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TRACKER_CONFIG", raising=False)
    assert config.find_config(None) == Path("feeds.yaml")
    monkeypatch.setenv("TRACKER_CONFIG", "/etc/tracker.yaml")
    assert config.find_config(None) == Path("/etc/tracker.yaml")
    assert config.find_config("mine.yaml") == Path("mine.yaml")


def test_api_kinds_take_base_url(tmp_path):
    cfg = load(tmp_path, """
feeds:
  - name: e
    kind: europepmc
    query: natalizumab
    base_url: http://127.0.0.1:9000/rest
""")
    assert cfg.feeds[0].base_url == "http://127.0.0.1:9000/rest/"


def test_top_level_unknown_key(tmp_path):
    errs = errors(tmp_path, "feds: []\n")
    assert "unknown top-level key 'feds' (did you mean 'feeds'?)" in errs[0]


def test_repo_feeds_yaml_and_offline_example_are_valid():
    root = Path(__file__).resolve().parent.parent
    for path in (root / "feeds.yaml", root / "examples" / "offline" / "feeds.yaml"):
        cfg = config.load(path)
        assert cfg.feeds, path


# What each kind accepts is declared on its Source class; config asks the registry.
from tracker import sources  # noqa: E402

# A minimal valid feed of each built-in kind (its required keys).
MINIMAL = {
    "rss": {"url": "https://example.org/rss.xml"},
    "html": {"url": "https://example.org/news/", "article_links": "a.title"},
    "pubmed": {"query": "crohn"},
    "europepmc": {"query": "crohn"},
    "crossref": {"query": "crohn"},
    "clinicaltrials": {"query": "crohn"},
    "preprints": {"server": "medrxiv"},
}


def one_feed(kind: str, **keys: str) -> str:
    lines = ["  - name: f", f"    kind: {kind}"]
    lines += [f"    {key}: '{value}'" for key, value in {**MINIMAL[kind], **keys}.items()]
    return "feeds:\n" + "\n".join(lines) + "\n"


def test_every_registered_kind_has_a_minimal_feed():
    assert sorted(MINIMAL) == sources.kinds()
    for kind, keys in MINIMAL.items():
        assert set(sources.get(kind).required) <= set(keys), kind


def test_the_registry_declares_what_the_design_documents():
    declared = {kind: sources.get(kind) for kind in sources.kinds()}
    assert {k: c.default_base_url for k, c in declared.items() if c.default_base_url} == {
        "pubmed": "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/",
        "europepmc": "https://www.ebi.ac.uk/europepmc/webservices/rest/",
        "crossref": "https://api.crossref.org/",
        "clinicaltrials": "https://clinicaltrials.gov/api/v2/",
        "preprints": "https://api.biorxiv.org/",
    }
    assert {k for k, c in declared.items() if c.registry_api} == {"pubmed", "europepmc", "crossref",
                                                                  "clinicaltrials", "preprints"}
    assert {k for k, c in declared.items() if c.local_files} == {"rss", "html"}


@pytest.mark.parametrize("kind", sorted(MINIMAL))
def test_base_url_defaults_to_the_kinds_declared_root(tmp_path, kind):
    feed = load(tmp_path, one_feed(kind)).feeds[0]
    assert feed.base_url == sources.get(kind).default_base_url


@pytest.mark.parametrize("kind", sorted(MINIMAL))
def test_a_local_url_is_accepted_only_by_kinds_that_declare_local_files(tmp_path, kind):
    text = one_feed(kind, url="data/feed.xml")
    if sources.get(kind).local_files:
        assert load(tmp_path, text).feeds[0].url == (tmp_path / "data" / "feed.xml").resolve().as_uri()
    else:
        assert errors(tmp_path, text) == [
            f"{tmp_path / 'feeds.yaml'}: feed 'f': key 'url' must be an http(s) URL, not 'data/feed.xml'."]


@pytest.mark.parametrize("kind", sorted(MINIMAL))
def test_a_kinds_own_keys_are_checked_by_its_declared_checkers(tmp_path, kind):
    for key in sources.get(kind).keys:
        if key in MINIMAL[kind]:
            continue
        errs = errors(tmp_path, one_feed(kind) + f"    {key}: [not, a, value]\n")
        assert len(errs) == 1 and errs[0].startswith(f"{tmp_path / 'feeds.yaml'}: feed 'f': key '{key}' must"), errs


def test_unknown_and_missing_kind_list_the_registered_kinds(tmp_path):
    valid = ", ".join(sources.kinds())
    assert errors(tmp_path, "feeds:\n  - {name: a, kind: rsss, url: 'https://example.org/'}\n") == [
        f"{tmp_path / 'feeds.yaml'}: feed 'a': unknown kind 'rsss' (did you mean 'rss'?); valid kinds: {valid}."]
    assert errors(tmp_path, "feeds:\n  - {name: a, url: 'https://example.org/'}\n") == [
        f"{tmp_path / 'feeds.yaml'}: feed 'a': missing key 'kind' (one of {valid})."]


# ------------------------------------------------------------------ hostile values (issue 17)

FEED = "  - {name: a, kind: rss, url: 'https://example.org/a'}\n"


@pytest.mark.parametrize("text, message", [
    ("defaults:\n  rate_limit: .inf\nfeeds:\n" + FEED, "defaults: key 'rate_limit' must be a finite number"),
    ("defaults:\n  timeout: .nan\nfeeds:\n" + FEED, "defaults: key 'timeout' must be a finite number"),
    ("defaults:\n  timeout: 'inf'\nfeeds:\n" + FEED, "defaults: key 'timeout' must be a finite number"),
    ("defaults:\n  rate_limit: 0\nfeeds:\n" + FEED, "defaults: key 'rate_limit' must be greater than 0"),
    ("defaults:\n  max_bytes: -5\nfeeds:\n" + FEED, "defaults: key 'max_bytes' must be greater than 0"),
    ("feeds:\n  - {name: a, kind: rss, url: 'https://example.org/a', timeout: 1e999}\n",
     "feed 'a': key 'timeout' must be a finite number"),
    ("feeds:\n  - {name: a, kind: [rss], url: 'https://example.org/a'}\n", "feed 'a': key 'kind' must be one word"),
    ("feeds:\n  - {name: a, kind: rss, url: 'http://[::1/feed'}\n", "feed 'a': key 'url' is not a valid URL"),
    ("feeds:\n  - {name: a, kind: rss, url: 'http://example.org:99999/'}\n", "key 'url' is not a valid URL"),
    ('feeds:\n  - {name: "a\\0b", kind: rss, url: "https://example.org/a"}\n',
     "key 'feeds[0].name' holds a control character (U+0000)"),
    ("since: 2015-13-45\n", "not a usable configuration: a value cannot be read (month must be in 1..12)"),
    ("a: &a [*a]\n", "an alias refers to the value that contains it"),
    ("feeds: " + "[" * 300 + "]" * 300 + "\n", "nested more than 40 levels deep"),
    ("index: /\nfeeds:\n" + FEED, "key 'index' names /, the filesystem root"),
])
def test_hostile_values_are_one_line_naming_file_and_key(tmp_path, text, message):
    errs = errors(tmp_path, text)
    assert len(errs) == 1 and message in errs[0], errs
    assert errs[0].startswith(str(tmp_path / "feeds.yaml")) and "\n" not in errs[0] and "\x00" not in errs[0]


def test_an_alias_bomb_is_refused_without_expanding_it(tmp_path):
    lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 10)]
    errs = errors(tmp_path, "\n".join(lines) + "\nfeeds: []\n")     # 10^10 values once expanded
    assert errs == [f"{tmp_path / 'feeds.yaml'}: not a usable configuration: its aliases expand to more than "
                    f"200,000 values; write the values out or use fewer aliases."]


def test_home_directory_as_index_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    errs = errors(tmp_path, "index: '~'\nfeeds:\n" + FEED)
    assert len(errs) == 1 and "your home directory" in errs[0]


def test_a_directory_of_someone_elses_files_is_refused_and_an_empty_or_tracker_one_taken(tmp_path):
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "thesis.docx").write_text("mine", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        config.check_index_dir(theirs)
    assert str(info.value) == (f"{theirs} holds files that are not a tracker index (thesis.docx); "
                               f"give the index an empty directory of its own.")
    config.check_index_dir(tmp_path / "new")                    # not there yet: created by the crawl
    (tmp_path / "ours").mkdir()
    (tmp_path / "ours" / ".gitkeep").write_text("", encoding="utf-8")
    config.check_index_dir(tmp_path / "ours")
    (tmp_path / "ours" / "records.sqlite").write_text("", encoding="utf-8")
    (tmp_path / "ours" / "notes.txt").write_text("", encoding="utf-8")
    config.check_index_dir(tmp_path / "ours")                   # a tracker index, whatever else is beside it


@pytest.mark.parametrize("text", ["", "# nothing yet\n", "feeds: []\n", "index: idx\nfeeds:\n"])
@pytest.mark.parametrize("command", [["feeds", "check"], ["crawl", "-q"]])
def test_a_configuration_without_feeds_fails_check_and_crawl_with_a_sentence(tmp_path, text, command):
    from click.testing import CliRunner

    from tracker.cli import cli

    (tmp_path / "feeds.yaml").write_text(text, encoding="utf-8")
    res = CliRunner().invoke(cli, ["--config", str(tmp_path / "feeds.yaml"), *command])
    assert res.exit_code == 2
    assert res.stderr == (f"error: {tmp_path / 'feeds.yaml'}: no feeds are configured; add at least one under "
                          f"'feeds:' (name, kind and url or query).\n")
    assert not (tmp_path / "idx").exists()


@pytest.mark.parametrize("index", ["/", "theirs"])
def test_crawl_refuses_the_root_or_someone_elses_directory_before_writing(tmp_path, index):
    from click.testing import CliRunner

    from tracker.cli import cli

    (tmp_path / "theirs").mkdir()
    (tmp_path / "theirs" / "photo.jpg").write_bytes(b"\xff\xd8")
    (tmp_path / "feeds.yaml").write_text("feeds:\n  - {name: a, kind: rss, url: 'http://127.0.0.1:9/'}\n",
                                         encoding="utf-8")
    res = CliRunner().invoke(cli, ["--config", str(tmp_path / "feeds.yaml"), "--index", str(tmp_path / index)
                                   if index != "/" else "/", "crawl", "-q"])
    assert res.exit_code == 2 and len(res.stderr.splitlines()) == 1, res.stderr
    assert "give the index" in res.stderr and "Traceback" not in res.output
    assert sorted(p.name for p in (tmp_path / "theirs").iterdir()) == ["photo.jpg"]
