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
    import keras  # imported here so that `import course_lib` stays fast
    import tensorflow as tf

    keras.utils.set_random_seed(seed)  # seeds python, numpy and the backend
    tf.random.set_seed(seed)


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
