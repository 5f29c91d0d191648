"""Rebuild course_lib/data/files/transfer_results.json, the crossover FineTuneExplorer shows by default.

The digit base of lecture 11 (``cl.transfer.digit_base``) is trained on the digits 0-4
of the bundled MNIST subset (2,000 images, 20 epochs, seed 0). It is then transferred to
the digits 5-9 with 1, 2, 5, 20 and 400 labelled images per class (each seed draws its
own), three ways (from scratch, frozen features + a new head, fine-tuned: the head for
half the steps, then the top block too for the other half), each with the same budget
of 300 gradient steps of 32 images, seeds 0, 1 and 2. Test accuracy on the 500 held-out
test digits 5-9. Also stored: the trainable parameters of the slides' network 2 with 0-5
of VGG16's blocks unfrozen (shapes only, no download).

    COURSE_OFFLINE=1 .venv/bin/python datasets/build_transfer_results.py [--check]

The same seeds give the same file on the same CPU and TensorFlow build. Another CPU
rounds differently; ``--check`` then passes when every accuracy is within ``WITHIN``
of the shipped file's (the parameter counts must be equal).
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

import _build

import course_lib as cl
from course_lib import transfer

BASE_EPOCHS, STEPS, SEEDS = 20, 300, (0, 1, 2)
WITHIN = 0.02
"""How far a rebuild's accuracies may be from the shipped file's: a rebuild on a 2-core
AMD EPYC (2026-12-07) differed from the shipped file by at most 0.010;
the seeds spread by up to 0.1 with one label per class."""


def options(parser) -> None:
    parser.add_argument("--seeds", type=int, default=len(SEEDS))
    parser.add_argument("--steps", type=int, default=STEPS)


def build(paths: dict[str, Path], args) -> None:
    seeds = tuple(range(args.seeds))
    start = time.time()
    cl.set_seed(0)
    (x, y), (x_test, y_test) = cl.data.load_mnist()
    base = transfer.train_digit_base(x, y, epochs=BASE_EPOCHS, seed=0)
    old_x, old_y = transfer.split_digits(x_test, y_test, (0, 1, 2, 3, 4))
    base_accuracy = float(base.evaluate(old_x, old_y, verbose=0)[1])
    sweep = transfer.label_sweep(
        base, x, y, x_test, y_test, transfer.LABELS_PER_CLASS, args.steps, seeds,
        progress=lambda line: print(f"{time.time() - start:5.0f} s  {line}", flush=True),
    )  # fmt: skip
    results = {
        "description": (
            "Digit base trained on 0-4, transferred to 5-9 with 1 to 400 labels per "
            "class: test accuracy on the held-out test digits 5-9, from scratch, frozen "
            "and fine-tuned, each with the same number of gradient steps."
        ),
        "settings": {
            "data": cl.data.source("mnist"),
            "base_classes": [0, 1, 2, 3, 4],
            "base_images": int(sum((y == c).sum() for c in range(5))),
            "base_epochs": BASE_EPOCHS,
            "base_accuracy": round(base_accuracy, 4),
            "target_classes": [5, 6, 7, 8, 9],
            "held_out": int(
                len(transfer.split_digits(x_test, y_test, (5, 6, 7, 8, 9))[1])
            ),
            "steps": args.steps,
            "batch_size": transfer.BATCH_SIZE,
            "fine_tune": "head alone for half the steps (Adam 1e-3), then the top block "
            "and the head for the other half (Adam 1e-4)",
            "seeds": list(seeds),
            "machine": f"{os.cpu_count()} CPU cores, {platform.machine()}",
            "seconds": round(time.time() - start),
        },
        "labels": sweep,
        "vgg16_trainable": transfer.vgg16_trainable_by_blocks(),
    }
    paths["transfer_results"].write_text(json.dumps(results, indent=1) + "\n")
    print(f"trained in {time.time() - start:.0f} s")


results = _build.every_number  # every number in the file is a result


if __name__ == "__main__":
    sys.exit(
        _build.main(
            build,
            ["transfer_results"],
            __doc__,
            options=options,
            results=results,
            within=WITHIN,
        )
    )
