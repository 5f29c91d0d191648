"""Switches shared by every notebook: fast mode, seeding, and an environment report."""

from __future__ import annotations

import os
import platform
import random
import sys

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
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
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


def unknown_name(what: str, name, known) -> ValueError:
    """The one error for a name that is not in a registry: ``unknown <what> 'x'; known: …``.

    >>> raise unknown_name("kernel", "sobbel", ["blur", "sobel"])
    Traceback (most recent call last):
    ValueError: unknown kernel 'sobbel'; known: blur, sobel
    """
    return ValueError(f"unknown {what} {name!r}; known: {', '.join(map(str, known))}")


def lookup(registry: dict, name, what: str):
    """``registry[name]``, matching a string name case-insensitively and ignoring spaces
    at its ends; any other name raises :func:`unknown_name`'s ValueError.

    >>> lookup({"Sobel": 1}, " sobel", "kernel")
    1
    """
    return registry[choose(name, list(registry), what)]


def choose(name, options, what: str):
    """The option equal to ``name`` (strings compared case-insensitively), else a
    ValueError naming ``what`` and the allowed options."""
    options = list(options)
    if name in options:
        return name
    if isinstance(name, str):
        wanted = name.strip().casefold()
        for option in options:
            if isinstance(option, str) and option.casefold() == wanted:
                return option
    raise unknown_name(what, name, options)
