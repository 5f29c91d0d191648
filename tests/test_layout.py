"""The two layers of course_lib, checked in fresh interpreters.

- compute modules (``course_lib/<topic>.py`` or a package ``course_lib/<topic>/``) never
  import ipywidgets;
- no file of course_lib is longer than a newcomer reads in one sitting (``MAX_LINES``);
- ``import course_lib`` starts no TensorFlow (the welcome notebook and dashboards stay quick);
- every widget named in ``cl.widgets.WIDGETS`` lives in ``course_lib/widgets/<topic>.py``;
- ``tests/`` mirrors ``course_lib/``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "course_lib"
NOT_COMPUTE = {"__init__", "widgets", "exercises", "__pycache__"}
COMPUTE_MODULES = sorted(
    [p.stem for p in LIBRARY.glob("*.py") if p.stem not in NOT_COMPUTE]
    + [
        p.name
        for p in LIBRARY.iterdir()
        if p.is_dir() and (p / "__init__.py").exists() and p.name not in NOT_COMPUTE
    ]
)
MAX_LINES = 650
"""About 600 lines: what a newcomer reads in one sitting (issue 32)."""


def _sources(module: str) -> list[Path]:
    """The files of a compute module: one file, or every file of its package."""
    single = LIBRARY / f"{module}.py"
    return [single] if single.exists() else sorted((LIBRARY / module).rglob("*.py"))


WIDGET_MODULES = sorted(
    p.stem for p in (LIBRARY / "widgets").glob("*.py") if p.stem != "__init__"
)


def _imported_after(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nprint(' '.join(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return set(result.stdout.split())


@pytest.mark.parametrize("module", COMPUTE_MODULES)
def test_a_compute_module_imports_no_widgets(module):
    modules = _imported_after(f"import course_lib.{module}")
    widget_modules = sorted(
        m for m in modules if m.split(".")[0] in {"ipywidgets", "ipycanvas"}
    )
    assert not widget_modules, f"course_lib.{module} imports {widget_modules[:3]}"
    assert not any(m.startswith("course_lib.widgets") for m in modules)


@pytest.mark.parametrize("module", COMPUTE_MODULES)
def test_a_compute_module_does_not_import_widgets_later_either(module):
    """Imports inside functions escape the test above; read the source for them."""
    source = "\n".join(path.read_text() for path in _sources(module))
    imports = re.findall(
        r"^\s*(?:import|from)\s+(ipywidgets|ipycanvas|course_lib\.widgets|"
        r"course_lib\s+import\s+widgets)\b",
        source,
        flags=re.MULTILINE,
    )
    assert not imports, f"course_lib/{module} imports {imports}"


def test_every_file_of_the_library_reads_in_one_sitting():
    long = {
        str(path.relative_to(ROOT)): count
        for path in LIBRARY.rglob("*.py")
        if (count := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert not long, f"files over {MAX_LINES} lines (split them by idea): {long}"


def test_importing_course_lib_starts_no_tensorflow():
    modules = _imported_after("import course_lib as cl; cl.pick(1, 2)")
    assert "tensorflow" not in modules and "keras" not in modules
    assert "ipywidgets" not in modules


def test_the_widget_registry_points_at_the_widget_modules():
    import course_lib as cl

    for name, module in cl.widgets.WIDGETS.items():
        assert module in WIDGET_MODULES, (name, module)
        source = (LIBRARY / "widgets" / f"{module}.py").read_text()
        assert f"class {name}(" in source, (
            f"{name} is not defined in widgets/{module}.py"
        )


def test_the_tests_mirror_the_library():
    for module in COMPUTE_MODULES:
        assert (ROOT / "tests" / f"test_{module}.py").exists(), (
            f"no tests/test_{module}.py"
        )
    for module in WIDGET_MODULES:
        assert (ROOT / "tests" / "widgets" / f"test_{module}.py").exists(), (
            f"no tests/widgets/test_{module}.py"
        )
