"""Training and scoring the networks of lecture 16 on distorted MNIST: several models
side by side on the same fresh batches, accuracy, and accuracy by rotation angle."""

from __future__ import annotations

import numpy as np

from course_lib.core import (
    SEED,
    Constraint,
    Function,
    Images,
    Int,
    Items,
    Labels,
    Model,
    Number,
    Optional,
    checked,
)
from course_lib.spatial.distorted import (
    DIGITS,
    _check_labels,
    _Count,
    distorted_batches,
    distorted_mnist,
)

CANVASES = Images(("NHW", "NHWC"), channels=1)
"""The declaration of canvases as model inputs: (N, H, W) or (N, H, W, 1), uint8 0-255
or float 0-1."""
NETWORK = Model((None, None, 1), (10,), what="a digit classifier")


class _Models(Constraint):
    """A dict ``{name: network}`` of digit classifiers (compiled, when ``compiled``)."""

    def __init__(self, compiled: bool):
        self.compiled = compiled

    def describe(self):
        kind = "a compiled digit classifier" if self.compiled else "a digit classifier"
        return f"a dict {{name: model}}, each {kind} (N, ?, ?, 1) -> (N, 10)"

    def convert(self, value, name):
        if not isinstance(value, dict) or not value or len(value) > 20:
            self.fail(name, value)
        for key, model in value.items():
            NETWORK.check(model, f"{name}[{key!r}]")
            if self.compiled and getattr(model, "optimizer", None) is None:
                self.fail(
                    name,
                    value,
                    "compile it first, e.g. with cl.spatial.compile_model",
                    got=f"{key!r} not compiled",
                )
        return dict(value)

    def example(self):
        from course_lib.spatial.models import build

        return {"fc": build("fc", compile=self.compiled)}

    def bad_values(self):
        return [None, "model", {}, {"a": 1}]


@checked(
    models=_Models(compiled=True),
    images=DIGITS,
    labels=Labels(10),
    steps=Int(1, 5000),
    batch_size=Int(1, 4096),
    seed=SEED,
    every=Int(1, 5000),
    callback=Optional(Function()),
)
def train_steps(
    models: dict,
    images,
    labels,
    steps: int,
    batch_size: int = 64,
    seed: int = 0,
    every: int = 100,
    callback=None,
) -> dict:
    """Train several compiled ``models`` side by side on the same stream of fresh
    distorted batches (:func:`distorted_batches`): every model sees the same canvases
    in the same order, each canvas once.

    Parameters
    ----------
    models : ``{name: compiled keras model}``.
    images, labels : the digits to distort (N, 28, 28), uint8 0-255 or float 0-1, and
        their labels 0-9.
    steps : gradient steps for each model.
    every : steps per point of the history (the mean training loss and accuracy).
    callback : called as ``callback(step, history)`` after every ``every`` steps.

    Returns
    -------
    ``{name: {"loss": [...], "accuracy": [...]}}``, one value per ``every`` steps.
    """
    batches = distorted_batches(images, labels, batch_size, seed)
    history = {name: {"loss": [], "accuracy": []} for name in models}
    for step in range(1, steps + 1):
        inputs, targets = next(batches)
        for name, model in models.items():
            if (step - 1) % every == 0:
                model.reset_metrics()  # the history holds the mean over each chunk
            loss, accuracy = model.train_on_batch(inputs, targets)
            if step % every == 0 or step == steps:
                history[name]["loss"].append(float(loss))
                history[name]["accuracy"].append(float(accuracy))
        if callback is not None and (step % every == 0 or step == steps):
            callback(step, history)
    return history


def _check_input_size(model, images) -> None:
    want = tuple(model.input_shape[1:3])
    have = tuple(images.shape[1:3])
    if any(w is not None and w != h for w, h in zip(want, have, strict=True)):
        raise ValueError(
            f"images are {have[0]}x{have[1]} but the model {model.name!r} reads "
            f"{want[0]}x{want[1]} canvases"
        )


@checked(model=NETWORK, images=CANVASES, batch_size=Int(1, 10_000))
def predict_classes(model, images, batch_size: int = 250) -> np.ndarray:
    """The class (0-9) that ``model`` gives each of ``images`` (canvases (N, H, W) or
    inputs (N, H, W, 1), uint8 0-255 or float 0-1), as an int array (N,).

    The model is called on ``batch_size`` images at a time, eagerly: no ``tf.data``
    pipeline and no traced predict function, which ``model.predict`` builds (and keeps)
    for every model it meets. Same classes, far less memory for a one-off evaluation.
    """
    inputs = images if images.ndim == 4 else images[..., None]
    _check_input_size(model, inputs)
    classes = [
        np.asarray(model(inputs[start : start + batch_size], training=False)).argmax(1)
        for start in range(0, len(inputs), batch_size)
    ]
    return np.concatenate(classes) if classes else np.zeros(0, np.int64)


@checked(model=NETWORK, images=CANVASES, labels=Labels(10), batch_size=Int(1, 10_000))
def accuracy(model, images, labels, batch_size: int = 250) -> float:
    """The fraction of ``images`` (canvases (N, H, W) or inputs (N, H, W, 1), uint8
    0-255 or float 0-1) that ``model`` classifies as ``labels``
    (:func:`predict_classes`)."""
    _check_labels(images, labels)
    predictions = predict_classes(model, images, batch_size)
    return float((predictions == labels).mean())


@checked(
    models=_Models(compiled=False),
    images=DIGITS,
    labels=Labels(10),
    angles=Items(Number(-360, 360), 1, 36),
    count=_Count(),
    seed=SEED,
)
def accuracy_by_angle(
    models: dict, images, labels, angles, count: int = 500, seed: int = 3
) -> dict:
    """Each model's accuracy on ``count`` distorted canvases turned by exactly each of
    ``angles`` (degrees); the digits, scales, shifts and clutter are the same at every
    angle (:func:`distorted_mnist` with ``angle=``), so only the rotation changes.

    Returns ``{name: [accuracy at each angle]}``."""
    _check_labels(images, labels)
    result = {name: [] for name in models}
    for angle in angles:
        data = distorted_mnist(images, labels, count, seed=seed, angle=angle)
        for name, model in models.items():
            result[name].append(accuracy(model, data.images, data.labels))
    return result


@checked(images=CANVASES)
def as_inputs(images) -> np.ndarray:
    """Canvases (N, H, W) or (N, H, W, 1), uint8 0-255 or float 0-1, as model inputs
    (N, H, W, 1) float32 0-1 (floats above 1.5 are refused: divide 0-255 by 255)."""
    return images if images.ndim == 4 else images[..., None]
