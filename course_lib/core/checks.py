"""Declared checks: what each parameter of a public function must be.

Every public function of a compute module declares what each parameter must be, and
the declaration does the checking before the body runs::

    @checked(images=Images("NHW"), steps=Int(1, 10_000), model=Model((28, 28, 1), (10,)))
    def train(images, steps=100, model=None): ...

A constraint turns a good value into the form the body wants (an int from ``3.0``, a
float32 array of 0-1 pixels from uint8) and refuses a bad one with one short ValueError
in a student's words: ``steps must be an int from 1 to 10,000, got -1``. Each constraint
also knows a valid ``example()`` and some ``bad_values()``, from which
tests/test_declared.py makes a bad-input test for every parameter of every function.

The conventions every function shares (the README's "How course_lib is built"):

- pixels: uint8 (or any int type) 0-255, or floats 0-1. A float array above 1.5 is
  refused ("looks like 0-255 pixels: divide by 255"); never rescaled silently.
- axes: each image argument declares its layout, "HW", "HWC", "NHW" or "NHWC"; one
  image where a batch is wanted is refused with the fix (``x[None]``), never reread.
- labels: integers in [0, classes); one-hot rows are refused with the fix.
- NaN and infinity are refused wherever a number or an array goes in.
"""

from __future__ import annotations

import numpy as np

from course_lib.core.basics import _range_text, check_int, check_number, choose, show


class Constraint:
    """What one parameter must be. Subclasses define ``describe``, ``convert``,
    ``example`` and ``bad_values``."""

    def describe(self) -> str:  # "an int from 1 to 10"
        raise NotImplementedError

    def convert(self, value, name: str):
        """The value in the form the body wants, or ``self.fail(...)``."""
        raise NotImplementedError

    def check(self, value, name: str):
        return self.convert(value, name)

    def fail(self, name: str, value, hint: str = "", got: str | None = None):
        got = show(value) if got is None else got
        raise ValueError(
            f"{name} must be {self.describe()}, got {got}"
            + (f" ({hint})" if hint else "")
        )

    def example(self):
        raise NotImplementedError

    def bad_values(self) -> list:
        return []

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.describe()}>"


class Int(Constraint):
    """An int from ``low`` to ``high`` (whole floats such as ``3.0`` are accepted)."""

    def __init__(self, low: int | None = None, high: int | None = None):
        self.low, self.high = low, high

    def describe(self):
        return _range_text(self.low, self.high, "an int")

    def convert(self, value, name):
        return check_int(value, name, self.low, self.high)

    def example(self):
        return (
            self.low
            if self.low is not None
            else (self.high if self.high is not None else 0)
        )

    def bad_values(self):
        bad = [None, "3", 1.5, True, float("nan")]
        if self.low is not None:
            bad.append(self.low - 1)
        if self.high is not None:
            bad.append(self.high + 1)
        return bad


class Number(Constraint):
    """A finite number from ``low`` to ``high`` (above 0 when ``positive``)."""

    def __init__(self, low=None, high=None, positive: bool = False):
        self.low, self.high, self.positive = low, high, positive

    def describe(self):
        kind = "a positive number" if self.positive else "a finite number"
        return _range_text(self.low, self.high, kind)

    def convert(self, value, name):
        return check_number(value, name, self.low, self.high, self.positive)

    def example(self):
        if self.low is not None:
            return float(self.low) if not (self.positive and self.low <= 0) else 1.0
        if self.high is not None:
            return float(self.high)
        return 1.0

    def bad_values(self):
        bad = [None, "text", True, float("nan"), float("inf")]
        if self.positive:
            bad.append(0.0)
        if self.low is not None:
            bad.append(self.low - 1)
        if self.high is not None:
            bad.append(self.high + 1)
        return bad


class Bool(Constraint):
    """True or False (NumPy's bools too)."""

    def describe(self):
        return "True or False"

    def convert(self, value, name):
        if not isinstance(value, (bool, np.bool_)):
            self.fail(name, value)
        return bool(value)

    def example(self):
        return False

    def bad_values(self):
        return [None, "yes", 2]


class Choice(Constraint):
    """One of ``options`` (text matched ignoring case and spaces at its ends)."""

    def __init__(self, *options, what: str = "one of"):
        self.options, self.what = list(options), what

    def describe(self):
        return "one of " + ", ".join(map(repr, self.options))

    def convert(self, value, name):
        try:
            return choose(value, self.options, name)
        except ValueError:
            self.fail(name, value)

    def example(self):
        return self.options[0]

    def bad_values(self):
        bad = ["no such option"]
        if None not in self.options:
            bad.append(None)
        return bad


