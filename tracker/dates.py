"""Dates: ISO 8601 text from whatever a source gives, the year a date states,
and the `--since` values of search, export, digest and alerts.

`iso_date` keeps the conventions the records have always had, by input:

- a struct_time (feedparser's parsed dates) or datetime is a moment: UTC
  with "Z" to the second (a naive one is taken as UTC);
- a year with a month and/or day apart (PubMed, Crossref), or a year alone
  as an int, gives the date at the precision stated: "2019", "2019-03" or
  "2019-03-07"; an impossible day or month drops that part only;
- text from a feed: "2019", "2019-03" and "2019-03-07" stay as written;
- other text (a feed's or page metadata's, `as_stated=True`): the date at the precision the
  text states ("2017/5" -> "2017-05", "March 2016" -> "2016-03"), a time
  as a UTC moment.

Every moment is written one way, "2026-10-14T08:00:00Z" (`instant`);
`normal` brings stored text of older versions to that form on the way out.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import Any

from tracker.errors import TrackerError

EARLIEST_YEAR = 1800
LATEST_FEED_YEAR = 2100     # a feed's own date: anything later is not believed
LATEST_RECORD_YEAR = 2199   # a registry's year field

_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|2[01]\d\d)(?!\d)")
_MONTHS = {name: i for i, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_ISO_PARTIAL = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?)?")
_YMD = re.compile(r"^(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?$")

_SPAN_UNITS = {"h": "hours", "d": "days", "w": "weeks"}
_DAYS_PER = {"m": 30, "y": 365}  # months and years, as spans of days
_RELATIVE = re.compile(r"^\s*(\d+)\s*([hdwmy])\s*$", re.I)


def year_of(value: str | None, *, latest: int = LATEST_FEED_YEAR) -> int | None:
    """The first year standing alone in the first 100 characters of a date text.

    A year is 1800..2099, or up to `latest` when that is later; None when
    there is none or the first is after `latest` (an implausible date).
    Page metadata passes next year (an issue may be dated ahead; a later
    year is a wrong date, not the study's).
    """
    if not value:
        return None
    for match in _YEAR.finditer(str(value)[:100]):
        year = int(match.group(1))
        if year >= 2100 and year > latest:
            continue  # "2130 GMT, 12 May 2017": not a year where none so late is allowed
        return year if year <= latest else None
    return None


def first_year(text: str | None) -> int | None:
    """A registry's free-text date ('2016 Winter', '1998 Dec-1999 Jan') -> its first year."""
    return year_of(text, latest=LATEST_RECORD_YEAR)


def valid_year(value: Any) -> int | None:
    """A year field's leading four digits as an int, if 1800..2199."""
    try:
        year = int(str(value).strip()[:4])
    except (TypeError, ValueError):
        return None
    return year if EARLIEST_YEAR <= year <= LATEST_RECORD_YEAR else None


def month_number(value: str | int | None) -> int | None:
    """'Jan', 'January', '01', 1 -> 1; None for anything else."""
    if value is None:
        return None
    text = str(value).strip().lower()
    if text.isdigit():
        n = int(text)
        return n if 1 <= n <= 12 else None
    return _MONTHS.get(text[:3])


def iso_date(value: Any, month: str | int | None = None, day: str | int | None = None, *,
             as_stated: bool = False) -> str | None:
    """ISO 8601 text for a date; None if unreadable. See the module docstring
    for the conventions: moments, parts apart, feed text, page text (`as_stated`)."""
    if month is not None or day is not None or isinstance(value, int):
        return _from_parts(value, month, day)
    if value is None or value == "":
        return None
    if hasattr(value, "tm_year"):
        try:
            value = datetime(*value[:6]).replace(tzinfo=timezone.utc)
        except (TypeError, ValueError):
            return None
    if isinstance(value, datetime):
        return _moment(value)
    if as_stated:
        return _as_stated(str(value).strip()[:100])
    text = str(value).strip()
    if _ISO_PARTIAL.fullmatch(text):
        return text
    stated = _as_stated(text[:100])
    if stated is None or int(stated[:4]) < EARLIEST_YEAR:
        return None
    return stated


def _moment(value: datetime) -> str:
    return instant(value)


# The one form of every date tracker writes: a moment in UTC to the second
# with "Z", or a calendar date at the precision known ("2019-03-07",
# "2019-03", "2019").
_NORMAL = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2}(?:T\d{2}:\d{2}:\d{2}Z)?)?)?")
_DATE_ONLY = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})")
DATE_FIELDS = ("published", "first_seen", "fetched_at")


