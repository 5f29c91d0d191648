"""Write course_lib/data/files/bottleneck_curve.json: lecture 18's code-size sweep.

    .venv/bin/python datasets/build_bottleneck_curve.py          # train, write, print sha256
    .venv/bin/python datasets/build_bottleneck_curve.py --check  # train, compare, keep file

It runs ``cl.autoencoders.bottleneck_curve`` with the settings of the notebook's full
mode: one dense autoencoder (``build_dense_autoencoder(size, hidden=128)``) per code size
in SIZES, 6 epochs each (Adam 3e-3, batch 64, binary cross-entropy), seed 0, trained on
the 4,000 bundled training digits and measured on the 1,000 bundled test digits
(``course_lib/data/files/mnist_5k.npz``, split as ``cl.data.load_mnist()`` does offline),
with deterministic TensorFlow ops. 7 small networks: about 20 seconds on a shared 2-core CPU.
Lecture 18 prints the curve (``cl.data.load_bottleneck_curve()``) and trains one code size
live beside it.

The same seed gives the same curve on the same machine and TensorFlow build. Another CPU
rounds differently; ``--check`` then passes when every test error is within ``WITHIN``
of the file's.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

import _build
from _build import bundled_mnist

SIZES = (1, 2, 4, 8, 16, 32, 64)
EPOCHS = 6
HIDDEN = 128
BATCH_SIZE = 64
SEED = 0
WITHIN = 0.001
"""How far a rebuild's test errors may be from the file's: half the smallest step of the
curve (0.0019, from code size 32 to 64)."""


def build(paths: dict[str, Path], args) -> None:
    import keras
    import tensorflow as tf

    import course_lib as cl

    tf.config.experimental.enable_op_determinism()
    cl.set_seed(SEED)
    ae = cl.autoencoders
    (x_train, _), (x_test, _) = bundled_mnist()
    x_train, x_test = ae.as_images(x_train), ae.as_images(x_test)
    start = time.perf_counter()
    curve = ae.bottleneck_curve(
        x_train,
        x_test,
        sizes=SIZES,
        epochs=EPOCHS,
        hidden=HIDDEN,
        batch_size=BATCH_SIZE,
        seed=SEED,
    )
    result = {
        "what": "test error (squared error per pixel) of one dense autoencoder per code "
        "size on the bundled MNIST digits, and the mean-digit baseline",
        "sizes": list(curve["sizes"]),
        "errors": [round(float(e), 5) for e in curve["errors"]],
        "baseline": round(float(curve["baseline"]), 5),
        "settings": {
            "epochs": EPOCHS,
            "hidden": HIDDEN,
            "batch_size": BATCH_SIZE,
            "learning_rate": 3e-3,
            "seed": SEED,
            "data": "bundled MNIST subset: 4,000 training, 1,000 test digits",
            "made_by": "datasets/build_bottleneck_curve.py",
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
        },
        "machine": f"{os.cpu_count()} CPU cores, {platform.machine()}",
    }
    paths["bottleneck_curve"].write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    print(f"trained {len(SIZES)} networks in {time.perf_counter() - start:.0f} s")


results = _build.every_number  # every number in the file is a result


if __name__ == "__main__":
    sys.exit(
        _build.main(
            build,
            ["bottleneck_curve"],
            __doc__,
            results=results,
            within=WITHIN,
        )
    )
