"""Rules of the article-page extractor, kept as data.

The cascade in page.py reads these tables in order: Highwire citation_*
tags, then Dublin Core, then PRISM, then JSON-LD, then OpenGraph/Twitter
and plain meta tags, then the HTML itself. Meta names are matched in lower
case. Journal, year and DOI are taken only from the scholarly layers
(citation_*, DC source, PRISM, scholarly JSON-LD): a news or blog page's own
date is its `published` date, never the study's year.
"""

from __future__ import annotations

# Bounds that keep any page to bounded time and memory.
MAX_HTML_BYTES = 5_000_000      # characters of HTML parsed
MAX_RAW_BYTES = 20_000_000      # bytes decoded (oversized attributes are dropped before the cut)
MAX_ATTRIBUTE_CHARS = 100_000   # a longer attribute value (inline data blob) is emptied
MAX_META_CHARS = 20_000         # one meta value; longer values are cut
MAX_JSONLD_CHARS = 1_000_000    # one JSON-LD script
MAX_JSONLD_NODES = 2_000        # nodes visited across all JSON-LD scripts
MAX_BODY_CHARS = 300_000        # main text kept for the index
MAX_ABSTRACT_CHARS = 6_000

# The masthead: the first lines of a page's text, read for a journal and
# issue line when no meta tag names them (masthead.py).
MASTHEAD_CHARS = 6_000          # characters of visible text read from the top of the page
MASTHEAD_LINES = 60
MASTHEAD_LINE_CHARS = 300       # longer lines are prose, not a masthead
MASTHEAD_NEAR = 4               # a bare journal name counts within this many lines of an issue line
# Lines whose years are not the article's: metrics, history dates, copyright.
MASTHEAD_SKIP = ("impact", "impacto", "citescore", "h-index", "indice h", "índice h", "factor de", "quartile",
                 "cuartil", "ranking", "jcr", "received", "accepted", "revised", "submitted", "recibido",
                 "aceptado", "recebido", "aceito", "copyright", "©")
# At most this many distinct DOIs in a page's main text: more, and it is citing, not reporting.
MAX_BODY_DOIS = 3

# --- meta names per field, per layer (first name with a value wins) -------

HIGHWIRE = {
    "title": ("citation_title",),
    "authors": ("citation_author", "citation_authors"),
    "journal": ("citation_journal_title", "citation_conference_title"),
    "journal_abbrev": ("citation_journal_abbrev",),
    "date": ("citation_publication_date", "citation_date", "citation_cover_date",
             "citation_online_date", "citation_year"),
    "doi": ("citation_doi", "bepress_citation_doi"),
    "pmid": ("citation_pmid",),
    "pmcid": ("citation_pmcid",),
    "abstract": ("citation_abstract",),
    "language": ("citation_language",),
    "keywords": ("citation_keywords", "citation_keyword"),
    "article_type": ("citation_article_type",),
}

# Dublin Core: both the DC.* and DCTERMS.* spellings, lower-cased.
DUBLIN_CORE = {
    "title": ("dc.title", "dcterms.title"),
    "authors": ("dc.creator", "dcterms.creator", "dc.creator.personalname", "dc.contributor.author"),
    "journal": ("dc.source", "dcterms.source", "dc.relation.ispartof", "dcterms.ispartof",
                "dcterms.bibliographiccitation.jtitle"),
    "date": ("dc.date", "dcterms.date", "dc.date.issued", "dcterms.issued", "dcterms.created",
             "dc.date.created", "dcterms.available"),
    "identifier": ("dc.identifier", "dcterms.identifier", "dc.identifier.doi"),
    "abstract": ("dcterms.abstract", "dc.description.abstract"),
    "description": ("dc.description", "dcterms.description"),
    "language": ("dc.language", "dcterms.language", "dc.language.iso"),
    "keywords": ("dc.subject", "dcterms.subject"),
    "article_type": ("dc.type",),
}

