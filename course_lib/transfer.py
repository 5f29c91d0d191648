"""Transfer learning (lecture 11): reuse a trained convnet's features on a new task.

Two lessons with the same three ways to train:

- **online**, the slides' lesson: cats vs dogs (the 3,000-image "filtered" subset of the
  TensorFlow tutorials, through ``cl.data.fetch("cats_vs_dogs")``) with VGG16's ImageNet
  weights from ``keras.applications``: :func:`run_cats_vs_dogs`;
- **offline**, on data that ships: a base convnet trained on the digits 0-4
  (:func:`train_digit_base`), reused for the digits 5-9 with 1 to 400 labels per class
  (:func:`transfer`, :func:`label_sweep`: where transfer stops helping), and for faces
  vs non-faces, a task it knows nothing about.

The three ways, each with the same budget of gradient steps (:func:`fit_steps`):
``"scratch"`` (a fresh network), ``"frozen"`` (the base's features, frozen, plus a new
head) and ``"fine-tune"`` (the head trained for half the steps, then the top blocks of
the base unfrozen and trained with a small learning rate for the other half).

The parameter counts (:func:`network1`, :func:`vgg16_base`, :func:`network2`,
:func:`unfreeze_top_blocks`) need no download: ``weights=None`` builds the same shapes.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import numpy as np

from course_lib.core import check_int, show
from course_lib.data.registry import FILES_DIR

BUNDLE_DIR = FILES_DIR
RESULTS_FILE = BUNDLE_DIR / "transfer_results.json"

MODES = ("scratch", "frozen", "fine-tune")
DIGIT_BLOCKS = 3
LABELS_PER_CLASS = (1, 2, 5, 20, 400)
"""The labelled images per class of the target task in :func:`label_sweep`."""
BATCH_SIZE = 32
MAX_STEPS = 5_000
"""The most gradient steps one training run may take."""
VGG16_BLOCKS = 5

CHOLLET_ACCURACIES = {
    "from scratch": "70-72 %",
    "from scratch, with augmentation": "82 %",
    "frozen VGG16 features, no augmentation": "90 %",
    "frozen VGG16 base + head, with augmentation": "96 %",
    "fine-tuning block 5": "97 %",
}
CHOLLET_SOURCE = (
    "F. Chollet, Deep Learning with Python (Manning, 2017), sections 5.2-5.3, "
    "quoted in slides 002"
)


MAX_CLASSES = 1000
"""The most classes a digit base's head may have."""


def _check_model(model, what: str = "model") -> None:
    import keras

    if not isinstance(model, keras.Model):
        raise ValueError(f"{what} must be a Keras model, got {show(model)}")


def _image_shape(input_shape, smallest: int, largest: int = 256) -> tuple:
    """``input_shape`` as (height, width, channels) with sides from ``smallest`` to
    ``largest`` and 1 to 64 channels."""
    try:
        values = tuple(input_shape)
    except TypeError:
        values = ()
    if len(values) != 3:
        raise ValueError(
            f"input_shape must be (height, width, channels), got {show(input_shape)}"
        )
    height = check_int(values[0], "the input height", smallest, largest)
    width = check_int(values[1], "the input width", smallest, largest)
    return height, width, check_int(values[2], "the input channels", 1, 64)


# --------------------------------------------------------------------------------------
# The slides' two networks and VGG16 (counted without any download)


def network1(input_shape=(64, 64, 3)):
    """The slides' network 1 (000): six 3x3 convolutions, a pool after every second,
    Flatten, Dense(128), Dropout(0.5), Dense(1, sigmoid)."""
    import keras
    from keras import layers

    input_shape = _image_shape(input_shape, 8, 512)  # run_cats_vs_dogs' largest
    model = keras.Sequential([keras.Input(input_shape)], name="network1")
    for filters in (32, 48, 64):
        model.add(layers.Conv2D(filters, 3, padding="same", activation="relu"))
        model.add(layers.Conv2D(filters, 3, padding="same", activation="relu"))
        model.add(layers.MaxPooling2D(2))
    model.add(layers.Flatten())
    model.add(layers.Dense(128, activation="relu"))
    model.add(layers.Dropout(0.5))
    model.add(layers.Dense(1, activation="sigmoid"))
    return model


