"""The measured effect of augmentation (lecture 10): a small convnet trained on a small
data set with and without it, repeated over seeds; test-time augmentation; the shipped
full-budget results."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from course_lib.augmentation.pipelines import (
    BATCH,
    augmented_dataset,
    digit_augmentation,
    face_augmentation,
    rotate_batch,
    small_convnet,
)
from course_lib.augmentation.small_data import face_data, small_digit_set
from course_lib.augmentation.views import ROTATION
from course_lib.core import (
    SEED,
    Bool,
    Callbacks,
    Choice,
    Function,
    Instance,
    Int,
    Items,
    Model,
    Number,
    Optional,
    checked,
)

TASKS = ("digits", "faces")
"""The small-data tasks of :func:`train_small`."""


@dataclass
class TrainingResult:
    """What one training run measured (accuracies in 0..1).

    ``train_accuracy`` is measured like ``test_accuracy``: in inference mode
    (``training=False``: no augmentation, no dropout) on the clean training images, so
    the two compare like for like. ``fit_accuracy`` is the last epoch's accuracy as
    ``fit`` reports it: on the augmented views, with dropout on. ``model`` is the
    trained network (for test-time augmentation, say).
    """

    task: str
    augmented: bool
    seed: int
    epochs: int
    test_accuracy: float
    train_accuracy: float
    fit_accuracy: float
    rotated_accuracy: float | None = None
    history: dict = field(default_factory=dict, repr=False)
    model: object = field(default=None, repr=False, compare=False)


def _data(task: str, size: int | None, seed: int):
    """The task's data, checked before anything trains (a bad ``size`` stops here)."""
    if task == "digits":
        return small_digit_set(size or 500, seed)
    if size is not None and (size % 2 or size > 180):
        raise ValueError(
            f"size must be an even number of faces and non-faces up to 180, got {size}"
        )
    return face_data(size or 20, seed)


TRAINING = {
    "task": Choice(*TASKS),
    "augmented": Bool(),
    "seed": SEED,
    "epochs": Int(1, 1000),
    "size": Optional(Int(2, 60_000)),
    "callbacks": Callbacks(),
    "rotated_turns": ROTATION,
}


@checked(**TRAINING)
def train_small(
    task: str = "digits",
    augmented: bool = True,
    seed: int = 0,
    epochs: int = 30,
    size: int | None = None,
    callbacks=None,
    rotated_turns: float = 0.04,
) -> TrainingResult:
    """Train ``small_convnet`` on a small data set, with or without augmentation.

    - "digits": ``size`` (default 500, a multiple of 10) MNIST digits,
      ``digit_augmentation`` inside the model, batches of 32; besides the test accuracy
      it measures the accuracy on the test digits turned by ``rotated_turns`` of a turn
      (default 0.04 = 14.4°).
    - "faces": ``size`` (default 20, even, at most 180) faces and non-faces,
      ``face_augmentation`` (flips) in a ``tf.data`` pipeline (``augmented_dataset``);
      each epoch shows every image 8 times.

    ``seed`` picks the training images, the initial weights and the random views;
    ``callbacks``: None, a Keras callback or a list of them.
    """
    import keras

    from course_lib.core import set_seed

    callbacks = list(callbacks or [])
    (x, y), (x_test, y_test) = _data(task, size, seed)
    set_seed(seed)
    if task == "digits":
        augmentation = digit_augmentation(seed) if augmented else None
        model = small_convnet(x.shape[1:], 10, augmentation)
        history = model.fit(
            x, y, epochs=epochs, batch_size=32, callbacks=callbacks, verbose=0
        )
        rotated = rotate_batch(x_test, rotated_turns)
        rotated_accuracy = float(model.evaluate(rotated, y_test, verbose=0)[1])
    else:
        model = small_convnet(
            x.shape[1:], 2, filters=(8, 16), dropout=0.0, learning_rate=3e-3
        )
        augmentation = face_augmentation(seed) if augmented else None
        dataset = augmented_dataset(x, y, augmentation, repeats=8, seed=seed)
        history = model.fit(
            dataset,
            epochs=epochs,
            shuffle=False,  # the pipeline shuffles
            callbacks=callbacks,
            verbose=0,
        )
        rotated_accuracy = None
    test_accuracy = float(model.evaluate(x_test, y_test, verbose=0)[1])
    # the clean training images in inference mode, exactly as the test images
    train_accuracy = float(model.evaluate(x, y, verbose=0)[1])
    keras.backend.clear_session()
    return TrainingResult(
        task=task,
        augmented=bool(augmented),
        seed=seed,
        epochs=epochs,
        test_accuracy=test_accuracy,
        train_accuracy=train_accuracy,
        fit_accuracy=float(history.history["accuracy"][-1]),
        rotated_accuracy=rotated_accuracy,
        history=dict(history.history),
        model=model,
    )


