"""A student's first wait, per lecture, and the size of the student install.

    .venv/bin/python benchmarks/cold_start.py          # every lecture, writes cold_start.json
    .venv/bin/python benchmarks/cold_start.py 00 04    # only some, no file written

For each lecture notebook: a fresh kernel is started (what "Restart kernel" or opening the
notebook gives), then the notebook's code cells are run up to and including the first one
that imports course_lib (``import course_lib as cl`` and the rest of that cell: usually
``cl.set_seed(0)``, a print, loading the data), and the clock stops at that cell's first
output (or when it finishes, if it prints nothing). ``kernel_start_seconds`` is the kernel's
own start (launch to "ready"); ``first_output_seconds`` is from "ready" to the first output;
``tensorflow_imported`` says whether TensorFlow had been imported by then.

The install size: what ``requirements.txt`` (the runtime requirements, not
requirements-dev.txt) installs, measured in this environment rather than by a fresh
``pip install`` (which would download about 1 GB): the packages it names and, recursively,
what they require, each package's size the sum of the files its installed metadata
(``RECORD``) lists. The largest packages are listed too.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
PROBE = "import sys as _s; print('tensorflow' in _s.modules, end='')"


def _cells_to_first_import(path: Path) -> list[str]:
    """The code cells from the top up to the first that imports course_lib."""
    import nbformat

    cells = []
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        cells.append(cell.source)
        if re.search(r"^\s*(import course_lib|from course_lib)", cell.source, re.M):
            return cells
    raise ValueError(f"{path.name} never imports course_lib")


def _run(client, code: str, timeout: float = 300) -> tuple[float, str]:
    """Run ``code``; (the clock at its first output, or when it finished if it printed
    nothing, and its printed text)."""
    start = time.perf_counter()
    msg_id = client.execute(code, store_history=False)
    first, text = None, ""
    deadline = start + timeout
    while True:
        message = client.get_iopub_msg(timeout=max(1.0, deadline - time.perf_counter()))
        if message["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = message["msg_type"], message["content"]
        if kind in {"stream", "display_data", "execute_result", "error"}:
            first = first if first is not None else time.perf_counter()
            text += content.get("text", "") if kind == "stream" else ""
            if kind == "error":
                raise RuntimeError(f"{content['ename']}: {content['evalue']}")
        if kind == "status" and content["execution_state"] == "idle":
            return time.perf_counter() if first is None else first, text


def cold_start(path: Path) -> dict:
    """A fresh kernel's seconds to the first output of ``path``'s first course_lib cell."""
    from jupyter_client.manager import start_new_kernel

    cells = _cells_to_first_import(path)  # before the clocks: reading is not the wait
    began = time.perf_counter()
    manager, client = start_new_kernel(
        kernel_name="python3", cwd=str(path.parent), startup_timeout=120
    )
    try:
        started = time.perf_counter() - began
        clock = time.perf_counter()
        for code in cells[:-1]:
            _run(client, code)
        first, _ = _run(client, cells[-1])
        seconds = first - clock
        _, tf_loaded = _run(client, PROBE)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    return {
        "kernel_start_seconds": round(started, 2),
        "first_output_seconds": round(seconds, 2),
        "tensorflow_imported": tf_loaded == "True",
    }


def _requirement_names(path: Path) -> list[str]:
    names = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        requirement, _, marker = line.partition(";")
        if marker and not _marker_holds(marker):
            continue
        names.append(re.split(r"[<>=!~\[ ]", requirement, maxsplit=1)[0])
    return names


def _marker_holds(marker: str) -> bool:
    from packaging.markers import Marker

    return Marker(marker.strip()).evaluate()


def install_size(requirements: Path = ROOT / "requirements.txt") -> dict:
    """Bytes on disk of what ``requirements`` installs, from this environment's metadata."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    seen: dict[str, int] = {}
    missing: list[str] = []
    todo = [canonicalize_name(n) for n in _requirement_names(requirements)]
    while todo:
        name = todo.pop()
        if name in seen or name in missing:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            missing.append(name)
            continue
        size = 0
        for file in dist.files or []:
            try:
                size += file.locate().stat().st_size
            except OSError:
                pass
        seen[name] = size
        for text in dist.requires or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(canonicalize_name(requirement.name))
    largest = sorted(seen.items(), key=lambda item: -item[1])[:8]
    return {
        "megabytes": round(sum(seen.values()) / 1e6, 1),
        "packages": len(seen),
        "largest_megabytes": {name: round(size / 1e6, 1) for name, size in largest},
        "not_installed_here": sorted(missing),
        "method": "installed sizes (RECORD) of requirements.txt and its dependencies",
    }


def run(only: list[str] | None = None) -> dict:
    """Cold start per lecture and the install size, with the load average."""
    paths = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if only:
        paths = [p for p in paths if p.stem[:2] in only]
    load_before = [round(v, 2) for v in os.getloadavg()]
    lectures = {}
    for path in paths:
        lectures[path.stem] = cold_start(path)
        print(f"  {path.stem:36} {lectures[path.stem]}", flush=True)
    return {
        "lectures": lectures,
        "install": install_size(),
        "load_average": {
            "before": load_before,
            "after": [round(v, 2) for v in os.getloadavg()],
        },
    }


def markdown(result: dict) -> list[str]:
    """The tables for results.md."""
    lines = [
        "| lecture | kernel start | first course_lib cell to first output | "
        "TensorFlow loaded by then |",
        "|---|---|---|---|",
    ]
    for name, row in result["lectures"].items():
        lines.append(
            f"| {name} | {row['kernel_start_seconds']:.2f} s | "
            f"{row['first_output_seconds']:.2f} s | "
            f"{'yes' if row['tensorflow_imported'] else 'no'} |"
        )
    install = result["install"]
    largest = ", ".join(
        f"{n} {mb:,.0f} MB" for n, mb in install["largest_megabytes"].items()
    )
    lines += [
        "",
        f"Student install (requirements.txt and its dependencies, {install['packages']} "
        f"packages): {install['megabytes']:,.0f} MB on disk; largest: {largest}.",
    ]
    return lines


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("only", nargs="*", help="lecture numbers (default all)")
    args = parser.parse_args()
    result = run(args.only)
    print(f"load average before {result['load_average']['before']}, "
          f"after {result['load_average']['after']}")  # fmt: skip
    print("\n".join(markdown(result)))
    if not args.only:
        (Path(__file__).parent / "cold_start.json").write_text(
            json.dumps(result, indent=1) + "\n"
        )
    sys.exit(0)