def vgg16_base(weights=None, input_shape=(64, 64, 3)):
    """VGG16 without its dense top; ``weights=None`` (no download) or ``"imagenet"``."""
    import keras

    if weights not in (None, "imagenet"):
        raise ValueError(f"weights must be None or 'imagenet', got {show(weights)}")
    if weights == "imagenet":
        from course_lib import data

        # Keras' own file and md5, through the course's checked, cached download.
        weights = str(data.fetch("vgg16_notop_imagenet"))
    input_shape = _image_shape(input_shape, 32, 1024)
    return keras.applications.VGG16(
        include_top=False, weights=weights, input_shape=tuple(input_shape)
    )


def network2(base):
    """The slides' network 2: ``base``, Flatten, Dense(128, relu), Dense(1, sigmoid)."""
    import keras
    from keras import layers

    _check_model(base, "base")
    x = layers.Flatten()(base.output)
    x = layers.Dense(128, activation="relu")(x)
    output = layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(base.input, output, name="network2")


def block_of(layer) -> int | None:
    """The block number of a layer named ``blockN_...`` (VGG16's and the digit base's
    convention), None for any other layer."""
    name = getattr(layer, "name", None)
    if not isinstance(name, str):
        raise ValueError(f"layer must be a Keras layer, got {show(layer)}")
    if name.startswith("block") and "_" in name:
        number = name[5 : name.index("_")]
        if number.isdigit():
            return int(number)
    return None


def count_blocks(base) -> int:
    """How many ``blockN_`` blocks ``base`` has."""
    _check_model(base, "base")
    numbers = [block_of(layer) for layer in base.layers]
    numbers = [n for n in numbers if n is not None]
    if not numbers:
        raise ValueError("the base has no layers named block1_..., block2_, ...")
    return max(numbers)


def unfreeze_top_blocks(base, blocks: int) -> None:
    """Freeze ``base``, then make its top ``blocks`` blocks trainable again.

    This is the fine-tuning recipe written correctly: the whole base is frozen first
    (the slides' network 2 never did that), and the loop decides for each layer
    (slides 002 used ``set_trainable`` before giving it a value). Recompile the model
    afterwards: ``trainable`` takes effect at ``compile``.
    """
    total = count_blocks(base)
    blocks = check_int(blocks, "blocks", 0, total)
    base.trainable = True
    for layer in base.layers:
        number = block_of(layer)
        layer.trainable = number is not None and number > total - blocks


def trainable_parameters(model) -> int:
    """The number of parameters that training changes (``model.trainable_weights``)."""
    _check_model(model)
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))


def vgg16_trainable_by_blocks(input_shape=(64, 64, 3)) -> list[int]:
    """Trainable parameters of the slides' network 2 with 0, 1, ..., 5 of VGG16's
    blocks unfrozen (the head always trains), counted on a shapes-only model."""
    from course_lib.zoo import release, shapes_only

    with shapes_only():
        base = vgg16_base(None, input_shape)
        model = network2(base)
        counts = []
        for blocks in range(VGG16_BLOCKS + 1):
            unfreeze_top_blocks(base, blocks)
            counts.append(trainable_parameters(model))
    release()
    return counts


# --------------------------------------------------------------------------------------
# The offline lesson: digits 0-4 -> digits 5-9, and digits -> faces


def to_images(x) -> np.ndarray:
    """uint8 0-255 or float 0-1 images, (n, h, w) or (n, h, w, 1), as float32 0-1
    with a channel axis."""
    from course_lib.images import to_unit_float

    x = np.asarray(to_unit_float(np.asarray(x)), dtype=np.float32)
    if x.ndim == 3:
        x = x[..., np.newaxis]
    if x.ndim != 4:
        raise ValueError(f"images must be (n, height, width[, 1]), got shape {x.shape}")
    return x


