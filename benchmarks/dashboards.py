"""How long each Voila dashboard takes from "page opened" to its first picture, in Chromium.

    .venv/bin/python benchmarks/dashboards.py            # every dashboard, writes dashboards.json
    .venv/bin/python benchmarks/dashboards.py 12 15      # only some (by number), no file written
    .venv/bin/python benchmarks/dashboards.py --repeat 3 # median of 3 page loads each

What a student (or the lecturer at the projector) waits for. Voila is started once, as
``make dashboards`` starts it; then each dashboard is opened in a fresh Chromium page
(Debian's ``/usr/bin/chromium`` driven by Playwright, as ``tests/test_browser.py`` does) and
timed from ``page.goto`` until its **first picture** is on screen. The first picture is the
first ``<img>`` inside the dashboard (``.course-dashboard``) that has a non-empty ``src``,
has been decoded (``naturalWidth > 0``) and takes up room on the page (``offsetWidth > 0``).
Every dashboard's widget draws its main picture as an ``ipywidgets.Image`` (the browser test
asserts it), and nothing else on the page is an image: the "Loading…" line and the title are
text, so the clock cannot stop early, and an image whose bytes have not arrived or been
decoded yet does not count. The time includes what the page costs: Voila starting a kernel,
the dashboard's cell (imports, loading models, the widget's first drawing), and the
browser's rendering of the widgets.

The second column is the old measurement, kept for comparison: the dashboard run with
nbclient (a fresh kernel, all cells), timed from "kernel ready" to "last cell done", so it
leaves out the kernel's start and the browser. Target for the first column: 3 s.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DASHBOARDS = ROOT / "notebooks" / "dashboards"
TARGET_SECONDS = 3.0
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
# the first decoded, visible <img> with a src inside the dashboard (see the module docstring)
FIRST_PICTURE = """() => [...document.querySelectorAll('.course-dashboard img')].some(
    img => img.getAttribute('src') && img.complete && img.naturalWidth > 0
        && img.offsetWidth > 0)"""
FAILED = ".course-error"


def time_dashboard(path: Path) -> float:
    """Seconds from "kernel ready" to "last cell done" with nbclient (the old measure)."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, timeout=300, resources={"metadata": {"path": str(path.parent)}}
    )
    with client.setup_kernel():
        start = time.perf_counter()
        for index, cell in enumerate(notebook.cells):
            client.execute_cell(cell, index)
        return time.perf_counter() - start


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_voila() -> tuple[subprocess.Popen, str]:
    """Voila serving notebooks/dashboards, as ``make dashboards`` starts it; (process, URL)."""
    port = _free_port()
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "voila", "notebooks/dashboards", "--no-browser",
         f"--port={port}", "--Voila.ip=127.0.0.1"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError("voila exited before it answered")
        try:
            with urllib.request.urlopen(base + "/", timeout=2):
                return process, base
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise TimeoutError("voila did not answer within 120 s")


def open_to_first_picture(browser, base: str, path: Path) -> float | None:
    """Seconds from opening the dashboard's page to its first picture; None if it failed."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    try:
        start = time.perf_counter()
        page.goto(f"{base}/voila/render/{path.name}", wait_until="commit")
        page.wait_for_function(
            f"() => ({FIRST_PICTURE})() || !!document.querySelector('{FAILED}')",
            timeout=180_000,
            polling="raf",
        )
        seconds = time.perf_counter() - start
        return None if page.locator(FAILED).count() else seconds
    finally:
        page.close(run_before_unload=True)  # Voila shuts the page's kernel down
        context.close()
        time.sleep(1.0)  # let the kernel go before the next page starts one


def browser_times(paths: list[Path], repeat: int = 1) -> dict[str, list]:
    """Every page load's seconds to first picture, per dashboard."""
    from playwright.sync_api import sync_playwright

    process, base = start_voila()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS
            )
            # one page load that is not counted: Voila's and Chromium's first start (the
            # templates, the JavaScript bundles, the disk cache), which a lecturer pays
            # once when testing the projector, not once per dashboard
            open_to_first_picture(browser, base, paths[0])
            times: dict[str, list] = {p.stem: [] for p in paths}
            for _ in range(repeat):
                for path in paths:
                    seconds = open_to_first_picture(browser, base, path)
                    times[path.stem].append(
                        None if seconds is None else round(seconds, 2)
                    )
                    print(f"  {path.stem:28} {seconds} s (browser)", flush=True)
            browser.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
    return times


def _median(values: list) -> float | None:
    good = [v for v in values if v is not None]
    return round(statistics.median(good), 2) if len(good) == len(values) else None


def run(only: list[str] | None = None, repeat: int = 1, kernel: bool = True) -> dict:
    """Seconds to the first picture in Chromium and nbclient's kernel seconds, per
    dashboard, with the target and the load average before and after."""
    paths = sorted(DASHBOARDS.glob("*.ipynb"))
    if only:
        paths = [p for p in paths if p.stem.split("_")[0] in only or p.stem in only]
    load_before = [round(v, 2) for v in os.getloadavg()]
    if Path(CHROMIUM).exists():
        raw = browser_times(paths, repeat)
    else:  # no browser: the table says so rather than make bench stopping here
        print(f"no Chromium at {CHROMIUM}: first pictures not measured", flush=True)
        raw = {p.stem: [None] for p in paths}
    kernel_seconds = {}
    if kernel:
        for path in paths:
            kernel_seconds[path.stem] = round(time_dashboard(path), 2)
            print(
                f"  {path.stem:28} {kernel_seconds[path.stem]} s (kernel)", flush=True
            )
    return {
        "first_picture_seconds": {name: _median(v) for name, v in raw.items()},
        "kernel_seconds": kernel_seconds,
        "target_seconds": TARGET_SECONDS,
        "repeat": repeat,
        "runs": raw,
        "load_average": {
            "before": load_before,
            "after": [round(v, 2) for v in os.getloadavg()],
        },
    }


def markdown(result: dict) -> list[str]:
    """The table for results.md: one row per dashboard."""
    lines = [
        "| dashboard | page opened to first picture (Chromium) | cells in a running "
        "kernel (nbclient) | ≤ "
        f"{result['target_seconds']:.0f} s? |",
        "|---|---|---|---|",
    ]
    for name, seconds in result["first_picture_seconds"].items():
        kernel = result["kernel_seconds"].get(name)
        shown = "failed" if seconds is None else f"{seconds:.2f} s"
        met = (
            "yes"
            if seconds is not None and seconds <= result["target_seconds"]
            else "no"
        )
        lines.append(
            f"| {name} | {shown} | {'—' if kernel is None else f'{kernel:.2f} s'} | {met} |"
        )
    return lines


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "only", nargs="*", help="dashboard numbers or names (default all)"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="page loads per dashboard"
    )
    parser.add_argument(
        "--no-kernel", action="store_true", help="skip the nbclient column"
    )
    args = parser.parse_args()
    result = run(args.only, args.repeat, kernel=not args.no_kernel)
    print(f"load average before {result['load_average']['before']}, "
          f"after {result['load_average']['after']}")  # fmt: skip
    print("\n".join(markdown(result)))
    if not args.only:
        (Path(__file__).parent / "dashboards.json").write_text(
            json.dumps(result, indent=1) + "\n"
        )
