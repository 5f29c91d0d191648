"""Run a few lines in a fresh Python and see which libraries they imported: how the tests
check that a module, a widget or a dashboard starts without TensorFlow."""

from __future__ import annotations

import subprocess
import sys


def imported(code: str, names=("tensorflow", "keras"), **run) -> list[bool]:
    """Whether ``code``, run by a fresh interpreter, had imported each of ``names``
    by its end; fails when ``code`` fails. ``run``: more ``subprocess.run`` arguments
    (``cwd``, ``env``, ``timeout``; 300 s unless given)."""
    script = (
        f"{code}\nimport sys as _sys\nprint(*[n in _sys.modules for n in {names!r}])"
    )
    run.setdefault("timeout", 300)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, **run
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return [word == "True" for word in result.stdout.split()[-len(names) :]]
