"""The command line: parse options, call the library, render. Nothing else."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

import click

from tracker import __version__, sources
from tracker.dates import normal_dates
from tracker.errors import ConfigError, TrackerError
from tracker.settings import Config

EXIT_USAGE = 2


class _State:
    def __init__(self, config: str | None, index: str | None, verbose: int, quiet: bool):
        self.config_path = config
        self.index_path = index
        self.verbose = verbose
        self.quiet = quiet
        self._config: Config | None = None

    def config(self) -> Config:
        if self._config is None:
            from tracker import config as cfg

            self._config = cfg.load(self.config_path)
        return self._config

    def index_dir(self) -> Path:
        if self.index_path:
            return Path(self.index_path)
        return self.config().index_dir

    def open_index(self):
        from tracker.index import Index

        return Index.open(self.index_dir())

    def open_store(self):
        # the store alone: show, stats and digest never load Whoosh (a cold `show` stays fast)
        from tracker.store import Store

        return Store.open(self.index_dir())


pass_state = click.make_pass_decorator(_State)


_VERBOSE = ("-v", "-vv", "-vvv", "--verbose")


class TrackerGroup(click.Group):
    """Turns library errors into one sentence on stderr and an exit code."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # -v counts wherever it is written (`tracker search foo -v`), up to a "--"
        end = args.index("--") if "--" in args else len(args)
        moved = [a for a in args[:end] if a in _VERBOSE]
        rest = [a for a in args[:end] if a not in _VERBOSE] + args[end:]
        return super().parse_args(ctx, moved + rest)

    def invoke(self, ctx: click.Context):
        def verbose() -> bool:     # read when needed: the group's callback sets ctx.obj
            return bool(ctx.obj.verbose) if isinstance(ctx.obj, _State) else False

        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            for line in exc.errors:
                click.echo(f"error: {line}", err=True)
            if verbose():
                raise
            ctx.exit(exc.exit_code)
        except TrackerError as exc:
            click.echo(f"error: {exc}", err=True)
            if verbose():
                raise
            ctx.exit(exc.exit_code)
        except OSError as exc:
            where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
            click.echo(f"error: {where}{exc.strerror or exc}.", err=True)
            if verbose():
                raise
            ctx.exit(1)
        except KeyboardInterrupt:
            click.echo("interrupted; everything committed so far is kept.", err=True)
            ctx.exit(130)


