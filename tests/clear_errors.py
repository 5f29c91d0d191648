"""What makes an error message clear enough for a student, shared by the bad-input tests.

A message is clear when it is short, names the argument that was wrong, and carries no
phrase from numpy, Keras, TensorFlow or traitlets: those speak of the library's insides
("could not be broadcast", "Graph execution error"), not of what the student passed.
"""

from __future__ import annotations

FOREIGN_PHRASES = (
    "could not be broadcast",
    "cannot reshape",
    "has never been called",
    "Graph execution error",
    "object is not iterable",
    "Invalid selection",
    "index out of range",
    "out of bounds for axis",
    "object is not subscriptable",
    "has no attribute",
    "unsupported operand",
    "invalid literal",
    "The truth value of an array",
    "Traceback",
    "InvalidArgumentError",
    "Exception encountered when calling",
    "The `",
    "trait of",
)
"""Phrases that only numpy, Keras, TensorFlow or traitlets write."""

MAX_LENGTH = 400
"""A student reads the whole message: longer ones are refused."""


def unclear_reason(message: str, names: tuple[str, ...] = ()) -> str | None:
    """Why ``message`` is not clear enough, or None when it is.

    ``names``: the message must mention one of them (the argument that was wrong).
    """
    for phrase in FOREIGN_PHRASES:
        if phrase in message:
            return f"foreign phrase {phrase!r}"
    if len(message) > MAX_LENGTH:
        return f"{len(message)} characters (at most {MAX_LENGTH})"
    if names and not any(name in message for name in names):
        return f"does not name {' or '.join(names)}"
    return None


def assert_clear(error: BaseException, *names: str) -> None:
    """Fail unless ``error`` is a ValueError with a clear message naming one of ``names``."""
    assert isinstance(error, ValueError), f"{type(error).__name__}: {error}"
    reason = unclear_reason(str(error), names)
    assert reason is None, f"unclear message ({reason}): {error}"


def refused(call, *names: str) -> str:
    """The message of the ValueError that ``call()`` raises, checked to be clear and to
    name one of ``names``; fails when ``call()`` raises nothing or something else."""
    import pytest

    with pytest.raises(ValueError) as info:
        call()
    assert_clear(info.value, *names)
    return str(info.value)
