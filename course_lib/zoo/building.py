"""Building a network without allocating it, and what a builder must be given.

:func:`shapes_only` and :func:`release` keep even VGG19 (575 MB of float32) at next to no
memory. The constraints here are the zoo's own declared checks (``cl.core.checked``):
an input shape large enough for a network, a block's input tensor, a function of no
arguments that builds a model.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Iterator

import keras

from course_lib.core import Constraint, check_int, checked, show

MAX_CLASSES = 10_000
MAX_CHANNELS = 64
MAX_FILTERS = 4096


@checked()
@contextlib.contextmanager
def shapes_only() -> Iterator[None]:
    """Build models whose weights have shapes but no values: counting costs no memory.

    Uses ``keras.StatelessScope(initialize_variables=False)``: variables created inside
    it are never filled. A model built here can be counted and inspected (layer shapes,
    ``count_params()``), not run. Call :func:`release` when done with it.
    """
    with keras.StatelessScope(initialize_variables=False):
        yield


@checked()
def release() -> None:
    """Forget every model built so far (``clear_session``) and collect the garbage.

    Also drops the shape-only variables that Keras keeps in a global list, so they can
    never be filled later, and hands the memory freed by all this back to the system
    (``malloc_trim``, where the C library has it: glibc, on Linux): freed memory the
    process keeps still counts against a notebook server's limit. Models you still
    hold keep working.
    """
    keras.backend.clear_session(free_memory=True)  # this also runs gc.collect()
    _trim_heap()


def _trim_heap() -> None:
    """Return the C heap's free pages to the system (glibc's ``malloc_trim``); a no-op
    where there is no such function."""
    import ctypes

    try:  # the symbols the process already has loaded, the C library's among them
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError, TypeError):  # not glibc, or not a POSIX system
        return
    trim(0)


# ---------------------------------------------------------------------------------------
# How each network shrinks its input

# Layer by layer, as (window, stride, padding); a "same" layer never empties a map, so
# only the rest matter.
_SHRINKING = {
    "LeNet-5": [(5, 1, "valid"), (2, 2, "valid")] * 2 + [(5, 1, "valid")],
    "AlexNet": [(11, 4, "valid"), (3, 2, "valid"), (3, 2, "valid"), (3, 2, "valid")],
    "VGG": [(2, 2, "valid")] * 5,
    "DenseNet": [(7, 2, "same"), (3, 2, "same")] + [(2, 2, "valid")] * 3,
}

LARGEST_SIDE = {"LeNet-5": 128, "AlexNet": 320, "VGG": 256}
"""The largest input side of the networks whose first dense layer grows with the
image (AlexNet at 320: 67 million weights in it, VGG at 256: 134 million); the others
take up to 1024 pixels a side."""


def _side_after(side: int, steps) -> int:
    """What is left of ``side`` pixels after the layers ``steps`` (0: nothing)."""
    for window, stride, padding in steps:
        if padding == "same":
            side = -(-side // stride)
        else:
            side = (side - window) // stride + 1 if side >= window else 0
        if side < 1:
            return 0
    return side


def _smallest_side(network: str, steps=None) -> int:
    """The smallest input side that leaves every layer of ``network`` a pixel."""
    steps = _SHRINKING.get(network, []) if steps is None else steps
    return next(side for side in range(1, 4097) if _side_after(side, steps) > 0)


def _too_small(network: str, shape: tuple, smallest: int) -> None:
    """Refuse an input shape whose sides ``network``'s layers would shrink to nothing."""
    if min(shape[:2]) < smallest:
        raise ValueError(
            f"{network} needs inputs of at least {smallest}x{smallest} pixels (its "
            f"layers would shrink a {shape[0]}x{shape[1]} input to nothing); got "
            f"input_shape={tuple(shape)}"
        )


class _InputShape(Constraint):
    """(height, width, channels) of ints, the sides within what ``network`` takes."""

    def __init__(self, network: str, largest: int | None = None, smallest=None):
        self.network = network
        self.largest = largest or LARGEST_SIDE.get(network, 1024)
        self._smallest = smallest

    @property
    def smallest(self) -> int:
        return self._smallest or _smallest_side(self.network)

    def describe(self):
        return (
            f"(height, width, channels) with sides up to {self.largest} and 1 to "
            f"{MAX_CHANNELS} channels"
        )

    def convert(self, value, name):
        if isinstance(value, (str, bytes, dict, set)) or not hasattr(value, "__len__"):
            self.fail(name, value)
        values = tuple(value)
        if len(values) != 3:
            self.fail(name, value, "e.g. (224, 224, 3)")
        try:
            height = check_int(values[0], "height", 1, self.largest)
            width = check_int(values[1], "width", 1, self.largest)
            channels = check_int(values[2], "channels", 1, MAX_CHANNELS)
        except ValueError:
            self.fail(name, value)
        shape = (height, width, channels)
        _too_small(self.network, shape, self.smallest)
        return shape

    def example(self):
        side = max(self.smallest, 32)
        return (side, side, 3)

    def bad_values(self):
        return [None, "text", (32, 32), (0, 1, 1), (10**5, 10**5, 3), (32, 32, 0)]


class _FeatureMaps(Constraint):
    """A Keras tensor of feature maps (batch, height, width, channels)."""

    def describe(self):
        return (
            "a Keras tensor of feature maps (batch, height, width, channels), such "
            "as keras.Input((32, 32, 64))"
        )

    def convert(self, value, name):
        if not isinstance(value, keras.KerasTensor) or len(value.shape) != 4:
            self.fail(name, value)
        return value

    def example(self):
        return keras.Input((8, 8, 4))

    def bad_values(self):
        return [None, "text", 3, []]


class _Builder(Constraint):
    """A function of no arguments that returns a model (called later, not here)."""

    def describe(self):
        return "a function of no arguments that returns a model"

    def convert(self, value, name):
        if (
            not callable(value)
            or isinstance(value, type)
            and issubclass(value, (int, float, str))
        ):
            self.fail(name, value)
        try:
            signature = inspect.signature(value)
        except (TypeError, ValueError):  # some built-ins have none
            return value
        required = [
            p.name
            for p in signature.parameters.values()
            if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        if required:
            self.fail(
                name,
                value,
                got=f"{getattr(value, '__name__', show(value))}, which needs "
                + ", ".join(required),
            )
        return value

    def example(self):
        return lambda: keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])

    def bad_values(self):
        return [None, "text", 3, len]


BUILDER = _Builder()
"""The declaration of a model builder: a function of no arguments that returns a model."""

FEATURE_MAPS = _FeatureMaps()
"""The declaration of a block's input: a Keras tensor (batch, height, width, channels)."""


def _returned_model(model, what: str):
    """``model`` if it is a Keras model, else a ValueError (a builder returned something
    else)."""
    if not (hasattr(model, "layers") and hasattr(model, "count_params")):
        raise ValueError(f"{what} returned {type(model).__name__}, not a Keras model")
    return model
