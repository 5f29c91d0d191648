"""Real-browser tests: the Voila dashboards and the welcome notebook in JupyterLab.

They drive Debian's Chromium (/usr/bin/chromium) with Playwright for Python. Where Chromium is
missing they skip with a loud notice; under CI (``CI=true``) a missing browser is a failure.
Screenshots are kept in ``test-artifacts/browser/``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DASHBOARDS = sorted((ROOT / "notebooks" / "dashboards").glob("*.ipynb"))
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_http(url: str, process: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"server exited: {process.stdout.read().decode()[-3000:]}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {seconds} s")


def _start(command: list[str], url_path: str):
    port = _free_port()
    env = dict(os.environ, COURSE_FAST=os.environ.get("COURSE_FAST", "1"))
    env.pop("DISPLAY", None)
    process = subprocess.Popen(
        [arg.replace("{port}", str(port)) for arg in command],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for_http(base + url_path, process)
    except Exception:
        process.kill()
        raise
    return process, base


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        message = (
            f"\n{'!' * 70}\nBROWSER TESTS SKIPPED: Chromium not found at {CHROMIUM}.\n"
            "Install it (Debian/Ubuntu: sudo apt install chromium) to run them.\n"
            f"{'!' * 70}"
        )
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing on CI: .ci/run should have installed it")
        warnings.warn(message, stacklevel=1)
        print(message, file=sys.stderr)
        pytest.skip("Chromium is not installed (see the notice above)")
    from playwright.sync_api import sync_playwright

    executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS
        )
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def voila():
    command = [
        sys.executable, "-m", "voila", "notebooks/dashboards", "--no-browser",
        "--port={port}", "--Voila.ip=127.0.0.1",
    ]  # fmt: skip
    process, base = _start(command, "/")
    yield base
    _stop(process)


@pytest.fixture
def page(browser):
    # the lecture hall: a projector at 1280x720
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()


def _image_sources(page) -> list[str]:
    return page.eval_on_selector_all(
        ".jupyter-widgets img", "els => els.map(e => e.src)"
    )


def _interact(page, settings: dict) -> str:
    """Change one control with the mouse; return what was done.

    A dashboard may say which control in its notebook metadata ``course_test``:
    ``{"select": 1, "option": "sobel"}`` picks an option in the second drop-down;
    ``{"draw": true}`` draws a stroke on the first canvas.
    Otherwise the first slider is dragged, or else the first drop-down changed.
    """
    if settings.get("draw"):
        canvas = page.locator(".jupyter-widgets canvas").first
        box = canvas.bounding_box()
        x, top, bottom = (
            box["x"] + box["width"] * 0.5,
            box["y"] + 40,
            box["y"] + box["height"] - 40,
        )
        page.mouse.move(x, top)
        page.mouse.down()
        page.mouse.move(x + 3, bottom, steps=12)
        page.mouse.up()
        return "drew a vertical stroke on the canvas"
    if "select" in settings:
        select = page.locator(".jupyter-widgets select").nth(settings["select"])
        select.select_option(label=settings["option"])
        return f"picked {settings['option']!r}"
    handle = page.locator(".jupyter-widgets .noUi-handle").first
    if handle.count():
        box = handle.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.down()
        page.mouse.move(box["x"] + 60, box["y"] + box["height"] / 2, steps=8)
        page.mouse.up()
        return "dragged the first slider"
    select = page.locator(".jupyter-widgets select").first
    options = select.locator("option").all_inner_texts()
    select.select_option(label=options[-1])
    return f"picked {options[-1]!r} in the first drop-down"


def _wait_until_still(page, quiet_ms: int = 1000, limit_s: float = 30) -> None:
    """Wait until the drawings stop changing (a drag sends several values in a row)."""
    deadline = time.time() + limit_s
    last, still_since = _image_sources(page), time.time()
    while time.time() < deadline and time.time() - still_since < quiet_ms / 1000:
        page.wait_for_timeout(200)
        now = _image_sources(page)
        if now != last:
            last, still_since = now, time.time()


def _test_settings(path: Path) -> dict:
    return json.loads(path.read_text())["metadata"].get("course_test", {})


@pytest.mark.parametrize("dashboard", DASHBOARDS, ids=lambda p: p.stem)
def test_dashboard_renders_and_responds(voila, page, dashboard):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    settings = _test_settings(dashboard)
    page.goto(f"{voila}/voila/render/{dashboard.name}", timeout=120_000)
    page.wait_for_selector(".course-ready, .course-error", timeout=120_000)
    page.wait_for_timeout(500)
    page.screenshot(
        path=str(ARTIFACTS / f"{dashboard.stem}-before.png"), full_page=True
    )
    text = page.inner_text("body")
    assert "Error displaying widget" not in text
    assert page.locator(".course-error").count() == 0, text[-2000:]
    assert page.locator(".jupyter-widgets").count() > 3
    before = _image_sources(page)
    assert before, "the dashboard draws no image"
    # the lecture hall: the main picture fills at least half of the 1280 px screen, and
    # the controls' text is readable from the back (at least 16 px)
    widest = page.eval_on_selector_all(
        ".jupyter-widgets img", "els => Math.max(...els.map(e => e.clientWidth))"
    )
    assert widest >= 640, f"the widest picture is {widest} px wide"
    smallest = page.eval_on_selector_all(
        ".course-dashboard .widget-label, .course-dashboard select",
        "els => Math.min(...els.map(e => parseFloat(getComputedStyle(e).fontSize)))",
    )
    assert smallest >= 16, f"text at {smallest} px"
    done = _interact(page, settings)
    deadline = time.time() + 30
    while _image_sources(page) == before and time.time() < deadline:
        page.wait_for_timeout(200)
    assert _image_sources(page) != before, f"nothing redrawn after the test {done}"
    _wait_until_still(page)
    page.screenshot(path=str(ARTIFACTS / f"{dashboard.stem}-after.png"), full_page=True)
    assert page.locator(".course-error").count() == 0
    assert page.errors == []


def test_welcome_notebook_widget_renders_in_jupyterlab(browser, tmp_path):
    """Run all cells of 00_welcome in a real JupyterLab: the widget must render as a widget.

    JupyterLab runs on a copy, so that its autosave never writes outputs into the repository.
    """
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "notebooks" / "00_welcome.ipynb", tmp_path / "00_welcome.ipynb")
    command = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root",
        "--port={port}", "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=",
        "--ServerApp.password=", f"--ServerApp.root_dir={tmp_path}",
        "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]  # fmt: skip
    process, base = _start(command, "/api")
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{base}/lab/tree/00_welcome.ipynb", timeout=120_000)
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
        page.wait_for_selector(
            ".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000
        )
        page.click(".jp-Notebook")
        # the menu bar's Run menu (a cell's text may say "Run" too), then its item
        page.locator("#jp-MainMenu").get_by_text("Run", exact=True).click(
            timeout=30_000
        )
        page.get_by_text("Run All Cells", exact=True).click(timeout=30_000)
        try:
            page.wait_for_selector(
                ".jp-OutputArea .jupyter-widgets img", timeout=180_000
            )
            page.wait_for_function(
                "() => [...document.querySelectorAll('.jp-Cell .jp-InputPrompt')]"
                ".every(p => !p.textContent.includes('*'))",
                timeout=180_000,
            )
        except Exception:  # what the page showed, for the next person to look at
            page.screenshot(
                path=str(ARTIFACTS / "jupyterlab-welcome-failed.png"), full_page=True
            )
            raise
        page.screenshot(path=str(ARTIFACTS / "jupyterlab-welcome.png"), full_page=True)
        outputs = " ".join(page.locator(".jp-OutputArea").all_inner_texts())
        assert "Error displaying widget" not in outputs
        assert "Loading widget..." not in outputs
        assert "DigitBrowser(" not in outputs, (
            "the widget rendered as text, not as a widget"
        )
        assert page.locator(".jp-OutputArea .widget-dropdown select").count() >= 1
        # the exercises are not done yet: each check says so, none says "Correct!"
        assert "Correct!" not in outputs, outputs[-1500:]
        assert "not answered yet" in outputs, outputs[-1500:]
    finally:
        context.close()
        _stop(process)
    assert errors == []


NEWS_QUESTION = "official Jupyter news"


def _first_launch_text(browser, tmp_path, settings_dir: Path) -> str:
    """The page text of a student's first JupyterLab launch (a fresh user settings folder),
    with ``settings_dir`` as the application settings (where overrides.json is read)."""
    user = tmp_path / "user-settings"
    user.mkdir(exist_ok=True)
    command = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root",
        "--port={port}", "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=",
        "--ServerApp.password=", f"--ServerApp.root_dir={tmp_path}",
        f"--LabApp.app_settings_dir={settings_dir}", f"--LabApp.user_settings_dir={user}",
        f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}",
    ]  # fmt: skip
    process, base = _start(command, "/api")
    page = browser.new_page()
    try:
        page.goto(f"{base}/lab", timeout=120_000)
        page.wait_for_selector(".jp-Launcher, .jp-LauncherBody", timeout=120_000)
        page.wait_for_timeout(4_000)  # the question comes a moment after the launcher
        return page.inner_text("body")
    finally:
        page.close()
        _stop(process)


def test_a_first_launch_asks_no_news_question(browser, tmp_path):
    """The course ships JupyterLab settings overrides (binder/overrides.json, copied by
    `make lab` and binder/postBuild) so the news question never distracts a student. Without
    them the same first launch asks it: that shows the check can fail."""
    bare = tmp_path / "bare"
    bare.mkdir()
    assert NEWS_QUESTION in _first_launch_text(browser, tmp_path, bare)
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    shutil.copy(ROOT / "binder" / "overrides.json", shipped / "overrides.json")
    assert NEWS_QUESTION not in _first_launch_text(browser, tmp_path, shipped)


def test_make_lab_and_binder_install_the_overrides():
    makefile = (ROOT / "Makefile").read_text()
    assert "cp binder/overrides.json" in makefile
    assert "$(LAB_SETTINGS)" in makefile.split("SETUP :=")[1].splitlines()[0]
    assert "cp binder/overrides.json" in (ROOT / "binder" / "postBuild").read_text()
