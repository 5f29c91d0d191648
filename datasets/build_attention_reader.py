"""Rebuild course_lib/data/files/attention_reader.npz: the attention reader of lecture 20's widget.

    .venv/bin/python datasets/build_attention_reader.py          # train, write, print sha256
    .venv/bin/python datasets/build_attention_reader.py --check  # train, compare, keep file

It trains ``cl.attention.build_reader(attention=True)`` (a CNN encoder, a GRU decoder
with dot-product attention, about 68,000 weights) with teacher forcing on 4,000 strips
of 1-5 digits made by ``cl.attention.make_strips`` from the 4,000 bundled training
digits (``course_lib/data/files/mnist_5k.npz``, split as ``cl.data.load_mnist()`` does offline),
seed 0, 12 epochs, batch 64, with deterministic TensorFlow ops, then saves the weights
with ``cl.attention.save_reader_weights`` (an .npz of float32 arrays, about 270 kB).
``cl.widgets.AttentionViewer()`` loads it through ``cl.attention.load_attention_reader``,
which checks its sha256.

The same seed gives the same weights on the same machine and TensorFlow build. Another
CPU rounds differently and trains other weights; ``--check`` then passes when the
rebuild's sequence accuracy on 500 test strips is within ``WITHIN`` of the shipped
reader's.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import _build
from _build import bundled_mnist

NUM_STRIPS = 4000
EPOCHS = 12
BATCH_SIZE = 64
SEED = 0
WITHIN = 0.03  # how far a rebuild's sequence accuracy may be: 15 of the 500 strips


def train(path: Path):
    import tensorflow as tf

    import course_lib as cl

    tf.config.experimental.enable_op_determinism()
    cl.set_seed(SEED)
    settings = cl.attention.READER_SETTINGS
    strips = cl.attention.make_strips(
        NUM_STRIPS, settings["max_digits"], seed=SEED, mnist=bundled_mnist()
    )
    reader = cl.attention.build_reader(
        settings["max_digits"], settings["units"], attention=True, seed=SEED
    )
    inputs, targets, weights = cl.attention.decoder_sequences(strips)
    start = time.perf_counter()
    reader.fit(
        [strips.images, inputs],
        targets,
        sample_weight=weights,
        epochs=EPOCHS,
        batch_size=BATCH_SIZE,
        shuffle=True,
        verbose=2,
    )
    print(f"trained in {time.perf_counter() - start:.0f} s")
    cl.attention.save_reader_weights(reader, path)
    return reader


def test_accuracy(reader) -> float:
    import course_lib as cl

    strips = cl.attention.make_strips(
        500,
        cl.attention.READER_SETTINGS["max_digits"],
        split="test",
        seed=1,
        mnist=bundled_mnist(),
    )
    return cl.attention.sequence_accuracy(
        cl.attention.greedy_decode(reader, strips.images), strips
    )


def build(paths: dict[str, Path], args) -> None:
    reader = train(paths["attention_reader"])
    print(f"sequence accuracy on 500 test strips: {test_accuracy(reader):.3f}")


def results(name: str, path: Path) -> dict[str, float]:
    """The file's sequence accuracy on the 500 test strips."""
    import course_lib as cl

    return {"sequence accuracy": test_accuracy(cl.data.load_attention_reader(path))}


if __name__ == "__main__":
    sys.exit(
        _build.main(
            build, ["attention_reader"], __doc__, results=results, within=WITHIN
        )
    )
