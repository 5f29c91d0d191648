"""Rebuild the face detector of lecture 14 and the astronaut's scored proposals.

    .venv/bin/python datasets/build_face_detector.py          # train, write, print sha256
    .venv/bin/python datasets/build_face_detector.py --check  # rebuild, compare, keep files

Writes ``course_lib/data/files/face_detector.weights.h5`` (the small convnet of
``cl.detection.build_face_model``) and ``course_lib/data/files/astronaut_proposals.json`` (the
selective-search proposals of ``skimage.data.astronaut()`` with that model's face
probability for each), which ``cl.widgets.DetectionExplorer()`` shows without training.

Training, seeded and with deterministic TensorFlow ops: ``cl.detection.face_data`` (the
100 faces and 100 non-faces of ``skimage.data.lfw_subset()``, 50 held out, mirrored, plus
2,000 random crops of face-free scikit-image photos) for 20 epochs; then one round of
hard-negative mining (the 300 crops, out of 4,000 fresh ones, that the model most
believes are faces, added as non-faces) and 10 more epochs. About a minute on a laptop
CPU. The astronaut, coffee and chelsea photos are never used in training.

The same seed gives the same weights on the same machine and TensorFlow build; another
CPU may round differently (``--check`` reports the largest score difference).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import _build

EXTRA_NEGATIVES = 2000
EPOCHS = 20
MINED = 300
MINED_EPOCHS = 10
SEARCH = {"max_side": 192, "min_size": 30, "scales": [100], "seed": 0}


def train():
    import numpy as np
    import tensorflow as tf

    import course_lib as cl

    det = cl.detection
    tf.config.experimental.enable_op_determinism()
    cl.set_seed(0)
    (x_train, y_train), validation = det.face_data(EXTRA_NEGATIVES, seed=0)
    model = det.build_face_model()
    det.train_face_model(model, (x_train, y_train), validation, epochs=EPOCHS)
    mined = det.hard_negatives(model, MINED, seed=1)
    x_train = np.concatenate([x_train, mined])
    y_train = np.concatenate([y_train, np.zeros(len(mined), np.float32)])
    history = det.train_face_model(
        model, (x_train, y_train), validation, epochs=MINED_EPOCHS
    )
    print(f"validation accuracy {history.history['val_accuracy'][-1]:.3f}")
    return model


def proposals(model) -> dict:
    import skimage.data

    import course_lib as cl

    det = cl.detection
    image = skimage.data.astronaut()
    boxes = det.selective_search(image, **SEARCH)
    scores = det.score_boxes(model, image, boxes)
    return {
        "about": "selective-search proposals of skimage.data.astronaut() (512 x 512), "
        "boxes (y0, x0, y1, x1) in pixels, rows first, ranked as selective search "
        "ranks them; scores: the face probability of datasets/face_detector.weights.h5",
        "made_by": "datasets/build_face_detector.py",
        "selective_search": SEARCH,
        "boxes": boxes.astype(int).tolist(),
        "scores": [round(float(s), 5) for s in scores],
    }


def build(paths: dict[str, Path], args) -> None:
    model = train()
    _build.save_reproducibly(model, paths["face_detector"])
    found = proposals(model)
    paths["astronaut_proposals"].write_text(
        json.dumps(found, separators=(",", ":")) + "\n"
    )


if __name__ == "__main__":
    sys.exit(_build.main(build, ["face_detector", "astronaut_proposals"], __doc__))
