"""Page parsing: one article page (HTML) -> an Article of what the page itself
says (citation_* / Dublin Core / PRISM tags, JSON-LD, OpenGraph, main text).
Used by the rss and html sources; enrichment from prose is tracker.extract.

    parse    extract_page, links_in / next_in for listing pages
    html     bytes -> BeautifulSoup, bounded and encoding-aware
    jsonld   schema.org ScholarlyArticle / NewsArticle blocks
    text     the main text without navigation, asides and references
    values   dates, names and languages as pages spell them
    rules    the meta-name sets and limits, as data
"""
