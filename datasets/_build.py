"""The one helper every build script in this folder uses.

A script defines ``build(paths, args)``, which writes each of its registry files
(``course_lib/data/registry.py``) to ``paths[name]``, and ends with::

    if __name__ == "__main__":
        sys.exit(_build.main(build, ["vae_2d"], __doc__))

``main`` parses the command line (``--check`` and the script's own options), builds into
a temporary folder and then:

- without ``--check``: moves each file into ``course_lib/data/files/`` (an atomic rename:
  never a half-written file there), prints its size and sha256, and writes them into its
  registry row and its row of ``datasets/README.md``;
- with ``--check``: compares each fresh file's sha256 with its registry row, leaves the
  shipped files alone, prints what differs and exits with status 1 when one differs.

Training is bit-reproducible on one CPU and TensorFlow build, not across CPUs: another
CPU rounds differently, a training run then takes another path, and its weights differ
everywhere. A training script therefore also names its ``results`` (the numbers its
lecture reads from the file: an accuracy, a test error) and how far a rebuild's may be
from the shipped file's (``within``); a rebuild whose bytes differ passes when every
result is that close, and ``--check`` prints them side by side.

Scripts run as ``python datasets/build_x.py``, so Python puts this folder on ``sys.path``
and ``import _build`` finds this file; it puts the repository on ``sys.path`` (once, here)
so ``import course_lib`` finds the working copy.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REGISTRY_FILE = ROOT / "course_lib" / "data" / "registry.py"
README = HERE / "README.md"


def bundled_mnist():
    """The shipped 4,000 / 1,000 digits (``cl.data.load_mnist_5k``), whatever the
    network says: every script trains on these, never on a download."""
    import course_lib as cl

    return cl.data.load_mnist_5k()


def npz_bytes(arrays: dict) -> bytes:
    """An .npz (readable by ``np.load``) whose bytes depend only on the arrays: no
    timestamps, members in the dict's order, deflated at level 9."""
    import numpy as np

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for key, array in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(array))
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, member.getvalue(), compresslevel=9)
    return buffer.getvalue()


def save_reproducibly(model, path: Path) -> None:
    """Save ``model``'s weights as Keras does, then copy them into an HDF5 file without
    timestamps.

    HDF5 stamps every dataset with its creation time, so two saves of the same weights
    differ byte for byte; the copy leaves the times out (``track_times=False``) and keeps
    Keras' layout and attributes, so ``model.load_weights`` reads it as usual.
    """
    import h5py

    def copy(group_in, group_out):
        for key, value in group_in.attrs.items():
            group_out.attrs[key] = value
        for name, item in group_in.items():
            if isinstance(item, h5py.Group):
                copy(item, group_out.create_group(name))
            else:
                dataset = group_out.create_dataset(
                    name, data=item[()], track_times=False
                )
                for key, value in item.attrs.items():
                    dataset.attrs[key] = value

    with tempfile.TemporaryDirectory() as folder:
        keras_file = Path(folder) / "keras.weights.h5"
        model.save_weights(keras_file)
        with (
            h5py.File(keras_file, "r") as source,
            h5py.File(path, "w", libver="earliest") as target,
        ):
            copy(source, target)


RUN_RECORD = {"seconds", "machine"}
"""JSON keys that record the run (its wall time, the machine), not its results: a
rebuild elsewhere differs there by nature, so --check compares everything else."""


def _numbers(path: Path) -> dict[str, object]:
    """Every array or number in a weights, array or JSON file, by its place in it."""
    import numpy as np

    name = path.name
    if name.endswith(".h5"):
        import h5py

        found = {}
        with h5py.File(path, "r") as file:
            file.visititems(
                lambda key, item: (
                    found.__setitem__(key, np.asarray(item[()]))
                    if isinstance(item, h5py.Dataset)
                    else None
                )
            )
        return found
    if name.endswith(".npz"):
        with np.load(path) as file:
            return {key: file[key] for key in file.files}
    if name.endswith(".npy"):
        return {"": np.load(path)}
    if name.endswith(".json"):
        found = {}

        def walk(value, key):
            if isinstance(value, dict):
                for k, v in value.items():
                    if k not in RUN_RECORD:
                        walk(v, f"{key}/{k}")
            elif isinstance(value, list):
                for i, v in enumerate(value):
                    walk(v, f"{key}/{i}")
            else:
                found[key] = value

        walk(json.loads(path.read_text()), "")
        return found
    return {"": path.read_bytes()}


