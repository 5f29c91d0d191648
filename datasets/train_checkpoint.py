"""Rebuild course_lib/data/files/mnist_convnet.weights.h5: the slides' convnet trained on the bundled digits.

    .venv/bin/python datasets/train_checkpoint.py          # train, save, print sha256
    .venv/bin/python datasets/train_checkpoint.py --check  # train and compare, keep the file

The model is ``course_lib.zoo.slides_convnet()``, trained with Adam (learning rate 0.001,
batch 64, 12 epochs, seed 0, deterministic TensorFlow ops) on the 4,000 training digits of
the bundled MNIST subset (``course_lib/data/files/mnist_5k.npz``, split as ``cl.data.load_mnist()`` does
offline) and scored on its 1,000 held-out digits. It takes about a minute on a laptop CPU.
The same seed gives the same weights on the same machine and TensorFlow build. Another
CPU rounds differently and trains other weights; ``--check`` then passes when their
held-out accuracy is within ``WITHIN`` of the shipped network's.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import _build
from _build import bundled_mnist

NUM_EPOCHS = 12
BATCH_SIZE = 64
SEED = 0
WITHIN = 0.01
"""How far a rebuild's held-out accuracy may be from the shipped network's: 10 of the
1,000 digits."""


def train():
    import tensorflow as tf

    import course_lib as cl

    cl.set_seed(SEED)
    tf.config.experimental.enable_op_determinism()
    (x_train, y_train), (x_test, y_test) = bundled_mnist()
    x_train = cl.images.prepare_images(x_train)
    x_test = cl.images.prepare_images(x_test)
    model = cl.zoo.slides_convnet()
    cl.train.compile_for_classification(model, optimizer="adam")
    start = time.perf_counter()
    model.fit(
        x_train,
        y_train,
        batch_size=BATCH_SIZE,
        epochs=NUM_EPOCHS,
        shuffle=True,
        verbose=2,
    )
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"trained in {time.perf_counter() - start:.0f} s")
    print(f"held-out accuracy on the 1,000 bundled test digits: {accuracy:.4f}")
    if accuracy < 0.95:
        raise SystemExit("the checkpoint must score at least 95 %; not saved")
    # Ship the weights only: a fresh, uncompiled copy leaves Adam's two moment estimates
    # per weight out of the file (a third of the size).
    weights_only = cl.zoo.slides_convnet()
    weights_only.set_weights(model.get_weights())
    return weights_only


def build(paths: dict[str, Path], args) -> None:
    _build.save_reproducibly(train(), paths["mnist_convnet"])


def results(name: str, path: Path) -> dict[str, float]:
    """The file's held-out accuracy on the 1,000 bundled test digits."""
    import course_lib as cl

    _, (x_test, y_test) = bundled_mnist()
    model = cl.data.load_mnist_convnet(path)
    accuracy = cl.train.evaluate(model, (cl.images.prepare_images(x_test), y_test))
    return {"held-out accuracy": float(accuracy["accuracy"])}


if __name__ == "__main__":
    sys.exit(
        _build.main(build, ["mnist_convnet"], __doc__, results=results, within=WITHIN)
    )
