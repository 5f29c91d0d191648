"""Test-suite plumbing shared by every test (pytest loads this file first).

For each notebook run under nbval it records the run time and the kernel's peak memory
(resident set high-water mark, VmHWM), prints them in a table at the end of `make test`, writes
them to test-artifacts/notebooks.json, and fails the cell during which a kernel went above
MEMORY_LIMIT_MB (Binder restarts a kernel at 2 GB; we keep a margin).

`make test` runs in two pytest-xdist workers: the peak is measured in the worker that runs
the notebook and travels to the main process in the test report (``user_properties``),
where the table is printed and the file written.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

MEMORY_LIMIT_MB = 1536
ARTIFACTS = Path(__file__).parent / "test-artifacts"
PEAK_PROPERTY = "kernel_peak_mb"
_notebooks: dict[str, dict] = {}


def _is_notebook_cell(item) -> bool:
    return type(item).__name__ == "IPyNbCell"


def _kernel_peak_mb(item) -> float | None:
    """Peak resident memory of the notebook's kernel process so far, in MB.

    On Linux a missing measurement is an error (the memory guard must not switch itself
    off); elsewhere, where /proc does not exist, it is None.
    """
    if not sys.platform.startswith("linux"):
        return None
    pid = item.parent.kernel.km.provisioner.process.pid
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM line in /proc/{pid}/status")


def _record(nodeid: str) -> dict:
    notebook = nodeid.split("::")[0]
    return _notebooks.setdefault(
        notebook, {"seconds": 0.0, "cells": 0, "peak_mb": None}
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield
    if _is_notebook_cell(item):
        try:
            peak = _kernel_peak_mb(item)
        except (AttributeError, OSError, ValueError, RuntimeError) as exc:
            pytest.fail(f"cannot measure the kernel's memory: {exc!r}", pytrace=False)
        if peak is not None:
            item.user_properties.append((PEAK_PROPERTY, peak))
            if peak > MEMORY_LIMIT_MB:
                pytest.fail(
                    f"the kernel's peak memory reached {peak:.0f} MB, "
                    f"above the {MEMORY_LIMIT_MB} MB limit (Binder restarts at 2 GB)",
                    pytrace=False,
                )
    return result


def pytest_runtest_logreport(report):
    if report.nodeid.split("::")[0].endswith(".ipynb"):
        record = _record(report.nodeid)
        record["seconds"] += report.duration
        for name, value in report.user_properties:
            if name == PEAK_PROPERTY:
                record["peak_mb"] = max(value, record["peak_mb"] or 0.0)
        if report.when == "call":
            record["cells"] += 1
            record["failed"] = record.get("failed", False) or report.failed


def pytest_terminal_summary(terminalreporter, config):
    worker = hasattr(config, "workerinput")  # an xdist worker: the main process reports
    if not _notebooks or worker:
        return
    write = terminalreporter.write_line
    terminalreporter.section("notebooks: run time and peak kernel memory")
    write(f"{'notebook':60} {'cells':>5} {'seconds':>8} {'peak MB':>8}")
    for name, record in sorted(_notebooks.items()):
        peak = f"{record['peak_mb']:.0f}" if record["peak_mb"] is not None else "?"
        flag = "  FAILED" if record.get("failed") else ""
        write(
            f"{name:60} {record['cells']:>5} {record['seconds']:>8.1f} {peak:>8}{flag}"
        )
    total = sum(r["seconds"] for r in _notebooks.values())
    write(f"{'total':60} {'':>5} {total:>8.1f}")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "notebooks.json").write_text(json.dumps(_notebooks, indent=1))