def largest_difference(fresh: Path, shipped: Path) -> float:
    """The largest absolute difference between a number of ``fresh`` and the same number
    of ``shipped`` (infinite when their layout or any non-number differs)."""
    import numpy as np

    new, old = _numbers(fresh), _numbers(shipped)
    if new.keys() != old.keys():
        return float("inf")
    largest = 0.0
    for key, value in new.items():
        a, b = np.asarray(value), np.asarray(old[key])
        if a.shape != b.shape:
            return float("inf")
        if a.dtype.kind in "fiub" and b.dtype.kind in "fiub":
            if a.size:
                gap = np.abs(a.astype(np.float64) - b.astype(np.float64)).max()
                largest = max(largest, float(gap))
        elif not np.array_equal(a, b):
            return float("inf")
    return largest


def json_results(path: Path, keep: Callable[[str], bool] = lambda key: True):
    """The numbers of a results file (JSON), by their place in it (``/vae/3/kl``),
    without the run record; ``keep(key)`` picks some."""
    return {
        key: float(value)
        for key, value in _numbers(path).items()
        if isinstance(value, (int, float)) and not isinstance(value, bool) and keep(key)
    }


def every_number(name: str, path: Path) -> dict[str, float]:
    """``results`` for a results file whose every number but its settings is a result
    (accuracies); the settings are the script's constants, not results."""
    return json_results(path, lambda key: not key.startswith("/settings/"))


def allowance(key: str, within) -> float:
    """How far result ``key`` may move: ``within`` itself, or from a dict the entry for
    the whole name or for the part of it nearest its end that the dict names (``kl``
    for ``/vae/3/kl``)."""
    if not isinstance(within, dict):
        return within
    for part in [key] + key.split("/")[::-1]:  # the whole name, then its parts
        if part in within:
            return within[part]
    raise ValueError(f"WITHIN names no allowance for the result {key!r}")


def _same_results(fresh: dict, shipped: dict, within) -> tuple[bool, list[str]]:
    """Whether every result of ``fresh`` is within its ``allowance`` of ``shipped``'s,
    and a line for each (the ten farthest apart of many)."""
    if not fresh or fresh.keys() != shipped.keys():
        mismatch = "the rebuild's results are not the shipped file's"
        return False, [mismatch] if fresh else []
    allowed = {key: allowance(key, within) for key in fresh}
    gaps = {key: abs(fresh[key] - shipped[key]) for key in fresh}
    shown = sorted(gaps, key=lambda key: gaps[key] / (allowed[key] or 1e-12))[::-1]
    shown = shown[:10]
    lines = [
        f"{key}: rebuilt {fresh[key]:.4g}, shipped {shipped[key]:.4g} (within "
        f"{allowed[key]:g}" + (")" if gaps[key] <= allowed[key] else "? no)")
        for key in shown
    ]
    if len(gaps) > len(shown):
        lines.insert(0, f"the {len(shown)} of {len(gaps)} results farthest apart:")
    return all(gaps[key] <= allowed[key] for key in gaps), lines


# --------------------------------------------------------------------------------------
# The registry row and the README row of a rebuilt file


def registry_row(name: str, size: int, sha256: str, text: str) -> str:
    """``text`` (the registry module) with the size and sha256 of row ``name`` replaced."""
    pattern = re.compile(
        rf'(_shipped\("{re.escape(name)}", "[^"]+", "\w+", )([\d_]+), "([0-9a-f]*)"'
    )
    new, count = pattern.subn(rf'\g<1>{size:_}, "{sha256}"', text)
    if count != 1:
        raise SystemExit(f"no registry row for {name!r} in {REGISTRY_FILE}")
    return new


def readme_row(filename: str, size: int, sha256: str, text: str) -> str:
    """``text`` (datasets/README.md) with the size and sha256 of ``filename``'s row
    replaced."""
    pattern = re.compile(
        rf"^(\| `{re.escape(filename)}` \|.*\| )[\d,]+ B \| `[0-9a-f]+` \|$", re.M
    )
    new, count = pattern.subn(rf"\g<1>{size:,} B | `{sha256}` |", text)
    if count != 1:
        raise SystemExit(f"no row for {filename} in {README}")
    return new