class Text(Constraint):
    """A string of at most ``max_length`` characters (not empty unless ``empty``)."""

    def __init__(self, max_length: int = 10_000, empty: bool = False):
        self.max_length, self.empty = max_length, empty

    def describe(self):
        return "text" if self.empty else "non-empty text"

    def convert(self, value, name):
        if not isinstance(value, str):
            self.fail(name, value)
        if len(value) > self.max_length:
            self.fail(
                name,
                value,
                got=f"{len(value):,} characters (at most {self.max_length:,})",
            )
        if not self.empty and not value.strip():
            self.fail(name, value)
        return value

    def example(self):
        return "text"

    def bad_values(self):
        bad = [None, 3, "x" * (self.max_length + 1)]
        if not self.empty:
            bad.append("")
        return bad


class Items(Constraint):
    """A list (or tuple, or 1-D array) of ``min_length`` to ``max_length`` values that
    each meet ``item``; returned as a tuple. A single value is refused with the fix.
    ``split_arrays=False``: an array is one value, never a list of its rows (for a
    tuple of arrays, in ``OneOf`` beside a single array)."""

    def __init__(
        self,
        item: Constraint,
        min_length: int = 1,
        max_length: int = 1_000,
        split_arrays: bool = True,
    ):
        self.item, self.min_length, self.max_length = item, min_length, max_length
        self.split_arrays = split_arrays

    def describe(self):
        size = (
            f"{self.min_length:,} to {self.max_length:,}"
            if self.max_length != self.min_length
            else f"{self.min_length:,}"
        )
        return f"a list of {size} values, each {self.item.describe()}"

    def convert(self, value, name):
        if isinstance(value, np.ndarray) and value.ndim >= 1 and self.split_arrays:
            value = value.tolist() if value.ndim == 1 else list(value)
        if (
            isinstance(value, (str, bytes, int, float, np.number, np.ndarray))
            or value is None
        ):
            if value is None:
                hint = ""
            elif self.min_length <= 1:
                hint = "one value goes in a list, e.g. [" + show(value, 20) + "]"
            else:
                hint = f"give {self.min_length} or more values in a list"
            self.fail(name, value, hint)
        if not isinstance(value, (list, tuple, range)):
            self.fail(name, value)
        if not self.min_length <= len(value) <= self.max_length:
            self.fail(name, value, got=f"{len(value):,} values")
        return tuple(self.item.check(v, f"{name}[{i}]") for i, v in enumerate(value))

    def example(self):
        return [self.item.example()] * max(self.min_length, 1)

    def bad_values(self):
        bad = [None, self.item.example(), [None] * max(self.min_length, 1)]
        if self.min_length > 0:
            bad.append([])
        return bad


class Optional(Constraint):
    """None, or a value that meets ``inner``."""

    def __init__(self, inner: Constraint):
        self.inner = inner

    def describe(self):
        return f"None or {self.inner.describe()}"

    def convert(self, value, name):
        return None if value is None else self.inner.check(value, name)

    def example(self):
        return None

    def bad_values(self):
        return [b for b in self.inner.bad_values() if b is not None]


class OneOf(Constraint):
    """A value that meets one of ``options`` (the first that accepts it converts it)."""

    def __init__(self, *options: Constraint):
        self.options = options

    def describe(self):
        return " or ".join(option.describe() for option in self.options)

    def convert(self, value, name):
        for option in self.options:
            try:
                return option.check(value, name)
            except ValueError:
                continue
        self.fail(name, value)

    def example(self):
        return self.options[0].example()

    def bad_values(self):
        bad = []
        for value in [None, "text", float("nan")]:
            try:
                self.convert(value, "x")
            except ValueError:
                bad.append(value)
        return bad


class Instance(Constraint):
    """An instance of ``kind`` (a class or a tuple of them), named ``what``."""

    def __init__(self, kind, what: str, example=None):
        self.kind, self.what, self._example = kind, what, example

    def describe(self):
        return self.what

    def convert(self, value, name):
        if (
            not isinstance(value, self.kind)
            or isinstance(value, bool)
            and bool
            not in (self.kind if isinstance(self.kind, tuple) else (self.kind,))
        ):
            self.fail(name, value)
        return value

    def example(self):
        return self._example() if callable(self._example) else self._example

    def bad_values(self):
        return [v for v in (None, "text", 3) if not isinstance(v, self.kind)]


class Function(Constraint):
    """Something to call (a function, a lambda, a class)."""

    def describe(self):
        return "a function"

    def convert(self, value, name):
        if not callable(value):
            self.fail(name, value)
        return value

    def example(self):
        return lambda *args, **kwargs: None

    def bad_values(self):
        return [None, "text", 3]


class Callbacks(Constraint):
    """Keras callbacks: None (none), one callback, or a list of them; returned as a list."""

    def describe(self):
        return "None, a Keras callback or a list of them"

    def convert(self, value, name):
        if value is None:
            return []
        import keras

        if isinstance(value, keras.callbacks.Callback):
            return [value]
        if not isinstance(value, (list, tuple)) or not all(
            isinstance(c, keras.callbacks.Callback) for c in value
        ):
            self.fail(name, value)
        return list(value)

    def example(self):
        return None

    def bad_values(self):
        return ["text", 3, [3]]


