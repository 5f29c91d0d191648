"""course_lib: the shared library behind the course notebooks.

Use it with one alias::

    import course_lib as cl
    cl.set_seed(0)
    (x_train, y_train), (x_test, y_test) = cl.data.load_mnist()
    num_epochs = cl.pick(full=12, fast=2)

Submodules (``cl.data``, ``cl.widgets``, ...) are imported the first time they are used, so
``import course_lib`` is quick and does not start TensorFlow.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil

# Keep TensorFlow's C++ start-up chatter out of the notebooks.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from course_lib.core import FAST, environment, pick, set_seed


def _version() -> str:
    """The version in pyproject.toml, as the installed package's metadata reports it."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("course_lib")
    except PackageNotFoundError:  # run from a checkout that was never pip-installed
        return "0+unknown"


__version__ = _version()
__all__ = ["FAST", "pick", "set_seed", "environment", "__version__"]


def __getattr__(name: str):
    """Import ``course_lib.<name>`` on first use, e.g. ``cl.data`` or ``cl.conv``."""
    if not name.startswith("_") and importlib.util.find_spec(f"course_lib.{name}"):
        module = importlib.import_module(f"course_lib.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'course_lib' has no attribute {name!r}")


def __dir__():
    submodules = {
        m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")
    }
    return sorted(set(globals()) | submodules)
