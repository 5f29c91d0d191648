"""Switches shared by every notebook: fast mode, seeding, an environment report, and the
first checks (ints, numbers, names) the declared checks build on."""

from __future__ import annotations

import math
import os
import platform
import random
import sys
from collections.abc import Hashable, Mapping

import numpy as np

FAST: bool = os.environ.get("COURSE_FAST", "").strip().lower() in {
    "1",
    "true",
    "yes",
    "on",
}
"""True when ``COURSE_FAST=1`` is set: notebooks shrink epochs and data (the test suite sets it)."""


def pick(full, fast):
    """Return ``fast`` in fast mode and ``full`` otherwise.

    Example: ``num_epochs = cl.pick(full=12, fast=2)``.
    """
    return fast if FAST else full


def set_seed(seed: int = 0) -> None:
    """Seed Python, NumPy, TensorFlow and Keras so that a notebook gives the same numbers twice."""
    if (
        isinstance(seed, bool)
        or not isinstance(seed, (int, np.integer))
        or not 0 <= seed < 2**32
    ):
        raise ValueError(
            f"seed must be a non-negative int below 2**32, got {show(seed)}"
        )
    seed = int(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    # TensorFlow and Keras are seeded now if they are imported, else the moment they are:
    # a lecture whose first cells need neither does not wait 3 s for TensorFlow to load.
    _SEED_ON_IMPORT.seed = seed
    for name in ("tensorflow", "keras"):
        if name in sys.modules:
            _seed_backend(name, seed)
        elif _SEED_ON_IMPORT not in sys.meta_path:
            sys.meta_path.insert(0, _SEED_ON_IMPORT)


def _seed_backend(name: str, seed: int) -> None:
    """Seed TensorFlow's global generator (``name="tensorflow"``) or Keras' global seed
    (``"keras"``), leaving Python's and NumPy's generators as they are."""
    if name == "tensorflow":
        import tensorflow as tf

        tf.random.set_seed(seed)
        return
    import keras

    states = random.getstate(), np.random.get_state()
    try:  # what keras.utils.set_random_seed does besides seeding Python, NumPy and TF
        from keras.src.backend.common import global_state
        from keras.src.random.seed_generator import GLOBAL_SEED_GENERATOR
        from keras.src.utils.rng_utils import GLOBAL_RANDOM_SEED

        global_state.set_global_attribute(GLOBAL_RANDOM_SEED, seed)
        global_state.set_global_attribute(GLOBAL_SEED_GENERATOR, None)
    except ImportError:  # another Keras layout: the public call, then undo its extras
        keras.utils.set_random_seed(seed)
    random.setstate(states[0])
    np.random.set_state(states[1])


class _SeedOnImport:
    """A finder on ``sys.meta_path`` that seeds TensorFlow and Keras right after their
    first import, with the seed of the last ``set_seed`` call (see ``set_seed``)."""

    seed: int = 0

    def find_spec(self, name, path, target=None):
        if name not in {"tensorflow", "keras"}:
            return None
        import importlib.util

        sys.meta_path.remove(self)  # find the real module without this finder
        try:
            spec = importlib.util.find_spec(name)
        finally:
            if not {"tensorflow", "keras"} <= set(sys.modules) | {name}:
                sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None:
            return spec
        spec.loader = _SeedingLoader(spec.loader, self.seed)
        return spec


class _SeedingLoader:
    """Runs a loader, then seeds the module it loaded (``_seed_backend``)."""

    def __init__(self, loader, seed: int):
        self._loader, self._seed = loader, seed

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        module.__loader__ = module.__spec__.loader = self._loader
        # the import draws from Python's generator (Keras seeds its own from it later):
        # as if it had happened before set_seed, it leaves both generators as they were
        states = random.getstate(), np.random.get_state()
        self._loader.exec_module(module)
        random.setstate(states[0])
        np.random.set_state(states[1])
        _seed_backend(module.__name__, self._seed)

    def __getattr__(self, name):
        return getattr(self._loader, name)


_SEED_ON_IMPORT = _SeedOnImport()


def environment() -> dict:
    """Versions, devices and mode of this kernel, as a dict (the welcome notebook prints it)."""
    import keras
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return {
        "python": sys.version.split()[0],
        "platform": f"{platform.system()} {platform.machine()}",
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "keras_backend": keras.backend.backend(),
        "device": f"GPU ({len(gpus)}: {', '.join(g.name for g in gpus)})"
        if gpus
        else "CPU",
        "fast_mode": FAST,
        "data_dir": str(_data_dir()),
    }


def _data_dir():
    from course_lib.data import data_dir

    return data_dir()


def show(value, width: int = 60) -> str:
    """``repr(value)`` cut to ``width`` characters, for error messages (an array's repr
    can run to pages)."""
    text = " ".join(repr(value).split())  # one line: an array's repr has many
    return text if len(text) <= width else text[: width - 1] + "…"


def _range_text(low, high, kind: str) -> str:
    if low is not None and high is not None:
        return f"{kind} from {low:,} to {high:,}"
    if low is not None:
        return f"{kind} >= {low:,}"
    return f"{kind} <= {high:,}" if high is not None else kind


def check_int(value, name: str, low: int | None = None, high: int | None = None) -> int:
    """``value`` as an int from ``low`` to ``high``, else a ValueError naming ``name``.

    Python and NumPy ints and whole floats (``3.0``) are accepted; bools, text and
    anything else are refused with the allowed range in the message.

    >>> check_int(3.0, "steps", 0, 10)
    3
    >>> check_int(10**9, "steps", 0, 10_000)
    Traceback (most recent call last):
    ValueError: steps must be an int from 0 to 10,000, got 1000000000
    """
    number = None
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        number = int(value)
    elif isinstance(value, (float, np.floating)) and float(value).is_integer():
        number = int(value)
    if number is None or (low is not None and number < low):
        number = None
    elif high is not None and number > high:
        number = None
    if number is None:
        raise ValueError(
            f"{name} must be {_range_text(low, high, 'an int')}, got {show(value)}"
        )
    return number


def check_number(
    value,
    name: str,
    low: float | None = None,
    high: float | None = None,
    positive: bool = False,
) -> float:
    """``float(value)`` if it is a finite number from ``low`` to ``high`` (above 0 when
    ``positive``), else a ValueError naming ``name``. Numeric text such as ``"0.1"`` is
    converted, as ``float()`` does; bools are refused.

    >>> check_number("0.1", "the learning rate", positive=True)
    0.1
    """
    number = None
    if not isinstance(value, (bool, np.bool_)):
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            number = None
    if number is not None and not math.isfinite(number):
        number = None
    if number is not None and positive and number <= 0:
        number = None
    # A NumPy float is compared in its own precision: np.float32(0.99) is 0.99.
    same = type(value) if isinstance(value, np.floating) else float
    if number is not None and low is not None and same(number) < same(low):
        number = None
    if number is not None and high is not None and same(number) > same(high):
        number = None
    if number is None:
        kind = "a positive number" if positive else "a finite number"
        raise ValueError(
            f"{name} must be {_range_text(low, high, kind)}, got {show(value)}"
        )
    return number


def check_floats(values, name: str) -> np.ndarray:
    """``values`` as a float64 array, else a ValueError naming ``name`` (text, dicts and
    numbers too large for a float are refused). Shape and finiteness are the caller's."""
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(
            f"{name} must be an array of numbers, got {show(values)}"
        ) from None


def unknown_name(what: str, name, known) -> ValueError:
    """The one error for a name that is not in a registry: ``unknown <what> 'x'; known: …``.

    >>> raise unknown_name("kernel", "sobbel", ["blur", "sobel"])
    Traceback (most recent call last):
    ValueError: unknown kernel 'sobbel'; known: blur, sobel
    """
    try:
        known = list(known)
    except TypeError:
        known = [known]
    return ValueError(
        f"unknown {what} {show(name)}; known: {', '.join(map(str, known))}"
    )


def lookup(registry: dict, name, what: str):
    """``registry[name]``, matching a string name case-insensitively and ignoring spaces
    at its ends; any other name raises :func:`unknown_name`'s ValueError.

    >>> lookup({"Sobel": 1}, " sobel", "kernel")
    1
    """
    if not isinstance(registry, Mapping):
        raise ValueError(f"the {what} registry must be a dict, got {show(registry)}")
    return registry[choose(name, list(registry), what)]


def choose(name, options, what: str):
    """The option equal to ``name`` (strings compared case-insensitively), else a
    ValueError naming ``what`` and the allowed options."""
    try:
        options = list(options)
    except TypeError:
        raise ValueError(
            f"the {what} options must be a list, got {show(options)}"
        ) from None
    try:
        if isinstance(name, Hashable) and name in options:
            return options[options.index(name)]  # the option itself: 18 for 18.0
    except (TypeError, ValueError, OverflowError):  # a name that compares badly
        pass
    if isinstance(name, str):
        wanted = name.strip().casefold()
        for option in options:
            if isinstance(option, str) and option.casefold() == wanted:
                return option
    raise unknown_name(what, name, options)
