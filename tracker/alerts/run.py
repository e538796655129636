"""A `tracker alerts` run and the `--list` overview.

Per alert: select what it has not delivered (alerts.select), render it,
deliver it, and only then move its cursor. With `send`, an alert with
addresses is mailed (delivered = the SMTP server accepted it) and one
without is printed (delivered = written to the output, which cron mails);
without `send`, or with `dry_run`, everything is printed and nothing moves.
A failed alert is reported on its outcome and the others still go.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracker.alerts import mailer
from tracker.alerts.select import advanced, pending
from tracker.dates import resolve_since
from tracker.errors import ConfigError, QueryError, TrackerError
from tracker.index import Index
from tracker.models import utcnow
from tracker.output import mail
from tracker.settings import AlertConfig, Config
from tracker.state import STATE_FILE, AlertCursor, State

FIRST_RUN = "7d"    # how far back an alert's first run looks (--since overrides)

# what became of one alert in a run
MAILED, PRINTED, SHOWN, NOTHING, FAILED = "mailed", "printed", "shown", "nothing", "failed"


@dataclass
class Outcome:
    alert: AlertConfig
    action: str
    records: list[dict[str, Any]] = field(default_factory=list)
    since: str = ""                 # where the selection started (ISO 8601 UTC)
    error: str | None = None        # why it failed, or what went wrong after delivery
    refused: dict[str, str] = field(default_factory=dict)   # recipients refused while others accepted

    @property
    def failed(self) -> bool:
        return self.action == FAILED or bool(self.error) or bool(self.refused)


@dataclass
class Report:
    outcomes: list[Outcome]

    @property
    def exit_code(self) -> int:
        return 1 if any(o.failed for o in self.outcomes) else 0


@dataclass
class Waiting:
    """An alert as `tracker alerts --list` shows it."""

    alert: AlertConfig
    cursor: AlertCursor | None
    waiting: int


def _start(since: str | None) -> str:
    return since or resolve_since(FIRST_RUN)


def _open(index_dir: Path) -> tuple[Index, State]:
    index = Index.open(index_dir)
    try:
        return index, State(Path(index_dir) / STATE_FILE)
    except BaseException:
        index.close()
        raise


def overview(config: Config, index_dir: Path, since: str | None = None) -> list[Waiting]:
    start = _start(since)
    index, state = _open(index_dir)
    try:
        out = []
        for alert in config.alerts:
            cursor = state.alert_cursor(alert.name)
            out.append(Waiting(alert, cursor, len(pending(index, alert, cursor, start))))
        return out
    finally:
        state.close()
        index.close()


def new_for(config: Config, index_dir: Path, name: str, *, since: str | None = None,
            narrow: str | None = None) -> list[dict[str, Any]]:
    """What the next run of alert `name` would deliver (`tracker search --new-for`)."""
    alert = config.alert(name)
    if alert is None:
        known = ", ".join(a.name for a in config.alerts) or "none are configured"
        raise ConfigError(f"no alert named '{name}' in {config.path} (alerts: {known}).")
    index, state = _open(index_dir)
    try:
        return pending(index, alert, state.alert_cursor(name), _start(since), narrow)
    finally:
        state.close()
        index.close()


def run(config: Config, index_dir: Path, *, send: bool, dry_run: bool = False, since: str | None = None,
        fmt: str | None = None, emit: Callable[[Outcome, str], None],
        done: Callable[[Outcome], None] | None = None) -> Report:
    """Every configured alert once. `emit(outcome, text)` writes a printed
    alert; `done(outcome)` hears of each alert as it is finished."""
    start = _start(since)
    deliver = send and not dry_run
    index, state = _open(index_dir)
    outcomes = []
    try:
        for alert in config.alerts:
            outcome = _one(config, index, state, alert, start, deliver, fmt, emit)
            outcomes.append(outcome)
            if done is not None:
                done(outcome)
    finally:
        state.close()
        index.close()
    return Report(outcomes)


def _one(config: Config, index: Index, state: State, alert: AlertConfig, start: str, deliver: bool,
         fmt: str | None, emit: Callable[[Outcome, str], None]) -> Outcome:
    cursor = state.alert_cursor(alert.name)
    since = cursor.first_seen if cursor else start
    try:
        records = pending(index, alert, cursor, start)
    except QueryError as exc:
        return Outcome(alert, FAILED, since=since, error=f"its query cannot be run: {exc}")
    outcome = Outcome(alert, NOTHING, records, since)
    if not records:
        return outcome
    if alert.to and deliver:
        assert config.smtp is not None     # the configuration requires smtp: for `to:`
        msg = mail.message(alert.name, alert.query, records, since, sender=config.smtp.sender, to=alert.to)
        try:
            outcome.refused = mailer.send(config.smtp, msg)
        except mailer.DeliveryError as exc:
            outcome.action, outcome.error = FAILED, str(exc)
            return outcome
        outcome.action = MAILED
    else:
        emit(outcome, mail.render(fmt or alert.format or "markdown", alert.name, alert.query, records, since))
        outcome.action = PRINTED if deliver else SHOWN
    if deliver:
        try:
            state.save_alert_cursor(alert.name, advanced(cursor, records, utcnow()))
        except TrackerError as exc:
            outcome.error = str(exc)
    return outcome