def _rewrite(path: Path, change: Callable[..., str], *args) -> None:
    """Apply ``change(*args, text)`` to a text file, written through a temporary file
    and renamed."""
    text = change(*args, path.read_text())
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


# --------------------------------------------------------------------------------------
# main


def parser(doc: str) -> argparse.ArgumentParser:
    """The command line every script shares: its docstring's first line and ``--check``."""
    result = argparse.ArgumentParser(
        description=(doc or "").strip().splitlines()[0] if doc else None
    )
    result.add_argument(
        "--check",
        action="store_true",
        help="rebuild into a temporary folder and compare with the shipped files",
    )
    result.add_argument(
        "--keep",
        metavar="FOLDER",
        type=Path,
        help="with --check: also copy the rebuilt files into FOLDER",
    )
    return result


def main(
    build: Callable[[dict[str, Path], argparse.Namespace], object],
    names: Sequence[str],
    doc: str | None = None,
    *,
    options: Callable[[argparse.ArgumentParser], None] | None = None,
    tolerance: float = 0.0,
    results: Callable[[str, Path], dict[str, float]] | None = None,
    within: float | dict[str, float] = 0.0,
    argv: Sequence[str] | None = None,
) -> int:
    """Build the registry files ``names`` with ``build(paths, args)``; write them into
    place, or with ``--check`` compare them with the shipped ones. The exit status: 1
    when ``--check`` found a difference, else 0.

    ``options(parser)`` adds the script's own options. A file whose bytes differ is
    reported with the largest difference of a number in it (weights, scores); with a
    ``tolerance``, one within it still passes (float round-off on another CPU).
    ``results(name, path)`` gives the numbers a lecture reads from file ``name`` (empty
    for a file with none): a file whose numbers differ by more than ``tolerance`` still
    passes when each result of the rebuild is within ``within`` of the shipped file's
    (one number for all, or a dict by result name or by a part of the name).
    """
    from course_lib.data import registry

    command_line = parser(doc)
    if options is not None:
        options(command_line)
    args = command_line.parse_args(argv)
    rows = [registry.entry(name) for name in names]
    folder = registry.FILES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    # The temporary folder sits beside the shipped files: the final rename is atomic.
    with tempfile.TemporaryDirectory(dir=folder, prefix=".build-") as tmp:
        paths = {row.name: Path(tmp) / row.filename for row in rows}
        build(paths, args)
        status = 0
        for row in rows:
            fresh = paths[row.name]
            if not fresh.is_file():
                raise SystemExit(f"the build wrote no {row.filename}")
            digest, size = registry.sha256_of(fresh), fresh.stat().st_size
            shipped = registry.location(row.name)
            if args.check:
                same = digest == row.sha256 and size == row.size
                gap = 0.0
                if not same:
                    exists = shipped.exists()
                    gap = largest_difference(fresh, shipped) if exists else float("inf")
                lines = []
                if same:
                    verdict = "matches"
                elif gap <= tolerance:
                    verdict = "matches in every number (the bytes differ)"
                else:
                    verdict = f"DIFFERS (largest difference of a number: {gap:.3g})"
                    if results is not None and shipped.exists():
                        close, lines = _same_results(
                            results(row.name, fresh), results(row.name, shipped), within
                        )
                        if close:
                            verdict = (
                                "reproduces its results (its numbers differ by up to "
                                f"{gap:.3g}; every result is within its allowance)"
                            )
                        elif lines:
                            verdict += "; so do its results"
                        same = close
                print(f"{row.filename}: {verdict}")
                print(f"  rebuilt sha256 {digest}, {size:,} B")
                if digest != row.sha256:
                    print(f"  shipped sha256 {row.sha256}, {row.size:,} B")
                for line in lines:
                    print(f"  {line}")
                same = same or gap <= tolerance
                status |= not same
                if args.keep is not None:
                    args.keep.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(fresh, args.keep / row.filename)
                continue
            os.replace(fresh, shipped)
            _rewrite(REGISTRY_FILE, registry_row, row.name, size, digest)
            _rewrite(README, readme_row, row.filename, size, digest)
            where = (
                shipped.relative_to(ROOT) if shipped.is_relative_to(ROOT) else shipped
            )
            print(f"wrote {where}: {size:,} B, sha256 {digest}")
            if digest != row.sha256:
                print(
                    f"  (the registry row {row.name!r} and its README row now say so)"
                )
    return status
