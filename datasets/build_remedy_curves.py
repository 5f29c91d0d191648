"""Rebuild course_lib/data/files/remedy_curves.json: the overfitting experiment of lecture 09.

    .venv/bin/python datasets/build_remedy_curves.py          # train, write, print sha256
    .venv/bin/python datasets/build_remedy_curves.py --check  # train, compare, keep file

It runs ``cl.layers.compare_remedies`` with the settings of the notebook's full mode: the
small convnet of ``cl.layers.build_remedy_model`` on the first 500 of the 4,000 bundled
training digits (2,000 for "more data"; early stopping watches digits 2,000-2,999),
every remedy of ``cl.layers.REMEDIES``, seeds 0, 1 and 2, 30 epochs (long enough for
the plain network's held-out loss to turn up), batch 32, validated on the 1,000 bundled
held-out digits (``course_lib/data/files/mnist_5k.npz``, split as ``cl.data.load_mnist()`` does
offline), with deterministic TensorFlow ops, one thread per run and one process per
seed (``--jobs``). 21 training runs: about 15 minutes on a busy 2-core CPU.
``cl.widgets.RemedyExplorer()`` shows the result when given no curves of its own.

The same seeds give the same curves on the same machine and TensorFlow build. Another
CPU rounds differently; ``--check`` then passes when each remedy's summary (what
lecture 09 prints: ``cl.layers.summarize_remedies``, means over the seeds) is within
``WITHIN`` of the file's.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import _build
from _build import bundled_mnist

SEEDS = (0, 1, 2)
EPOCHS = 30
NUM_TRAIN = 500
NUM_VALIDATION = 1000
BATCH_SIZE = 32


def one_seed(seed: int) -> dict:
    """Every remedy, one seed (run in a process of its own)."""
    os.environ["TF_NUM_INTEROP_THREADS"] = "1"
    os.environ["TF_NUM_INTRAOP_THREADS"] = "1"
    import tensorflow as tf

    import course_lib as cl

    tf.config.experimental.enable_op_determinism()
    train, (x_val, y_val) = bundled_mnist()
    validation = (x_val[:NUM_VALIDATION], y_val[:NUM_VALIDATION])
    return cl.layers.compare_remedies(
        train,
        validation,
        seeds=(seed,),
        epochs=EPOCHS,
        num_train=NUM_TRAIN,
        batch_size=BATCH_SIZE,
        report=lambda line: print(f"seed {seed}: {line}", flush=True),
    )


def build_curves(path: Path, jobs: int = 3) -> dict:
    import multiprocessing

    import keras
    import tensorflow as tf

    import course_lib as cl

    start = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(jobs) as pool:
        parts = pool.map(one_seed, SEEDS)
    curves = parts[0]
    for part in parts[1:]:
        for remedy, entry in part["remedies"].items():
            for metric in cl.layers.METRICS:
                curves["remedies"][remedy][metric] += entry[metric]
    curves["settings"]["seeds"] = list(SEEDS)
    curves["settings"].update(
        data="bundled MNIST subset (datasets/mnist_5k.npz): the first training digits "
        "of its 4,000 / 1,000 split, validated on its 1,000 held-out digits",
        made_by="datasets/build_remedy_curves.py",
        tensorflow=tf.__version__,
        keras=keras.__version__,
        machine=f"{os.cpu_count()} CPU cores, one thread per run, {jobs} runs at once",
    )
    print(
        f"trained {len(SEEDS) * len(curves['remedies'])} runs in "
        f"{time.perf_counter() - start:.0f} s"
    )
    cl.layers.save_remedy_curves(curves, path)
    return curves


def build(paths: dict[str, Path], args) -> None:
    import course_lib as cl

    curves = build_curves(paths["remedy_curves"], args.jobs)
    print(cl.layers.format_summary(cl.layers.summarize_remedies(curves)))


WITHIN = {"train": 0.01, "val": 0.01, "gap": 0.015, "val_loss": 0.02, "rise": 0.015}
"""How far a rebuild's summary may be from the file's (chosen, not yet measured across
CPUs; the plain network's rise is 0.038 with a standard deviation of 0.004 over seeds)."""


def results(name: str, path: Path) -> dict[str, float]:
    """Per remedy, the means over seeds of ``cl.layers.summarize_remedies``."""
    import course_lib as cl

    rows = cl.layers.summarize_remedies(cl.data.load_remedy_curves(path))
    return {f"{row['remedy']}/{key}": float(row[key]) for row in rows for key in WITHIN}


def options(parser) -> None:
    parser.add_argument(
        "--jobs", type=int, default=3, help="seeds trained at once (processes)"
    )


if __name__ == "__main__":
    sys.exit(
        _build.main(
            build,
            ["remedy_curves"],
            __doc__,
            options=options,
            results=results,
            within=WITHIN,
        )
    )
