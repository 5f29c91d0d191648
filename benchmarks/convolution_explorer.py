"""How fast does the ConvolutionExplorer redraw on a 512x512 photo?

    python benchmarks/convolution_explorer.py          # prints p50/p95, writes the JSON

Builds the explorer on ``camera`` (512x512), then changes one control at a time (kernel
preset, one kernel cell, stride, padding, output pixel) and times each full redraw:
convolution, figure drawing and JPEG encoding, as a person moving a control would wait
for it. It records wall-clock time and the process's CPU time: on an idle machine they
agree; on a shared one the wall clock also counts the time other jobs held the CPU. Prints the median and 95th percentile in milliseconds and writes them to
``benchmarks/convolution_explorer.json``. The target is p95 <= 100 ms.
``run()`` returns the same numbers as a dict (``benchmarks/run.py`` can collect them).
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

TARGET_P95_MS = 100.0


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _changes(explorer, rounds: int):
    """Yield (description, action) pairs: one control change per redraw."""
    presets = ["sobel", "blur", "sharpen", "emboss", "identity", "vertical edge"]
    for index in range(rounds):
        preset = presets[index % len(presets)]
        yield "preset", lambda p=preset: setattr(explorer.preset, "value", p)
        value = float(index % 3 - 1)
        yield (
            "kernel cell",
            lambda v=value: setattr(explorer.kernel_cells[4], "value", v),
        )
        stride = 2 if explorer.stride.value == 1 else 1
        yield "stride", lambda s=stride: setattr(explorer.stride, "value", s)
        padding = "same" if explorer.padding.value == "valid" else "valid"
        yield "padding", lambda p=padding: setattr(explorer.padding, "value", p)
        row = (37 * index) % (explorer.row.max + 1)
        yield "output pixel", lambda r=row: setattr(explorer.row, "value", r)


def run(rounds: int = 20, image: str = "camera", size: int = 512) -> dict:
    """Time ``5 * rounds`` redraws of the explorer; return p50/p95 in ms and the setting."""
    import course_lib as cl

    explorer = cl.widgets.ConvolutionExplorer(image, size=size)
    for _, action in _changes(explorer, 2):  # warm up caches and code paths
        action()
    wall, cpu, kinds = [], [], []
    for kind, action in _changes(explorer, rounds):
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        action()
        wall.append(time.perf_counter() - start_wall)
        cpu.append(time.process_time() - start_cpu)
        kinds.append(kind)
        if explorer.error.message:
            raise RuntimeError(f"the explorer reported: {explorer.error.message}")
    wall_ms, cpu_ms = np.array(wall) * 1000, np.array(cpu) * 1000
    p50, p95 = np.percentile(wall_ms, [50, 95])
    return {
        "benchmark": "convolution_explorer",
        "image": f"{image} {explorer.picture.shape[0]}x{explorer.picture.shape[1]}",
        "redraws": len(wall),
        "p50_ms": round(float(p50), 1),
        "p95_ms": round(float(p95), 1),
        "cpu_p50_ms": round(float(np.percentile(cpu_ms, 50)), 1),
        "cpu_p95_ms": round(float(np.percentile(cpu_ms, 95)), 1),
        "p95_ms_by_control": {
            kind: round(float(np.percentile(wall_ms[np.array(kinds) == kind], 95)), 1)
            for kind in dict.fromkeys(kinds)
        },
        "target_p95_ms": TARGET_P95_MS,
        "meets_target": bool(p95 <= TARGET_P95_MS),
        # CPU time is what a redraw costs on an idle core; on a shared machine the wall
        # clock also counts the time other jobs held the CPU.
        "meets_target_in_cpu_time": bool(np.percentile(cpu_ms, 95) <= TARGET_P95_MS),
        "machine": f"{_cpu_model()}, {os.cpu_count()} cores, {platform.system()}",
        "load_average_1min": round(os.getloadavg()[0], 2),
    }


def main() -> int:
    result = run()
    print(
        f"ConvolutionExplorer on {result['image']}: {result['redraws']} redraws, "
        f"p50 {result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms "
        f"(target <= {TARGET_P95_MS:.0f} ms; CPU time p95 {result['cpu_p95_ms']:.1f} ms; "
        f"1-min load average {result['load_average_1min']})"
    )
    for kind, value in result["p95_ms_by_control"].items():
        print(f"  {kind:>12}: p95 {value:.1f} ms")
    (HERE / "convolution_explorer.json").write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
