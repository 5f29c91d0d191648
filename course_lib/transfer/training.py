"""The offline lesson of lecture 11: a base trained on the digits 0-4, reused for the
digits 5-9 with 1 to 400 labels per class, and for faces vs non-faces.

Three ways, each with the same budget of gradient steps (:func:`fit_steps`):
``"scratch"`` (a fresh network), ``"frozen"`` (the base's features, frozen, plus a new
head) and ``"fine-tune"`` (the head trained for half the steps, then the top blocks of
the base unfrozen and trained with a small learning rate for the other half).
"""

from __future__ import annotations

import gc

import numpy as np

from course_lib.core import (
    SEED,
    Callbacks,
    Choice,
    Function,
    Images,
    Instance,
    Int,
    Items,
    Labels,
    Model,
    Optional,
    checked,
)
from course_lib.transfer.networks import (
    DIGIT_BLOCKS,
    MAX_CLASSES,
    MODES,
    _compile,
    digit_base,
    features_of,
    trainable_parameters,
    unfreeze_top_blocks,
    with_head,
)

LABELS_PER_CLASS = (1, 2, 5, 20, 400)
"""The labelled images per class of the target task in :func:`label_sweep`."""
BATCH_SIZE = 32
MAX_STEPS = 5_000
"""The most gradient steps one training run may take."""


class _DigitImages(Images):
    """Gray images (N, H, W) or (N, H, W, 1), uint8 0-255 or float 0-1, returned as
    float32 0-1 with a channel axis. One image (H, W, 1) is refused with the fix,
    never read as H images of W x 1 pixels."""

    def __init__(self):
        super().__init__(("NHW", "NHWC"), channels=1, min_side=8)

    def convert(self, value, name):
        shape = getattr(value, "shape", None)
        if shape is not None and len(shape) == 3 and shape[-1] == 1:
            self.fail(
                name,
                value,
                "one image: add a batch axis, e.g. x[None]",
                got=f"shape {tuple(shape)}",
            )
        images = super().convert(value, name)
        return images if images.ndim == 4 else images[..., np.newaxis]


class _ClassLabels(Labels):
    """Labels (N,) from 0 to ``classes - 1``; one-hot rows of any width refused."""

    def convert(self, value, name):
        shape = getattr(value, "shape", None)
        if shape is not None and len(shape) == 2 and shape[1] > 1:
            self.fail(
                name,
                value,
                "looks one-hot: pass y.argmax(axis=1)",
                got=f"shape {tuple(shape)}",
            )
        return super().convert(value, name)


DIGITS = _DigitImages()
DIGIT_LABELS = _ClassLabels(10)
LABELS = _ClassLabels(MAX_CLASSES)
BASE_MODEL = Model((None, None, None), what="a trained digit base")


def _same_length(x, y, what: str = "y") -> None:
    if len(x) != len(y):
        raise ValueError(
            f"give one label per image: {len(x)} images, {len(y)} labels in {what}"
        )


@checked(x=DIGITS)
def to_images(x) -> np.ndarray:
    """uint8 0-255 or float 0-1 images, (N, H, W) or (N, H, W, 1), as float32 0-1
    with a channel axis."""
    return x


def _split(x, y, classes, per_class, seed):
    _same_length(x, y)
    if len(set(classes)) != len(classes):
        raise ValueError(f"classes must be different labels, got {list(classes)}")
    rng = np.random.default_rng(seed)
    keep = []
    for c in classes:
        found = np.flatnonzero(y == c)
        if per_class is not None:
            if len(found) < per_class:
                raise ValueError(
                    f"per_class must be at most {len(found)}: class {c} has "
                    f"{len(found)} examples, fewer than {per_class}"
                )
            found = rng.permutation(found)[:per_class]
        keep.append(found)
    index = rng.permutation(np.concatenate(keep))
    lookup = {c: i for i, c in enumerate(classes)}
    labels = np.array([lookup[int(v)] for v in y[index]], dtype=np.int64)
    return x[index], labels


SPLIT = {
    "x": DIGITS,
    "y": DIGIT_LABELS,
    "classes": Items(Int(0, 9), 1, 10),
    "per_class": Optional(Int(1, 100_000)),
    "seed": SEED,
}


@checked(**SPLIT)
def split_digits(x, y, classes, per_class: int | None = None, seed: int = 0):
    """The images of the digits ``classes`` with labels renumbered 0, 1, ...;
    ``per_class`` keeps that many of each (drawn with ``seed``), None keeps all."""
    return _split(x, y, classes, per_class, seed)


