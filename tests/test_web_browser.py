"""tracker serve as a person uses it: a real headless Chromium on the offline example.

Needs Debian's `chromium` (apt-get install -y chromium; .ci/run installs it)
and Playwright from the test extra, which drives that binary: no browser
download. TRACKER_SCREENSHOTS=docs writes the README's screenshots there.
"""

from __future__ import annotations

import csv
import os
import shutil
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from tracker.cli import cli

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (apt-get install -y chromium)")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install '.[test]')")
waitress = pytest.importorskip("waitress")

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "offline"
CHILE_TITLE = "Rare brain infection reported in patients on natalizumab"
# Chromium reaches nothing but the loopback server: no name resolves, no background traffic.
BROWSER_ARGS = ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--disable-background-networking",
                "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-default-apps",
                "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("browser") / "offline"
    shutil.copytree(EXAMPLE, home, ignore=shutil.ignore_patterns("index"))
    res = CliRunner().invoke(cli, ["--config", str(home / "feeds.yaml"), "crawl"])
    assert res.exit_code == 0, res.output
    from tracker.web import App

    srv = waitress.create_server(App(home / "index"), host="127.0.0.1", port=0, threads=2)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.effective_port}"
    srv.close()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=BROWSER_ARGS)
        yield chromium
        chromium.close()


def shoot(page, name: str) -> None:
    target = os.environ.get("TRACKER_SCREENSHOTS")
    if target:
        page.screenshot(path=str(Path(target) / name), full_page=False)


def test_search_facet_record_and_csv(server, browser, tmp_path):
    page = browser.new_page(accept_downloads=True, viewport={"width": 1280, "height": 860})
    page.set_default_timeout(20_000)
    page.goto(server + "/")
    assert page.locator("#total").inner_text().startswith("8 results")

    page.fill("input[name=q]", "tysabri")
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**/?q=tysabri")
    titles = page.locator("article.hit h2").all_inner_texts()
    assert len(titles) == 2 and CHILE_TITLE in titles
    assert page.locator("article.hit mark").count() >= 2          # matched words highlighted
    shoot(page, "web-search.png")

    page.locator("#facet-year a", has_text="2017").click()
    page.wait_for_url("**/?q=tysabri+year%3A2017")
    assert page.locator("input[name=q]").input_value() == "tysabri year:2017"
    assert page.locator("article.hit h2").all_inner_texts() == [CHILE_TITLE]
    meta = page.locator("article.hit .meta").inner_text()
    assert "Revista Médica de Chile" in meta and "2017" in meta and "3 cases" in meta

    page.locator("article.hit h2 a").click()
    page.wait_for_url("**/record/**")
    assert page.locator("h1").inner_text() == CHILE_TITLE
    assert page.locator("#cases").inner_text().startswith("3 cases")
    evidence = page.locator("#evidence").inner_text()
    assert "reported on three cases of progressive multifocal leukoencephalopathy" in evidence
    assert page.locator("ul.similar li").count() >= 1
    shoot(page, "web-record.png")

    page.go_back()
    with page.expect_download() as wait:
        page.click("#export-csv")
    saved = tmp_path / "export.csv"
    wait.value.save_as(saved)
    with saved.open(encoding="utf-8", newline="") as fp:
        rows = list(csv.DictReader(fp))
    assert [r["title"] for r in rows] == [CHILE_TITLE]
    assert rows[0]["case_count"] == "3" and rows[0]["year"] == "2017" and "natalizumab" in rows[0]["drugs"]
    page.close()
