"""Models the course builds and ships: the slides' MNIST convnet and its checkpoint.

``slides_convnet()`` builds the network of the ConvNets lecture (slides 001) in Keras 3:
it is the one definition of that network (the recipes, the checkpoint script and the
NumPy copy all follow it). ``pretrained("mnist_convnet")`` loads the copy trained on
the bundled digits that ships in ``datasets/`` (rebuilt by
``datasets/train_checkpoint.py``), so later lectures and the dashboards start without
training; ``pretrained_numpy`` runs the same weights with NumPy alone.
``prepare_images`` is the one way MNIST digits become the network's input, and
``preprocess_drawing`` turns a digit drawn with the mouse into an MNIST-like 28x28
image.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from course_lib.core import check_int, lookup, show
from course_lib.data.registry import FILES_DIR
from course_lib.images import to_unit_float

MNIST_SHAPE: tuple[int, int, int] = (28, 28, 1)
"""One MNIST digit as the networks take it: height, width, channels (gray)."""

CHECKPOINT_DIR = FILES_DIR

MAX_PARAMETERS = 50_000_000
"""The most parameters ``slides_convnet`` makes (200 MB of float32)."""


@dataclass(frozen=True)
class Checkpoint:
    """A shipped set of weights: file, checksum and the input shape it was trained on."""

    name: str
    filename: str
    sha256: str
    description: str
    input_shape: tuple[int, int, int] = MNIST_SHAPE
    filters: int = 32
    dense_units: int = 128
    num_classes: int = 10
    script: str = "train_checkpoint.py"


CHECKPOINTS: dict[str, Checkpoint] = {
    "mnist_convnet": Checkpoint(
        name="mnist_convnet",
        filename="mnist_convnet.weights.h5",
        sha256="e2d4928ba191fba04828b4cd701d221eb0438554beeda445a9c06b97acb3008f",
        description="slides_convnet() trained on the bundled 4,000 MNIST digits",
    ),
    "faces_convnet": Checkpoint(
        name="faces_convnet",
        filename="faces_convnet.weights.h5",
        sha256="03c94ece2ac6e462f10159dfc6cdf3694c89b9d9cc86ad572c51aa6b81a635e9",
        description="slides_convnet(16 filters, 32 dense units, 2 classes) trained on "
        "160 of the 200 25x25 faces / non-faces of skimage.data.lfw_subset()",
        input_shape=(25, 25, 1),
        filters=16,
        dense_units=32,
        num_classes=2,
        script="build_faces_convnet.py",
    ),
}


def slides_convnet(
    filters: int = 32,
    kernel_size: int = 5,
    dense_units: int = 128,
    num_classes: int = 10,
    input_shape: tuple[int, int, int] = MNIST_SHAPE,
):
    """The slides' MNIST convnet in Keras 3 (not compiled).

    Two ``Conv2D(32, 5)`` + ReLU, ``MaxPooling2D(2)``, ``Dropout(0.25)``, ``Flatten``
    (10 x 10 x 32 = 3200), ``Dense(128)`` + ReLU, ``Dropout(0.5)``, ``Dense(10)`` softmax.

    Examples
    --------
    >>> model = slides_convnet()
    >>> model.layers[5].kernel.shape   # the dense layer maps 3200 inputs to 128
    (3200, 128)

    Each size must fit: the two convolutions and the pooling must leave at least one
    pixel, and the whole network may hold at most ``MAX_PARAMETERS`` numbers.
    """
    filters = check_int(filters, "filters", 1, 1024)
    dense_units = check_int(dense_units, "dense_units", 1, 65536)
    num_classes = check_int(num_classes, "num_classes", 1, 100_000)
    input_shape = _image_shape(input_shape)
    height, width, channels = input_shape
    largest = (min(height, width) + 1) // 2  # two convolutions, then a 2x2 pool
    if isinstance(kernel_size, (int, np.integer)) and kernel_size > largest:
        raise ValueError(
            f"kernel_size {kernel_size} is too large for {height}x{width} inputs: two "
            f"convolutions and a 2x2 pooling must leave a pixel; use 1 to {largest}"
        )
    kernel_size = check_int(kernel_size, "kernel_size", 1, largest)
    side = [(n - 2 * (kernel_size - 1)) // 2 for n in (height, width)]
    parameters = (
        (kernel_size**2 * channels + 1) * filters
        + (kernel_size**2 * filters + 1) * filters
        + (side[0] * side[1] * filters + 1) * dense_units
        + (dense_units + 1) * num_classes
    )
    if parameters > MAX_PARAMETERS:
        raise ValueError(
            f"this network would have {parameters:,} parameters, more than the "
            f"{MAX_PARAMETERS:,} allowed (200 MB): use smaller inputs or layers"
        )
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input(shape=input_shape),
            layers.Conv2D(filters, kernel_size, activation="relu", name="conv1"),
            layers.Conv2D(filters, kernel_size, activation="relu", name="conv2"),
            layers.MaxPooling2D(2, name="pool"),
            layers.Dropout(0.25, name="dropout1"),
            layers.Flatten(name="flatten"),
            layers.Dense(dense_units, activation="relu", name="dense"),
            layers.Dropout(0.5, name="dropout2"),
            layers.Dense(num_classes, activation="softmax", name="output"),
        ],
        name="slides_convnet",
    )


def prepare_images(images) -> np.ndarray:
    """MNIST digits -> the network's input: float32 (N, 28, 28, 1) in 0..1.

    Accepts one digit (28, 28) or a batch (N, 28, 28) or (N, 28, 28, 1), as uint8 pixels
    in 0..255 (divided by 255) or float pixels already in 0..1 (kept), the course's one
    pixel convention (``cl.images.to_unit_float``). Anything else, e.g. floats in
    0..255, raises a ValueError that says what is allowed.

    Examples
    --------
    >>> prepare_images(np.full((2, 28, 28), 255, dtype=np.uint8)).max()
    np.float32(1.0)
    """
    images = to_unit_float(images, "images")
    if images.ndim == 2:
        images = images[None]
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[1:] != MNIST_SHAPE:
        raise ValueError(
            "images must be digits shaped (28, 28), (N, 28, 28) or (N, 28, 28, 1), "
            f"got {np.shape(images)}"
        )
    return images


def _image_shape(input_shape) -> tuple[int, int, int]:
    """(height, width, channels), each a positive int (sides up to 4096, channels 64)."""
    try:
        values = tuple(input_shape)
    except TypeError:
        values = ()
    if len(values) != 3:
        raise ValueError(
            f"input_shape must be (height, width, channels), e.g. (28, 28, 1); got "
            f"{show(input_shape)}"
        )
    return (
        check_int(values[0], "the input height", 1, 4096),
        check_int(values[1], "the input width", 1, 4096),
        check_int(values[2], "the input channels", 1, 64),
    )


def _as_path(path) -> Path:
    """A path given as text or ``pathlib.Path``, else a ValueError."""
    if not isinstance(path, (str, os.PathLike)) or not str(path).strip():
        raise ValueError(f"path must be a file name (text or a Path), got {show(path)}")
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"path {path} is a folder, not a weights file")
    return path


def checkpoint_path(name: str) -> Path:
    """Where the shipped checkpoint ``name`` lives (it may be missing)."""
    return CHECKPOINT_DIR / lookup(CHECKPOINTS, name, "checkpoint").filename


def verified_checkpoint(name: str, path: str | Path | None = None) -> Path:
    """The checkpoint's path after its checks (clear errors if missing or corrupt).

    The shipped file (``path`` None) must pass its sha256 check. Another file, such
    as weights you saved yourself with ``model.save_weights(...)``, has no known
    checksum: it must exist and be a Keras weights file (``.weights.h5``); whether its
    weights fit the network is checked when it is loaded (``pretrained``).
    """
    from course_lib.data import sha256_of

    entry = lookup(CHECKPOINTS, name, "checkpoint")
    name = entry.name
    shipped = checkpoint_path(name)
    path = _as_path(path) if path is not None else shipped
    rebuild = f"rebuild it with: .venv/bin/python datasets/{entry.script}"
    if path.resolve() != shipped.resolve():
        if not path.exists():
            raise FileNotFoundError(
                f"the weights file {path} is missing (for the shipped checkpoint "
                f"{name!r}, leave out path; {rebuild})"
            )
        _weights_in_file(path)  # readable as a Keras weights file
        return path
    if not path.exists():
        raise FileNotFoundError(f"checkpoint {name!r} is missing: {path}; {rebuild}")
    digest = sha256_of(path)
    if digest != entry.sha256:
        raise ValueError(
            f"checkpoint {name!r} at {path} fails its sha256 check "
            f"(got {digest[:12]}…, expected {entry.sha256[:12]}…): the file is "
            f"corrupt or was changed; {rebuild}"
        )
    return path


def build_for(name: str):
    """The (untrained) network that the shipped checkpoint ``name`` fits."""
    entry = lookup(CHECKPOINTS, name, "checkpoint")
    return slides_convnet(
        filters=entry.filters,
        dense_units=entry.dense_units,
        num_classes=entry.num_classes,
        input_shape=entry.input_shape,
    )


def pretrained(name: str = "mnist_convnet", path: str | Path | None = None):
    """Load a shipped, checksummed checkpoint as a compiled Keras model.

    Parameters
    ----------
    name : the checkpoint, e.g. ``"mnist_convnet"`` (see ``CHECKPOINTS``).
    path : another file to load instead of the shipped one, e.g. the weights of a
        ``cl.models.slides_convnet()`` you trained and saved with ``save_weights``.

    Raises
    ------
    FileNotFoundError : the file is missing (rebuild it with ``datasets/train_checkpoint.py``).
    ValueError : the shipped file fails its sha256 check (corrupt or changed), or the
        weights in another file do not fit the network (the message names the layer).
    """
    path = verified_checkpoint(name, path)
    model = build_for(name)
    _check_weights_fit(path, model)
    try:
        model.load_weights(path)
    except (ValueError, KeyError, OSError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise ValueError(
            f"the weights in {path} do not fit {model.name}: {first[:200]}"
        ) from None
    compile_for_classification(model)
    return model


def _weights_in_file(path: Path) -> dict[str, list[tuple]]:
    """Layer name -> the shapes of its weights, read from a Keras 3 ``.weights.h5``."""
    import h5py

    try:
        with h5py.File(path, "r") as file:
            found = {}
            for group_name, group in file["layers"].items():
                variables = group.get("vars")
                if variables is None:
                    continue
                name = str(variables.attrs.get("name", group_name))
                found[name] = [
                    tuple(variables[key].shape) for key in sorted(variables, key=int)
                ]
            return found
    except (OSError, KeyError, ValueError, TypeError) as error:
        raise ValueError(
            f"{path} is not a Keras weights file (one written by "
            f"model.save_weights('....weights.h5')): {type(error).__name__}"
        ) from None


def _check_weights_fit(path: Path, model) -> None:
    """Compare the shapes in the file with the model's, layer by layer (by name)."""
    found = _weights_in_file(path)
    named = any(layer.name in found for layer in model.layers if layer.weights)
    if not named:
        return  # a file without layer names: Keras matches by order while loading
    for layer in model.layers:
        expected = [tuple(weight.shape) for weight in layer.weights]
        if not expected:
            continue
        if layer.name not in found:
            raise ValueError(
                f"the weights in {path} have no layer {layer.name!r}; they have "
                f"{', '.join(found) or 'none'}"
            )
        if found[layer.name] != expected:
            raise ValueError(
                f"the weights in {path} do not fit layer {layer.name!r}: the file has "
                f"shapes {found[layer.name]}, the model needs {expected}"
            )


