"""Rebuild course_lib/data/files/segmentation_unet.npz: the small U-Net of lecture 15, trained.

    .venv/bin/python datasets/build_segmentation_unet.py          # train, write, sha256
    .venv/bin/python datasets/build_segmentation_unet.py --check  # train, compare, keep

It trains ``cl.segmentation.build_unet(**cl.segmentation.UNET_SETTINGS)`` (8 filters,
depth 3, about 121,000 weights) with ``cl.segmentation.train_unet`` on 4,000 digit scenes
made from the bundled 4,000 MNIST training digits (``digit_scenes(4000, seed=1)``, whose
first 3,000 are the notebook's training scenes), for 12 epochs, batch 8, Adam 3e-3 with a
half-epoch warm-up and a cosine decay, ink weighted 5x, seed 0, deterministic TensorFlow
ops: the notebook's recipe with a third more scenes and half again as many epochs, so
that the shipped model is at least as good as what the notebook trains in full mode
(``course_lib/data/files/segmentation_seeds.json`` holds that over 3 seeds). It then reports pixel
accuracy and mean IoU on 500 test scenes made from the 1,000 held-out digits
(``digit_scenes(500, seed=2, split="test")``), beside the all-background baseline.
About 10 minutes on a laptop CPU. ``cl.widgets.SegmentationViewer()`` and the
notebook's last sections load the result with ``cl.data.load_segmentation_unet()``.

The weights are stored as float32 arrays in an uncompressed ``.npz`` (no time stamps),
so the same training gives the same bytes on the same machine and TensorFlow build.
Another CPU rounds differently and trains other weights; ``--check`` then passes when
the rebuild's pixel accuracy and mean IoU on the 500 test scenes are within ``WITHIN``
of the shipped network's.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import _build

SEED = 0
NUM_TRAIN = 4000
NUM_TEST = 500
EPOCHS = 12


WITHIN = {"pixel accuracy": 0.002, "mean IoU": 0.02}
"""How far a rebuild's results may be from the shipped network's: the mean IoU is what
lecture 15 reads (the pixel accuracy is 0.994, all background already 0.922)."""


def train(path: Path):
    import tensorflow as tf

    import course_lib as cl

    tf.config.experimental.enable_op_determinism()
    cl.set_seed(SEED)
    train = cl.segmentation.digit_scenes(NUM_TRAIN, seed=1, split="train")
    test = cl.segmentation.digit_scenes(NUM_TEST, seed=2, split="test")
    model = cl.segmentation.build_unet(**cl.segmentation.UNET_SETTINGS)
    start = time.perf_counter()
    history = cl.segmentation.train_unet(model, train, epochs=EPOCHS)
    print(f"trained {EPOCHS} epochs in {time.perf_counter() - start:.0f} s")
    for epoch, (loss, miou) in enumerate(
        zip(history.history["loss"], history.history["mean_iou"], strict=True)
    ):
        print(f"epoch {epoch + 1:2}: loss {loss:.4f}, mean IoU (train) {miou:.3f}")
    cl.segmentation.save_unet_weights(model, path)
    predicted = cl.segmentation.predict_labels(model, test.images)
    report = cl.segmentation.segmentation_report(test.semantic, predicted)
    print(
        f"{NUM_TEST} test scenes: pixel accuracy {report['pixel_accuracy']:.4f} "
        f"(all background {report['baseline_pixel_accuracy']:.4f}), mean IoU "
        f"{report['mean_iou']:.3f} (all background {report['baseline_mean_iou']:.3f})"
    )
    print("most confused:", cl.segmentation.confused_pairs(test.semantic, predicted, 3))
    return model


def build(paths: dict[str, Path], args) -> None:
    train(paths["segmentation_unet"])


def results(name: str, path: Path) -> dict[str, float]:
    """The file's pixel accuracy and mean IoU on the 500 test scenes."""
    import course_lib as cl

    test = cl.segmentation.digit_scenes(NUM_TEST, seed=2, split="test")
    model = cl.data.load_segmentation_unet(path)
    predicted = cl.segmentation.predict_labels(model, test.images)
    report = cl.segmentation.segmentation_report(test.semantic, predicted)
    return {
        "pixel accuracy": float(report["pixel_accuracy"]),
        "mean IoU": float(report["mean_iou"]),
    }


if __name__ == "__main__":
    sys.exit(
        _build.main(
            build, ["segmentation_unet"], __doc__, results=results, within=WITHIN
        )
    )
