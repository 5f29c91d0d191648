"""Rebuild datasets/mnist_convnet.weights.h5: the slides' convnet trained on the bundled digits.

    .venv/bin/python datasets/train_checkpoint.py          # train, save, print sha256
    .venv/bin/python datasets/train_checkpoint.py --check  # train and compare, keep the file

The model is ``course_lib.models.slides_convnet()``, trained with Adam (learning rate 0.001,
batch 64, 12 epochs, seed 0, deterministic TensorFlow ops) on the 4,000 training digits of
the bundled MNIST subset (``datasets/mnist_5k.npz``, split as ``cl.data.load_mnist()`` does
offline) and scored on its 1,000 held-out digits. It takes about a minute on a laptop CPU.
The same seed gives the same weights on the same machine and TensorFlow build; another
CPU may round differently and give a different sha256 (then update ``CHECKPOINTS`` in
``course_lib/models.py``).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

NUM_EPOCHS = 12
BATCH_SIZE = 64
SEED = 0


def bundled_mnist():
    """The bundled 4,000 / 1,000 split, whatever the network says."""
    import course_lib as cl

    entry = cl.data.REGISTRY["mnist"]
    return entry.bundle_loader(cl.data.bundle_path("mnist"))


def train():
    import tensorflow as tf

    import course_lib as cl

    cl.set_seed(SEED)
    tf.config.experimental.enable_op_determinism()
    (x_train, y_train), (x_test, y_test) = bundled_mnist()
    x_train = cl.models.prepare_images(x_train)
    x_test = cl.models.prepare_images(x_test)
    model = cl.models.slides_convnet()
    cl.models.compile_for_classification(model, optimizer="adam")
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
    weights_only = cl.models.slides_convnet()
    weights_only.set_weights(model.get_weights())
    return weights_only


def save_reproducibly(model, path: Path) -> None:
    """Save the weights as Keras does, then copy them into an HDF5 file without timestamps.

    HDF5 stamps every dataset with its creation time, so two saves of the same weights
    differ byte for byte; the copy leaves the times out (``track_times=False``) and keeps
    Keras' layout and attributes, so ``model.load_weights`` reads it as usual.
    """
    import h5py

    def copy(group_in, group_out):
        for key, value in group_in.attrs.items():
            group_out.attrs[key] = value
        for name, item in group_in.items():
            if isinstance(item, h5py.Group):
                copy(item, group_out.create_group(name))
            else:
                dataset = group_out.create_dataset(
                    name, data=item[()], track_times=False
                )
                for key, value in item.attrs.items():
                    dataset.attrs[key] = value

    with tempfile.TemporaryDirectory() as folder:
        keras_file = Path(folder) / "keras.weights.h5"
        model.save_weights(keras_file)
        with (
            h5py.File(keras_file, "r") as source,
            h5py.File(path, "w", libver="earliest") as target,
        ):
            copy(source, target)


def write_or_check(name: str, model, check: bool) -> int:
    """Save ``model``'s weights as the shipped checkpoint ``name`` (print its size and
    sha256), or with ``check`` save them to a temporary file and compare the sha256 with
    ``cl.models.CHECKPOINTS[name]``; the exit status: 0 when it matches or was written."""
    import course_lib as cl

    target = cl.models.checkpoint_path(name)
    expected = cl.models.CHECKPOINTS[name].sha256
    if check:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / target.name
            save_reproducibly(model, path)
            digest = cl.data.sha256_of(path)
        same = digest == expected
        print(f"sha256 {digest} {'matches' if same else 'DIFFERS from'} {expected}")
        return 0 if same else 1
    save_reproducibly(model, target)
    digest = cl.data.sha256_of(target)
    print(f"wrote {target.relative_to(HERE.parent)}: {target.stat().st_size:,} B")
    print(f"sha256 {digest}")
    if digest != expected:
        print(f"(update CHECKPOINTS[{name!r}].sha256 in course_lib/models.py)")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="compare with the shipped file"
    )
    args = parser.parse_args()
    return write_or_check("mnist_convnet", train(), args.check)


if __name__ == "__main__":
    sys.exit(main())
