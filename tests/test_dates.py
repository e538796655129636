"""tracker.dates: one iso_date and one year_of for every source, each caller's
convention pinned. The expected values are what the three former iso_date
functions (feed text, page metadata, registry parts), the two year_of
functions and PubMed's first_year gave for the same input."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from tracker.dates import (
    first_year,
    iso_date,
    month_number,
    normal,
    normal_dates,
    resolve_since,
    valid_year,
    year_of,
)
from tracker.errors import TrackerError

UTC = timezone.utc


# --- feeds (rss.py): struct_time from feedparser, else the text it could not read

@pytest.mark.parametrize("value, expected", [
    (time.strptime("2016-05-03 10:00:00", "%Y-%m-%d %H:%M:%S"), "2016-05-03T10:00:00Z"),
    (time.struct_time((2016, 13, 3, 10, 0, 0, 0, 0, 0)), None),
    (datetime(2016, 5, 3, 10, 0, tzinfo=UTC), "2016-05-03T10:00:00Z"),
    (datetime(2016, 5, 3, 10, 0, tzinfo=timezone(timedelta(hours=2))), "2016-05-03T08:00:00Z"),
    (datetime(2016, 5, 3, 10, 0, 0, 123456, tzinfo=UTC), "2016-05-03T10:00:00Z"),
    (datetime(2016, 5, 3, 10, 0), "2016-05-03T10:00:00Z"),
    ("2016", "2016"),
    ("2016-05", "2016-05"),
    ("2016-05-03", "2016-05-03"),
    (" 2016-05-03 ", "2016-05-03"),
    ("2016-13", "2016-13"),         # ISO-shaped text is kept as written
    ("0000", "0000"),
    ("1700", "1700"),
    ("Tue, 03 May 2016 10:00:00 GMT", "2016-05-03T10:00:00Z"),
    ("Tue, 03 May 2016 10:00:00 +0200", "2016-05-03T08:00:00Z"),
    ("2016-05-03T10:00:00Z", "2016-05-03T10:00:00Z"),
    ("2016-05-03T10:00:00+02:00", "2016-05-03T08:00:00Z"),
    ("2016-05-03T10:00:00", "2016-05-03T10:00:00Z"),
    ("March 2016", "2016-03"),           # only the precision the text states
    ("14 March 2016", "2016-03-14"),
    ("2016/05/03", "2016-05-03"),
    ("2016 May", "2016-05"),
    ("2016 May 3", "2016-05-03"),
    ("May 1066", None),
    ("not a date", None),
    ("garbage", None),
    ("", None),
    ("   ", None),
    (None, None),
])
def test_feed_dates(value, expected):
    assert iso_date(value) == expected


# --- page metadata (extract/page): the precision stated, a moment in UTC

@pytest.mark.parametrize("value, expected", [
    ("2017/05/12", "2017-05-12"),
    ("2017/5", "2017-05"),
    ("2017", "2017"),
    ("2017-05", "2017-05"),
    ("2017-05-12", "2017-05-12"),
    ("2017.05.12", "2017-05-12"),
    ("2019-03-14T08:30:00Z", "2019-03-14T08:30:00Z"),
    ("2019-03-14T08:30:00+02:00", "2019-03-14T06:30:00Z"),
    ("2019-03-14T08:30:00", "2019-03-14T08:30:00Z"),
    ("Tue, 03 May 2016 10:00:00 GMT", "2016-05-03T10:00:00Z"),
    ("March 2016", "2016-03"),
    ("14 March 2016", "2016-03-14"),
    ("2016 May", "2016-05"),
    ("2016 May 3", "2016-05-03"),
    ("2017/02/30", "2017"),         # an impossible day or month leaves the year
    ("2017/13", "2017"),
    ("1700", None),
    ("2150", None),
    ("1700/05/03", "1700-05-03"),
    ("Spring 2016", "2016"),
    ("not a date", None),
    ("garbage", None),
    ("", None),
    ("   ", None),
    (None, None),
])
def test_page_dates(value, expected):
    assert iso_date(value, as_stated=True) == expected


# --- registries (PubMed, Crossref): year, month and day apart

@pytest.mark.parametrize("parts, expected", [
    ((2019, None, None), "2019"),
    ((2019, "Mar", "7"), "2019-03-07"),
    ((2019, "March", None), "2019-03"),
    ((2019, "03", "07"), "2019-03-07"),
    ((2019, 3, 7), "2019-03-07"),
    ((2019, 2, 30), "2019-02"),      # an impossible day drops the day only
    ((2019, 13, 5), "2019"),
    ((2019, "Winter", None), "2019"),
    ((2019, "Dec", "x"), "2019-12"),
    (("2019", "12", "31"), "2019-12-31"),
    ((None, 3, 1), None),
    ((1700, 1, 1), None),
    ((2199, 1, 1), "2199-01-01"),
    ((2200, 1, 1), None),
])
def test_registry_dates(parts, expected):
    assert iso_date(*parts) == expected


def test_month_numbers_and_year_fields():
    assert [month_number(m) for m in ("Jan", "January", "01", 1, "13", "Win", None)] == [1, 1, 1, 1, None, None, None]
    assert [valid_year(y) for y in (2019, "2019-05-03", "1799", "2200", None, "x")] == [2019, 2019, None, None, None, None]


# --- years

# Feed dates reach year_of as iso_date's output: ISO text led by its year.
@pytest.mark.parametrize("value, expected", [
    ("2016-05-03T10:00:00Z", 2016), ("2016", 2016), ("2050", 2050), ("2100-01-01T00:00:00Z", 2100),
    ("2150-01-01", None), ("1700-01-01", None), ("0999-01-01T00:00:00Z", None), ("", None), (None, None),
])
def test_year_of_a_feed_date(value, expected):
    assert year_of(value) == expected


# Page metadata: any date text, no year after next (2027 when this was written).
@pytest.mark.parametrize("value, expected", [
    ("2016-05-03T10:00:00Z", 2016), ("2017/05", 2017), ("May 2017", 2017), ("Winter 2015-2016", 2015),
    ("1998 Dec-1999 Jan", 1998), ("2027", 2027), ("2028", None), ("2050", None), ("2100-01-01T00:00:00Z", None),
    ("2130 GMT, 12 May 2017", 2017), ("1066", None), ("vol 12", None), ("", None), (None, None),
])
def test_year_of_a_page_date(value, expected):
    assert year_of(value, latest=2027) == expected


@pytest.mark.parametrize("value, expected", [
    ("2016", 2016), ("2016 Winter", 2016), ("1998 Dec-1999 Jan", 1998), ("2100", 2100), ("2150", 2150),
    ("2130 GMT, 12 May 2017", 2130), ("1700", None), ("", None), (None, None),
])
def test_first_year_of_a_registry_date(value, expected):
    assert first_year(value) == expected


# --- --since

NOW = "2026-11-25T17:40:00Z"


@pytest.mark.parametrize("value, expected", [
    ("7d", "2026-11-18T17:40:00Z"),
    ("2w", "2026-11-11T17:40:00Z"),
    ("12h", "2026-11-25T05:40:00Z"),
    ("3m", "2026-08-27T17:40:00Z"),
    ("2026-11-01", "2026-11-01T00:00:00Z"),
    ("2026-11-01T10:00:00+02:00", "2026-11-01T08:00:00Z"),
    ("2026-11-01T10:00:00Z", "2026-11-01T10:00:00Z"),
])
def test_resolve_since(value, expected):
    assert resolve_since(value, now=NOW) == expected


def test_resolve_since_rejects_nonsense():
    with pytest.raises(TrackerError, match="7d"):
        resolve_since("last tuesday", now=NOW)



# --- the one form on the way out: records stored by older versions print right

@pytest.mark.parametrize("stored, shown", [
    ("2026-10-14T08:00:00Z", "2026-10-14T08:00:00Z"),
    ("2026-10-14T08:00:00+00:00", "2026-10-14T08:00:00Z"),
    ("2026-10-14T10:00:00+02:00", "2026-10-14T08:00:00Z"),
    ("2026-10-14T08:00:00.123456Z", "2026-10-14T08:00:00Z"),
    ("2026-10-14T08:00:00", "2026-10-14T08:00:00Z"),
    ("2025-06-03", "2025-06-03"),
    ("20250603", "2025-06-03"),
    ("2016-05", "2016-05"),
    ("2016", "2016"),
    ("0001-01-01T00:30:00+01:00", "0001-01-01T00:30:00Z"),   # cannot move before year 1
    ("spring", "spring"),          # no ISO date: kept as stored, never lost
    (None, None),
])
def test_normal_form(stored, shown):
    assert normal(stored) == shown


def test_normal_dates_touches_only_date_fields():
    record = {"published": "2016-05-03T10:00:00+00:00", "first_seen": "2026-01-02T03:04:05Z",
              "title": "2016-05-03T10:00:00+00:00"}
    assert normal_dates(record) == {"published": "2016-05-03T10:00:00Z", "first_seen": "2026-01-02T03:04:05Z",
                                    "title": "2016-05-03T10:00:00+00:00"}
    same = {"published": "2016-05", "fetched_at": None}
    assert normal_dates(same) is same


def test_since_beyond_the_calendar_means_everything():
    assert resolve_since("9999999999d", now="2026-11-20T10:00:00Z") == "0001-01-01T00:00:00Z"
    assert resolve_since("9" * 5000 + "y", now="2026-11-20T10:00:00Z") == "0001-01-01T00:00:00Z"
