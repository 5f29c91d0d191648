"""datasets/: every shipped file is documented in datasets/README.md with its real size and
sha256, and has the script that rebuilds it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from course_lib.data import sha256_of

DATASETS = Path(__file__).resolve().parent.parent / "datasets"
SHIPPED = sorted(
    p for p in DATASETS.iterdir() if p.is_file() and p.suffix not in {".py", ".md"}
)


def _row(name: str) -> str:
    readme = (DATASETS / "README.md").read_text()
    rows = [line for line in readme.splitlines() if line.startswith(f"| `{name}` |")]
    assert len(rows) == 1, f"datasets/README.md needs one table row for {name}"
    return rows[0]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_file_has_its_size_and_sha256_in_the_readme(path):
    row = _row(path.name)
    assert f"`{sha256_of(path)}`" in row, (
        f"{path.name}: the sha256 in the README is stale"
    )
    sizes = [int(s.replace(",", "")) for s in re.findall(r"\| ([\d,]+) B \|", row)]
    assert sizes == [path.stat().st_size], (
        f"{path.name}: the size in the README is stale"
    )


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_file_names_the_script_that_rebuilds_it(path):
    row = _row(path.name)
    scripts = re.findall(r"datasets/(\w+\.py)", row)
    if not scripts:  # facts or boxes written down by a person: the row must say so
        assert "by hand" in row, (
            f"{path.name}: the README row names no datasets/ script"
        )
    assert all((DATASETS / script).exists() for script in scripts), scripts


def test_shipped_files_stay_small():
    for path in SHIPPED:
        assert path.stat().st_size < 2_500_000, f"{path.name} is too big for git"
