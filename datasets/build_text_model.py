"""Build ``course_lib/data/files/text_model.npz``: the small character LSTM of lecture 17's widget.

A ``cl.rnn.char_model`` (one-hot characters -> LSTM(192) -> Dense logits) trained on
the bundled Shakespeare (``course_lib/data/files/shakespeare.txt``), lowercased (50 symbols): the
first 90 % for training, the last 10 % for validation, sequences of 64 characters,
batches of 32, Adam at 0.005, 10 epochs, seed 0, TensorFlow's deterministic ops, on the
CPU. The weights are stored as float32 NumPy arrays (no Keras needed to read them) with
the symbols and the per-epoch losses; ``cl.data.load_text_model()`` reads it.

Usage::

    python datasets/build_text_model.py            # train (about 5-10 min on 2 cores)
    python datasets/build_text_model.py --check    # retrain and compare with the file

The check passes when every weight is within 1e-4 of the file's (float32 round-off
may differ between CPUs and TensorFlow builds); where training took another path, when
the final training and validation losses are within ``WITHIN`` nats of the file's.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")  # the CPU: deterministic and the same

import _build  # noqa: E402

UNITS, LENGTH, BATCH, EPOCHS, SEED = 192, 64, 32, 10, 0
WITHIN = (
    0.03  # nats a character: the fall of the validation loss over its last 4 epochs
)


def train(path: Path) -> None:
    import numpy as np
    import tensorflow as tf

    import course_lib as cl

    cl.set_seed(SEED)
    tf.config.experimental.enable_op_determinism()
    text = cl.rnn.load_corpus("shakespeare").lower()
    vocab = cl.rnn.Vocabulary(text)
    ids = np.array(vocab.encode(text))
    split = int(0.9 * len(ids))
    x, y = cl.rnn.make_sequences(ids[:split], LENGTH)
    x_val, y_val = cl.rnn.make_sequences(ids[split:], LENGTH)
    x, x_val = (
        cl.rnn.one_hot_ids(x, len(vocab)),
        cl.rnn.one_hot_ids(x_val, len(vocab)),
    )
    model = cl.rnn.char_model(len(vocab), UNITS)
    history = model.fit(
        x,
        y,
        batch_size=BATCH,
        epochs=EPOCHS,
        validation_data=(x_val, y_val),
        shuffle=True,
        verbose=2,
    )
    text_model = cl.rnn.model_from_keras(model, vocab)
    cl.rnn.save_text_model(
        text_model,
        path,
        history={
            "loss": history.history["loss"],
            "val_loss": history.history["val_loss"],
            "unigram_entropy": [cl.rnn.unigram_entropy(ids[split:], len(vocab))],
        },
    )


def build(paths: dict[str, Path], args) -> None:
    train(paths["text_model"])


def results(name: str, path: Path) -> dict[str, float]:
    """The final training and validation losses stored in the file."""
    import numpy as np

    with np.load(path) as stored:
        return {
            "final training loss": float(stored["history_loss"][-1]),
            "final validation loss": float(stored["history_val_loss"][-1]),
        }


if __name__ == "__main__":
    # float32 round-off may differ between CPUs and TensorFlow builds: 1e-4 passes.
    sys.exit(
        _build.main(
            build,
            ["text_model"],
            __doc__,
            tolerance=1e-4,
            results=results,
            within=WITHIN,
        )
    )
