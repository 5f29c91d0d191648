"""Measure every lecture notebook top to bottom: seconds and peak kernel memory.

    make measure                                    # full mode, offline, every lecture
    .venv/bin/python benchmarks/measure.py 06 12    # only lectures 06 and 12
    .venv/bin/python benchmarks/measure.py --fast   # fast mode (what make test runs)
    .venv/bin/python benchmarks/measure.py --stamp  # only rewrite the title cells
    .venv/bin/python benchmarks/measure.py --check  # CI (make test-full): fail on any error

Each notebook runs alone, in a fresh kernel, with the bundled data (``COURSE_OFFLINE=1``;
``--online`` lets it download). The peak is the kernel process's resident high-water mark
(``VmHWM`` in ``/proc/<pid>/status``, Linux): the target. Beside it, ``private_peak_mb`` is
the largest ``RssAnon`` seen while the notebook ran (read every 50 ms): the memory that is
the kernel's own. The rest of the peak is pages of the libraries' files (TensorFlow's
``.so`` files), which two kernels share and the system can drop; how many of those pages
are mapped depends on how the files entered the page cache, so the peak moves by about
0.1 GB between a fresh installation and a warm one while the private peak does not.
Results go to ``benchmarks/notebooks.json``:

    {"machine": {...}, "mode": "full", "offline": true,
     "notebooks": {"06_mnist_convnet.ipynb":
                   {"seconds": ..., "peak_mb": ..., "private_peak_mb": ...}, ...}}

(``--fast`` writes ``benchmarks/notebooks_fast.json``). Then the benchmarks/README.md table between
``<!-- notebooks:start -->`` and ``<!-- notebooks:end -->`` is rewritten and each title
cell's ``*Measured:*`` line is set from the two files, so no timing is typed by hand.
Run it on a quiet machine: anything else running makes the numbers larger.

``--check`` is CI's full-mode pass (``make test-full``): every notebook runs the same
way, the times and peaks are printed, nothing is written, and any cell that fails (an
assert that training learned included) makes it exit with status 1.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
NOTEBOOKS = ROOT / "notebooks"
README = ROOT / "benchmarks" / "README.md"
FULL = HERE / "notebooks.json"
FAST = HERE / "notebooks_fast.json"
# Where `make test-full` keeps each notebook as executed in full mode: the website is built
# from these copies (`make site`), so the notebooks run once for both.
EXECUTED = ROOT / "build" / "executed"
START, END = "<!-- notebooks:start -->", "<!-- notebooks:end -->"
# The measured line ends where the title cell's next field (" *GPU:*", " *Slides:*")
# begins on the same line, or at the end of the line.
LINE = re.compile(r"^\*Measured:\*.*?(?= \*[A-Z]|$)", re.MULTILINE)
# The hand-typed estimate that a measurement replaces: the "*Time on a laptop CPU:*"
# sentences, up to the next "*GPU:*"-style line or the end of the paragraph.
TYPED = re.compile(
    r"^\*Time on a laptop CPU:\*.*?(?=\n\*|\n\n|\Z| \*[A-Z])", re.MULTILINE | re.DOTALL
)
TARGET_SECONDS = 300  # full mode, offline, on a 2-core laptop CPU
TARGET_MB = 1024  # two notebooks open at once within a 2 GB Binder or JupyterHub limit


def lecture_notebooks(only: list[str] | None = None) -> list[Path]:
    """The lecture notebooks in order (``NN_*.ipynb``), or those whose number is in
    ``only``."""
    paths = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if only:
        unknown = set(only) - {p.name[:2] for p in paths}
        if unknown:
            raise SystemExit(
                f"no lecture notebook numbered {', '.join(sorted(unknown))}; "
                f"there are {', '.join(p.name[:2] for p in paths)}"
            )
        paths = [p for p in paths if p.name[:2] in only]
    return paths


def _status_mb(pid: int, field: str) -> float:
    """A memory line of ``/proc/<pid>/status`` (``VmHWM``, ``RssAnon``) in MB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/{pid}/status")


def _peak_mb(pid: int) -> float:
    return _status_mb(pid, "VmHWM")