def instant(when: datetime) -> str:
    """A moment as ISO 8601 UTC to the second, "2026-10-14T08:00:00Z"; a naive one is taken as UTC."""
    if when.tzinfo is not None:
        try:
            when = when.astimezone(timezone.utc)
        except OverflowError:   # within hours of year 1 or 9999: the wall time is as close as it gets
            pass
    return (f"{when.year:04d}-{when.month:02d}-{when.day:02d}"
            f"T{when.hour:02d}:{when.minute:02d}:{when.second:02d}Z")


def normal(value: Any) -> Any:
    """Stored date text in the one form (see _NORMAL): "…+00:00", "…+02:00",
    fractions of a second and naive times become "…Z" in UTC; "20190307"
    becomes "2019-03-07". Anything else (None, text that is no ISO date) is
    returned as it is, so records stored by older versions print right."""
    if value.__class__ is not str or _NORMAL.fullmatch(value):
        return value
    text = value.strip()
    if _NORMAL.fullmatch(text):
        return text
    day = _DATE_ONLY.fullmatch(text)
    if day:
        try:
            return date(*map(int, day.groups())).isoformat()
        except ValueError:
            return value
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return value
    return instant(when)


def normal_dates(record: dict[str, Any]) -> dict[str, Any]:
    """`record` with its date fields in the one form (a copy only when one changes)."""
    changed = {k: normal(record[k]) for k in DATE_FIELDS if k in record and record[k] is not None}
    if all(changed[k] is record[k] for k in changed):
        return record
    return {**record, **changed}


def _from_parts(year: Any, month: Any, day: Any) -> str | None:
    y = valid_year(year)
    if y is None:
        return None
    m = month_number(month)
    if m is None:
        return f"{y:04d}"
    try:
        d = int(str(day).strip()) if day is not None else None
        if d is not None:
            return date(y, m, d).isoformat()
    except ValueError:
        pass
    return f"{y:04d}-{m:02d}"


def _as_stated(text: str) -> str | None:
    match = _YMD.match(text)
    if match:
        y, m, d = match.groups()
        try:
            if d:
                return date(int(y), int(m), int(d)).isoformat()
            if m and 1 <= int(m) <= 12:
                return f"{int(y):04d}-{int(m):02d}"
        except ValueError:
            pass
        return y if year_of(y, latest=date.today().year + 1) else None
    try:
        return instant(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        pass
    # two defaults reveal which parts the text really gave
    a = _parse(text, datetime(2000, 1, 1))
    b = _parse(text, datetime(2001, 2, 2)) if a is not None else None
    if a is None or b is None or a.year != b.year:
        return None
    if a.month != b.month:
        return f"{a.year:04d}"
    if a.day != b.day:
        return f"{a.year:04d}-{a.month:02d}"
    if a.hour or a.minute or a.tzinfo:
        return instant(a)
    return a.date().isoformat()


def _parse(text: str, default: datetime) -> datetime | None:
    """dateutil's fuzzy reading of `text`, parts it lacks taken from `default`."""
    # imported here: dateutil costs ~28 ms, and `tracker search --since` needs none of it
    from dateutil import parser

    try:
        return parser.parse(text, fuzzy=True, default=default)
    except (ValueError, OverflowError, TypeError):
        return None


def resolve_since(value: str, now: str | None = None) -> str:
    """"7d", "2w", "12h" (before `now`) or an ISO date/time -> "YYYY-MM-DDTHH:MM:SSZ" (UTC)."""
    ref = _utc(now) if now else datetime.now(timezone.utc)
    m = _RELATIVE.match(value or "")
    if m:
        unit, digits = m.group(2).lower(), m.group(1).lstrip("0") or "0"
        try:
            n = int(digits[:12]) if len(digits) <= 12 else 10 ** 12
            span = timedelta(days=n * _DAYS_PER[unit]) if unit in _DAYS_PER else timedelta(**{_SPAN_UNITS[unit]: n})
            when = ref - span
        except OverflowError:   # a span reaching before year 1 means "since the beginning"
            when = datetime(1, 1, 1, tzinfo=timezone.utc)
    else:
        try:
            when = _utc(value)
        except ValueError:
            raise TrackerError(
                f"Cannot read --since {value!r}; use a date (2026-11-01) or a span such as 7d, 2w, 3m or 12h."
            ) from None
    return instant(when)


def _utc(value: str) -> datetime:
    """An ISO date/time as an aware UTC datetime; a naive one is taken as UTC."""
    when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc)