@checked(
    x=DIGITS,
    y=DIGIT_LABELS,
    classes=SPLIT["classes"],
    epochs=Int(1, 1000),
    seed=SEED,
    callbacks=Callbacks(),
)
def train_digit_base(
    x, y, classes=(0, 1, 2, 3, 4), epochs: int = 3, seed: int = 0, callbacks=None
):
    """Train :func:`digit_base` on the digits ``classes``; returns the model.
    ``callbacks``: None, a Keras callback or a list of them."""
    import keras

    images, labels = _split(x, y, classes, None, seed)
    if len(classes) < 2:
        raise ValueError(f"classes must name at least 2 digits, got {list(classes)}")
    model = digit_base(len(classes), images.shape[1:], seed=seed)
    keras.utils.set_random_seed(seed)
    model.fit(
        images, labels, epochs=epochs, batch_size=64, verbose=0, callbacks=callbacks
    )
    return model


def _fit_steps(model, x, y, steps, batch_size, seed) -> int:
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    needed = steps * batch_size
    rounds = -(-needed // len(x))
    order = np.concatenate([rng.permutation(len(x)) for _ in range(rounds)])[:needed]
    images, labels = tf.constant(x), tf.constant(y)
    batches = (
        tf.data.Dataset.from_tensor_slices(order)
        .batch(batch_size)
        .map(lambda index: (tf.gather(images, index), tf.gather(labels, index)))
    )  # the batches are gathered as they are needed, not copied all at once
    before = int(model.optimizer.iterations)
    model.fit(batches, epochs=1, shuffle=False, verbose=0)
    return int(model.optimizer.iterations) - before


@checked(
    model=Model(what="a compiled classifier"),
    x=DIGITS,
    y=LABELS,
    steps=Int(1, MAX_STEPS),
    batch_size=Int(1, 512),
    seed=SEED,
)
def fit_steps(model, x, y, steps: int, batch_size: int = BATCH_SIZE, seed: int = 0):
    """Train a compiled ``model`` for exactly ``steps`` gradient steps of
    ``batch_size`` images, passing over ``(x, y)`` in shuffled rounds (drawn with
    ``seed``) as often as the steps need; returns the steps the optimizer took.

    A budget in steps, not epochs, is what makes runs on 10 and on 2,000 images
    comparable: each arm of :func:`transfer` gets the same number of updates.
    """
    _same_length(x, y)
    if getattr(model, "optimizer", None) is None:
        raise ValueError("model must be compiled before training: call model.compile")
    classes = model.output_shape[-1]
    if y.max() >= classes:
        raise ValueError(
            f"y must be labels from 0 to {classes - 1} (the model has {classes} "
            f"outputs), got labels up to {y.max()}"
        )
    if tuple(x.shape[1:]) != tuple(model.input_shape[1:]):
        raise ValueError(
            f"x must be images {tuple(model.input_shape[1:])} for this model, "
            f"got {tuple(x.shape[1:])}"
        )
    return _fit_steps(model, x, y, steps, batch_size, seed)


@checked(
    base_model=BASE_MODEL,
    x=DIGITS,
    y=LABELS,
    x_test=DIGITS,
    y_test=LABELS,
    mode=Choice(*MODES),
    blocks=Int(0, DIGIT_BLOCKS),
    steps=Int(2, MAX_STEPS),
    seed=SEED,
)
def transfer(
    base_model,
    x,
    y,
    x_test,
    y_test,
    mode: str = "frozen",
    blocks: int = 1,
    steps: int = 300,
    seed: int = 0,
) -> dict:
    """Train for a new task ``(x, y)`` starting from ``base_model`` (a trained
    :func:`digit_base`); returns ``{"mode", "blocks", "accuracy", "trainable",
    "steps"}`` (``steps``: the gradient steps the optimizers took, all phases).

    ``y`` must use every label from 0 to its largest (renumber with
    :func:`split_digits`); ``y_test`` only those. Every mode gets the same budget of
    ``steps`` gradient steps (batches of 32): ``"scratch"`` trains the same
    architecture with fresh weights; ``"frozen"`` trains only a new head on the base's
    frozen features; ``"fine-tune"`` freezes the base, trains the new head for half the
    steps, unfreezes the top ``blocks`` blocks, recompiles with a 10x smaller learning
    rate and trains for the other half.
    """
    import keras

    _same_length(x, y)
    _same_length(x_test, y_test, "y_test")
    wanted = tuple(base_model.input_shape[1:])
    if tuple(x.shape[1:]) != wanted or tuple(x_test.shape[1:]) != wanted:
        raise ValueError(
            f"x and x_test must be images {wanted}: the base takes those, "
            f"got {tuple(x.shape[1:])} and {tuple(x_test.shape[1:])}"
        )
    num_classes = int(y.max()) + 1
    missing = sorted(set(range(num_classes)) - set(np.unique(y).tolist()))
    if num_classes < 2 or missing:
        raise ValueError(
            f"y must use every label from 0 to {max(num_classes - 1, 1)} (renumber the "
            "classes 0, 1, ..., e.g. with split_digits); "
            + (f"missing {missing[:5]}" if missing else "got one class only")
        )
    if y_test.max() >= num_classes:
        raise ValueError(
            f"y_test must be labels from 0 to {num_classes - 1} (the classes of y), "
            f"got {y_test.max()}"
        )
    features = features_of(base_model)  # refuses a base without blockN_ layers
    keras.utils.set_random_seed(seed)
    if mode == "scratch":
        model = digit_base(num_classes, x.shape[1:], seed=seed)
        blocks = DIGIT_BLOCKS
        taken = _fit_steps(model, x, y, steps, BATCH_SIZE, seed)
    else:
        base = keras.models.clone_model(features)
        base.set_weights(features.get_weights())
        model = with_head(base, num_classes)
        base.trainable = False  # 1. freeze the whole base
        _compile(model, 1e-3)
        if mode == "frozen":
            blocks = 0
            taken = _fit_steps(model, x, y, steps, BATCH_SIZE, seed)  # the head
        else:
            first = steps // 2
            taken = _fit_steps(model, x, y, first, BATCH_SIZE, seed)  # 2. the head
            unfreeze_top_blocks(base, blocks)  # 3. open the top blocks
            _compile(model, 1e-4)  # 4. recompile: trainable takes effect here
            taken += _fit_steps(model, x, y, steps - first, BATCH_SIZE, seed + 1)
    _, accuracy = model.evaluate(x_test, y_test, batch_size=250, verbose=0)
    result = {
        "mode": mode,
        "blocks": int(blocks),
        "accuracy": float(accuracy),
        "trainable": trainable_parameters(model),
        "steps": int(taken),
    }
    # The run's network and its traced training and test functions are not needed
    # again; without this, each run kept about 4 MB that a sweep of 20 runs (lecture
    # 11) adds up. The caller's models keep working.
    model = base = features = None
    keras.backend.clear_session()
    gc.collect()
    return result


TARGET = (5, 6, 7, 8, 9)
"""The digits of the target task."""


@checked(
    x=DIGITS,
    y=DIGIT_LABELS,
    x_test=DIGITS,
    y_test=DIGIT_LABELS,
    per_class=Int(1, 100_000),
    seed=SEED,
)
def digit_transfer_data(x, y, x_test, y_test, per_class: int = 50, seed: int = 0):
    """The target task: the digits 5-9 (labels 0-4) with ``per_class`` training images
    each, and every 5-9 of the test set: ``((x, y), (x_test, y_test))``."""
    return (
        _split(x, y, TARGET, per_class, seed),
        _split(x_test, y_test, TARGET, None, seed),
    )


@checked(train_size=Int(2, 180), seed=SEED)
def face_transfer_data(train_size: int = 40, seed: int = 0):
    """Faces vs non-faces (``skimage.data.lfw_subset``) resized to the digits' 28x28."""
    from course_lib.augmentation import face_data

    (x, y), (x_test, y_test) = face_data(train_size, seed)

    def resize(images):
        import tensorflow as tf

        return np.asarray(tf.image.resize(images, (28, 28)), dtype=np.float32)

    return (resize(x), y), (resize(x_test), y_test)


@checked(
    base_model=BASE_MODEL,
    x=DIGITS,
    y=DIGIT_LABELS,
    x_test=DIGITS,
    y_test=DIGIT_LABELS,
    per_class=Items(Int(1, 100_000), 1, 20),
    steps=Int(2, MAX_STEPS),
    seeds=Items(SEED, 1, 20),
    modes=Items(Choice(*MODES), 1, 3),
    progress=Optional(Function()),
)
def label_sweep(
    base_model,
    x,
    y,
    x_test,
    y_test,
    per_class=LABELS_PER_CLASS,
    steps: int = 300,
    seeds=(0,),
    modes=MODES,
    progress=None,
) -> dict:
    """The crossover: held-out accuracy of each of ``modes`` on the digits 5-9 with
    ``per_class`` labelled images of each digit, per seed, all with ``steps`` steps.

    ``x, y`` and ``x_test, y_test`` are the whole train and test sets (digits 0-9);
    ``per_class``, ``seeds`` and ``modes`` are lists. Each seed draws its own labelled
    images (:func:`digit_transfer_data`) and its own initial weights; the held-out set
    is always every 5-9 of the test set. Returns ``{"per_class", "steps", "seeds",
    "accuracy": {mode: [[per seed] per count]}, "trainable": {mode: count}}``.
    ``progress`` (optional) is called with a line of text after each run.
    """
    _same_length(x, y)
    _same_length(x_test, y_test, "y_test")
    fewest = min(int((y == digit).sum()) for digit in TARGET)
    if max(per_class) > fewest:  # refused before anything trains
        raise ValueError(
            f"per_class must be at most {fewest} (the fewest examples of a digit 5-9 "
            f"in y), got {max(per_class)}"
        )
    if min(int((y_test == digit).sum()) for digit in TARGET) == 0:
        raise ValueError("y_test must hold every digit from 5 to 9")
    accuracy = {mode: [] for mode in modes}
    trainable = {}
    for count in per_class:
        for mode in modes:
            accuracy[mode].append([])
        for seed in seeds:
            (xs, ys), (xts, yts) = digit_transfer_data(
                x, y, x_test, y_test, count, seed
            )
            for mode in modes:
                run = transfer(base_model, xs, ys, xts, yts, mode, 1, steps, seed)
                if run["steps"] != steps:
                    raise RuntimeError(f"{mode} took {run['steps']} steps, not {steps}")
                accuracy[mode][-1].append(round(run["accuracy"], 4))
                trainable[mode] = run["trainable"]
                if progress is not None:
                    progress(
                        f"{count:>4} per class, seed {seed}, {mode:>9}: "
                        f"{run['accuracy']:.1%}"
                    )
    return {
        "per_class": list(per_class),
        "steps": steps,
        "seeds": list(seeds),
        "accuracy": accuracy,
        "trainable": trainable,
    }


def _example_sweep() -> dict:
    return {"per_class": [2], "accuracy": {"frozen": [[0.5, 0.6]]}}


SWEEP = Instance(dict, "a sweep (the dict label_sweep returns)", _example_sweep)


def _check_sweep(sweep: dict) -> dict:
    try:
        counts, accuracy = list(sweep["per_class"]), dict(sweep["accuracy"])
    except (KeyError, TypeError, ValueError):
        raise ValueError(
            "a sweep must have 'per_class' (a list) and 'accuracy' ({mode: runs})"
        ) from None
    if not counts or not accuracy or set(accuracy) - set(MODES):
        raise ValueError(f"a sweep needs label counts and modes from {MODES}")
    for mode, runs in accuracy.items():
        try:
            values = np.asarray(runs, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"accuracy of {mode} must be lists of numbers") from None
        if values.ndim != 2 or len(values) != len(counts) or values.shape[1] == 0:
            raise ValueError(
                f"accuracy of {mode} must have one list of runs per label count"
            )
        if not np.all((values >= 0) & (values <= 1)):
            raise ValueError(f"accuracy of {mode} must be from 0 to 1")
    return sweep


@checked(sweep=SWEEP)
def check_sweep(sweep: dict) -> dict:
    """``sweep`` if it has the shape :func:`label_sweep` returns, else a ValueError."""
    return _check_sweep(sweep)


@checked(sweep=SWEEP)
def summarize_sweep(sweep: dict) -> dict:
    """Mean and sd over seeds for each mode and label count of a :func:`label_sweep`,
    and the advantage of the better transfer (frozen or fine-tuned) over scratch:
    ``{"per_class", "mean": {mode: array}, "sd": {mode: array}, "advantage": array}``.
    """
    sweep = _check_sweep(sweep)
    mean, sd = {}, {}
    for mode, runs in sweep["accuracy"].items():
        values = np.asarray(runs, dtype=float)
        mean[mode] = values.mean(axis=1)
        sd[mode] = values.std(axis=1, ddof=1) if values.shape[1] > 1 else 0 * mean[mode]
    transferred = [m for m in ("frozen", "fine-tune") if m in mean]
    if "scratch" in mean and transferred:
        best = np.max([mean[m] for m in transferred], axis=0)
        advantage = best - mean["scratch"]
    else:
        advantage = np.full(len(sweep["per_class"]), np.nan)
    return {
        "per_class": list(sweep["per_class"]),
        "mean": mean,
        "sd": sd,
        "advantage": advantage,
    }
