"""Rebuild datasets/spatial_cnn.weights.h5 and spatial_stn.weights.h5 (lecture 16).

    .venv/bin/python datasets/build_spatial_models.py          # train, write, print sha256
    .venv/bin/python datasets/build_spatial_models.py --check  # train, compare, keep files

Trains the two networks of ``cl.spatial`` that ``cl.widgets.DistortionExplorer`` shows:
the plain convnet (``cl.spatial.build("cnn")``) and the same convnet behind a spatial
transformer (``cl.spatial.build("stn")``), seed 0, on distorted MNIST made by
``cl.spatial.distorted_mnist`` from the 4,000 bundled training digits
(``datasets/mnist_5k.npz``, split as ``cl.data.load_mnist()`` does offline; seed 1),
tested on 1,000 distortions of the 1,000 bundled held-out digits (seed 2). Adam 1e-3,
batch 32, deterministic TensorFlow ops, on the CPU. A few minutes on a laptop.

The same seeds give the same weights on the same machine and TensorFlow build; another
CPU may round differently (``--check`` then reports the largest weight difference and
both test accuracies).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")  # the CPU, for reproducible weights

NUM_TRAIN = 12_000
NUM_TEST = 1_000
EPOCHS = 10
BATCH_SIZE = 32
SEED = 0


def bundled_mnist():
    """The bundled 4,000 / 1,000 split, whatever the network says."""
    import course_lib as cl

    entry = cl.data.REGISTRY["mnist"]
    return entry.bundle_loader(cl.data.bundle_path("mnist"))


def data():
    """(train, test) distorted digits, as ``cl.spatial.DistortedDigits``."""
    from course_lib import spatial

    (x_train, y_train), (x_test, y_test) = bundled_mnist()
    train = spatial.distorted_mnist(x_train, y_train, NUM_TRAIN, seed=1)
    test = spatial.distorted_mnist(x_test, y_test, NUM_TEST, seed=2)
    return train, test


def build(folder: Path) -> dict:
    """Train both networks; write their weights into ``folder``; return accuracies."""
    import tensorflow as tf

    import course_lib as cl
    from course_lib import spatial

    tf.config.experimental.enable_op_determinism()
    train, test = data()
    accuracies = {}
    for kind in spatial.SHIPPED:
        cl.set_seed(SEED)
        start = time.perf_counter()
        model = spatial.build(kind, seed=SEED)
        model.fit(
            spatial.as_inputs(train.images),
            train.labels,
            epochs=EPOCHS,
            batch_size=BATCH_SIZE,
            shuffle=True,
            verbose=2,
        )
        _, accuracy = model.evaluate(
            spatial.as_inputs(test.images), test.labels, verbose=0
        )
        accuracies[kind] = accuracy
        clean = spatial.build(
            kind, seed=SEED, compile=False
        )  # no optimizer state in the file
        clean.set_weights(model.get_weights())
        clean.save_weights(folder / spatial.SHIPPED[kind][0])
        print(
            f"{kind}: test accuracy {accuracy:.3f} on {NUM_TEST} distorted digits "
            f"({time.perf_counter() - start:.0f} s)"
        )
    return accuracies


def main() -> None:
    import numpy as np

    from course_lib import spatial

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="rebuild into a temporary folder, compare"
    )
    args = parser.parse_args()
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            build(Path(tmp))
            for kind, (filename, sha256) in spatial.SHIPPED.items():
                fresh = spatial.build(kind, compile=False)
                fresh.load_weights(Path(tmp) / filename)
                shipped = spatial.build(kind, compile=False)
                shipped.load_weights(HERE / filename)
                largest = max(
                    float(np.abs(a - b).max())
                    for a, b in zip(
                        fresh.get_weights(), shipped.get_weights(), strict=True
                    )
                )
                digest = hashlib.sha256((Path(tmp) / filename).read_bytes()).hexdigest()
                same = "same file" if digest == sha256 else "different bytes"
                print(f"{filename}: largest weight difference {largest:.2e} ({same})")
        return
    build(HERE)
    for filename, _ in spatial.SHIPPED.values():
        path = HERE / filename
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        print(f"{filename}: {path.stat().st_size:,} bytes, sha256 {digest}")


if __name__ == "__main__":
    main()