class PrivatePeak:
    """The largest ``RssAnon`` of process ``pid``, read every ``every`` seconds in a
    thread between ``start()`` and ``stop()`` (the kernel keeps no high-water mark of it)."""

    def __init__(self, pid: int, every: float = 0.05):
        import threading

        self.pid, self.every, self.mb = pid, every, 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while True:
            try:
                self.mb = max(self.mb, _status_mb(self.pid, "RssAnon"))
            except (OSError, RuntimeError):  # the process has gone
                return
            if self._done.wait(self.every):
                return

    def start(self) -> PrivatePeak:
        self._thread.start()
        return self

    def stop(self) -> float:
        self._done.set()
        self._thread.join()
        return self.mb


def run_notebook(
    path: Path,
    fast: bool,
    offline: bool,
    timeout: int = 1800,
    save_to: Path | None = None,
) -> dict:
    """Execute ``path`` in a fresh kernel; its seconds and peak memory (MB). With
    ``save_to``, the executed notebook is written there (atomically, after a run without
    errors), with a still picture of each widget for the website."""
    import nbformat
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    env = dict(os.environ, MPLBACKEND="Agg")
    env.pop("COURSE_FAST", None)
    if fast:
        env["COURSE_FAST"] = "1"
    if offline:
        env["COURSE_OFFLINE"] = "1"
    if save_to is not None:
        env["COURSE_WIDGET_PICTURES"] = "1"  # each widget also shows as a PNG
        # Figures as the notebook shows them in JupyterLab (inline PNGs), for the website;
        # Agg would draw them nowhere.
        env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    notebook = nbformat.read(path, as_version=4)
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(env=env, cwd=str(path.parent))
    client = NotebookClient(
        notebook,
        km=manager,
        timeout=timeout,
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    private = PrivatePeak(manager.provisioner.process.pid).start()
    try:
        with client.setup_kernel():
            for index, cell in enumerate(notebook.cells):
                client.execute_cell(cell, index)
            seconds = time.perf_counter() - start
            peak = _peak_mb(manager.provisioner.process.pid)
            private_peak = private.stop()
    finally:
        private.stop()
        # A shutdown request first (now=False), as Jupyter does, rather than a kill
        # (CI's full-mode pass once logged "DELIM not in msg_list" tracebacks at shutdown).
        if manager.is_alive():
            manager.shutdown_kernel(now=False)
    if save_to is not None:
        save_to.parent.mkdir(parents=True, exist_ok=True)
        partial = save_to.with_suffix(".partial")
        nbformat.write(notebook, partial)
        partial.replace(save_to)
    return {
        "seconds": round(seconds, 1),
        "peak_mb": round(peak),
        "private_peak_mb": round(private_peak),
    }


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


def _load(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {"notebooks": {}}


def _machine_words(machine: dict) -> str:
    cpu = machine.get("cpu", "a CPU")
    return f"{machine.get('cores', '?')} cores of {cpu}"


def title_line(name: str, full: dict, fast: dict) -> str | None:
    """The ``*Measured:*`` line of a title cell (full mode, as a student runs it), or None
    when nothing was measured. ``fast`` is accepted for the README table's sake and not
    used: a student reads one time and one memory figure."""
    if name not in full["notebooks"]:
        return None
    record = full["notebooks"][name]
    machine = full.get("machine", {})
    return (
        f"*Measured:* {_duration(record['seconds'])} from top to bottom, at most "
        f"{record['peak_mb'] / 1024:.2f} GB of memory, on {_machine_words(machine)}."
    )


def stamp_titles(paths: list[Path]) -> list[str]:
    """Set the ``*Measured:*`` line of each title cell from the measurements; return the
    names changed. The line goes after the title cell's first paragraph if it has none."""
    import nbformat

    full, fast = _load(FULL), _load(FAST)
    changed = []
    for path in paths:
        line = title_line(path.name, full, fast)
        if line is None:
            continue
        notebook = nbformat.read(path, as_version=4)
        title = notebook.cells[0]
        if LINE.search(title.source):
            source = LINE.sub(lambda _, new=line: new, title.source)
        elif TYPED.search(title.source):
            source = TYPED.sub(lambda _, new=line: new, title.source, count=1)
        else:
            source = title.source.rstrip() + "\n\n" + line
        if source != title.source:
            title.source = source
            nbformat.write(notebook, path)
            changed.append(path.name)
    return changed


def readme_table(full: dict, fast: dict) -> str:
    """The README's table of measured notebooks."""
    machine = full.get("machine") or fast.get("machine") or {}
    rows = [
        START,
        f"Measured by `make measure` on {_machine_words(machine)}, one notebook at a "
        "time, offline (bundled data). Targets: full mode ≤ 5 min and ≤ 1.0 GB peak.",
        "",
        "| notebook | full mode | peak (full) | of it private | fast mode | peak (fast) |",
        "|---|---|---|---|---|---|",
    ]
    names = sorted(set(full["notebooks"]) | set(fast["notebooks"]))
    for name in names:
        cells = [f"`{name}`"]
        for data in (full, fast):
            record = data["notebooks"].get(name)
            if record is None:
                cells += ["—", "—"] + (["—"] if data is full else [])
                continue
            over = record["peak_mb"] > TARGET_MB
            cells += [
                _duration(record["seconds"]),
                f"{record['peak_mb'] / 1024:.2f} GB" + (" (above 1.0)" if over else ""),
            ]
            if data is full:
                private = record.get("private_peak_mb")
                cells.append("—" if private is None else f"{private / 1024:.2f} GB")
        rows.append("| " + " | ".join(cells) + " |")
    rows.append(END)
    return "\n".join(rows)


def write_readme(full: dict, fast: dict) -> None:
    text = README.read_text()
    if START not in text or END not in text:
        raise SystemExit(f"benchmarks/README.md has no {START} ... {END} block")
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    README.write_text(before + readme_table(full, fast) + after)


def check(paths: list[Path], fast: bool, offline: bool) -> int:
    """Run each notebook; print its time and peak; 1 when any of them failed."""
    failed = []
    started = time.perf_counter()
    for path in paths:
        print(f"{path.name} ...", flush=True)
        try:
            # A cell over 10 minutes is a failure here: the target is 5 for a notebook.
            record = run_notebook(
                path,
                fast=fast,
                offline=offline,
                timeout=600,
                save_to=None if fast else EXECUTED / path.name,
            )
        except Exception as exc:  # noqa: BLE001 - report every notebook, then fail
            failed.append(path.name)
            print(f"  FAILED: {type(exc).__name__}: {str(exc)[-3000:]}", flush=True)
            continue
        print(f"  {record['seconds']:.0f} s, peak {record['peak_mb']} MB", flush=True)
    mode = "fast" if fast else "full"
    total = _duration(time.perf_counter() - started)
    if failed:
        print(
            f"{len(failed)} of {len(paths)} notebooks failed in {mode} mode: "
            f"{', '.join(failed)} ({total})"
        )
        return 1
    print(f"all {len(paths)} notebooks ran in {mode} mode ({total})")
    return 0


def main() -> int:
    sys.path.insert(0, str(HERE))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lectures", nargs="*", help="lecture numbers, e.g. 06 12")
    parser.add_argument("--fast", action="store_true", help="fast mode (COURSE_FAST=1)")
    parser.add_argument("--online", action="store_true", help="allow downloads")
    parser.add_argument(
        "--stamp", action="store_true", help="only rewrite title cells and README"
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="run, print, fail on errors; keep the executed copies in build/executed "
        "(full mode) for the website, write no measurement",
    )
    args = parser.parse_args()
    paths = lecture_notebooks(args.lectures)
    if args.check:
        return check(paths, fast=args.fast, offline=not args.online)
    if not args.stamp:
        from run import machine

        target = FAST if args.fast else FULL
        results = _load(target)
        results.update({"machine": machine(), "mode": "fast" if args.fast else "full"})
        results["offline"] = not args.online
        for path in paths:
            print(f"{path.name} ...", flush=True)
            record = run_notebook(
                path,
                fast=args.fast,
                offline=not args.online,
                save_to=None if args.fast else EXECUTED / path.name,
            )
            flags = []
            if not args.fast and record["seconds"] > TARGET_SECONDS:
                flags.append("over 5 min")
            if record["peak_mb"] > TARGET_MB:
                flags.append("over 1.0 GB")
            print(
                f"  {record['seconds']:.0f} s, peak {record['peak_mb']} MB"
                + (f"  ({', '.join(flags)})" if flags else ""),
                flush=True,
            )
            results["notebooks"][path.name] = record
            target.write_text(json.dumps(results, indent=1) + "\n")  # after each
    changed = stamp_titles(lecture_notebooks())
    write_readme(_load(FULL), _load(FAST))
    print(f"title cells updated: {', '.join(changed) or 'none'}; README table written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
