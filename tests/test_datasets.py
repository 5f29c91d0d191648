"""The shipped files (course_lib/data/files/): each is documented in datasets/README.md
with its real size and sha256, and has the datasets/ script that rebuilds it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from course_lib.data import FILES_DIR, REGISTRY, sha256_of

DATASETS = Path(__file__).resolve().parent.parent / "datasets"
SHIPPED = sorted(p for p in FILES_DIR.iterdir() if p.is_file())


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


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_the_readme_and_the_registry_agree(path):
    row = _row(path.name)
    (entry,) = [e for e in REGISTRY.values() if e.shipped and e.filename == path.name]
    assert f"`{entry.sha256}`" in row and f"| {entry.size:,} B |" in row
    assert (f"datasets/{entry.script}" in row) if entry.script else "by hand" in row


def test_the_build_scripts_stay_beside_the_readme():
    leftovers = [p.name for p in DATASETS.iterdir() if p.is_file()]
    assert not [name for name in leftovers if not name.endswith((".py", ".md"))]
