"""ClinicalTrials.gov API v2 (/studies): trial registrations as records.

A feed searches by free text (`query`), `condition` and/or `intervention`.
Pages follow nextPageToken until it is missing or comes back unchanged.
Runs after the first ask only for studies whose last update was posted on
or after the day the previous run covered (the window's overlap day), so a
registration whose status changed is fetched again and updates its record
(identity nct:NCT...), never a second one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tracker.dates import valid_year
from tracker.errors import ConfigError, ParseError
from tracker.extract.drugs import find_drugs
from tracker.fetch.http import Limits
from tracker.lexicon.drugs import generic_of
from tracker.models import Article, normalize_nct
from tracker.sources import window
from tracker.sources.base import FetchContext, KeySpec, Source, check_int_at_most, check_text, register
from tracker.sources.markup import dedupe, load_json, squash
from tracker.sources.paging import Pager
from tracker.sources.records import RecordError, registry_article

MAX_PAGE = 1000  # the API's largest pageSize
LANDING = "https://clinicaltrials.gov/study/{nct}"
# A detailed description this short is added to the brief summary; longer
# ones are protocol text that would drown the summary in searches.
SHORT_DESCRIPTION = 1500
# Overall statuses as the record stores them (lower case; DESIGN's "active"
# for a study that goes on without recruiting).
STATUS = {"ACTIVE_NOT_RECRUITING": "active"}
INTERVENTION_DRUG_TYPES = frozenset({"DRUG", "BIOLOGICAL"})


@register
class ClinicalTrialsSource(Source):
    kind = "clinicaltrials"
    required_any = ("query", "condition", "intervention")
    keys = {
        "condition": KeySpec(check_text, "condition searched (query.cond), e.g. Crohn Disease"),
        "intervention": KeySpec(check_text, "intervention searched (query.intr), e.g. vedolizumab"),
        "page_size": KeySpec(check_int_at_most(MAX_PAGE, "ClinicalTrials.gov's largest page"),
                             f"studies per request (1-{MAX_PAGE}, default {MAX_PAGE})"),
    }
    default_base_url = "https://clinicaltrials.gov/api/v2/"
    registry_api = True

    def items(self, ctx: FetchContext) -> Iterator[Article]:
        feed = ctx.feed
        search = {"query.term": feed.query, "query.cond": feed.option("condition"),
                  "query.intr": feed.option("intervention")}
        search = {k: v for k, v in search.items() if v}
        if not search:
            raise ConfigError(f"{feed.name}: a clinicaltrials feed needs 'query', 'condition' or 'intervention'.")
        base = feed.base_url or self.default_base_url
        limits = Limits(feed.rate_limit, feed.timeout, feed.max_bytes)
        scope = {"condition": feed.option("condition"), "intervention": feed.option("intervention")}
        end = window.today()
        start, _ = window.window(ctx, end, **scope)
        params: dict[str, Any] = {
            **search,
            "filter.advanced": f"AREA[LastUpdatePostDate]RANGE[{start.isoformat()},MAX]",
            "pageSize": int(feed.option("page_size", MAX_PAGE)),
            "format": "json",
        }
        pager = Pager(ctx, unit="studies")
        token: str | None = None
        read = 0
        while pager.next_page(token):
            resp = ctx.http.get(base + "studies", params=dict(params, pageToken=token) if token else params,
                                limits=limits)
            page = pager.read(parse_page, resp.content, "ClinicalTrials.gov")
            if page is None:
                return
            studies, next_token, total = page
            yield from pager.each(studies, parse_study, "ClinicalTrials.gov", prefix=f"{feed.name}: ")
            read += len(studies)
            if ctx.progress is not None and total is not None:
                ctx.progress(f"{feed.name}: {read} of {total} studies")
            if not studies or not next_token or not pager.room():
                break
            token = next_token
        if pager.stopped is None:
            # a stopped run did not see the whole window: the next run asks for it again
            window.stage(ctx, end, **scope)


def parse_page(body: bytes) -> tuple[list[Any], str | None, int | None]:
    """(studies, nextPageToken, totalCount) of one /studies response."""
    data = load_json(body, "ClinicalTrials.gov")
    studies = data.get("studies") if isinstance(data, dict) else None
    if not isinstance(studies, list):
        raise ParseError("ClinicalTrials.gov returned JSON without a list of studies.")
    token = data.get("nextPageToken")
    total = data.get("totalCount")
    return (studies, token if isinstance(token, str) and token else None,
            total if isinstance(total, int) else None)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str | None:
    return squash(value) if isinstance(value, str) else None


def parse_study(study: Any) -> Article | RecordError:
    """One study of the /studies list -> a registration record."""
    proto = _dict(_dict(study).get("protocolSection"))
    ident = _dict(proto.get("identificationModule"))
    nct = normalize_nct(ident.get("nctId"))
    if nct is None:
        return RecordError("a study without an NCT number was skipped.")
    status = _dict(proto.get("statusModule"))
    design = _dict(proto.get("designModule"))
    desc = _dict(proto.get("descriptionModule"))
    posted = _date(_dict(status.get("studyFirstPostDateStruct")).get("date"))
    count, basis = enrolment(design)
    article = registry_article(
        title=_str(ident.get("briefTitle")) or _str(ident.get("officialTitle")),
        abstract=_abstract(desc),
        authors=_sponsors(proto),
        year=valid_year((posted or "")[:4]),
        published=posted,
        url=LANDING.format(nct=nct),
        study_type=study_type(design),
        case_count=count,
        drugs=sorted(trial_drugs(proto)),
        keywords=dedupe(_str(c) for c in [*_list(_dict(proto.get("conditionsModule")).get("conditions")),
                                             *_list(_dict(proto.get("conditionsModule")).get("keywords"))]),
        phase=phase(design.get("phases")),
        trial_status=trial_status(status.get("overallStatus")),
    )
    article.registration = nct
    article.nct_ids = [nct]
    if count is not None:
        article.case_count_evidence = f"{basis} enrolment: {count} participants (ClinicalTrials.gov)"
    return article


def _abstract(desc: dict[str, Any]) -> str | None:
    summary = _str(desc.get("briefSummary"))
    detail = _str(desc.get("detailedDescription"))
    if detail and len(detail) <= SHORT_DESCRIPTION and detail != summary:
        return " ".join(filter(None, (summary, detail)))
    return summary or detail


def _sponsors(proto: dict[str, Any]) -> list[str]:
    sponsors = _dict(proto.get("sponsorCollaboratorsModule"))
    names = [_str(_dict(sponsors.get("leadSponsor")).get("name"))]
    names += [_str(_dict(c).get("name")) for c in _list(sponsors.get("collaborators"))]
    return dedupe(names)


def enrolment(design: dict[str, Any]) -> tuple[int | None, str]:
    """(count, "Actual" or "Anticipated") from enrollmentInfo."""
    info = _dict(design.get("enrollmentInfo"))
    count = info.get("count")
    if isinstance(count, bool) or not isinstance(count, int) or count <= 0:
        return None, ""
    return count, "Actual" if str(info.get("type", "")).upper() == "ACTUAL" else "Anticipated"


def study_type(design: dict[str, Any]) -> str:
    kind = str(design.get("studyType", "")).upper()
    allocation = str(_dict(design.get("designInfo")).get("allocation", "")).upper()
    if kind == "INTERVENTIONAL" and allocation == "RANDOMIZED":
        return "rct"
    if kind == "OBSERVATIONAL":
        return "cohort"
    return "other"


def phase(phases: Any) -> str | None:
    """["PHASE2", "PHASE3"] -> "phase 2/3"; ["EARLY_PHASE1"] -> "early phase 1"; "NA" -> None."""
    numbers, early = [], False
    for value in _list(phases):
        text = str(value).upper()
        if text.startswith("EARLY_PHASE"):
            early = True
            text = text[len("EARLY_"):]
        if text.startswith("PHASE") and text[5:].isdigit():
            numbers.append(text[5:])
    if not numbers:
        return None
    return ("early " if early and numbers == ["1"] else "") + "phase " + "/".join(sorted(set(numbers)))


def trial_status(value: Any) -> str | None:
    text = _str(value)
    if not text:
        return None
    return STATUS.get(text.upper(), text.lower().replace(" ", "_"))


def trial_drugs(proto: dict[str, Any]) -> set[str]:
    """Generic names of the drug and biological interventions, brands and codes mapped."""
    found: set[str] = set()
    for item in _list(_dict(proto.get("armsInterventionsModule")).get("interventions")):
        item = _dict(item)
        if str(item.get("type", "")).upper() not in INTERVENTION_DRUG_TYPES:
            continue
        for name in [item.get("name"), *_list(item.get("otherNames"))]:
            if not isinstance(name, str):
                continue
            # a bare name or code ("MLN0002"), else the names inside "vedolizumab IV 300 mg"
            generic = generic_of(name)
            found.update({generic} if generic else find_drugs(name))
    return found


def _date(value: Any) -> str | None:
    """'2023-10-27' or '2023-10' as given; anything else None."""
    text = _str(value) or ""
    parts = text.split("-")
    if 1 <= len(parts) <= 3 and all(p.isdigit() for p in parts) and len(parts[0]) == 4:
        return text
    return None
