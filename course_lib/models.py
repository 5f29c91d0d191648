"""The shipped checkpoints of the slides' MNIST convnet, and their loaders.

The network itself is ``cl.zoo.slides_convnet()`` (the one home of model builders).
``pretrained("mnist_convnet")`` loads the copy trained on the bundled digits that ships
in ``datasets/`` (rebuilt by ``datasets/train_checkpoint.py``), so later lectures and
the dashboards start without training; ``pretrained_numpy`` runs the same weights with
NumPy alone. Digits are prepared for it by ``cl.images.prepare_images``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from course_lib.core import Choice, Optional, PathIn, checked, lookup
from course_lib.data import registry

MNIST_SHAPE: tuple[int, int, int] = (28, 28, 1)
"""One MNIST digit as the networks take it: height, width, channels (gray)."""


@dataclass(frozen=True)
class Checkpoint:
    """A shipped set of weights (its file, size and sha256 are its registry row, named
    ``name``) and the network it fits."""

    name: str
    description: str
    input_shape: tuple[int, int, int] = MNIST_SHAPE
    filters: int = 32
    dense_units: int = 128
    num_classes: int = 10


CHECKPOINTS: dict[str, Checkpoint] = {
    "mnist_convnet": Checkpoint(
        name="mnist_convnet",
        description="slides_convnet() trained on the bundled 4,000 MNIST digits",
    ),
    "faces_convnet": Checkpoint(
        name="faces_convnet",
        description="slides_convnet(16 filters, 32 dense units, 2 classes) trained on "
        "160 of the 200 25x25 faces / non-faces of skimage.data.lfw_subset()",
        input_shape=(25, 25, 1),
        filters=16,
        dense_units=32,
        num_classes=2,
    ),
}


NAME = Choice(*CHECKPOINTS)
"""The name of a shipped checkpoint."""

WEIGHTS_FILE = Optional(PathIn())
"""None for the shipped file, or a weights file of your own."""


@checked(name=NAME)
def checkpoint_path(name: str) -> Path:
    """Where the shipped checkpoint ``name`` lives (it may be missing)."""
    return registry.location(lookup(CHECKPOINTS, name, "checkpoint").name)


@checked(name=NAME, path=WEIGHTS_FILE)
def verified_checkpoint(name: str, path: str | Path | None = None) -> Path:
    """The checkpoint's path after its checks (clear errors if missing or corrupt).

    The shipped file (``path`` None) must pass its sha256 check. Another file, such
    as weights you saved yourself with ``model.save_weights(...)``, has no known
    checksum: it must exist and be a Keras weights file (``.weights.h5``); whether its
    weights fit the network is checked when it is loaded (``pretrained``).
    """
    name = lookup(CHECKPOINTS, name, "checkpoint").name
    shipped = checkpoint_path(name)
    path = shipped if path is None else path
    if path.resolve() != shipped.resolve():
        if not path.exists():
            raise FileNotFoundError(
                f"the weights file {path} is missing (for the shipped checkpoint "
                f"{name!r}, leave out path; {registry.entry(name).rebuild_hint})"
            )
        _weights_in_file(path)  # readable as a Keras weights file
        return path
    return registry.path(name)  # size and sha256, as every shipped file


@checked(name=NAME)
def build_for(name: str):
    """The (untrained) network that the shipped checkpoint ``name`` fits."""
    from course_lib.zoo import slides_convnet

    entry = lookup(CHECKPOINTS, name, "checkpoint")
    return slides_convnet(
        filters=entry.filters,
        dense_units=entry.dense_units,
        num_classes=entry.num_classes,
        input_shape=entry.input_shape,
    )


@checked(name=NAME, path=WEIGHTS_FILE)
def pretrained(name: str = "mnist_convnet", path: str | Path | None = None):
    """Load a shipped, checksummed checkpoint as a compiled Keras model.

    Parameters
    ----------
    name : the checkpoint, e.g. ``"mnist_convnet"`` (see ``CHECKPOINTS``).
    path : another file to load instead of the shipped one, e.g. the weights of a
        ``cl.zoo.slides_convnet()`` you trained and saved with ``save_weights``.

    Raises
    ------
    FileNotFoundError : the file is missing (rebuild it with ``datasets/train_checkpoint.py``).
    ValueError : the shipped file fails its sha256 check (corrupt or changed), or the
        weights in another file do not fit the network (the message names the layer).
    """
    from course_lib.train import compile_for_classification

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


@checked(name=NAME, path=WEIGHTS_FILE)
def pretrained_numpy(name: str = "mnist_convnet", path: str | Path | None = None):
    """The same checkpoint run by NumPy alone (``cl.scratch.NumpyConvnet``): no TensorFlow.

    For the dashboards, which must be ready within seconds: importing TensorFlow takes
    longer than everything else they do. Same checks and errors as ``pretrained``.
    """
    from course_lib.scratch import NumpyConvnet

    path = verified_checkpoint(name, path)
    input_shape = lookup(CHECKPOINTS, name, "checkpoint").input_shape
    return NumpyConvnet.from_weights_file(path, input_shape)
