"""Rebuild course_lib/data/files/faces_convnet.weights.h5: a small faces / non-faces convnet (lecture 12).

    .venv/bin/python datasets/build_faces_convnet.py          # train, save, print sha256
    .venv/bin/python datasets/build_faces_convnet.py --check  # train and compare, keep the file

The network is ``cl.models.build_for("faces_convnet")``: the slides' convnet shrunk to 16
filters and 32 dense units with 2 outputs (non-face 0, face 1), on 25x25 gray inputs. It is
trained with Adam (learning rate 0.001, batch 16, 40 epochs, seed 0, deterministic
TensorFlow ops) on 160 of the 200 images of ``skimage.data.lfw_subset()`` (80 faces, 80
non-faces, drawn by ``cl.augmentation.face_data(160, seed=0)``) and scored on the other 40.
It takes a few seconds on a laptop CPU. Lecture 12 runs Grad-CAM on it: the heatmap should
sit on the eyes, nose and mouth of a face.

The same seed gives the same weights on the same machine and TensorFlow build. Another
CPU rounds differently and trains other weights; ``--check`` then passes when their
held-out accuracy is within ``WITHIN`` of the shipped network's.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import _build

NAME = "faces_convnet"
NUM_EPOCHS = 40
BATCH_SIZE = 16
SEED = 0
TRAIN_SIZE = 160
FLOOR = 0.9  # held-out accuracy the shipped network must reach
WITHIN = 0.05  # how far a rebuild's held-out accuracy may be: 2 of the 40 pictures


def train():
    import tensorflow as tf

    import course_lib as cl

    cl.set_seed(SEED)
    tf.config.experimental.enable_op_determinism()
    (x, y), (x_test, y_test) = cl.augmentation.face_data(TRAIN_SIZE, seed=SEED)
    model = cl.models.build_for(NAME)
    cl.train.compile_for_classification(model, optimizer="adam")
    start = time.perf_counter()
    model.fit(x, y, batch_size=BATCH_SIZE, epochs=NUM_EPOCHS, shuffle=True, verbose=0)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"trained in {time.perf_counter() - start:.0f} s")
    print(f"held-out accuracy on the 40 other faces / non-faces: {accuracy:.4f}")
    if accuracy < FLOOR:
        raise SystemExit(f"the network must score at least {FLOOR:.0%}; not saved")
    weights_only = cl.models.build_for(NAME)  # no optimizer state in the file
    weights_only.set_weights(model.get_weights())
    return weights_only


def build(paths: dict[str, Path], args) -> None:
    _build.save_reproducibly(train(), paths[NAME])


def results(name: str, path: Path) -> dict[str, float]:
    """The file's accuracy on the 40 held-out faces / non-faces."""
    import course_lib as cl

    _, (x_test, y_test) = cl.augmentation.face_data(TRAIN_SIZE, seed=SEED)
    accuracy = cl.train.evaluate(cl.data.load_faces_convnet(path), (x_test, y_test))
    return {"held-out accuracy": float(accuracy["accuracy"])}


if __name__ == "__main__":
    sys.exit(_build.main(build, [NAME], __doc__, results=results, within=WITHIN))
