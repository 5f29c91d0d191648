"""Build the course website into ``site/_build/html``.

    .venv/bin/python site/build.py            # what `make site` runs
    .venv/bin/python site/build.py --no-run   # never execute notebooks: fail if a copy is missing

The lecture pages are the notebooks as ``make test-full`` executed them in full mode
(``build/executed/``): figures, printed results and training curves, and a still picture of
each widget as it opens. A lecture whose executed copy is missing or ran other code than its
notebook has now is run first (``benchmarks/measure.py --check NN``, the same full-mode run). The script then
writes the book's sources into ``build/site-src`` (lecture pages with launch links, the
contents, the exercises without their answers, the data's provenance, an API reference of
``course_lib``) and runs ``sphinx-build -W``: any warning fails the build.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
NOTEBOOKS = ROOT / "notebooks"
EXECUTED = ROOT / "build" / "executed"
SOURCE = ROOT / "build" / "site-src"
OUTPUT = HERE / "_build" / "html"
BINDER = "https://mybinder.org/v2/gh/convnets-course/convnets-course/main"

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = (
    "*The widget as it opens. It is interactive in JupyterLab and in Voilà: use the launch "
    "links at the top of the page.*"
)
WIDGET_WITHOUT_PICTURE = (
    "*An interactive widget: open this lecture in JupyterLab (launch link at the top of the "
    "page) to use it.*"
)


def lectures() -> list[tuple[str, str, str]]:
    from course_lib.course import LECTURES

    return [entry for entry in LECTURES if (NOTEBOOKS / f"{entry[1]}.ipynb").exists()]


def dashboard_of(number: str) -> Path | None:
    found = sorted((NOTEBOOKS / "dashboards").glob(f"{number}_*.ipynb"))
    return found[0] if found else None


def _shape(notebook: dict) -> list[tuple[str, str]]:
    """What decides a notebook's outputs: its cells' kinds and its code."""
    return [
        (
            cell["cell_type"],
            _text(cell["source"]) if cell["cell_type"] == "code" else "",
        )
        for cell in notebook["cells"]
    ]


def _text(source) -> str:
    return source if isinstance(source, str) else "".join(source)


def stale(slugs: list[str]) -> list[str]:
    """The lectures whose executed copy is missing or ran other code than the notebook has
    now. Prose may change after the run (the measured line, a reworded sentence): the page
    takes the notebook's current markdown."""
    out = []
    for slug in slugs:
        executed = EXECUTED / f"{slug}.ipynb"
        source = NOTEBOOKS / f"{slug}.ipynb"
        if not executed.exists():
            out.append(slug)
            continue
        ran, now = json.loads(executed.read_text()), json.loads(source.read_text())
        if _shape(ran) != _shape(now):
            out.append(slug)
    return out


def with_current_prose(executed: dict, current: dict) -> dict:
    """The executed notebook with the markdown cells of the notebook as it is now."""
    executed = json.loads(json.dumps(executed))
    for cell, now in zip(executed["cells"], current["cells"], strict=True):
        if cell["cell_type"] == "markdown":
            cell["source"] = now["source"]
    return executed


def launch_cell(number: str, slug: str) -> dict:
    links = [
        f"[Open in JupyterLab on Binder]({BINDER}?urlpath=lab/tree/notebooks/{slug}.ipynb)"
    ]
    dashboard = dashboard_of(number)
    if dashboard is not None:
        links.append(
            f"[Open the dashboard with Voilà on Binder]({BINDER}?urlpath=voila/render/"
            f"notebooks/dashboards/{dashboard.name})"
        )
    links.append(
        f"[The notebook on GitHub](https://github.com/convnets-course/convnets-course/"
        f"blob/main/notebooks/{slug}.ipynb)"
    )
    return {
        "cell_type": "markdown",
        "id": f"launch-{number}",
        "metadata": {},
        "source": " · ".join(links),
    }