class QueryCommand(click.Command):
    """A command whose QUERY words may start with "-" (`tracker search -tysabri`,
    `tracker search "-a b"`): a word that is not one of the command's options
    (nor a short option with a value its type accepts, like -n5) is query text."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        options: dict[str, click.Option] = {}
        for param in self.get_params(ctx):
            if isinstance(param, click.Option):
                for name in (*param.opts, *param.secondary_opts):
                    options[name] = param
        kept: list[str] = []
        words: list[str] = []
        i = 0
        while i < len(args):
            arg = args[i]
            if arg == "--":
                words += args[i + 1:]
                break
            name = arg.split("=", 1)[0] if arg.startswith("--") else arg
            opt = options.get(name)
            if opt is not None:
                kept.append(arg)
                if not (opt.is_flag or opt.count) and "=" not in arg and i + 1 < len(args):
                    kept.append(args[i + 1])
                    i += 1
            elif arg.startswith("-") and len(arg) > 2 and _attached_value(options.get(arg[:2]), arg[2:], ctx):
                kept.append(arg)
            elif arg.startswith("-") and len(arg) > 1 and not arg.startswith("--"):
                words.append(arg)
            else:
                (kept if arg.startswith("--") else words).append(arg)
            i += 1
        return super().parse_args(ctx, [*kept, "--", *words] if words else kept)


def _attached_value(opt: click.Option | None, value: str, ctx: click.Context) -> bool:
    """Whether "-n5" is option -n with 5 (and not the query word "-natalizumab")."""
    if opt is None or opt.is_flag or opt.count:
        return False
    try:
        opt.type.convert(value, opt, ctx)
    except click.BadParameter:
        return False
    return True


@click.group(cls=TrackerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", metavar="FILE", envvar="TRACKER_CONFIG",
              help="feeds.yaml to use (default: $TRACKER_CONFIG, then ./feeds.yaml).")
@click.option("--index", "index_path", metavar="DIR", help="Index directory (default: from feeds.yaml).")
@click.option("-v", "--verbose", count=True, help="More detail; tracebacks on errors.")
@click.option("-q", "--quiet", is_flag=True, help="Print only failures.")
@click.version_option(__version__, prog_name="tracker")
@click.pass_context
def cli(ctx: click.Context, config_path, index_path, verbose, quiet):
    """tracker: a local, searchable library of the Crohn's disease literature."""
    logging.basicConfig(level=logging.DEBUG if verbose > 1 else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = _State(config_path, index_path, verbose, quiet)


# crawl -------------------------------------------------------------------

def _summary_line(result) -> str:
    s = result.stats
    parts = [f"{key} {s[key]}" for key in ("fetched", "new", "updated", "unchanged", "filtered")]
    if s["robots_skipped"]:
        parts.append(f"robots-skipped {s['robots_skipped']}")
    if s["not_modified"]:
        parts.append(f"not-modified {s['not_modified']}")
    if s["address_refused"]:
        parts.append(f"address-refused {s['address_refused']}")
    parts.append(f"errors {s['errors']}")
    line = f"{result.name:<28} " + ", ".join(parts)
    if s.feed_error:
        line += f"  FAILED: {s.feed_error}"
    elif s.first_error:
        line += f"  first error: {s.first_error}"
    if s.notes:
        line += f"  note: {s.notes[0]}" + (f" (and {len(s.notes) - 1} more)" if len(s.notes) > 1 else "")
    return line


@cli.command()
@click.option("--feed", "feeds", multiple=True, metavar="NAME", help="Crawl only this feed (repeatable).")
@click.option("--full", is_flag=True, help="Ignore saved cursors and validators; fetch everything again.")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary.")
@click.option("-q", "--quiet", is_flag=True, help="Print only failures (for cron).")
@click.option("--log-file", type=click.Path(dir_okay=False), metavar="FILE",
              help="Append one line per feed per run to FILE.")
@pass_state
def crawl(st: _State, feeds, full, as_json, quiet, log_file):
    """Fetch new items from every (or the named) feed."""
    from tracker.config import check_index_dir, require_feeds
    from tracker.pipeline import crawl as run_crawl

    quiet = quiet or st.quiet
    config = st.config()
    tty = sys.stderr.isatty() and not quiet and not as_json

    def progress(message: str) -> None:
        click.echo(f"\r{message[:78]:<78}", nl=False, err=True)

    def done(result) -> None:
        if tty:
            click.echo("\r" + " " * 78 + "\r", nl=False, err=True)
        if as_json:
            return
        if result.failed or (not quiet):
            click.echo(_summary_line(result), err=result.failed and quiet)

    if not quiet and not as_json and config.contact_email is None and \
            any(sources.get(f.kind).registry_api for f in config.feeds):
        click.echo("note: contact_email is not set in feeds.yaml; NCBI and Crossref ask API users "
                   "for a contact address.", err=True)
    try:
        if not feeds:
            require_feeds(config)
        check_index_dir(st.index_dir())
        report = run_crawl(config, index_dir=st.index_dir(), feeds=list(feeds) or None, full=full,
                           progress=progress if tty else None, on_feed_done=done)
    except TrackerError as exc:
        if log_file:  # a crawl that could not run at all still leaves its line
            from tracker.models import utcnow

            message = str(exc).replace("\n", " ").replace('"', "'")
            with open(log_file, "a", encoding="utf-8") as fp:
                fp.write(f'{utcnow()} crawl status=not-run exit={exc.exit_code} error="{message}"\n')
        raise
    if log_file:
        _append_log(log_file, report)
    if report.rebuilt is not None and not (as_json or quiet):
        click.echo(f"note: {_rebuilt_line(report.rebuilt)}", err=True)
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
    elif not quiet:
        failed = sum(f.failed for f in report.feeds)
        click.echo(f"{len(report.feeds)} feeds, {failed} failed, {report.records} records in the index "
                   f"({report.seconds:.1f} s).")
    sys.exit(report.exit_code)


def _rebuilt_line(rebuilt) -> str:
    if rebuilt.upgrade:
        return f"the index was rebuilt for this version of tracker ({rebuilt.records} records)."
    return f"{rebuilt.reason}; the index was rebuilt from the record store ({rebuilt.records} records)."


# The --log-file line's counters, in order (retries and requests are in --json only).
_LOG_COUNTERS = ("fetched", "new", "updated", "unchanged", "filtered", "robots_skipped", "not_modified", "errors")


def _append_log(path: str, report) -> None:
    lines = []
    if report.rebuilt is not None:
        reason = report.rebuilt.reason.replace('"', "'")
        lines.append(f'{report.started} index status=rebuilt records={report.rebuilt.records} reason="{reason}"')
    for f in report.feeds:
        s = f.stats
        status = "failed" if f.failed else "ok"
        error = (s.feed_error or s.first_error or "").replace("\n", " ").replace('"', "'")
        counts = " ".join(f"{key}={s[key]}" for key in _LOG_COUNTERS)
        lines.append(f"{report.started} feed={f.name} status={status} {counts} seconds={f.seconds:.1f}"
                     + (f' error="{error}"' if error else ""))
    with open(path, "a", encoding="utf-8") as fp:
        fp.write("\n".join(lines) + ("\n" if lines else ""))


# search ------------------------------------------------------------------

_SEARCH_HELP = """Search the index, e.g. 'natalizumab cases:>=3 year:>=2015'.

\b
Bare words must all match, in title (weighted most), abstract, body,
journal or authors. "a phrase", vedoli* (prefix), AND OR NOT in upper
case (lower-case and/or/not are ordinary words), -word, ( ).
Fields: drug: type: journal: author: doi: pmid: pmcid: feed: condition:
title: abstract: body: lang: id:  Ranges: year:2015..2020 year:>=2015
cases:>=3 cases:1..5 (also <, >, <=).
Brands, biosimilars and drug classes expand (tysabri, anti-tnf, jak);
--explain shows how. json/jsonl add `score` and `highlights` (matched
words in [[ ]]); csv adds a score column and leaves highlights out.
"""


@cli.command(cls=QueryCommand, help=_SEARCH_HELP)
@click.argument("query", nargs=-1)
@click.option("-n", "--limit", default=20, show_default=True, type=click.IntRange(1, None))
@click.option("--sort", type=click.Choice(["relevance", "year", "-year", "cases"]), default="relevance",
              show_default=True, help="year: oldest first; -year: newest first; cases: most patients first.")
@click.option("-f", "--format", "fmt", type=click.Choice(["table", "json", "jsonl", "csv"]), default="table",
              show_default=True)
@click.option("--facet", "facets", multiple=True,
              type=click.Choice(["year", "journal", "drug", "study_type", "type", "condition", "feed"]),
              help="Print counts over the whole result set (repeatable).")
@click.option("--explain", is_flag=True, help="Show how the query was understood and expanded (stderr).")
@click.option("--new-for", "new_for", metavar="ALERT",
              help="What the next 'tracker alerts' run would deliver for this alert (QUERY narrows it).")
@pass_state
def search(st: _State, query, limit, sort, fmt, facets, explain, new_for):
    from tracker import search as searching
    from tracker.output import render

    text = " ".join(query)
    if new_for:
        _search_new_for(st, new_for, text, limit, fmt)
        return
    if not text.strip():
        raise click.UsageError("Missing argument 'QUERY' (or give --new-for ALERT).")
    with st.open_index() as index:
        outcome = searching.run(index, text, limit=limit, sort=sort, facets=facets,
                                highlight=(fmt != "csv"))
    if explain:
        click.echo(outcome.explained, err=True)
    result = outcome.result
    rows = [dict(normal_dates(h.record), score=h.score, highlights=h.highlights) for h in result.hits]
    if not _echo_rows(rows, fmt):
        color = sys.stdout.isatty()
        click.echo(render.table(result.hits, result.total, width=_terminal_width(), color=color))
    if outcome.suggestion:
        click.echo(f"Did you mean {outcome.suggestion}?", err=fmt != "table")
    for name, counts in result.facets.items():
        click.echo(render.facet(name, counts), err=fmt != "table")


def _search_new_for(st: _State, name: str, text: str, limit: int, fmt: str) -> None:
    from types import SimpleNamespace

    from tracker.alerts import run as alerting
    from tracker.output import render

    records = alerting.new_for(st.config(), st.index_dir(), name, narrow=text.strip() or None)
    rows = [dict(normal_dates(r), score=None, highlights={}) for r in records[:limit]]
    if not _echo_rows(rows, fmt):
        hits = [SimpleNamespace(record=r, highlights={}) for r in records[:limit]]
        click.echo(render.table(hits, len(records), width=_terminal_width(), color=sys.stdout.isatty())
                   if hits else f"nothing new for alert '{name}'")


def _echo_rows(rows: list[dict], fmt: str) -> bool:
    """Search rows as json, jsonl or csv; False for the table, which the caller draws."""
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif fmt == "jsonl":
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
    elif fmt == "csv":
        from tracker.output import export

        export.write_csv(rows, sys.stdout, extra=("score",))
    else:
        return False
    return True


def _terminal_width() -> int:
    """COLUMNS wins (tests, pipes), then the terminal, then 120."""
    env = os.environ.get("COLUMNS", "")
    if env.isdigit():
        return max(60, int(env))
    try:
        return max(60, os.get_terminal_size().columns)
    except OSError:
        return 120


# show --------------------------------------------------------------------

@cli.command()
@click.argument("record_id")
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_state
def show(st: _State, record_id, fmt):
    """Show one record by id (doi:..., pmid:..., url:... or a bare DOI/PMID)."""
    from tracker.output import render

    try:
        record_id.encode("utf-8")
    except UnicodeEncodeError:   # bytes the terminal could not decode: no stored id has them
        raise TrackerError(f"no record with id {record_id!r} in the index (it is not valid UTF-8).") from None
    with st.open_store() as store:
        record = store.lookup(record_id)
        links = store.trial_links(record) if record is not None else {}
    if record is None:
        raise TrackerError(f"no record with id '{record_id}' in the index.")
    if fmt == "json":
        click.echo(json.dumps(record, ensure_ascii=False, indent=2))
    else:
        click.echo(render.record(record, links))


# similar -----------------------------------------------------------------

@cli.command()
@click.argument("record_id")
@click.option("-n", "--limit", default=10, show_default=True, type=click.IntRange(1, 100))
@click.option("-f", "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@pass_state
def similar(st: _State, record_id, limit, fmt):
    """Records most like one record (the web page's "similar papers"): its key
    terms, weighted by how rare they are, searched as one query."""
    from tracker import search as searching
    from tracker.output import render

    with st.open_index() as index:
        found = searching.similar(index, record_id, limit=limit)
    if fmt == "json":
        rows = [dict(normal_dates(h.record), score=h.score, highlights=h.highlights) for h in found.hits]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        click.echo(render.table(found.hits, len(found.hits), width=_terminal_width(), color=sys.stdout.isatty()))
    click.echo(f"key terms: {', '.join(found.terms) or '(none)'}", err=True)


# serve -------------------------------------------------------------------

@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0: every interface, for a lab server).")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@pass_state
def serve(st: _State, host, port):
    """Serve the library as a read-only web page with a JSON API (Ctrl-C stops)."""
    from tracker.index import Index
    from tracker.web import serve as serving

    with Index.open(st.index_dir()) as index:   # a missing or outdated index: one line now, not on each page
        n = index.store.count()
    if not st.quiet:
        click.echo(f"serving {n} records from {st.index_dir()} at http://{host}:{port}/ (Ctrl-C stops)", err=True)
    serving(st.index_dir(), host, port)


# extract -----------------------------------------------------------------

@cli.command("extract")
@click.argument("source", metavar="FILE|URL|-")
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_state
def extract_(st: _State, source, fmt):
    """What tracker reads from one page or text (a file, a URL, or - for
    standard input): every field with where it came from, and the sentence
    the case count was read from."""
    from tracker.config import find_config
    from tracker.extract import single
    from tracker.output import render

    if source == "-":
        with click.open_file("-", "rb") as stdin:
            article = single.read(stdin.read())
    elif source.startswith(("http://", "https://")):
        # the configured user agent carries the contact address, when there is a configuration
        found = find_config(st.config_path).is_file()
        article = single.read_url(source, st.config().user_agent if found else f"tracker/{__version__}")
    else:
        path = Path(source)
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise click.UsageError(f"cannot read '{source}' ({exc.strerror}).") from None
        article = single.read(content, path.resolve().as_uri())
    record = article.to_dict(include_body=False)
    if fmt == "json":
        click.echo(json.dumps(record, ensure_ascii=False, indent=2))
    else:
        click.echo(render.record(record))


# export ------------------------------------------------------------------

@cli.command(cls=QueryCommand)
@click.argument("query", nargs=-1)
@click.option("-f", "--format", "fmt", type=click.Choice(["csv", "jsonl", "ris", "bibtex"]), default="csv",
              show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="File to write (default: stdout).")
@click.option("--since", metavar="DATE|7d|2w", help="Only records first stored on or after this.")
@click.option("--excel", is_flag=True, help="CSV with a UTF-8 BOM for Excel.")
@click.option("--raw", is_flag=True, help="CSV cells exactly as stored (no formula neutralising).")
@pass_state
def export(st: _State, query, fmt, output, since, excel, raw):
    """Export matching records (all if no query) as CSV, JSONL, RIS or BibTeX."""
    from tracker import search as searching
    from tracker.output import export as exporting

    since_iso = searching.parse_since(since) if since else None
    text = " ".join(query).strip()
    with st.open_store() as store:
        if text:    # the index is asked only for the matching record numbers; rows come from the store
            with st.open_index() as index:
                numbers = searching.match_rows(index, text, since=since_iso)
            rows = store.select(rows=numbers)
        else:
            rows = store.select(since=since_iso)
        if output:
            with exporting.atomic_output(output) as fp:
                n = exporting.write_rows(rows, fmt, fp, excel=excel, raw=raw)
            if not st.quiet:
                click.echo(f"{n} records written to {output}", err=True)
        else:
            exporting.write_rows(rows, fmt, sys.stdout, excel=excel, raw=raw)


# stats -------------------------------------------------------------------

@cli.command()
@click.option("--by", type=click.Choice(["year", "journal", "drug", "study_type", "feed"]), default="year",
              show_default=True)
@click.option("--plot", type=click.Path(dir_okay=False), metavar="FILE.png|FILE.svg", help="Draw the counts.")
@pass_state
def stats(st: _State, by, plot):
    """Counts of records by year, journal, drug, study type or feed."""
    from tracker.output import render
    from tracker.output import stats as report

    with st.open_store() as store:
        counts = report.count_by(store.select().records(), by)
        total = store.count()
        if plot:
            report.plot(store.select().records(), by, plot)
    click.echo(render.counts(by, counts, total))
    if plot and not st.quiet:
        click.echo(f"plot written to {plot}", err=True)


# digest ------------------------------------------------------------------

@cli.command(cls=QueryCommand)
@click.argument("query", nargs=-1)
@click.option("--since", default="7d", show_default=True, metavar="DATE|7d|2w")
@click.option("-f", "--format", "fmt", type=click.Choice(["markdown", "html"]), default="markdown",
              show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="File to write (default: stdout).")
@click.option("--skip-empty", is_flag=True, help="Print nothing and write no file when nothing is new (for cron).")
@pass_state
def digest(st: _State, query, since, fmt, output, skip_empty):
    """What is new since a date (matching QUERY, if given), ready to mail from cron."""
    from tracker import search as searching
    from tracker.output import digest as digesting
    from tracker.output import export as exporting

    since_iso = searching.parse_since(since)
    text_query = " ".join(query).strip()
    with st.open_store() as store:
        if text_query:
            with st.open_index() as index:
                selection = store.select(rows=searching.match_rows(index, text_query, since=since_iso))
        else:
            selection = store.select(since=since_iso)
        records = list(selection.records())
    if skip_empty and not records:
        return      # not a word, even on stderr: cron mails any output
    text = digesting.render(records, fmt, since=since_iso)
    if output:
        with exporting.atomic_output(output) as fp:
            fp.write(text)
    else:
        click.echo(text, nl=False)


# alerts ------------------------------------------------------------------

@cli.command()
@click.option("--send", is_flag=True,
              help="Deliver: mail each alert that has addresses, print the others, and move their cursors.")
@click.option("--dry-run", is_flag=True, help="Print what --send would deliver; send and move nothing.")
@click.option("--list", "as_list", is_flag=True,
              help="Each alert, its query, recipients, last delivery, papers waiting.")
@click.option("--since", metavar="DATE|7d|2w", help="Where an alert never delivered starts (default: 7 days ago).")
@click.option("-f", "--format", "fmt", type=click.Choice(["markdown", "html", "json"]),
              help="Format of printed alerts (default: the alert's format, else markdown); json: one line per alert.")
@click.option("-q", "--quiet", is_flag=True, help="Print only failures on stderr (for cron).")
@pass_state
def alerts(st: _State, send, dry_run, as_list, since, fmt, quiet):
    """Saved searches from feeds.yaml: what each has not delivered yet.

    \b
    Without --send every alert is printed and nothing moves. With --send an
    alert with 'to:' addresses is mailed and its cursor moves only once the
    mail server accepted the message; a failed send is one line on stderr,
    the other alerts still go, and the exit code is 1.
    """
    from tracker import search as searching
    from tracker.alerts import run as alerting

    if as_list and (send or dry_run):
        raise click.UsageError("--list shows the alerts; it cannot be combined with --send or --dry-run.")
    config = st.config()
    if not config.alerts:
        if not (quiet or st.quiet):
            click.echo(f"no alerts configured in {config.path} (add an 'alerts:' block).", err=True)
        return
    since_iso = searching.parse_since(since) if since else None
    if as_list:
        for item in alerting.overview(config, st.index_dir(), since_iso):
            click.echo(_alert_listing(item))
        return
    printed = 0

    def emit(outcome, text: str) -> None:
        nonlocal printed
        if printed and fmt != "json":
            click.echo("")
        printed += 1
        click.echo(text, nl=not text.endswith("\n"))

    def done(outcome) -> None:
        line = _alert_line(outcome, "dry run" if dry_run else "not delivered without --send")
        if outcome.failed or not (quiet or st.quiet):
            click.echo(line, err=True)

    report = alerting.run(config, st.index_dir(), send=send, dry_run=dry_run, since=since_iso, fmt=fmt,
                          emit=emit, done=done)
    sys.exit(report.exit_code)


def _papers(n: int) -> str:
    return f"{n} new paper{'s' if n != 1 else ''}"


def _alert_line(outcome, shown_note: str) -> str:
    name = outcome.alert.name
    n = len(outcome.records)
    if outcome.action == "failed":
        wait = f"; its {_papers(n)} wait for the next run" if n else ""
        return f"alert {name}: not sent: {(outcome.error or '').rstrip('.')}{wait}."
    if outcome.action == "nothing":
        return f"alert {name}: nothing new since {outcome.since[:10]}; nothing sent."
    if outcome.action == "mailed":
        line = f"alert {name}: sent {_papers(n)} to {', '.join(outcome.alert.to)}."
        if outcome.refused:
            rcpt, why = next(iter(outcome.refused.items()))
            line += f" The server refused {rcpt} ({why})."
    elif outcome.action == "printed":
        line = f"alert {name}: printed {_papers(n)}."
    else:
        line = f"alert {name}: {_papers(n)} ({shown_note}; nothing moved)."
    if outcome.error:
        line += f" {outcome.error}"
    return line


def _alert_listing(item) -> str:
    alert, cursor = item.alert, item.cursor
    to = ", ".join(alert.to) if alert.to else "(none: printed)"
    last = f"{cursor.delivered_at} ({_papers(cursor.sent).replace('new ', '')})" if cursor else "never"
    return "\n".join([alert.name, f"  query:          {alert.query}", f"  to:             {to}",
                      f"  last delivery:  {last}", f"  waiting:        {_papers(item.waiting)}"])


# feeds -------------------------------------------------------------------

@cli.group(invoke_without_command=True)
@click.pass_context
def feeds(ctx: click.Context):
    """List the configured feeds ('feeds check' validates feeds.yaml)."""
    if ctx.invoked_subcommand is None:
        st: _State = ctx.obj
        config = st.config()
        if not config.feeds:
            click.echo("no feeds configured")
        for f in config.feeds:
            target = f.url or f.query or ""
            flag = "" if f.enabled else "  (disabled)"
            click.echo(f"{f.name:<28} {f.kind:<10} {target}{flag}")


@feeds.command("check")
@pass_state
def feeds_check(st: _State):
    """Validate feeds.yaml: prints 'ok' or every problem (exit 2)."""
    from tracker.config import require_feeds

    require_feeds(st.config())
    click.echo("ok")


# index care ----------------------------------------------------------------

@cli.command()
@pass_state
def check(st: _State):
    """Verify that the record store, the index and the crawl state agree."""
    from tracker import maintenance

    report = maintenance.check(st.index_dir())
    if report.replayed:
        click.echo(f"note: the index was {report.replayed} changes behind the record store (an interrupted "
                   f"crawl); they were applied.", err=True)
    for problem in report.problems:
        click.echo(f"problem: {problem}", err=True)
    if report.problems:
        sys.exit(1)
    click.echo(f"ok: {report.records} records, {report.state_items} crawl-state entries")


@cli.command()
@pass_state
def reindex(st: _State):
    """Rebuild the index from the record store (after an upgrade or damage); no refetching."""
    from tracker import maintenance

    n = maintenance.reindex(st.index_dir())
    click.echo(f"rebuilt the index from {n} stored records")


def main() -> None:
    cli(prog_name="tracker")
