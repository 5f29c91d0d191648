"""Keep notebooks small in git: what nbstripout cannot do for nbval's checked cells.

    make clean-notebooks                              # nbstripout, then this, on every notebook
    python tests/clean_notebooks.py --check notebooks # pre-commit: fail if a notebook would change
    python tests/clean_notebooks.py --execute notebooks/04_convolution.ipynb
        # run it first (fast mode, like the tests), so checked cells get outputs

nbstripout (``.pre-commit-config.yaml``, ``make clean-notebooks``) strips every output,
execution count, widget state and machine-specific metadata, except in the cells marked
``keep_output``. This script marks those cells: each cell tagged ``nbval-check-output``
(nbval compares its outputs; the tag lives in the cell's metadata, out of the student's
sight). Then it keeps only their text outputs and numbers them 1, 2, 3, ... (nbval treats
a cell without an execution count as unrun).
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
from pathlib import Path

import nbformat

TAG = "nbval-check-output"


def clean(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Mark the checked cells ``keep_output`` for nbstripout; keep their text outputs,
    numbered. Every other cell is left to nbstripout."""
    count = 0
    for cell in notebook.cells:
        if cell.cell_type != "code":
            # outputs on a text cell make the notebook invalid (JupyterLab says so)
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
            continue
        if TAG not in cell.metadata.get("tags", []):
            cell.metadata.pop("keep_output", None)
            cell.execution_count = None  # nbstripout runs with --keep-count
            continue
        cell.metadata["keep_output"] = True
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
    parser.add_argument(
        "--check",
        action="store_true",
        help="change nothing; fail if a file would change",
    )
    args = parser.parse_args()
    files = []
    for path in args.paths:
        files += sorted(path.rglob("*.ipynb")) if path.is_dir() else [path]
    changed = []
    for path in files:
        if ".ipynb_checkpoints" in path.parts:
            continue
        notebook = nbformat.read(path, as_version=4)
        if args.execute:
            execute(path, notebook)
        cleaned = clean(copy.deepcopy(notebook))
        if args.check:
            if cleaned != nbformat.read(path, as_version=4):
                changed.append(path)
            continue
        nbformat.write(cleaned, path)
        print(f"{path}: {path.stat().st_size / 1000:.0f} kB")
    for path in changed:
        print(f"{path}: checked cells not marked or numbered; run make clean-notebooks")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