def _to_pages(text: str) -> str:
    """Links to sibling notebooks (``01_x.ipynb``) as links to their pages."""
    text = re.sub(r"\]\(([\w./-]+)\.ipynb\)", r"](\1.html)", text)
    return re.sub(r'href="([\w./-]+)\.ipynb"', r'href="\1.html"', text)


def _note(text: str) -> dict:
    return {
        "output_type": "display_data",
        "metadata": {},
        "data": {"text/markdown": text},
    }


def page_of(notebook: dict, number: str, slug: str) -> dict:
    """The executed notebook as a website page: launch links under the title, each widget
    as its still picture with a note, no stderr chatter (progress bars, TensorFlow logs)."""
    notebook = json.loads(json.dumps(notebook))  # a copy
    notebook["metadata"].pop("widgets", None)
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        outputs = []
        for output in cell.get("outputs", []):
            kind = output["output_type"]
            if kind == "error":
                raise SystemExit(
                    f"{slug}: an executed cell has an error; run make test-full"
                )
            if kind == "stream" and output.get("name") == "stderr":
                continue
            data = output.get("data", {})
            for kind in ("text/markdown", "text/html"):
                if kind in data:  # a printed table of contents links the notebooks
                    data[kind] = _to_pages(_text(data[kind]))
            if WIDGET_VIEW in data:
                if "image/png" in data:
                    output["data"] = {"image/png": data["image/png"]}
                    output["metadata"] = {}
                    outputs += [output, _note(WIDGET_NOTE)]
                else:
                    outputs.append(_note(WIDGET_WITHOUT_PICTURE))
                continue
            outputs.append(output)
        cell["outputs"] = outputs
    notebook["cells"].insert(1, launch_cell(number, slug))
    return notebook


def index_page(entries) -> str:
    rows = ["| # | lecture | dashboard |", "|---|---|---|"]
    for number, slug, title in entries:
        dashboard = dashboard_of(number)
        live = (
            f"[Voilà on Binder]({BINDER}?urlpath=voila/render/notebooks/dashboards/"
            f"{dashboard.name})"
            if dashboard
            else "—"
        )
        rows.append(f"| {number} | [{title}](lectures/{slug}.ipynb) | {live} |")
    toc = "\n".join(f"lectures/{slug}" for _, slug, _ in entries)
    return f"""# Convolutional networks, interactively

A lecture-ordered course on convolutional networks and what grew out of them. Every page
below is a Jupyter notebook as it ran from top to bottom in full mode on a 2-core laptop
CPU, offline: its figures, printed results and training curves are the real ones. Each
widget is shown as it opens; open the lecture in JupyterLab (or its dashboard in Voilà) to
use it. Run the course yourself: see the
[README](https://github.com/convnets-course/convnets-course#readme).

## Contents

{chr(10).join(rows)}

Also: [the exercises](exercises.md), [where the data comes from](data.md) and
[the `course_lib` reference](api/index.md).

```{{toctree}}
:hidden:
:caption: Lectures

{toc}
```

```{{toctree}}
:hidden:
:caption: Reference

exercises
data
api/index
```
"""


def exercises_page(entries) -> str:
    from course_lib import exercises

    lines = [
        "# Exercises",
        "",
        "Every lecture ends with exercises; each has a self-check in the notebook",
        '(`cl.exercises.check("NN.k", answer)`) that says whether an answer is right and',
        "gives a hint when it is not. The answers are not on this site: open the lecture and",
        "solve them.",
        "",
    ]
    keys = exercises.all_keys()
    for number, slug, title in entries:
        mine = [k for k in keys if k.startswith(number + ".")]
        if not mine:
            continue
        lines += [f"## {number} · [{title}](lectures/{slug}.ipynb)", ""]
        for key in mine:
            item = exercises.get(key)
            kind = " (open)" if item.is_open else ""
            lines.append(f"- **{key}**{kind}: {item.question}")
        lines.append("")
    return "\n".join(lines)


