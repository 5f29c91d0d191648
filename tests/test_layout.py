"""The two layers of course_lib, checked in fresh interpreters.

- compute modules (``course_lib/<topic>.py``) never import ipywidgets;
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
COMPUTE_MODULES = sorted(
    p.stem for p in LIBRARY.glob("*.py") if p.stem not in {"__init__"}
)
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
    source = (LIBRARY / f"{module}.py").read_text()
    imports = re.findall(
        r"^\s*(?:import|from)\s+(ipywidgets|ipycanvas|course_lib\.widgets|"
        r"course_lib\s+import\s+widgets)\b",
        source,
        flags=re.MULTILINE,
    )
    assert not imports, f"course_lib/{module}.py imports {imports}"


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
