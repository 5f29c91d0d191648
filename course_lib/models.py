"""The shipped checkpoints of the slides' convnet: which network each fits, and the
same weights run by NumPy alone.

The network itself is ``cl.zoo.slides_convnet()`` (the one home of model builders);
``build_for(name)`` sizes it for a checkpoint. Keras loads the shipped copies with
``cl.data.load_mnist_convnet()`` and ``cl.data.load_faces_convnet()`` (rebuilt by
``datasets/train_checkpoint.py`` and ``datasets/build_faces_convnet.py``), so later
lectures start without training; ``pretrained_numpy`` runs the same weights with NumPy
alone, for the dashboards. Digits are prepared by ``cl.images.prepare_images``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from course_lib.core import Choice, Optional, PathIn, checked, lookup
from course_lib.data import registry, weights_in_file

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
    weights fit the network is checked when it is loaded.
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
        weights_in_file(path)  # readable as a Keras weights file
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
def pretrained_numpy(name: str = "mnist_convnet", path: str | Path | None = None):
    """The same checkpoint run by NumPy alone (``cl.scratch.NumpyConvnet``): no TensorFlow.

    For the dashboards, which must be ready within seconds: importing TensorFlow takes
    longer than everything else they do. Same checks and errors as ``cl.data.load_mnist_convnet``.
    """
    from course_lib.scratch import NumpyConvnet

    path = verified_checkpoint(name, path)
    input_shape = lookup(CHECKPOINTS, name, "checkpoint").input_shape
    return NumpyConvnet.from_weights_file(path, input_shape)
