"""Widget latency: for every widget and every control, the p95 time from a value change to
the updated picture (the PNG/JPEG ready to send), in milliseconds.

    .venv/bin/python benchmarks/widget_latency.py      # prints the table; make bench saves it

Each widget is built on its default data; each control is moved back and forth between two
valid values (its two ends, or the first two options; a text box between its value and
the same value with a trailing comma or space) ``REPEAT`` times, timing each assignment
(the first visit of a value is among them: a picture kept for a value that comes back
counts only once). The table says for every control whether its p95 meets the target.
The handler runs synchronously, so the assignment's time is the latency before the
message to the browser. Target: 100 ms per control on a 2-core laptop CPU.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import course_lib as cl  # noqa: E402
from course_lib.widgets.base import CourseWidget, control_ends  # noqa: E402

REPEAT = 6 if os.environ.get("BENCH_QUICK", "").strip() not in {"", "0"} else 20
TARGET_MS = 100.0


def _two_values(control) -> list:
    ends = control_ends(control)
    if len(ends) >= 2:
        return [ends[0], ends[-1]] if len(ends) == 2 else ends[:2]
    value = control.value
    if isinstance(value, str):
        return [value, value + " "]
    if isinstance(value, float):
        return [value, value + 0.5]
    if isinstance(value, int):
        return [value, value + 1]
    return []


def measure(name: str) -> dict[str, float]:
    """p95 milliseconds per control of the widget ``name``."""
    widget = getattr(cl.widgets, name)()
    result = {}
    for control_name, control in widget.controls.items():
        values = _two_values(control)
        if len(values) < 2:
            continue
        original = control.value
        times = []
        for index in range(REPEAT):
            value = values[index % 2]
            start = time.perf_counter()
            control.value = value
            times.append(time.perf_counter() - start)
        control.value = original
        result[control_name] = round(float(np.percentile(times, 95)) * 1e3, 1)
    return result


def run() -> dict[str, dict[str, float]]:
    """``{"ConvolutionExplorer": {"stride": 36.2, ...}, ...}`` for every course widget."""
    table = {}
    for name in cl.widgets.WIDGETS:
        widget_class = getattr(cl.widgets, name)
        if not (
            isinstance(widget_class, type) and issubclass(widget_class, CourseWidget)
        ):
            continue
        cl.set_seed(0)
        table[name] = measure(name)
        slowest = max(table[name].values(), default=0.0)
        print(f"  {name}: slowest control {slowest:.1f} ms p95", flush=True)
    return table


def markdown(table: dict[str, dict[str, float]]) -> list[str]:
    lines = ["| widget | control | p95 ms | ≤ 100 ms |", "|---|---|---|---|"]
    for name, controls in table.items():
        for control, ms in controls.items():
            lines.append(
                f"| {name} | {control} | {ms:.1f} | {'yes' if ms <= TARGET_MS else '**no**'} |"
            )
    return lines


def verdict(table: dict[str, dict[str, float]]) -> str:
    """How many controls meet the target, and which do not."""
    timings = [(f"{w}.{c}", ms) for w, cs in table.items() for c, ms in cs.items()]
    slow = [f"{name} ({ms:.0f} ms)" for name, ms in timings if ms > TARGET_MS]
    return (
        f"{len(timings) - len(slow)} of {len(timings)} controls ≤ {TARGET_MS:.0f} ms"
        + (f"; over: {', '.join(slow)}" if slow else "")
    )


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


if __name__ == "__main__":
    print(f"load average at start: {_load()}", flush=True)
    results = run()
    print("\n".join(markdown(results)))
    print(verdict(results))
    print(f"load average at end: {_load()}")