def pretrained_numpy(name: str = "mnist_convnet", path: str | Path | None = None):
    """The same checkpoint run by NumPy alone (``cl.scratch.NumpyConvnet``): no TensorFlow.

    For the dashboards, which must be ready within seconds: importing TensorFlow takes
    longer than everything else they do. Same checks and errors as ``pretrained``.
    """
    from course_lib.scratch import NumpyConvnet

    path = verified_checkpoint(name, path)
    input_shape = lookup(CHECKPOINTS, name, "checkpoint").input_shape
    return NumpyConvnet.from_weights_file(path, input_shape)


def compile_for_classification(model, optimizer="adam") -> None:
    """Compile with sparse categorical cross-entropy and accuracy (labels are 0..9 ints)."""
    import keras

    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a Keras model, got {show(model)}")
    try:
        optimizer = keras.optimizers.get(optimizer)
    except (TypeError, ValueError, AttributeError, KeyError):
        raise ValueError(
            f"optimizer must be a Keras optimizer or its name (such as 'adam'), got "
            f"{show(optimizer)}"
        ) from None
    model.compile(
        optimizer=optimizer,
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )


# --------------------------------------------------------------------------------------
# A drawn digit -> an MNIST-like 28x28 image
# --------------------------------------------------------------------------------------


def _resize(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    from skimage.transform import resize

    return resize(image, shape, order=1, anti_aliasing=True, mode="constant")


def _drawing_in_unit_range(array) -> np.ndarray:
    """A drawing as a 2-D float image rescaled to 0..1 (all zeros if it is blank)."""
    try:
        image = np.asarray(array)
        if image.dtype.kind not in "biuf":
            raise TypeError
        image = np.asarray(image, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(
            f"a drawing must be a 2-D image of numbers, got {show(array)}"
        ) from None
    if image.ndim == 3:
        image = image.max(axis=2)
    if image.ndim != 2 or min(image.shape) < 2:
        raise ValueError(
            f"a drawing must be a 2-D image at least 2x2, got shape {image.shape}"
        )
    if not np.isfinite(image).all():
        raise ValueError("a drawing must not contain NaN or infinite values")
    image = image - image.min()
    peak = image.max()
    return image / peak if peak > 0 else image


def shrink_drawing(array: np.ndarray) -> np.ndarray:
    """A drawn digit scaled down to 28x28 as it is: no cropping, no centring.

    What a network would see without MNIST's recipe (``preprocess_drawing``): a digit
    drawn small or in a corner stays small or in the corner. Same input and output as
    ``preprocess_drawing``.
    """
    image = _drawing_in_unit_range(array)
    small = np.clip(_resize(image, (28, 28)), 0, 1)
    peak = small.max()
    return (small / peak if peak > 0 else small).astype(np.float32)


def preprocess_drawing(array: np.ndarray) -> np.ndarray:
    """Centre and scale a drawn digit the way MNIST digits were prepared.

    MNIST's recipe: crop the ink's bounding box, scale it (keeping the aspect ratio) to fit
    a 20x20 box, put it in a 28x28 image so that its centre of mass is at the centre.

    Parameters
    ----------
    array : (H, W) gray image (or (H, W, C), reduced to its brightest channel), ink bright
        on a dark background, any numeric range. Its values are rescaled to 0..1 first.

    Returns
    -------
    (28, 28) float32 in 0..1, ink = 1. An empty drawing gives all zeros.
    """
    image = _drawing_in_unit_range(array)
    out = np.zeros((28, 28), dtype=np.float32)
    if not image.any():
        return out
    rows = np.flatnonzero(image.max(axis=1) > 0.05)
    cols = np.flatnonzero(image.max(axis=0) > 0.05)
    crop = image[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    height, width = crop.shape
    scale = 20.0 / max(height, width)
    new_h = max(1, round(height * scale))
    new_w = max(1, round(width * scale))
    small = np.clip(_resize(crop, (new_h, new_w)), 0, 1)
    # Place the 20x20-fitted digit, then shift it so that its centre of mass is centred.
    top, left = (28 - new_h) // 2, (28 - new_w) // 2
    out[top : top + new_h, left : left + new_w] = small
    total = out.sum()
    if total > 0:
        ys, xs = np.indices(out.shape)
        cy, cx = (ys * out).sum() / total, (xs * out).sum() / total
        from scipy.ndimage import shift

        # MNIST's digits have their centre of mass at pixel (14, 14) on average (measured
        # on the bundled digits: 13.98, 14.01), so that is where ours goes.
        out = shift(out, (14.0 - cy, 14.0 - cx), order=1, mode="constant")
    peak = out.max()
    if peak > 0:
        out = out / peak
    return np.clip(out, 0, 1).astype(np.float32)