def split_digits(x, y, classes, per_class: int | None = None, seed: int = 0):
    """The images of ``classes`` with labels renumbered 0, 1, ...; ``per_class`` keeps
    that many of each (drawn with ``seed``), None keeps all."""
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim == 0 or y.ndim != 1 or y.dtype.kind not in "iu":
        raise ValueError("give images x and one int label per image, y")
    if len(x) != len(y):
        raise ValueError(f"x and y differ in length: {len(x)} vs {len(y)}")
    try:
        classes = [check_int(c, "a class", 0) for c in classes]
    except TypeError:
        classes = []
    if not classes or len(set(classes)) != len(classes):
        raise ValueError(f"classes must be different ints >= 0, got {show(classes)}")
    rng = np.random.default_rng(check_int(seed, "seed", 0))
    keep = []
    for c in classes:
        found = np.flatnonzero(y == c)
        if per_class is not None:
            per_class = check_int(per_class, "per_class", 1)
            if len(found) < per_class:
                raise ValueError(
                    f"class {c} has {len(found)} examples, fewer than {per_class}"
                )
            found = rng.permutation(found)[:per_class]
        keep.append(found)
    index = rng.permutation(np.concatenate(keep))
    labels = np.searchsorted(classes, y[index]) if classes == sorted(classes) else None
    if labels is None:
        lookup = {c: i for i, c in enumerate(classes)}
        labels = np.array([lookup[int(v)] for v in y[index]])
    return to_images(x[index]), labels.astype(np.int64)


def digit_base(num_classes: int = 5, input_shape=(28, 28, 1), seed: int = 0):
    """The course's small base: three blocks (3x3 convolution, ReLU, 2x2 max pool) of
    16, 32 and 64 filters, named ``block1_conv`` ... like VGG16's, then Flatten and a
    softmax head. Compiled with Adam."""
    import keras
    from keras import layers

    num_classes = check_int(num_classes, "num_classes", 2, MAX_CLASSES)
    input_shape = _image_shape(input_shape, 8)
    keras.utils.set_random_seed(check_int(seed, "seed", 0, 2**32 - 1))
    inputs = keras.Input(input_shape)
    x = inputs
    for block, filters in enumerate((16, 32, 64), start=1):
        x = layers.Conv2D(
            filters, 3, padding="same", activation="relu", name=f"block{block}_conv"
        )(x)
        x = layers.MaxPooling2D(2, name=f"block{block}_pool")(x)
    base = keras.Model(inputs, x, name="digit_base")
    model = with_head(base, num_classes)
    _compile(model, 1e-3)
    return model


def with_head(base, num_classes: int):
    """``base`` with a new head: Flatten, Dropout(0.3), Dense(``num_classes``, softmax).

    The model shares the base's layers: freezing ``base`` freezes them in the model.
    """
    import keras
    from keras import layers

    _check_model(base, "base")
    num_classes = check_int(num_classes, "num_classes", 2, MAX_CLASSES)
    x = layers.Flatten(name="flatten")(base.output)
    x = layers.Dropout(0.3, name="head_dropout")(x)
    output = layers.Dense(num_classes, activation="softmax", name="head")(x)
    return keras.Model(base.input, output)


def _compile(model, learning_rate: float) -> None:
    import keras

    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )


def features_of(model):
    """The convolutional part of a model built by :func:`digit_base` (up to the last
    pool): a model that shares its layers and weights."""
    import keras

    _check_model(model)
    blocks = [layer for layer in model.layers if block_of(layer) is not None]
    if not blocks:
        raise ValueError("the model has no layers named block1_..., block2_, ...")
    last = blocks[-1]
    return keras.Model(model.input, last.output, name="features")


