"""DOIs as pages and feeds print them; the journal a feed item's description cites."""

from __future__ import annotations

import pytest

from tracker.extract.citation import doi_of_link, dois_in_text, journal_of_feed_item


@pytest.mark.parametrize("text,expected", [
    ("Gut. 2021 Mar;70(3):456-465. doi: 10.1136/gutjnl-2020-321234. Epub 2020 Jun 5.", ["10.1136/gutjnl-2020-321234"]),
    ("DOI https://doi.org/10.2147/CEG.S290000 Checked for plagiarism", ["10.2147/ceg.s290000"]),
    ("Published:February 10, 2014DOI:https://doi.org/10.1016/j.msard.2014.01.005", ["10.1016/j.msard.2014.01.005"]),
    ("https://dx.doi.org/10.17235/reed.2017.4700/2016", ["10.17235/reed.2017.4700/2016"]),
    ("(doi:10.1093/cid/ciab999).", ["10.1093/cid/ciab999"]),
    ("DOI: 10.1000/a and again doi:10.1000/A, then doi.org/10.2000/b", ["10.1000/a", "10.2000/b"]),
    # a bare 10.x number in prose is no DOI
    ("Scores rose by 10.1234/5 points.", []),
])
def test_dois_in_text(text, expected):
    assert dois_in_text(text) == expected


@pytest.mark.parametrize("href,expected", [
    ("https://doi.org/10.1093/ecco-jcc/jjab101?utm_source=newsletter&utm_medium=email", "10.1093/ecco-jcc/jjab101"),
    ("https://onlinelibrary.wiley.com/doi/full/10.1111/apt.16250?af=R", "10.1111/apt.16250"),
    ("https://www.nejm.org/doi/10.1056/NEJMoa2034577?rss=1", "10.1056/nejmoa2034577"),
    ("https://jamanetwork.com/journals/jama/fullarticle/10.1001/jama.2017.2692", "10.1001/jama.2017.2692"),
    ("https://link.springer.com/article/10.1007/s10620-020-06000-0/fulltext.html", "10.1007/s10620-020-06000-0"),
    ("https://journals.plos.org/plosone/article?id=10.1371/journal.pone.0087669", None),
    ("https://example.org/index.php?doi=10.1016%2Fj.gaceta.2016.10.005&p=doi-resolver", "10.1016/j.gaceta.2016.10.005"),
    ("https://pubmed.ncbi.nlm.nih.gov/24280882/", None),
    ("https://news.example/2021/10.5/story", None),
])
def test_doi_of_link(href, expected):
    assert doi_of_link(href) == expected


@pytest.mark.parametrize("description,journal", [
    ("Gut. 2021 Mar;70(3):456-465. doi: 10.1136/gutjnl-2020-321234. Background: ...", "Gut"),
    ("Journal of Crohn's and Colitis, Volume 15, Issue 3, March 2021, Pages 400–410. Background...",
     "Journal of Crohn's and Colitis"),
    ("Nutrients, Vol. 13, Pages 2345: Exclusive enteral nutrition in children", "Nutrients"),
    ("Publication date: March 2021\nSource: Gastroenterology, Volume 160, Issue 4\nAuthor(s): A B", "Gastroenterology"),
    ("Thorax, Volume 76, Issue 2, February 2021. We followed 287 adults.", "Thorax"),
    # a news item that mentions a journal in a sentence is not that journal's article
    ("Ustekinumab crossed the placenta, researchers report in Clinical Gastroenterology and Hepatology.", None),
    ("Gut bacteria shift before flares, a new study finds.", None),
    (None, None),
])
def test_journal_of_feed_item(description, journal):
    assert journal_of_feed_item(description) == journal
