"""Rebuild datasets/transfer_results.json, the results FineTuneExplorer shows by default.

The digit base of lecture 11 (``cl.transfer.digit_base``) is trained on the digits 0-4
of the bundled MNIST subset (5 epochs, seed 0), then transferred to the digits 5-9 with
50 labels per class, with 0, 1, 2 and 3 of its top blocks unfrozen (0 = frozen
features), 20 epochs each, seeds 0, 1 and 2. Also stored: the trainable parameters of
the slides' network 2 with 0-5 of VGG16's blocks unfrozen (shapes only, no download).

    COURSE_OFFLINE=1 .venv/bin/python datasets/build_transfer_results.py
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import course_lib as cl
from course_lib import transfer

OUT = Path(__file__).resolve().parent / "transfer_results.json"
BASE_EPOCHS, EPOCHS, PER_CLASS, SEEDS = 5, 20, 50, (0, 1, 2)


def main() -> None:
    start = time.time()
    cl.set_seed(0)
    (x, y), (x_test, y_test) = cl.data.load_mnist()
    base = transfer.train_digit_base(x, y, epochs=BASE_EPOCHS, seed=0)
    (xs, ys), (xts, yts) = transfer.digit_transfer_data(
        x, y, x_test, y_test, PER_CLASS, seed=0
    )
    sweep = transfer.unfreeze_sweep(base, xs, ys, xts, yts, EPOCHS, SEEDS)
    scratch = [
        transfer.transfer(base, xs, ys, xts, yts, "scratch", epochs=EPOCHS, seed=s)
        for s in SEEDS
    ]
    sweep["accuracy"] = [[round(a, 4) for a in runs] for runs in sweep["accuracy"]]
    results = {
        "description": (
            "Digit base trained on 0-4, transferred to 5-9 with 50 labels per class: "
            "test accuracy on the 500 test digits 5-9 with 0-3 top blocks unfrozen."
        ),
        "settings": {
            "data": cl.data.source("mnist"),
            "base_epochs": BASE_EPOCHS,
            "epochs": EPOCHS,
            "per_class": PER_CLASS,
            "seeds": list(SEEDS),
        },
        "digits": sweep,
        "scratch": {
            "accuracy": [round(r["accuracy"], 4) for r in scratch],
            "trainable": scratch[0]["trainable"],
        },
        "vgg16_trainable": transfer.vgg16_trainable_by_blocks(),
    }
    OUT.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {OUT} in {time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