def train_digit_base(
    x, y, classes=(0, 1, 2, 3, 4), epochs: int = 3, seed: int = 0, callbacks=()
):
    """Train :func:`digit_base` on the digits ``classes``; returns the model."""
    import keras

    from course_lib.train import check_callbacks

    epochs = check_int(epochs, "epochs", 1, 1000)
    callbacks = check_callbacks(callbacks)
    images, labels = split_digits(x, y, classes, seed=seed)
    model = digit_base(len(classes), images.shape[1:], seed=seed)
    keras.utils.set_random_seed(seed)
    model.fit(
        images,
        labels,
        epochs=epochs,
        batch_size=64,
        verbose=0,
        callbacks=list(callbacks),
    )
    return model


def fit_steps(model, x, y, steps: int, batch_size: int = BATCH_SIZE, seed: int = 0):
    """Train a compiled ``model`` for exactly ``steps`` gradient steps of
    ``batch_size`` images, passing over ``(x, y)`` in shuffled rounds (drawn with
    ``seed``) as often as the steps need; returns the steps the optimizer took.

    A budget in steps, not epochs, is what makes runs on 10 and on 2,000 images
    comparable: each arm of :func:`transfer` gets the same number of updates.
    """
    import tensorflow as tf

    _check_model(model)
    steps = check_int(steps, "steps", 1, MAX_STEPS)
    batch_size = check_int(batch_size, "batch_size", 1, 512)
    seed = check_int(seed, "seed", 0, 2**32 - 1)
    x = to_images(x)
    y = _labels(y, len(x), "y")
    if len(x) == 0:
        raise ValueError("give at least one training image")
    if getattr(model, "optimizer", None) is None:
        raise ValueError("compile the model before training it")
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

    Every mode gets the same budget of ``steps`` gradient steps (batches of 32):
    ``"scratch"`` trains the same architecture with fresh weights; ``"frozen"`` trains
    only a new head on the base's frozen features; ``"fine-tune"`` freezes the base,
    trains the new head for half the steps, unfreezes the top ``blocks`` blocks,
    recompiles with a 10x smaller learning rate and trains for the other half.
    """
    import keras

    from course_lib.core import choose

    _check_model(base_model, "base_model")
    mode = choose(mode, MODES, "mode")
    steps = check_int(steps, "steps", 2, MAX_STEPS)
    seed = check_int(seed, "seed", 0, 2**32 - 1)
    x, x_test = to_images(x), to_images(x_test)
    y, y_test = _labels(y, len(x), "y"), _labels(y_test, len(x_test), "y_test")
    num_classes = max(int(max(y.max(), y_test.max())) + 1, 2)
    if x.shape[1:] != tuple(base_model.input.shape[1:]):
        raise ValueError(
            f"images are {x.shape[1:]}, the base takes {tuple(base_model.input.shape[1:])}"
        )
    keras.utils.set_random_seed(seed)
    if mode == "scratch":
        model = digit_base(num_classes, x.shape[1:], seed=seed)
        blocks = DIGIT_BLOCKS
        taken = fit_steps(model, x, y, steps, seed=seed)
    else:
        if mode == "fine-tune":  # checked before any training
            blocks = check_int(blocks, "blocks", 0, DIGIT_BLOCKS)
        base = keras.models.clone_model(features_of(base_model))
        base.set_weights(features_of(base_model).get_weights())
        model = with_head(base, num_classes)
        base.trainable = False  # 1. freeze the whole base
        _compile(model, 1e-3)
        if mode == "frozen":
            blocks = 0
            taken = fit_steps(model, x, y, steps, seed=seed)  # the head, all steps
        else:
            first = steps // 2
            taken = fit_steps(model, x, y, first, seed=seed)  # 2. the head alone
            unfreeze_top_blocks(base, blocks)  # 3. open the top blocks
            _compile(model, 1e-4)  # 4. recompile: trainable takes effect here
            taken += fit_steps(model, x, y, steps - first, seed=seed + 1)  # 5.
    _, accuracy = model.evaluate(x_test, y_test, batch_size=250, verbose=0)
    return {
        "mode": mode,
        "blocks": int(blocks),
        "accuracy": float(accuracy),
        "trainable": trainable_parameters(model),
        "steps": int(taken),
    }


def _labels(y, count: int, what: str) -> np.ndarray:
    labels = np.asarray(y)
    if labels.shape != (count,) or labels.dtype.kind not in "iu":
        raise ValueError(f"{what} must be one int label per image ({count})")
    if labels.min() < 0 or labels.max() >= MAX_CLASSES:
        raise ValueError(f"{what} must be labels from 0 to {MAX_CLASSES - 1}")
    return labels.astype(np.int64)


def digit_transfer_data(x, y, x_test, y_test, per_class: int = 50, seed: int = 0):
    """The target task: the digits 5-9 (labels 0-4) with ``per_class`` training images
    each, and every 5-9 of the test set: ``((x, y), (x_test, y_test))``."""
    target = (5, 6, 7, 8, 9)
    return (
        split_digits(x, y, target, per_class, seed),
        split_digits(x_test, y_test, target, seed=seed),
    )


def face_transfer_data(train_size: int = 40, seed: int = 0):
    """Faces vs non-faces (``skimage.data.lfw_subset``) resized to the digits' 28x28."""
    from course_lib.augmentation import face_data

    (x, y), (x_test, y_test) = face_data(train_size, seed)

    def resize(images):
        import tensorflow as tf

        return np.asarray(tf.image.resize(images, (28, 28)), dtype=np.float32)

    return (resize(x), y), (resize(x_test), y_test)


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
    each seed draws its own labelled images (:func:`digit_transfer_data`) and its own
    initial weights; the held-out set is always every 5-9 of the test set. Returns
    ``{"per_class", "steps", "seeds", "accuracy": {mode: [[per seed] per count]},
    "trainable": {mode: count}}``. ``progress`` (optional) is called with a line of
    text after each run.
    """
    from course_lib.core import choose

    try:
        counts = [check_int(n, "per_class", 1, 100_000) for n in per_class]
        seeds = [check_int(s, "a seed", 0, 2**32 - 1) for s in seeds]
        modes = [choose(m, MODES, "mode") for m in modes]
    except TypeError:
        raise ValueError("per_class, seeds and modes must be lists") from None
    if not counts or not seeds or not modes:
        raise ValueError("per_class, seeds and modes must not be empty")
    if progress is not None and not callable(progress):
        raise ValueError(f"progress must be a function or None, got {show(progress)}")
    accuracy = {mode: [] for mode in modes}
    trainable = {}
    for count in counts:
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
        "per_class": counts,
        "steps": steps,
        "seeds": seeds,
        "accuracy": accuracy,
        "trainable": trainable,
    }


def summarize_sweep(sweep: dict) -> dict:
    """Mean and sd over seeds for each mode and label count of a :func:`label_sweep`,
    and the advantage of the better transfer (frozen or fine-tuned) over scratch:
    ``{"per_class", "mean": {mode: array}, "sd": {mode: array}, "advantage": array}``.
    """
    sweep = check_sweep(sweep)
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


def check_sweep(sweep: dict) -> dict:
    """``sweep`` if it has the shape :func:`label_sweep` returns, else a ValueError."""
    if not isinstance(sweep, dict):
        raise ValueError(f"a sweep must be a dict, got {show(sweep)}")
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


# --------------------------------------------------------------------------------------
# The shipped results (datasets/build_transfer_results.py)


def check_transfer_results(results: dict) -> dict:
    """``results`` if it has what :class:`FineTuneExplorer` shows, else a ValueError."""
    if not isinstance(results, dict):
        raise ValueError(f"results must be a dict, got {show(results)}")
    if "labels" not in results or "vgg16_trainable" not in results:
        raise ValueError(
            "results must have 'labels' (a label sweep) and 'vgg16_trainable'"
        )
    check_sweep(results["labels"])
    try:
        counts = len(results["vgg16_trainable"])
    except TypeError:
        raise ValueError("vgg16_trainable must be a list of counts") from None
    if counts != VGG16_BLOCKS + 1:
        raise ValueError(f"vgg16_trainable must have {VGG16_BLOCKS + 1} counts")
    return results


def load_transfer_results(path=RESULTS_FILE) -> dict:
    """The results that ship with the course (made by
    ``datasets/build_transfer_results.py``)."""
    if not isinstance(path, (str, Path)) or Path(path).is_dir():
        raise ValueError(f"path must be a JSON file, got {show(path)}")
    try:
        with open(path) as file:
            return check_transfer_results(json.load(file))
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path} is not a JSON file: {exc}") from None


# --------------------------------------------------------------------------------------
# The online lesson: cats vs dogs with VGG16's ImageNet weights


def cats_vs_dogs_folder() -> Path:
    """Download (checked, cached) and unpack the cats-vs-dogs subset; the folder with
    ``train/`` and ``validation/``. Raises ``cl.data.DownloadError`` when offline."""
    from course_lib import data

    return data.fetch_cats_vs_dogs()


def online_lesson_available() -> tuple[bool, str]:
    """Whether the cats-vs-dogs lesson can run here, and one sentence saying why."""
    from course_lib import data

    if os.environ.get("COURSE_OFFLINE", "").strip() not in {"", "0"}:
        return False, "COURSE_OFFLINE is set"
    try:
        cats_vs_dogs_folder()
    except (data.DownloadError, ValueError, OSError, zipfile.BadZipFile) as exc:
        return False, f"the cats-vs-dogs photos are not available ({exc})"
    try:
        vgg16_base("imagenet")
    except Exception as exc:  # noqa: BLE001 - any failure means: no weights here
        return False, f"VGG16's ImageNet weights are not available ({exc})"
    return True, "the photos and VGG16's ImageNet weights are here"


def run_cats_vs_dogs(
    epochs: int = 10, image_size: int = 64, folder=None, weights="imagenet"
) -> dict[str, float]:
    """The slides' lesson on real photos: validation accuracy of (a) network 1 from
    scratch, (b) frozen VGG16 features + head, (c) the head then block 5 fine-tuned."""
    import keras

    epochs = check_int(epochs, "epochs", 1, 1000)
    size = (check_int(image_size, "image_size", 32, 512),) * 2
    if folder is None:
        folder = cats_vs_dogs_folder()
    elif not isinstance(folder, (str, os.PathLike)) or not str(folder).strip():
        raise ValueError(
            "folder must be the path of the unpacked photos (with train/ and "
            f"validation/ inside), or None to download them; got {show(folder)}"
        )
    folder = Path(folder)
    missing = [p for p in ("train", "validation") if not (folder / p).is_dir()]
    if missing:
        raise ValueError(
            f"folder {folder} must hold the photos in train/ and validation/; "
            f"{' and '.join(missing)} missing"
        )

    def dataset(part):
        return keras.utils.image_dataset_from_directory(
            folder / part, image_size=size, batch_size=32, label_mode="binary", seed=0
        )

    train, validation = dataset("train"), dataset("validation")
    results = {}

    def fit(model, learning_rate):
        model.compile(
            optimizer=keras.optimizers.RMSprop(learning_rate=learning_rate),
            loss="binary_crossentropy",
            metrics=["accuracy"],
        )
        model.fit(train, validation_data=validation, epochs=epochs, verbose=0)
        return float(model.evaluate(validation, verbose=0)[1])

    scratch = keras.Sequential([keras.layers.Rescaling(1 / 255), network1((*size, 3))])
    results["scratch"] = fit(scratch, 1e-3)

    base = vgg16_base(weights, (*size, 3))
    inputs = keras.Input((*size, 3))
    x = keras.applications.vgg16.preprocess_input(inputs)
    head = network2(base)
    model = keras.Model(inputs, head(x))
    base.trainable = False  # freeze before compiling: the slides' network 2 did not
    results["frozen"] = fit(model, 1e-4)
    unfreeze_top_blocks(base, 1)  # block 5
    results["fine-tune"] = fit(model, 1e-5)  # recompiled inside fit
    return results
