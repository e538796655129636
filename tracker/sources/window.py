"""Date windows for the registry searches (PubMed, Europe PMC, Crossref).

A feed's cursor records the last day a completed run covered, together with
the query and `since` it covered them for. The next run starts on that same
day (the overlap means a record indexed late on the boundary day is never
missed; upserts make seeing it twice harmless). A changed query or `since`,
or --full, starts again from `since`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tracker.sources.base import FetchContext

CURSOR_KEY = "window"


def today() -> date:
    """The current UTC date (a module function so tests can pin it)."""
    return datetime.now(timezone.utc).date()


def scope(ctx: FetchContext, **extra: Any) -> dict[str, Any]:
    """What a cursor is valid for: the same query, since and extra keys."""
    out: dict[str, Any] = {"query": ctx.feed.query, "since": ctx.feed.since.isoformat()}
    out.update(extra)
    return out


def resume_date(ctx: FetchContext, **extra: Any) -> date | None:
    """The day the last completed window ended, or None to start from `since`."""
    if ctx.full:
        return None
    saved = ctx.state.get(CURSOR_KEY)
    if not isinstance(saved, dict) or not isinstance(saved.get("until"), str):
        return None
    if any(saved.get(k) != v for k, v in scope(ctx, **extra).items()):
        return None
    try:
        return date.fromisoformat(saved["until"])
    except ValueError:
        return None


def window(ctx: FetchContext, end: date, **extra: Any) -> tuple[date, date]:
    """(first day, last day) to search, both inclusive."""
    start = resume_date(ctx, **extra) or ctx.feed.since
    return min(start, end), end


def stage(ctx: FetchContext, until: date, **extra: Any) -> None:
    """Record that every record up to `until` (inclusive) has been yielded."""
    ctx.state.stage(CURSOR_KEY, {"until": until.isoformat(), **scope(ctx, **extra)})


def halves(start: date, end: date) -> tuple[tuple[date, date], tuple[date, date]]:
    """Two adjacent windows covering start..end; needs start < end."""
    mid = start + (end - start) // 2
    return (start, mid), (mid + timedelta(days=1), end)
