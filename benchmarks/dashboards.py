"""How long each Voila dashboard takes to be ready once its kernel has started.

    .venv/bin/python benchmarks/dashboards.py      # prints a table, writes dashboards.json

Runs each notebook in ``notebooks/dashboards/`` the way Voila does (a fresh kernel, all
cells) and times the cells alone, from "kernel ready" to "last cell done". Target: 5 s.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 5.0


def time_dashboard(path: Path) -> float:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, timeout=300, resources={"metadata": {"path": str(path.parent)}}
    )
    with client.setup_kernel():
        start = time.perf_counter()
        for index, cell in enumerate(notebook.cells):
            client.execute_cell(cell, index)
        return time.perf_counter() - start


def run() -> dict:
    """Seconds to ready for every dashboard, plus the target."""
    results = {
        p.stem: round(time_dashboard(p), 2)
        for p in sorted((ROOT / "notebooks" / "dashboards").glob("*.ipynb"))
    }
    return {"seconds_to_ready": results, "target_seconds": TARGET_SECONDS}


if __name__ == "__main__":
    result = run()
    for name, seconds in result["seconds_to_ready"].items():
        flag = "" if seconds <= TARGET_SECONDS else "  (over the target)"
        print(f"{name:30} {seconds:6.2f} s{flag}")
    (Path(__file__).parent / "dashboards.json").write_text(json.dumps(result, indent=1))
