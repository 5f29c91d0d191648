"""What the training functions take: modes, losses, optimizers, strategies and data,
as declared checks (``cl.core.checked``), and the check of data against a model."""

from __future__ import annotations

import numpy as np

from course_lib.core import (
    Choice,
    Constraint,
    Function,
    Images,
    Labels,
    Model,
    OneOf,
    Optional,
)

MODES = ("eager", "tf_function", "xla")
"""How the step runs: op by op, as a traced graph, or compiled by XLA."""

MAX_BATCH = 65536
MAX_EPOCHS = 10_000
MAX_EXAMPLES = 10_000_000

MODE = Choice(*MODES)
MODEL = Model(what="a built Keras model")

LOSS_NAMES = (
    "sparse_categorical_crossentropy",
    "categorical_crossentropy",
    "binary_crossentropy",
    "mean_squared_error",
    "mse",
    "mean_absolute_error",
    "mae",
    "huber",
)
"""The loss names the course uses (a ``keras.losses.Loss`` or a function also works)."""

OPTIMIZER_NAMES = ("adam", "adamw", "sgd", "rmsprop", "adadelta", "adagrad", "nadam")
"""The optimizer names ``fit`` and ``compile_for_classification`` take."""


class _KerasObject(Constraint):
    """An instance of a Keras/TensorFlow class, looked up only when a value comes."""

    def __init__(self, path: str, what: str):
        self.path, self.what = path, what

    def kind(self):
        import importlib

        top, *names = self.path.split(".")
        kind = importlib.import_module(top)
        for name in names:
            kind = getattr(kind, name)
        return kind

    def describe(self):
        return self.what

    def convert(self, value, name):
        if not isinstance(value, self.kind()):
            self.fail(name, value)
        return value

    def example(self):
        import keras

        return keras.optimizers.SGD() if "optimizers" in self.path else None

    def bad_values(self):
        return [None, "text", 3]


OPTIMIZER = _KerasObject("keras.optimizers.Optimizer", "a Keras optimizer")
STRATEGY = Optional(
    _KerasObject("tensorflow.distribute.Strategy", "a tf.distribute.Strategy")
)
LOSS = OneOf(
    Choice(*LOSS_NAMES),
    _KerasObject("keras.losses.Loss", "a keras.losses.Loss"),
    Function(),
)


class _Data(Constraint):
    """``(x, y)`` arrays with one y per x, or a ``tf.data.Dataset`` (taken as it is).

    ``x`` with 3 or 4 axes holds images: uint8 0-255 or float 0-1 pixels, trained on as
    float32 0-1 (the same numbers either way; 0-255 floats are refused). ``x`` with
    fewer axes holds features, taken as float32 (uint8 ones are pixels: divided by 255). ``y`` is checked against the model
    in the body (``_fit_model``)."""

    def describe(self):
        return "a pair (x, y) of arrays with one y per example, or a tf.data.Dataset"

    def convert(self, value, name):
        import tensorflow as tf

        if isinstance(value, tf.data.Dataset):
            return value
        if not (isinstance(value, tuple | list) and len(value) == 2):
            self.fail(name, value)
        x, y = value
        try:
            x_array = np.asarray(x)
            y = np.asarray(y)
        except ValueError:  # ragged lists
            self.fail(name, value, got="ragged lists")
        if x_array.dtype.kind not in "biuf" or y.dtype.kind not in "biuf":
            self.fail(name, value, got=f"x of {x_array.dtype} and y of {y.dtype}")
        if x_array.ndim == 0 or y.ndim == 0 or x_array.size > MAX_EXAMPLES * 10:
            self.fail(name, value, got=f"shapes {x_array.shape} and {y.shape}")
        if len(x_array) != len(y):
            self.fail(name, value, got=f"x of {len(x_array)} examples, y of {len(y)}")
        if len(x_array) == 0:
            self.fail(name, value, got="no examples")
        if x_array.ndim in (3, 4):
            layout = "NHW" if x_array.ndim == 3 else "NHWC"
            x = Images(layout, max_count=MAX_EXAMPLES).check(
                x_array, f"the x of {name}"
            )
        elif x_array.dtype == np.uint8:  # flattened pixels: the same 0-1 numbers
            x = x_array.astype(np.float32) / np.float32(255)
        else:
            with np.errstate(over="ignore"):
                x = x_array.astype(np.float32)
            if not np.isfinite(x).all():
                self.fail(name, value, got="x with NaN, infinity or huge numbers")
        return x, y

    def example(self):
        return np.zeros((2, 4), np.float32), np.zeros(2, np.int64)

    def bad_values(self):
        good_x, good_y = self.example()
        return [
            None,
            "text",
            (good_x,),
            (good_x, good_y[:1]),
            (np.full((2, 4), np.nan), good_y),
            (np.full((2, 8, 8), 200.0), good_y),
        ]


DATA = _Data()


def _loss_kind(loss) -> bool | None:
    """True for sparse categorical cross-entropy, False for the one-hot kind, else None."""
    import keras

    name = loss if isinstance(loss, str) else type(loss).__name__
    if isinstance(loss, keras.losses.Loss) or isinstance(loss, str):
        name = name.replace("_", "").casefold()
        if name == "sparsecategoricalcrossentropy":
            return True
        if name == "categoricalcrossentropy":
            return False
    return None


def _fit_model(model, data, loss, name: str = "data"):
    """``data`` (checked by ``DATA``) against ``model``: x must have the model's input
    shape; for the cross-entropy losses y must be labels 0 to outputs - 1 (sparse) or
    one-hot rows (categorical). A dataset is taken as it is."""
    if not isinstance(data, tuple):
        return data
    x, y = data
    expected = tuple(model.inputs[0].shape[1:]) if model.inputs else ()
    if len(expected) != x.ndim - 1 or any(
        e is not None and e != n for e, n in zip(expected, x.shape[1:], strict=False)
    ):
        wanted = ", ".join("?" if e is None else str(e) for e in expected)
        raise ValueError(
            f"the x of {name} must be shaped (N, {wanted}) for this model, got {x.shape}"
        )
    sparse = _loss_kind(loss)
    classes = model.outputs[0].shape[-1] if model.outputs else None
    if sparse is None or classes is None:
        return x, y
    if sparse:
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        return x, Labels(classes).check(y, f"the y of {name}")
    if y.shape[1:] != (classes,):
        raise ValueError(
            f"the y of {name} must be one-hot, shaped (N, {classes}) for this model's "
            f"{classes} outputs, got {y.shape}"
        )
    return x, y
