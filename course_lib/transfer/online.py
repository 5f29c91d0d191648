"""Lecture 11's two other sources of numbers: the results that ship with the course
(``datasets/build_transfer_results.py``) and the online lesson, cats vs dogs with VGG16's
ImageNet weights (the slides' lesson, run when the photos and weights can be fetched)."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from course_lib.core import Choice, Instance, Int, Optional, PathIn, checked
from course_lib.transfer.networks import (
    VGG16_BLOCKS,
    network1,
    network2,
    unfreeze_top_blocks,
    vgg16_base,
)
from course_lib.transfer.training import _check_sweep, _example_sweep

CHOLLET_ACCURACIES = {
    "from scratch": "70-72 %",
    "from scratch, with augmentation": "82 %",
    "frozen VGG16 features, no augmentation": "90 %",
    "frozen VGG16 base + head, with augmentation": "96 %",
    "fine-tuning block 5": "97 %",
}
CHOLLET_SOURCE = (
    "F. Chollet, Deep Learning with Python (Manning, 2017), sections 5.2-5.3, "
    "quoted in slides 002"
)


# --------------------------------------------------------------------------------------
# The shipped results (datasets/build_transfer_results.py)


def _example_results() -> dict:
    return {"labels": _example_sweep(), "vgg16_trainable": [0] * (VGG16_BLOCKS + 1)}


def _check_results(results: dict) -> dict:
    if "labels" not in results or "vgg16_trainable" not in results:
        raise ValueError(
            "results must have 'labels' (a label sweep) and 'vgg16_trainable'"
        )
    if not isinstance(results["labels"], dict):
        raise ValueError("a sweep must be a dict: results['labels'] is not one")
    _check_sweep(results["labels"])
    try:
        counts = len(results["vgg16_trainable"])
    except TypeError:
        raise ValueError("vgg16_trainable must be a list of counts") from None
    if counts != VGG16_BLOCKS + 1:
        raise ValueError(f"vgg16_trainable must have {VGG16_BLOCKS + 1} counts")
    return results


@checked(
    results=Instance(
        dict, "the dict cl.data.load_transfer_results gives", _example_results
    )
)
def check_transfer_results(results: dict) -> dict:
    """``results`` if it has what ``FineTuneExplorer`` shows, else a ValueError."""
    return _check_results(results)


# --------------------------------------------------------------------------------------
# The online lesson: cats vs dogs with VGG16's ImageNet weights


@checked()
def cats_vs_dogs_folder() -> Path:
    """Download (checked, cached) and unpack the cats-vs-dogs subset; the folder with
    ``train/`` and ``validation/``. Raises ``cl.data.DownloadError`` when offline."""
    from course_lib import data

    return data.fetch_cats_vs_dogs()


@checked()
def online_lesson_available() -> tuple[bool, str]:
    """Whether the cats-vs-dogs lesson can run here, and one sentence saying why."""
    from course_lib import data

    if os.environ.get("COURSE_OFFLINE", "").strip() not in {"", "0"}:
        return False, "COURSE_OFFLINE is set"
    try:
        cats_vs_dogs_folder()
    except (data.DownloadError, ValueError, OSError, zipfile.BadZipFile) as exc:
        return False, f"the cats-vs-dogs photos are not available ({exc})"
    try:
        vgg16_base("imagenet")
    except Exception as exc:  # noqa: BLE001 - any failure means: no weights here
        return False, f"VGG16's ImageNet weights are not available ({exc})"
    return True, "the photos and VGG16's ImageNet weights are here"


@checked(
    epochs=Int(1, 1000),
    image_size=Int(32, 512),
    folder=Optional(PathIn(folder=True)),
    weights=Optional(Choice("imagenet")),
)
def run_cats_vs_dogs(
    epochs: int = 10, image_size: int = 64, folder=None, weights="imagenet"
) -> dict[str, float]:
    """The slides' lesson on real photos: validation accuracy of (a) network 1 from
    scratch, (b) frozen VGG16 features + head, (c) the head then block 5 fine-tuned.

    ``folder``: the unpacked photos (with ``train/`` and ``validation/`` inside), or
    None to download them."""
    import keras

    size = (image_size, image_size)
    if folder is not None:
        missing = [p for p in ("train", "validation") if not (folder / p).is_dir()]
        if missing:
            raise ValueError(
                f"folder {folder} must hold the photos in train/ and validation/; "
                f"{' and '.join(missing)} missing"
            )
    else:
        folder = cats_vs_dogs_folder()

    def dataset(part):
        return keras.utils.image_dataset_from_directory(
            folder / part, image_size=size, batch_size=32, label_mode="binary", seed=0
        )

    train, validation = dataset("train"), dataset("validation")
    results = {}

    def fit(model, learning_rate):
        model.compile(
            optimizer=keras.optimizers.RMSprop(learning_rate=learning_rate),
            loss="binary_crossentropy",
            metrics=["accuracy"],
        )
        model.fit(train, validation_data=validation, epochs=epochs, verbose=0)
        return float(model.evaluate(validation, verbose=0)[1])

    scratch = keras.Sequential([keras.layers.Rescaling(1 / 255), network1((*size, 3))])
    results["scratch"] = fit(scratch, 1e-3)

    base = vgg16_base(weights, (*size, 3))
    inputs = keras.Input((*size, 3))
    x = keras.applications.vgg16.preprocess_input(inputs)
    head = network2(base)
    model = keras.Model(inputs, head(x))
    base.trainable = False  # freeze before compiling: the slides' network 2 did not
    results["frozen"] = fit(model, 1e-4)
    unfreeze_top_blocks(base, 1)  # block 5
    results["fine-tune"] = fit(model, 1e-5)  # recompiled inside fit
    return results
