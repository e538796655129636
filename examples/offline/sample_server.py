"""A loopback server that plays PubMed, Europe PMC, Crossref, journal RSS
feeds and a news site, with deterministic synthetic records.

It lets the real crawl pipeline run end to end with no network: the demo
(`python examples/offline/sample_server.py`), the end-to-end tests and the
ingest benchmark all use it. It binds to 127.0.0.1 only.

Endpoints (each honours the parameters tracker's sources send):
  /eutils/esearch.fcgi, /eutils/efetch.fcgi    PubMed E-utilities (JSON / XML)
  /epmc/search                                 Europe PMC REST (cursorMark)
  /crossref/works                              Crossref REST (cursor)
  /rss/feed<k>.xml                             RSS 2.0 with ETag / 304
  /articles/<i>.html                           the page of RSS item i (with rss_pages=True)
  /news/index.html?page=<p>, /news/<i>.html    a listing with dates and next links, article pages
  /ctgov/studies                               ClinicalTrials.gov API v2 (pageToken, LastUpdatePostDate)
  /rxiv/details/<server>/<from>/<to>/<cursor>  the medRxiv/bioRxiv details API
  /trials/journal.xml                          a journal's RSS feed with papers reporting the trials
(the last three with trials=True; `generation` 0 or 1 plays the registry
before and after a status change and a preprint's journal publication)

validators=False serves everything without ETag (so never 304), as many
journal and news sites do; rss_pages=True links the RSS items to pages on
this server and sets `fetch_articles: true` on the RSS feeds.
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import threading
from bisect import bisect_left, bisect_right
from datetime import date, datetime, timedelta, timezone
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

DRUGS = [("natalizumab", "Tysabri"), ("vedolizumab", "Entyvio"), ("ustekinumab", "Stelara"),
         ("infliximab", "Remicade"), ("adalimumab", "Humira"), ("risankizumab", "Skyrizi"),
         ("upadacitinib", "Rinvoq"), ("certolizumab pegol", "Cimzia")]
DESIGNS = [("a retrospective cohort study", "Journal Article"),
           ("a randomized, double-blind, placebo-controlled trial", "Randomized Controlled Trial"),
           ("a case series", "Case Reports"), ("a systematic review and meta-analysis", "Meta-Analysis")]
JOURNALS = [("Journal of Crohn's and Colitis", "J Crohns Colitis"),
            ("Inflammatory Bowel Diseases", "Inflamm Bowel Dis"),
            ("Alimentary Pharmacology & Therapeutics", "Aliment Pharmacol Ther"),
            ("Gastroenterology", "Gastroenterology"), ("Gut", "Gut")]
FAMILIES = ["Garcia", "Smith", "Nakamura", "Okafor", "Lindqvist", "Rossi", "Haddad", "Kowalski"]
FILLER = ("Endoscopic healing, faecal calprotectin and C-reactive protein were assessed at baseline "
          "and during follow-up. Adverse events, infections and hospitalisations were recorded. ")
START = date(2016, 1, 1)
END = date(2026, 11, 1)


class Corpus:
    """Synthetic records per kind; record i of a kind is always the same."""

    def __init__(self, n_pubmed=30, n_epmc=20, n_crossref=20, n_rss_feeds=2, per_feed=10, n_html=6,
                 words=80):
        self.n = {"pubmed": n_pubmed, "epmc": n_epmc, "crossref": n_crossref, "html": n_html}
        self.n_rss_feeds, self.per_feed = n_rss_feeds, per_feed
        self.filler = (FILLER * (1 + words // 25))[: words * 7]
        self._days: dict[str, list[date]] = {}

    def day(self, kind: str, i: int) -> date:
        n_kind = self.n.get(kind) or max(1, self.n_rss_feeds * self.per_feed)
        return START + timedelta(days=(END - START).days * i // max(1, n_kind))

    def record(self, kind: str, i: int) -> dict:
        k = sum(map(ord, kind))
        drug, brand = DRUGS[(i + k) % len(DRUGS)]
        design, ptype = DESIGNS[(i // 3 + k) % len(DESIGNS)]
        journal, abbrev = JOURNALS[(i + 2 * k) % len(JOURNALS)]
        day = self.day(kind, i)
        cases = 1 if ptype == "Case Reports" and i % 2 else 20 + (i * 7) % 400
        # every tenth record of each kind is the same paper as PubMed record i: cross-feed dedupe
        shared = i % 10 == 0 and i < self.n["pubmed"]
        doi = f"10.5555/synth.pubmed.{i}" if shared else f"10.5555/synth.{kind}.{i}"
        pmid = str(30_000_000 + i) if (kind == "pubmed" or shared) else None
        subject = "a patient" if cases == 1 else f"{cases} patients"
        title = (f"{drug.capitalize()} ({brand}) in Crohn's disease: {design.split(' ', 1)[1]} "
                 f"#{kind}-{i}")
        abstract = (f"We report {design} of {subject} with Crohn's disease treated with {drug}. "
                    f"Clinical remission at week 52 was {20 + i % 50}% (p = 0.0{i % 9 + 1}). "
                    + self.filler)
        authors = [(FAMILIES[(i + j) % len(FAMILIES)], "AB"[j % 2] + "CDE"[i % 3]) for j in range(3)]
        return {"i": i, "title": title, "abstract": abstract, "authors": authors, "journal": journal,
                "abbrev": abbrev, "date": day, "doi": doi, "pmid": pmid, "ptype": ptype}

    def in_window(self, kind: str, lo: date, hi: date) -> list[int]:
        # a record's day grows with i: the window is a range, found by bisection, so a
        # page costs the server its records only (benchmarks serve 100,000 of them)
        days = self._days.get(kind)
        if days is None:
            days = self._days[kind] = [self.day(kind, i) for i in range(self.n[kind])]
        return list(range(bisect_left(days, lo), bisect_right(days, hi)))

    # --- PubMed --------------------------------------------------------------
    def esearch(self, q: dict) -> bytes:
        lo, hi = _ymd(q.get("mindate"), START), _ymd(q.get("maxdate"), date(2100, 1, 1))
        ids = self.in_window("pubmed", lo, hi)
        res = {"count": str(len(ids)), "retmax": "0", "idlist": []}
        if q.get("usehistory") == "y":
            res.update(webenv=f"W{lo.isoformat()}_{hi.isoformat()}", querykey="1")
        retmax = int(q.get("retmax") or 0)
        if retmax:
            res["idlist"] = [self.record("pubmed", i)["pmid"] for i in ids[:retmax]]
        return json.dumps({"header": {"type": "esearch"}, "esearchresult": res}).encode()

    def efetch(self, q: dict) -> bytes:
        if q.get("id"):
            wanted = [int(p) - 30_000_000 for p in q["id"].split(",")]
        else:
            lo, hi = (date.fromisoformat(x) for x in q["WebEnv"][1:].split("_"))
            ids = self.in_window("pubmed", lo, hi)
            start, count = int(q.get("retstart") or 0), int(q.get("retmax") or 20)
            wanted = ids[start:start + count]
        parts = [_pubmed_xml(self.record("pubmed", i)) for i in wanted]
        return ('<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, '
                '1st January 2025//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n'
                "<PubmedArticleSet>" + "".join(parts) + "</PubmedArticleSet>").encode()

    # --- Europe PMC ----------------------------------------------------------
    def epmc(self, q: dict) -> bytes:
        m = re.search(r"FIRST_PDATE:\[(\S+) TO (\S+)\]", q.get("query", ""))
        lo, hi = (date.fromisoformat(m.group(1)), date.fromisoformat(m.group(2))) if m else (START, END)
        ids = self.in_window("epmc", lo, hi)
        size = int(q.get("pageSize") or 25)
        cursor = q.get("cursorMark", "*")
        start = 0 if cursor == "*" else int(cursor.lstrip("c"))
        page = ids[start:start + size]
        nxt = f"c{start + len(page)}" if page else cursor
        return json.dumps({"version": "6.9", "hitCount": len(ids), "nextCursorMark": nxt,
                           "request": {"queryString": q.get("query", "")},
                           "resultList": {"result": [_epmc(self.record("epmc", i)) for i in page]}}).encode()

    # --- Crossref ------------------------------------------------------------
    def works(self, q: dict) -> bytes:
        filters = dict(f.split(":", 1) for f in (q.get("filter") or "").split(",") if ":" in f)
        lo = _ymd(filters.get("from-index-date") or filters.get("from-pub-date"), START)
        ids = self.in_window("crossref", lo, date(2100, 1, 1))
        rows = int(q.get("rows") or 20)
        cursor = q.get("cursor", "*")
        start = 0 if cursor == "*" else int(cursor.lstrip("c"))
        page = ids[start:start + rows]
        return json.dumps({"status": "ok", "message-type": "work-list", "message": {
            "total-results": len(ids), "items-per-page": rows, "next-cursor": f"c{start + len(page)}",
            "items": [_crossref(self.record("crossref", i)) for i in page]}}).encode()

    # --- RSS and pages -------------------------------------------------------
    def rss(self, feed: int, article_base: str | None = None) -> bytes:
        items = []
        for j in range(self.per_feed):
            i = feed * self.per_feed + j
            r = self.record("rss", i)
            when = datetime(r["date"].year, r["date"].month, r["date"].day, 8, tzinfo=timezone.utc)
            link = f"{article_base}/{i}.html" if article_base else f"https://journal.example.org/doi/{r['doi']}"
            items.append(
                f"<item><title>{escape(r['title'])}</title><link>{link}</link>"
                f"<guid isPermaLink=\"false\">doi:{r['doi']}</guid><pubDate>{format_datetime(when)}</pubDate>"
                f"<prism:doi>{r['doi']}</prism:doi><prism:publicationName>{escape(r['journal'])}"
                f"</prism:publicationName><dc:creator>{'; '.join(f'{a} {b}' for a, b in r['authors'])}</dc:creator>"
                f"<description><![CDATA[<p>{escape(r['abstract'])}</p>]]></description></item>")
        return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
                'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:prism="http://prismstandard.org/namespaces/basic/2.0/">'
                f"<channel><title>Synthetic journal feed {feed}</title><link>https://journal.example.org/</link>"
                "<description>sample</description>" + "".join(items) + "</channel></rss>").encode()

    def listing(self, page: int, per_page: int = 50) -> bytes:
        n = self.n["html"]
        links = "".join(f'<li><a class="post-title" href="/news/{i}.html">Story {i}</a> '
                        f'<time datetime="{self.record("html", i)["date"].isoformat()}">posted</time></li>'
                        for i in range(page * per_page, min(n, (page + 1) * per_page)))
        nxt = f'<a rel="next" class="next" href="/news/index.html?page={page + 1}">Older</a>' \
            if (page + 1) * per_page < n else ""
        return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>News</title></head><body>"
                f"<nav><a href='/'>Home</a></nav><main><ul>{links}</ul>{nxt}</main></body></html>").encode()

    def page(self, i: int) -> bytes:
        r = self.record("html", i)
        n_word = r["abstract"].split(" of ", 1)[1].split(" with ")[0]
        return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{escape(r['title'])}</title>"
                f"<meta property='og:type' content='article'>"
                f"<meta property='article:published_time' content='{r['date'].isoformat()}'></head><body>"
                f"<nav><a href='/'>Home</a> <a href='/t/golimumab'>Golimumab</a></nav><article>"
                f"<h1>{escape(r['title'])}</h1><p>A study published in {escape(r['journal'])} in "
                f"{r['date'].year} reported on {escape(n_word)} with Crohn's disease treated with "
                f"{r['title'].split(' ')[0].lower()}.</p><p>{escape(r['abstract'])}</p></article>"
                f"<footer>Newsletter</footer></body></html>").encode()


    def article(self, i: int) -> bytes:
        """The journal page of RSS item i: citation_* tags, abstract and a little more text."""
        r = self.record("rss", i)
        authors = "".join(f"<meta name='citation_author' content='{a}, {b}'>" for a, b in r["authors"])
        return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{escape(r['title'])}</title>"
                f"<meta name='citation_title' content='{escape(r['title'], quote=True)}'>{authors}"
                f"<meta name='citation_journal_title' content='{escape(r['journal'], quote=True)}'>"
                f"<meta name='citation_doi' content='{r['doi']}'>"
                f"<meta name='citation_publication_date' content='{r['date'].isoformat()}'></head><body>"
                f"<article><h1>{escape(r['title'])}</h1><section class='abstract'><p>{escape(r['abstract'])}</p>"
                f"</section><p>{escape(self.filler)}</p></article></body></html>").encode()


class TrialsSite:
    """Registrations, a preprint and the journal papers that report them.

    Generation 0: two registrations (one recruiting), a medRxiv preprint not
    yet published and a journal paper citing the first trial. Generation 1
    (set `generation = 1`): the first trial has finished recruiting (updated
    today), the server posts the preprint's second version naming its
    journal DOI, and the journal feed carries that paper.
    """

    PREPRINT = "10.1101/2024.01.12.24301210"
    JOURNAL = "10.5555/synth.gastro.2025.017"

    def __init__(self) -> None:
        self.generation = 0

    @staticmethod
    def today() -> date:
        return datetime.now(timezone.utc).date()

    def studies(self) -> list[dict]:
        g1 = self.generation >= 1
        updated = self.today().isoformat() if g1 else "2024-03-18"
        return [
            _study("NCT04102111", "Mirikizumab Maintenance Therapy in Crohn's Disease", "PHASE3",
                   "ACTIVE_NOT_RECRUITING" if g1 else "RECRUITING", "2019-10-25", updated,
                   1152 if g1 else 1100, "ACTUAL" if g1 else "ESTIMATED", "RANDOMIZED", "INTERVENTIONAL",
                   [("DRUG", "Mirikizumab", ["LY3074828"]), ("DRUG", "Placebo", [])]),
            _study("NCT05334222", "Guselkumab Exposure in Pregnancy With Crohn's Disease", None, "RECRUITING",
                   "2022-04-19", "2022-04-19", 300, "ESTIMATED", None, "OBSERVATIONAL",
                   [("DRUG", "Tremfya", [])]),
            _study("NCT03927001", "Vedolizumab Dose Escalation in Perianal Crohn's Disease", "PHASE2",
                   "TERMINATED", "2019-04-25", "2023-01-09", 14, "ACTUAL", "NA", "INTERVENTIONAL",
                   [("BIOLOGICAL", "Entyvio", ["MLN0002"])]),
        ]

    def ctgov(self, q: dict) -> bytes:
        m = re.search(r"RANGE\[(\d{4}-\d{2}-\d{2}),MAX\]", q.get("filter.advanced", ""))
        lo = date.fromisoformat(m.group(1)) if m else START
        found = [s for s in self.studies() if date.fromisoformat(
            s["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"]) >= lo]
        size = int(q.get("pageSize") or 10)
        start = int(q.get("pageToken") or 0)
        out: dict = {"studies": found[start:start + size], "totalCount": len(found)}
        if start + size < len(found):
            out["nextPageToken"] = str(start + size)
        return json.dumps(out).encode()

    def preprints(self) -> list[dict]:
        first = {"doi": self.PREPRINT, "title": "Mirikizumab maintenance in Crohn's disease: week-52 outcomes",
                 "authors": "Hale, R.; Ito, K.", "date": "2024-01-15", "version": "1", "type": "new results",
                 "category": "gastroenterology", "published": "NA", "server": "medRxiv",
                 "abstract": "A post hoc analysis of the maintenance trial NCT04102111 in 640 adults with "
                             "Crohn's disease treated with mirikizumab."}
        other = {"doi": "10.1101/2024.02.02.24302001", "title": "Hand hygiene in outpatient clinics",
                 "authors": "Moreau, C.", "date": "2024-02-02", "version": "1", "category": "infectious diseases",
                 "published": "NA", "server": "medRxiv", "abstract": "A survey of 512 clinic staff."}
        out = [first, other]
        if self.generation >= 1:
            out.append(dict(first, version="2", date=self.today().isoformat(), published=self.JOURNAL))
        return out

    def details(self, lo: date, hi: date, cursor: int, per_page: int = 2) -> bytes:
        found = [p for p in self.preprints() if lo <= date.fromisoformat(p["date"]) <= hi]
        page = found[cursor:cursor + per_page]
        if not found:
            return json.dumps({"messages": [{"status": "no posts found"}]}).encode()
        return json.dumps({"messages": [{"status": "ok", "interval": f"{lo}/{hi}", "cursor": str(cursor),
                                         "count": len(page), "total": str(len(found))}],
                           "collection": page}).encode()

    def journal_feed(self) -> bytes:
        items = [("10.5555/synth.jcc.2024.101", "Mirikizumab induction in Crohn's disease: the phase 3 results",
                  "Results of the randomised trial NCT04102111 in 1,100 adults with Crohn's disease.",
                  "Mon, 03 Jun 2024 08:00:00 GMT")]
        if self.generation >= 1:
            items.append((self.JOURNAL, "Mirikizumab maintenance in Crohn's disease: week-52 outcomes",
                          "Week-52 outcomes of the maintenance trial NCT04102111 in 640 adults with Crohn's "
                          "disease treated with mirikizumab.", "Tue, 01 Jul 2025 08:00:00 GMT"))
        body = "".join(
            f"<item><title>{escape(t)}</title><link>https://journal.example.org/doi/{d}</link>"
            f"<guid isPermaLink=\"false\">doi:{d}</guid><pubDate>{when}</pubDate><prism:doi>{d}</prism:doi>"
            f"<prism:publicationName>Gastroenterology</prism:publicationName>"
            f"<description>{escape(a)}</description></item>" for d, t, a, when in items)
        return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
                'xmlns:prism="http://prismstandard.org/namespaces/basic/2.0/"><channel><title>Trials journal'
                '</title><link>https://journal.example.org/</link><description>sample</description>'
                + body + "</channel></rss>").encode()


def _study(nct: str, title: str, phase: str | None, status: str, posted: str, updated: str, count: int,
           count_type: str, allocation: str | None, kind: str, interventions: list) -> dict:
    design: dict = {"studyType": kind, "enrollmentInfo": {"count": count, "type": count_type}}
    if phase:
        design["phases"] = [phase]
    if allocation:
        design["designInfo"] = {"allocation": allocation}
    return {"protocolSection": {
        "identificationModule": {"nctId": nct, "briefTitle": title},
        "statusModule": {"overallStatus": status, "studyFirstPostDateStruct": {"date": posted},
                         "lastUpdatePostDateStruct": {"date": updated}},
        "sponsorCollaboratorsModule": {"leadSponsor": {"name": "Sample Trials Unit"}},
        "descriptionModule": {"briefSummary": f"{title}: a sample registration."},
        "conditionsModule": {"conditions": ["Crohn Disease"]},
        "designModule": design,
        "armsInterventionsModule": {"interventions": [{"type": t, "name": n, "otherNames": o}
                                                      for t, n, o in interventions]}},
        "hasResults": False}


def _ymd(text: str | None, default: date) -> date:
    if not text:
        return default
    return date.fromisoformat(text.replace("/", "-")[:10])


def _pubmed_xml(r: dict) -> str:
    authors = "".join(f"<Author ValidYN=\"Y\"><LastName>{a}</LastName><ForeName>{b}</ForeName>"
                      f"<Initials>{b}</Initials></Author>" for a, b in r["authors"])
    d = r["date"]
    return (f"<PubmedArticle><MedlineCitation Status=\"MEDLINE\" Owner=\"NLM\"><PMID Version=\"1\">{r['pmid']}</PMID>"
            f"<Article PubModel=\"Print-Electronic\"><Journal><JournalIssue CitedMedium=\"Internet\"><PubDate>"
            f"<Year>{d.year}</Year><Month>{d.strftime('%b')}</Month></PubDate></JournalIssue>"
            f"<Title>{escape(r['journal'])}</Title><ISOAbbreviation>{escape(r['abbrev'])}</ISOAbbreviation></Journal>"
            f"<ArticleTitle>{escape(r['title'])}</ArticleTitle><Abstract><AbstractText>{escape(r['abstract'])}"
            f"</AbstractText></Abstract><AuthorList CompleteYN=\"Y\">{authors}</AuthorList><Language>eng</Language>"
            f"<PublicationTypeList><PublicationType UI=\"D016428\">Journal Article</PublicationType>"
            f"<PublicationType>{r['ptype']}</PublicationType></PublicationTypeList></Article>"
            f"<MeshHeadingList><MeshHeading><DescriptorName MajorTopicYN=\"Y\">Crohn Disease</DescriptorName>"
            f"</MeshHeading></MeshHeadingList></MedlineCitation><PubmedData><History><PubMedPubDate PubStatus=\"entrez\">"
            f"<Year>{d.year}</Year><Month>{d.month}</Month><Day>{d.day}</Day></PubMedPubDate></History>"
            f"<ArticleIdList><ArticleId IdType=\"pubmed\">{r['pmid']}</ArticleId>"
            f"<ArticleId IdType=\"doi\">{r['doi']}</ArticleId></ArticleIdList></PubmedData></PubmedArticle>")


def _epmc(r: dict) -> dict:
    out = {"id": r["pmid"] or r["doi"], "source": "MED" if r["pmid"] else "PPR", "doi": r["doi"],
           "title": r["title"], "authorString": ", ".join(f"{a} {b}" for a, b in r["authors"]),
           "authorList": {"author": [{"fullName": f"{a} {b}", "lastName": a, "initials": b}
                                     for a, b in r["authors"]]},
           "journalInfo": {"journal": {"title": r["journal"], "isoabbreviation": r["abbrev"]},
                           "yearOfPublication": r["date"].year},
           "pubYear": str(r["date"].year), "abstractText": f"<p>{escape(r['abstract'])}</p>",
           "language": "eng", "pubTypeList": {"pubType": ["research-article", r["ptype"]]},
           "firstPublicationDate": r["date"].isoformat()}
    if r["pmid"]:
        out["pmid"] = r["pmid"]
    return out


def _crossref(r: dict) -> dict:
    d = r["date"]
    return {"DOI": r["doi"], "type": "journal-article", "title": [r["title"]],
            "container-title": [r["journal"]], "short-container-title": [r["abbrev"]],
            "issued": {"date-parts": [[d.year, d.month, d.day]]},
            "author": [{"given": b, "family": a, "sequence": "first" if j == 0 else "additional"}
                       for j, (a, b) in enumerate(r["authors"])],
            "abstract": f"<jats:p>{escape(r['abstract'])}</jats:p>", "URL": f"https://doi.org/{r['doi']}",
            "language": "en"}


class SampleServer:
    """Serve a Corpus on 127.0.0.1 in a background thread; counts requests."""

    def __init__(self, corpus: Corpus | None = None, port: int = 0, *, validators: bool = True,
                 rss_pages: bool = False, trials: bool = False):
        self.corpus = corpus or Corpus()
        self.trials = TrialsSite() if trials else None
        self.validators, self.rss_pages = validators, rss_pages
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                # headers and body go out in two writes: without this, Nagle and
                # delayed ACKs add 40 ms to every keep-alive response
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_GET(self):
                self._answer(b"")

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                self._answer(self.rfile.read(n) if n else b"")

            def _answer(self, body: bytes):
                parts = urlsplit(self.path)
                q = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                q.update({k: v[-1] for k, v in parse_qs(body.decode()).items()})
                server.requests.append(parts.path)
                status, ctype, payload = server.route(parts.path, q)
                etag = f'"{hash(payload) & 0xffffffff:x}"'
                if server.validators and status == 200 and self.headers.get("If-None-Match") == etag:
                    status, payload = 304, b""
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                if server.validators and status in (200, 304):
                    self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def route(self, path: str, q: dict) -> tuple[int, str, bytes]:
        c = self.corpus
        if path == "/robots.txt":
            return 200, "text/plain", b"User-agent: *\nDisallow: /private/\n"
        if path == "/eutils/esearch.fcgi":
            return 200, "application/json", c.esearch(q)
        if path == "/eutils/efetch.fcgi":
            return 200, "text/xml; charset=UTF-8", c.efetch(q)
        if path == "/epmc/search":
            return 200, "application/json;charset=UTF-8", c.epmc(q)
        if path == "/crossref/works":
            return 200, "application/json", c.works(q)
        m = re.fullmatch(r"/rss/feed(\d+)\.xml", path)
        if m and int(m.group(1)) < c.n_rss_feeds:
            pages = f"{self.url}/articles" if self.rss_pages else None
            return 200, "application/rss+xml; charset=UTF-8", c.rss(int(m.group(1)), pages)
        m = re.fullmatch(r"/articles/(\d+)\.html", path)
        if m and self.rss_pages and int(m.group(1)) < c.n_rss_feeds * c.per_feed:
            return 200, "text/html; charset=utf-8", c.article(int(m.group(1)))
        if path == "/news/index.html":
            return 200, "text/html; charset=utf-8", c.listing(int(q.get("page") or 0))
        if self.trials is not None:
            t = self.trials
            if path == "/ctgov/studies":
                return 200, "application/json", t.ctgov(q)
            m = re.fullmatch(r"/rxiv/details/medrxiv/(\d{4}-\d{2}-\d{2})/(\d{4}-\d{2}-\d{2})/(\d+)(?:/json)?", path)
            if m:
                lo, hi = date.fromisoformat(m.group(1)), date.fromisoformat(m.group(2))
                return 200, "application/json", t.details(lo, hi, int(m.group(3)))
            if path == "/trials/journal.xml":
                return 200, "application/rss+xml; charset=UTF-8", t.journal_feed()
        m = re.fullmatch(r"/news/(\d+)\.html", path)
        if m and int(m.group(1)) < c.n["html"]:
            return 200, "text/html; charset=utf-8", c.page(int(m.group(1)))
        return 404, "text/plain", b"not found"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def feeds_yaml(self, index: str = "index", rate_limit: float = 1000, html_pages: int = 10) -> str:
        c, u = self.corpus, self.url
        lines = [f"index: {index}", "contact_email: demo@example.org",
                 f"defaults:\n  rate_limit: {rate_limit}\n  since: 2015-01-01",
                 "filters:\n  include_any: [crohn, \"inflammatory bowel\"]", "feeds:"]
        if c.n["pubmed"]:
            lines.append(f"  - name: pubmed-sample\n    kind: pubmed\n    query: crohn disease\n    base_url: {u}/eutils/")
        if c.n["epmc"]:
            lines.append(f"  - name: europepmc-sample\n    kind: europepmc\n    query: crohn\n    base_url: {u}/epmc/")
        if c.n["crossref"]:
            lines.append(f"  - name: crossref-sample\n    kind: crossref\n    query: crohn\n    base_url: {u}/crossref/")
        for k in range(c.n_rss_feeds):
            lines.append(f"  - name: rss-sample-{k}\n    kind: rss\n    url: {u}/rss/feed{k}.xml"
                         + ("\n    fetch_articles: true" if self.rss_pages else ""))
        if c.n["html"]:
            pages = max(1, -(-c.n["html"] // 50))
            lines.append(f"  - name: news-sample\n    kind: html\n    url: {u}/news/index.html\n"
                         f"    article_links: a.post-title\n    next_page: a.next\n    max_pages: {pages}")
        if self.trials is not None:
            lines.append(f"  - name: ctgov-sample\n    kind: clinicaltrials\n    query: Crohn disease\n"
                         f"    page_size: 2\n    base_url: {u}/ctgov/")
            lines.append(f"  - name: medrxiv-sample\n    kind: preprints\n    server: medrxiv\n    base_url: {u}/rxiv/")
            lines.append(f"  - name: trials-journal-sample\n    kind: rss\n    url: {u}/trials/journal.xml")
        return "\n".join(lines) + "\n"

    def __enter__(self) -> SampleServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--write-config", metavar="FILE", help="write a feeds.yaml for this server and keep serving")
    ap.add_argument("--no-validators", action="store_true", help="send no ETag (and so never 304)")
    ap.add_argument("--rss-pages", action="store_true", help="serve RSS items' pages; feeds get fetch_articles")
    ap.add_argument("--trials", action="store_true",
                    help="also serve ClinicalTrials.gov, medRxiv and a journal feed reporting the trials")
    ap.add_argument("--generation", type=int, default=0, choices=(0, 1),
                    help="with --trials: 1 serves a trial's status change and a preprint's journal version")
    args = ap.parse_args()
    srv = SampleServer(port=args.port, validators=not args.no_validators, rss_pages=args.rss_pages,
                       trials=args.trials)
    if srv.trials is not None:
        srv.trials.generation = args.generation
    if args.write_config:
        with open(args.write_config, "w", encoding="utf-8") as fp:
            fp.write(srv.feeds_yaml())
    print(f"serving sample PubMed, Europe PMC, Crossref, RSS and news at {srv.url} (Ctrl-C stops)", flush=True)
    try:
        srv.httpd.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
