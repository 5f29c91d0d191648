"""The course website in a real browser (`make test-site`, after `make site`).

Every lecture page loads without a console error, shows at least one figure and no error
output; every internal link of the site resolves; the offline search finds a lecture by a
word from its body; each widget appears as its still picture with the launch links.
Screenshots land in ``test-artifacts/site/``. `make test` leaves this file out (the site is
built from the full-mode run, which `make test` does not make); CI runs it after
`make site`.
"""

from __future__ import annotations

import functools
import http.server
import re
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "site" / "_build" / "html"
ARTIFACTS = ROOT / "test-artifacts" / "site"
CHROMIUM = "/usr/bin/chromium"

if not (HTML / "index.html").exists():
    raise RuntimeError("the website is not built: run `make site` first")

from course_lib.course import LECTURES  # noqa: E402

PAGES = [
    (number, slug)
    for number, slug, _ in LECTURES
    if (ROOT / "notebooks" / f"{slug}.ipynb").exists()
]


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value and (tag, name) in {
                ("a", "href"),
                ("img", "src"),
                ("link", "href"),
            }:
                self.links.append(value)


@pytest.fixture(scope="module")
def site():
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(HTML)
    )
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"Chromium not found at {CHROMIUM} (apt install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        yield browser
        browser.close()


def _page(browser):
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    page.console_errors = []
    page.on(
        "console",
        lambda message: (
            message.type == "error" and page.console_errors.append(message.text)
        ),
    )
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    return page


@pytest.mark.parametrize("number,slug", PAGES, ids=[slug for _, slug in PAGES])
def test_every_lecture_page_shows_its_results(site, browser, number, slug):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = _page(browser)
    try:
        page.goto(f"{site}/lectures/{slug}.html", timeout=60_000)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(ARTIFACTS / f"{slug}.png"))
        main = page.locator("main, article").first
        body = main.inner_text()
        assert page.locator("h1").count() >= 1
        assert "Traceback" not in body and "Error displaying widget" not in body
        assert page.locator(".output.error, .output.traceback").count() == 0
        assert "Open in JupyterLab on Binder" in body
        outputs = page.locator(".cell_output").count()
        assert outputs >= 1, f"{slug}: no executed output on the page"
        if number != "00":  # the welcome page shows versions and a widget, no figure
            figures = page.locator(".cell_output img").count()
            assert figures >= 1, f"{slug}: no figure on the page"
        assert page.console_errors == []
    finally:
        page.close()


def test_widgets_appear_as_pictures_with_a_note(site, browser):
    page = _page(browser)
    try:
        page.goto(f"{site}/lectures/04_convolution.html", timeout=60_000)
        body = page.locator("main, article").first.inner_text()
        assert "The widget as it opens" in body
        assert "Loading widget" not in body
    finally:
        page.close()


def test_every_internal_link_resolves():
    broken = []
    for path in sorted(HTML.rglob("*.html")):
        if "_static" in path.relative_to(HTML).parts:
            continue  # the theme's templates, not pages
        parser = _Links()
        parser.feed(path.read_text(errors="replace"))
        base = "file://" + str(path)
        for link in parser.links:
            parts = urlsplit(link)
            if parts.scheme in {"http", "https", "mailto", "data", "javascript"}:
                continue
            if not parts.path:
                continue  # an anchor on the same page
            target = Path(unquote(urlsplit(urljoin(base, parts.path)).path))
            if not target.exists():
                broken.append(f"{path.relative_to(HTML)} -> {link}")
    assert not broken, "\n".join(broken[:30])


def test_the_contents_page_links_every_lecture_and_the_reference_pages():
    index = (HTML / "index.html").read_text()
    for _, slug in PAGES:
        assert f"lectures/{slug}.html" in index, slug
    for page in ("exercises.html", "data.html", "api/index.html"):
        assert page in index, page
        assert (HTML / page).exists(), page


def test_the_api_reference_documents_the_compute_modules_and_widgets():
    conv = (HTML / "api" / "conv.html").read_text()
    assert "course_lib.conv.conv2d" in conv
    widgets = (HTML / "api" / "widgets_conv.html").read_text()
    assert "ConvolutionExplorer" in widgets


def test_the_exercises_page_lists_questions_not_answers():
    from course_lib import exercises

    text = re.sub(r"<[^>]+>", " ", (HTML / "exercises.html").read_text())
    for key in exercises.all_keys():
        assert key in text, key
    assert "Correct!" not in text


def test_the_offline_search_finds_a_lecture_by_a_word_of_its_body(site, browser):
    page = _page(browser)
    try:
        # "Felzenszwalb" appears in the body of lecture 14 (selective search), not in titles.
        page.goto(f"{site}/search.html?q=Felzenszwalb", timeout=60_000)
        page.wait_for_selector("#search-results li, .search li", timeout=60_000)
        results = page.locator("#search-results, .search").first.inner_text()
        page.screenshot(path=str(ARTIFACTS / "search.png"))
        assert "object detection" in results.lower(), results[:500]
        assert page.console_errors == []
    finally:
        page.close()


def test_the_site_loads_nothing_from_the_network():
    """Scripts, styles and fonts come with the site (MathJax included): it works offline."""
    remote = re.compile(r"<(?:script|link)[^>]+(?:src|href)=\"(https?://[^\"]+)\"")
    found = set()
    for path in HTML.rglob("*.html"):
        for url in remote.findall(path.read_text(errors="replace")):
            if 'rel="canonical"' not in url:
                found.add(url)
    assert not found, sorted(found)[:10]


def test_formulas_are_typeset_offline(site, browser):
    """MathJax 2 from _static typesets the notebooks' formulas, with no console error."""
    page = _page(browser)
    try:
        page.goto(
            f"{site}/lectures/02_neurons_and_gradient_descent.html", timeout=60_000
        )
        page.wait_for_selector(".MathJax, .MathJax_Display", timeout=60_000)
        assert page.locator(".MathJax").count() >= 3
        raw = page.inner_text("article")
        assert "\\frac" not in raw and "\\sigma" not in raw  # none left as TeX source
        assert page.console_errors == []
    finally:
        page.close()
