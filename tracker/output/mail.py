"""An alert's new papers as text: Markdown or JSON to print, a plain-text and
an HTML part to mail, and the message that carries both.

Each paper shows its title, journal, year, design, case count, drugs and a
link: the DOI, else PubMed, else its page (http(s) only, so a javascript:
or data: URL read from a page never becomes a link). Everything taken from
a record is escaped for the format it goes into.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any
from urllib.parse import quote

from tracker.output.digest import STUDY_LABELS

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>()#|])")
_SAFE_URL = ":/?#[]@!$&'*+,;=%~-._"


def subject(name: str, count: int) -> str:
    return f"[tracker] {name}: {count} new paper{'s' if count != 1 else ''}"


def link(record: dict[str, Any]) -> str | None:
    """DOI, else PubMed, else the record's own http(s) page."""
    if record.get("doi"):
        return "https://doi.org/" + quote(str(record["doi"]), safe="/:;()._-")
    if record.get("pmid") and str(record["pmid"]).isdigit():
        return f"https://pubmed.ncbi.nlm.nih.gov/{record['pmid']}/"
    url = record.get("url") or ""
    if re.match(r"^https?://", url, re.I):
        return quote(url, safe=_SAFE_URL)
    return None


def facts(record: dict[str, Any]) -> list[str]:
    """journal, year, design, cases, drugs: what is known of them, in that order."""
    out = [record.get("journal") or "journal unknown"]
    if record.get("year") is not None:
        out.append(str(record["year"]))
    stype = record.get("study_type")
    if stype in STUDY_LABELS and stype is not None:
        out.append(STUDY_LABELS[stype][0])
    cases = record.get("case_count")
    if cases is not None:
        out.append(f"{cases} case{'s' if cases != 1 else ''}")
    if record.get("drugs"):
        out.append(", ".join(record["drugs"]))
    return out


def _day(stamp: str) -> str:
    return stamp[:10]


def _lead(count: int, query: str, since: str) -> str:
    return (f"{count} new paper{'s' if count != 1 else ''} matching {query} "
            f"first stored since {_day(since)}.")


def _flat(text: Any) -> str:
    return " ".join(str(text).split())


# ---------------------------------------------------------------- plain text

def plain(name: str, query: str, records: Sequence[dict[str, Any]], since: str) -> str:
    lines = [subject(name, len(records)).removeprefix("[tracker] "), "",
             _lead(len(records), f"'{query}'", since), ""]
    for i, rec in enumerate(records, 1):
        lines.append(f"{i}. {_flat(rec.get('title') or '(untitled)')}")
        lines.append(f"   {_flat(' · '.join(facts(rec)))}")
        url = link(rec)
        if url:
            lines.append(f"   {url}")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


# ---------------------------------------------------------------- Markdown

def _md(text: Any) -> str:
    return _MD_SPECIAL.sub(r"\\\1", _flat(text))


def markdown(name: str, query: str, records: Sequence[dict[str, Any]], since: str) -> str:
    lines = [f"# {_md(subject(name, len(records)).removeprefix('[tracker] '))}", "",
             f"{len(records)} new paper{'s' if len(records) != 1 else ''} first stored since {_day(since)}; "
             f"query: `{query.replace('`', chr(39))}`", ""]
    for rec in records:
        title = _md(rec.get("title") or "(untitled)")
        url = link(rec)
        lines.append(f"- [{title}](<{url}>)  " if url else f"- {title}  ")
        lines.append(f"  {_md(' · '.join(facts(rec)))}")
    return "\n".join(lines).rstrip("\n") + "\n"


# ---------------------------------------------------------------- HTML

def _e(text: Any) -> str:
    return html.escape(_flat(text), quote=True)


def html_page(name: str, query: str, records: Sequence[dict[str, Any]], since: str) -> str:
    head = subject(name, len(records)).removeprefix("[tracker] ")
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        '<head><meta charset="utf-8" />',
        f"<title>{_e(head)}</title></head>",
        '<body style="margin:0;padding:16px;font-family:Arial,Helvetica,sans-serif;font-size:15px;'
        'line-height:1.45;color:#1f1f1f;background:#ffffff;">',
        '<div style="max-width:720px;margin:0 auto;">',
        f'<h1 style="font-size:20px;margin:0 0 8px;">{_e(head)}</h1>',
        f'<p style="margin:0 0 16px;color:#444444;">{_e(_lead(len(records), repr(query), since))}</p>',
        '<ol style="margin:0;padding-left:22px;">',
    ]
    for rec in records:
        title = _e(rec.get("title") or "(untitled)")
        url = link(rec)
        shown = f'<a href="{_e(url)}" style="color:#0b57d0;">{title}</a>' if url else f"<strong>{title}</strong>"
        about = _e(" · ".join(facts(rec)))
        row = f'<li style="margin:0 0 12px;">{shown}<br /><span style="color:#555555;">{about}</span>'
        if url:
            row += f'<br /><a href="{_e(url)}" style="color:#555555;font-size:13px;">{_e(url)}</a>'
        out.append(row + "</li>")
    out += ["</ol>", "</div>", "</body>", "</html>"]
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- JSON

def as_json(name: str, query: str, records: Sequence[dict[str, Any]], since: str) -> str:
    """One line: the alert, where it started, and its records (without page text)."""
    rows = [{k: v for k, v in rec.items() if k != "body"} for rec in records]
    return json.dumps({"alert": name, "query": query, "since": since, "count": len(rows), "records": rows},
                      ensure_ascii=False)


RENDERERS = {"markdown": markdown, "html": html_page, "json": as_json}


def render(fmt: str, name: str, query: str, records: Sequence[dict[str, Any]], since: str) -> str:
    return RENDERERS[fmt](name, query, records, since)


# ---------------------------------------------------------------- the message

def message(name: str, query: str, records: Sequence[dict[str, Any]], since: str, *,
            sender: str, to: Sequence[str]) -> EmailMessage:
    """multipart/alternative: the plain-text part first, the HTML part last (preferred)."""
    msg = EmailMessage()
    msg["Subject"] = subject(name, len(records))
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    # quoted-printable: 7-bit safe for any server, still readable in the raw message
    msg.set_content(plain(name, query, records, since), cte="quoted-printable")
    msg.add_alternative(html_page(name, query, records, since), subtype="html", cte="quoted-printable")
    return msg