PRISM = {
    "journal": ("prism.publicationname",),
    "date": ("prism.publicationdate", "prism.coverdate", "prism.coverdisplaydate"),
    "doi": ("prism.doi",),
    "title": ("prism.title",),
}

# OpenGraph, Twitter cards, article:*, itemprop and plain meta names.
SOCIAL = {
    "title": ("og:title", "twitter:title", "parsely-title", "sailthru.title"),
    "authors": ("author", "article:author", "parsely-author", "sailthru.author", "byl"),
    "published": ("article:published_time", "og:published_time", "og:article:published_time",
                  "datepublished", "date", "pubdate", "publishdate", "publish-date",
                  "publication_date", "sailthru.date", "parsely-pub-date", "dc.date"),
    "description": ("description", "og:description", "twitter:description"),
    "language": ("og:locale", "content-language", "language"),
    "keywords": ("keywords", "news_keywords", "article:tag"),
    "type": ("og:type",),
    "url": ("og:url",),
    "site_name": ("og:site_name", "application-name"),
}

# --- JSON-LD types ---------------------------------------------------------

# Types whose journal, year and DOI are those of a study.
SCHOLARLY_TYPES = frozenset({"scholarlyarticle", "medicalscholarlyarticle"})
# Page types whose date is the page's own; title/abstract/authors only.
PAGE_TYPES = frozenset({
    "article", "newsarticle", "blogposting", "reportagenewsarticle", "analysisnewsarticle",
    "backgroundnewsarticle", "opinionnewsarticle", "reviewnewsarticle", "medicalwebpage",
    "socialmediaposting", "techarticle", "report",
})
PERIODICAL_TYPES = frozenset({"periodical", "publicationvolume", "publicationissue"})
# Names of JSON-LD author entries that are groups rather than persons.
ORGANIZATION_TYPES = frozenset({"organization", "researchorganization", "newsmediaorganization",
                                "medicalorganization", "collegeoruniversity"})

# --- main text -------------------------------------------------------------

# Elements removed wholesale before the main text is read.
DROP_TAGS = frozenset({
    "script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form",
    "iframe", "svg", "button", "select", "input", "textarea", "object", "embed", "canvas",
    "dialog", "menu", "head", "title", "meta", "link", "map", "audio", "video", "picture",
})
DROP_ROLES = frozenset({
    "navigation", "banner", "contentinfo", "complementary", "search", "dialog", "alertdialog",
    "menu", "menubar", "toolbar", "doc-bibliography", "doc-endnotes",
})
# id/class words that mark boilerplate. A "token" word must be a whole word
# of the id/class (split on -, _, spaces and camelCase): "ad" must not hit
# "header" or "download". A "substring" word may appear anywhere.
BOILERPLATE_TOKENS = frozenset({
    "ad", "ads", "advert", "adverts", "advertisement", "advertising", "banner", "nav", "navbar",
    "menu", "share", "sharing", "shares", "social", "related", "comments", "comment",
    "sidebar", "breadcrumb", "breadcrumbs", "promo", "popup", "modal", "toolbar", "masthead",
    "footer", "header", "subscribe", "subscription", "newsletter", "signup", "widget",
    "recommended", "recommendations", "trending", "popular", "tags", "pagination", "pager",
    "sponsored", "sponsor", "print", "byline", "author-bio", "disclaimer", "overlay", "skip",
})
BOILERPLATE_SUBSTRINGS = (
    "cookie", "consent", "gdpr", "newsletter", "subscribe", "sidebar", "breadcrumb",
    "advertis", "outbrain", "taboola", "disqus", "sharebar", "share-bar", "social-share",
    "socialshare", "related-articles", "relatedarticles", "related-posts", "relatedposts",
    "more-stories", "most-read", "mostread", "most-popular", "read-more", "readmore",
    "paywall", "signup", "sign-up", "onetrust", "cmp-", "skip-link",
)
# Layout words that themes also put on wrappers of the content itself
# ("content-sidebar-wrap", "has-sidebar", "no-header"): the block holding
# the most paragraph text and its ancestors are not removed for these alone.
LAYOUT_TOKENS = frozenset({
    "sidebar", "header", "footer", "nav", "navbar", "menu", "masthead", "widget", "banner",
})
# Containers whose id/class marks a reference list.
REFERENCE_MARKERS = (
    "references", "reference-list", "ref-list", "reflist", "bibliography", "citation-list",
    "citationlist", "literature-cited", "referencias", "referencias-bibliograficas",
    "referencias-bibliográficas", "referencias_bibliograficas", "bibliografia",
    "referencias-list", "refs",
)
# Headings that start a reference list (lower case, trailing ':' dropped).
REFERENCE_HEADINGS = frozenset({
    "references", "reference", "bibliography", "literature cited", "works cited",
    "cited literature", "references and notes", "notes and references", "sources",
    "referencias", "referencias bibliográficas", "referencias bibliograficas", "bibliografía",
    "bibliografia", "referências", "referências bibliográficas", "referencias bibliográficas:",
    "literatura citada", "références", "literatur", "literaturverzeichnis",
})
# Where an abstract lives in the HTML, when no meta tag gives it.
ABSTRACT_SELECTORS = (
    "abstract", "section.abstract", "div#abstract", "section#abstract", "div.abstract",
    "[role=doc-abstract]", "div.article-abstract", "section.article-section__abstract",
    "div.abstract-content", "div#abstracts", "div.hlFld-Abstract",
)
ABSTRACT_HEADINGS = frozenset({"abstract", "summary", "resumen", "resumo", "résumé", "zusammenfassung"})

