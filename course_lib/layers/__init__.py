"""The layers toolbox of lecture 09, written out: softmax, batch normalization, local
response normalization, dropout; rotated digits for a regression head; overfitting and
its remedies, measured.

Each layer is a few lines of NumPy that equal the Keras / TensorFlow layer (the tests
check them to 1e-5)::

    cl.layers.softmax([1.2, 0.9, 0.4])            # [0.4566, 0.3383, 0.2052]
    mean, variance = cl.layers.batch_statistics(x)
    y = cl.layers.batch_norm(x, mean, variance, gamma, beta)
    cl.layers.local_response_norm(x, depth_radius=2)   # = tf.nn.local_response_normalization
    cl.layers.dropout(x, rate=0.5, seed=0)        # kept values scaled by 1 / (1 - rate)

The overfitting experiment trains one small convnet on 500 digits with each remedy and
records, after every epoch, loss and accuracy on the training digits and on held-out
digits, both measured the same way (inference mode, no augmentation)::

    curves = cl.layers.compare_remedies(train, validation, seeds=(0, 1, 2))
    for row in cl.layers.summarize_remedies(curves):
        print(row["remedy"], row["gap"], row["gap_sd"])

Early stopping is one of the remedies (``keras.callbacks.EarlyStopping`` with
``restore_best_weights=True``, watching validation digits of its own). Whether a remedy's
effect stands out of the spread between seeds::

    [row["remedy"] for row in cl.layers.remedy_effects(curves) if row["beyond"]]

``cl.data.load_remedy_curves()`` reads the curves that ship in
``course_lib/data/files/remedy_curves.json`` (made by ``datasets/build_remedy_curves.py``);
``cl.widgets.RemedyExplorer`` draws them.

One idea per module: ``outputs`` (softmax, sigmoid, rotated digits for a regression
head), ``normalization`` (batch norm, LRN), ``dropout``, ``remedies`` (the experiment)
and ``curves`` (its results read back); every name is here, as ``cl.layers.<name>``.
"""

from __future__ import annotations

from course_lib.layers.curves import (
    check_remedy_curves,
    format_summary,
    remedy_curve,
    remedy_effects,
    save_remedy_curves,
    summarize_remedies,
)
from course_lib.layers.dropout import dropout, dropout_mask
from course_lib.layers.normalization import (
    LRN_CONVENTIONS,
    batch_norm,
    batch_norm_training,
    batch_statistics,
    local_response_norm,
    update_moving,
)
from course_lib.layers.outputs import rotate_digits, sigmoid, softmax
from course_lib.layers.remedies import (
    BN_MOMENTUM,
    DROPOUT_RATE,
    EARLY_STOPPING_PATIENCE,
    L2_PENALTY,
    MAX_EPOCHS,
    METRICS,
    MORE_DATA_FACTOR,
    REMEDIES,
    build_remedy_model,
    compare_remedies,
    layer_structure,
    train_with_remedy,
)

__all__ = [
    "softmax",
    "sigmoid",
    "batch_statistics",
    "batch_norm",
    "batch_norm_training",
    "update_moving",
    "local_response_norm",
    "LRN_CONVENTIONS",
    "dropout_mask",
    "dropout",
    "rotate_digits",
    "REMEDIES",
    "METRICS",
    "build_remedy_model",
    "train_with_remedy",
    "compare_remedies",
    "remedy_curve",
    "summarize_remedies",
    "format_summary",
    "save_remedy_curves",
    "check_remedy_curves",
    "BN_MOMENTUM",
    "L2_PENALTY",
    "EARLY_STOPPING_PATIENCE",
    "remedy_effects",
    "layer_structure",
    "DROPOUT_RATE",
    "MORE_DATA_FACTOR",
    "MAX_EPOCHS",
]