class PathIn(Constraint):
    """A path (text or ``pathlib.Path``) to a file, or with ``folder`` to a folder;
    inside ``root`` when given, one that exists when ``exists``. A folder where a file
    is wanted (or a file where a folder is) is refused. Returned as a resolved
    ``pathlib.Path``."""

    def __init__(
        self,
        root=None,
        exists: bool = False,
        suffixes: tuple = (),
        folder: bool = False,
    ):
        self.root, self.exists, self.suffixes = root, exists, tuple(suffixes)
        self.folder = folder

    def describe(self):
        kind = "a folder" if self.folder else "a file"
        text = f"{kind} name (text or a pathlib.Path)"
        if self.suffixes:
            text += " ending in " + " or ".join(self.suffixes)
        if self.root is not None:
            text += f" inside {self.root}"
        return text + (" that exists" if self.exists else "")

    def convert(self, value, name):
        from pathlib import Path

        if not isinstance(value, (str, Path)) or not str(value).strip():
            self.fail(name, value)
        path = Path(value).expanduser().resolve()
        if self.root is not None and not path.is_relative_to(Path(self.root).resolve()):
            self.fail(name, value)
        if self.suffixes and not str(path).endswith(self.suffixes):
            self.fail(name, value)
        if path.is_dir() != self.folder and path.exists():
            what = "folder" if path.is_dir() else "file"
            self.fail(name, value, got=f"the {what} {str(value)!r}")
        if self.exists and not path.exists():
            self.fail(name, value, got=f"{str(value)!r}, which does not exist")
        return path

    def example(self):
        from pathlib import Path

        return Path(self.root or ".") / (
            "example" + (self.suffixes[0] if self.suffixes else "")
        )

    def bad_values(self):
        return [None, 3, ""]


class Anything(Constraint):
    """No check, with the reason written down (a value passed through to Keras, a
    callback's free-form dict, ...)."""

    def __init__(self, reason: str, example=None):
        self.reason, self._example = reason, example

    def describe(self):
        return self.reason

    def convert(self, value, name):
        return value

    def example(self):
        return self._example


SEED = Int(0, 2**32 - 1)
"""The one declaration of a random seed."""


def checked(**constraints: Constraint):
    """Declare what each parameter of a function must be; the declaration checks it.

    Every parameter (but ``self``) must be declared. The wrapped function gets each
    argument as its constraint converts it (defaults too: ``callbacks=None`` arrives as
    ``[]``); a bad one raises the constraint's ValueError before the body runs. ``func.__constraints__`` holds the declarations (the generated
    bad-input tests read them).

    >>> @checked(n=Int(1, 10))
    ... def twice(n):
    ...     return 2 * n
    >>> twice(3.0)
    6
    >>> twice(0)
    Traceback (most recent call last):
    ValueError: n must be an int from 1 to 10, got 0
    """
    import functools
    import inspect

    for key, constraint in constraints.items():
        if not isinstance(constraint, Constraint):
            raise TypeError(
                f"@checked: {key}= must be a Constraint, got {show(constraint)}"
            )

    def decorate(func):
        signature = inspect.signature(func)
        names = [n for n in signature.parameters if n not in ("self", "cls")]
        missing = [n for n in names if n not in constraints]
        extra = [n for n in constraints if n not in signature.parameters]
        if missing or extra:
            raise TypeError(
                f"@checked on {func.__qualname__}: "
                + (f"undeclared parameters {missing}" if missing else "")
                + (f" unknown names {extra}" if extra else "")
            )
        order = [n for n in signature.parameters if n in constraints]
        kinds = {n: signature.parameters[n].kind for n in order}
        plain = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        defaults: dict = {}  # each default as its constraint converts it, made once

        def default(name):
            if name not in defaults:
                value = signature.parameters[name].default
                defaults[name] = constraints[name].check(value, name)
            return defaults[name]

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            for name in order:
                if name not in bound.arguments:
                    if kinds[name] not in plain:
                        bound.arguments[name] = default(name)
                    continue
                value, constraint = bound.arguments[name], constraints[name]
                if kinds[name] is inspect.Parameter.VAR_POSITIONAL:
                    bound.arguments[name] = tuple(
                        constraint.check(v, name) for v in value
                    )
                elif kinds[name] is inspect.Parameter.VAR_KEYWORD:
                    bound.arguments[name] = {
                        k: constraint.check(v, k) for k, v in value.items()
                    }
                else:
                    bound.arguments[name] = constraint.check(value, name)
            return func(*bound.args, **bound.kwargs)

        wrapper.__constraints__ = dict(constraints)
        wrapper.__signature__ = signature  # Keras reads a layer's arguments from it
        return wrapper

    return decorate