# Block-level tags: each starts a new line in the main text.
BLOCK_TAGS = frozenset({
    "p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul",
    "ol", "dl", "dt", "dd", "blockquote", "pre", "table", "tr", "caption",
    "figure", "figcaption", "br", "hr", "address", "details", "summary", "abstract",
})
MAIN_SELECTORS = (
    "[itemprop=articleBody]", "article", "main", "[role=main]",
)
MIN_MAIN_CHARS = 200  # a main container shorter than this is not trusted

# --- authors ---------------------------------------------------------------

NAME_PARTICLES = frozenset({
    "van", "von", "der", "den", "de", "del", "della", "di", "da", "das", "dos", "du", "la",
    "le", "ter", "ten", "st", "st.", "bin", "al", "el",
})
ORGANIZATION_WORDS = frozenset({
    "group", "consortium", "committee", "society", "investigators", "study", "association",
    "collaboration", "collaborative", "network", "organization", "organisation", "team",
    "foundation", "institute", "university", "hospital", "council", "board", "staff",
    "editors", "editorial", "press", "news", "agency", "reuters",
})
# Leading bytes of formats that are clearly not HTML, with a readable name.
NOT_HTML_MAGIC = (
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"PK\x03\x04", "a ZIP archive (or Office document)"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a legacy Office document"),
    (b"%!PS", "a PostScript document"),
    (b"{\\rtf", "an RTF document"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"ID3", "an MP3 audio file"),
)

# Highwire tags that show a page is a scholarly record (journal, repository,
# preprint server), not a blog post tagged for Google Scholar by a plugin.
SCHOLARLY_EVIDENCE = (
    "citation_journal_title", "citation_journal_abbrev", "citation_doi", "citation_pmid",
    "citation_conference_title", "citation_issn", "citation_volume", "citation_firstpage",
    "citation_pdf_url", "citation_dissertation_institution", "citation_technical_report_institution",
    "prism.publicationname", "prism.doi",
)
# Separators between a page title and the site name in <title>.
TITLE_SEPARATORS = (" | ", " – ", " — ", " - ", " :: ", " · ", " » ")
