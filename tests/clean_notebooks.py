"""Keep notebooks small in git: strip outputs except those nbval compares.

    python tests/clean_notebooks.py notebooks                 # clean every notebook in place
    python tests/clean_notebooks.py --execute notebooks/04_convolution.ipynb
        # run it first (fast mode, like the tests), so checked cells get outputs

A cell tagged ``nbval-check-output`` keeps its text outputs (nbval compares them); every
other cell loses its outputs. The tag lives in the cell's metadata, out of the student's
sight. Widget state, execution counts and kernel
metadata that changes between machines are removed.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import nbformat

TAG = "nbval-check-output"


def clean(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    notebook.metadata.pop("widgets", None)
    notebook.metadata.pop("language_info", None)
    count = 0
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("collapsed", None)
        if cell.cell_type != "code":
            continue
        cell.execution_count = None
        if TAG in cell.metadata.get("tags", []):
            # nbval treats a cell without an execution count as unrun: number the kept ones.
            count += 1
            cell.execution_count = count
            kept = []
            for output in cell.outputs:
                if output.output_type == "execute_result":
                    output.execution_count = count
                if "data" in output:
                    output.data = {
                        k: v for k, v in output.data.items() if k == "text/plain"
                    }
                    if not output.data:
                        continue
                kept.append(output)
            cell.outputs = kept
        else:
            cell.outputs = []
    return notebook


def execute(path: Path, notebook: nbformat.NotebookNode) -> None:
    from nbclient import NotebookClient

    os.environ.setdefault("COURSE_FAST", "1")
    os.environ.setdefault("MPLBACKEND", "Agg")
    NotebookClient(
        notebook, timeout=900, resources={"metadata": {"path": str(path.parent)}}
    ).execute()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument(
        "--execute", action="store_true", help="run each notebook first"
    )
    args = parser.parse_args()
    files = []
    for path in args.paths:
        files += sorted(path.rglob("*.ipynb")) if path.is_dir() else [path]
    for path in files:
        if ".ipynb_checkpoints" in path.parts:
            continue
        notebook = nbformat.read(path, as_version=4)
        if args.execute:
            execute(path, notebook)
        nbformat.write(clean(notebook), path)
        print(f"{path}: {path.stat().st_size / 1000:.0f} kB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