def data_page() -> str:
    text = (ROOT / "datasets" / "README.md").read_text()
    text = re.sub(r"^# .*\n", "", text, count=1)
    return (
        "# Where the data comes from\n\n"
        "Every notebook runs offline on small, real subsets shipped with the package; "
        "online, the full sets are downloaded and checked. The provenance of each file:\n"
        + text
    )


def api_modules() -> tuple[list[str], list[str]]:
    """(compute modules, widget modules) of course_lib, public ones only."""
    import course_lib
    import course_lib.widgets

    compute = [
        m.name
        for m in pkgutil.iter_modules(course_lib.__path__)
        if not m.name.startswith("_") and m.name != "widgets"
    ]
    widget = [
        m.name
        for m in pkgutil.iter_modules(course_lib.widgets.__path__)
        if not m.name.startswith("_")
    ]
    return sorted(compute), sorted(widget)


def api_pages() -> dict[str, str]:
    compute, widget = api_modules()
    pages = {}
    for name in compute:
        module = importlib.import_module(f"course_lib.{name}")
        pages[f"api/{name}.md"] = _api_page(
            f"cl.{name}", module.__name__, package=hasattr(module, "__path__")
        )
    for name in widget:
        module = importlib.import_module(f"course_lib.widgets.{name}")
        pages[f"api/widgets_{name}.md"] = _api_page(
            f"cl.widgets.{name}", module.__name__
        )
    toc_compute = "\n".join(f"{name}" for name in compute)
    toc_widget = "\n".join(f"widgets_{name}" for name in widget)
    pages["api/index.md"] = f"""# The `course_lib` reference

`import course_lib as cl`, then `cl.<topic>.<verb>(...)` computes and
`cl.widgets.<Noun>(...)` shows. Each page lists a module's public functions and classes with
their docstrings.

```{{toctree}}
:caption: Compute modules
:maxdepth: 1

{toc_compute}
```

```{{toctree}}
:caption: Widgets
:maxdepth: 1

{toc_widget}
```
"""
    return pages


def _api_page(title: str, module: str, package: bool = False) -> str:
    """A module's reference page. A package (``cl.detection``) lists the names its
    ``__all__`` re-exports from its files, under the name a student calls."""
    option = "\n   :imported-members:" if package else ""
    return f"""# `{title}`

```{{eval-rst}}
.. automodule:: {module}{option}
```
"""


def write_sources(entries) -> None:
    if SOURCE.exists():
        shutil.rmtree(SOURCE)
    (SOURCE / "lectures").mkdir(parents=True)
    for number, slug, _ in entries:
        executed = json.loads((EXECUTED / f"{slug}.ipynb").read_text())
        current = json.loads((NOTEBOOKS / f"{slug}.ipynb").read_text())
        page = page_of(with_current_prose(executed, current), number, slug)
        (SOURCE / "lectures" / f"{slug}.ipynb").write_text(json.dumps(page))
    (SOURCE / "index.md").write_text(index_page(entries))
    (SOURCE / "exercises.md").write_text(exercises_page(entries))
    (SOURCE / "data.md").write_text(data_page())
    for name, text in api_pages().items():
        path = SOURCE / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--no-run", action="store_true", help="never execute: fail if a copy is missing"
    )
    args = parser.parse_args()
    entries = lectures()
    missing = stale([slug for _, slug, _ in entries])
    if missing:
        if args.no_run:
            raise SystemExit(f"no fresh executed copy of: {', '.join(missing)}")
        print(f"running in full mode first: {', '.join(missing)}", flush=True)
        numbers = [slug[:2] for slug in missing]
        command = [sys.executable, str(ROOT / "benchmarks" / "measure.py"), "--check"]
        if subprocess.run(command + numbers, cwd=ROOT).returncode != 0:
            return 1
    write_sources(entries)
    if OUTPUT.exists():
        shutil.rmtree(OUTPUT)
    command = [
        sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
        "-c", str(HERE), str(SOURCE), str(OUTPUT),
    ]  # fmt: skip
    result = subprocess.run(command, cwd=ROOT)
    if result.returncode == 0:
        print(f"the website is in {OUTPUT.relative_to(ROOT)}/index.html")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