@checked(
    task=TRAINING["task"],
    seeds=Items(SEED, 1, 100),
    epochs=TRAINING["epochs"],
    size=TRAINING["size"],
    callbacks=TRAINING["callbacks"],
)
def compare(
    task: str = "digits",
    seeds=(0, 1, 2),
    epochs: int = 30,
    size: int | None = None,
    callbacks=None,
) -> dict[str, list[TrainingResult]]:
    """:func:`train_small` without and with augmentation for every seed in ``seeds``
    (a list): ``{"without": [...], "with": [...]}``, one result per seed."""
    _data(task, size, seeds[0])  # a bad size is refused before anything trains
    results: dict[str, list[TrainingResult]] = {"without": [], "with": []}
    for seed in seeds:
        for name, augmented in (("without", False), ("with", True)):
            results[name].append(
                train_small(task, augmented, seed, epochs, size, callbacks)
            )
    return results


@checked(
    model=Model(outputs="probabilities", what="a classifier"),
    images=BATCH,
    augmentation=Function(),
    views=Int(0, 1000),
    seed=SEED,
)
def predict_over_views(
    model, images, augmentation, views: int = 8, seed: int = 0
) -> np.ndarray:
    """Test-time augmentation: the model's predicted probabilities averaged over the
    image as it is and ``views`` random views of it drawn by ``augmentation`` (Keras
    layers, called with ``training=True``). Returns (N, classes); for a one-output
    sigmoid model, (N, 2) as [1 - p, p].
    """
    from course_lib.core import set_seed

    wanted = tuple(model.input_shape[1:])
    if tuple(images.shape[1:]) != wanted:
        raise ValueError(
            f"images must be shaped (N, {', '.join(map(str, wanted))}) for this model, "
            f"got {images.shape}"
        )

    def probabilities(x):
        p = np.asarray(model.predict(x, verbose=0, batch_size=256), np.float64)
        return np.concatenate([1 - p, p], axis=1) if p.shape[1] == 1 else p

    set_seed(seed)
    total = probabilities(images)
    for _ in range(views):
        total += probabilities(np.asarray(augmentation(images, training=True)))
    return total / (views + 1)


"""The full-budget results that ship with the course (``datasets/``)."""


def _example_augmentation_results() -> dict:
    arms = {"without": {"test_accuracy": [0.9]}, "with": {"test_accuracy": [0.92]}}
    return {task: arms for task in TASKS}


@checked(
    results=Instance(
        dict,
        "the dict cl.data.load_augmentation_results gives",
        _example_augmentation_results,
    )
)
def check_augmentation_results(results: dict) -> dict:
    """``results`` (the augmentation experiment at the full budget: 3 seeds, both tasks,
    with and without augmentation, made by ``datasets/build_augmentation_results.py``)
    if each task has both arms, else a ValueError.

    It holds ``settings``, and per task (``"digits"``, ``"faces"``) and arm
    (``"without"``, ``"with"``) lists over seeds of ``test_accuracy``,
    ``train_accuracy`` (inference mode) and, for digits, ``rotated_accuracy``; and for
    digits ``"tta"``: the augmented model's test accuracy with test-time augmentation.
    """
    for task in TASKS:
        arms = results.get(task)
        if not isinstance(arms, dict) or not {"without", "with"} <= set(arms):
            raise ValueError(
                f"results must hold {task!r} with both arms (without, with)"
            )
    return results


VALUES = Items(Number(), 1, 100_000)


@checked(values=VALUES)
def mean_and_sd(values) -> tuple[float, float]:
    """The mean and the sample standard deviation (ddof = 1; 0 for one value) of a
    list of numbers."""
    array = np.asarray(values, dtype=float)
    sd = float(array.std(ddof=1)) if array.size > 1 else 0.0
    return float(array.mean()), sd


@checked(values=VALUES, percent=Bool())
def format_spread(values, percent: bool = True) -> str:
    """``"92.3 % ± 0.4 (3 seeds)"``: the mean ± the sample standard deviation."""
    mean, sd = mean_and_sd(values)
    seeds = f"({len(values)} seed{'s' if len(values) != 1 else ''})"
    if percent:
        return f"{100 * mean:.1f} % ± {100 * sd:.1f} {seeds}"
    return f"{mean:.4f} ± {sd:.4f} {seeds}"
