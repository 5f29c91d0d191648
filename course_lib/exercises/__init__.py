"""Self-checks for the exercises at the end of each notebook.

::

    cl.exercises.check("04.2", answer)

The expected answer lives here, computed by the library, never shown in the notebook. A
wrong answer gets a hint aimed at the likely mistake; ``None`` (an exercise not done yet)
prints a reminder, never an error, so "Run all" always works. Open exercises (write a
kernel, a function, a model) have a checker that runs the student's object on test cases
and says which case failed and why.

The exercises of lecture NN live in ``course_lib/exercises/lecture_NN.py``, each made
with :func:`exercise`. ``tests/test_exercises.py`` solves every one with its reference
solution and triggers every hint with its mistake.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from course_lib.core import unknown_name


class Wrong(Exception):
    """Raised by an open exercise's checker: its message says which case failed and why."""


@dataclass(frozen=True)
class Exercise:
    """One exercise: how to get its answer, and what to say to a wrong one.

    Parameters
    ----------
    key : "NN.k", lecture and number.
    question : one line, what is asked (for the tests and the table of exercises).
    expected : a function computing the right answer (closed exercises).
    checker : for an open exercise, a function that runs the student's object and raises
        :class:`Wrong` with a message naming the failing case.
    solution : the reference solution of an open exercise (a function returning the
        object a student would write); the unit test checks it passes.
    hints : (a likely wrong answer, the hint for it) pairs.
    hint : said for any other wrong answer.
    tolerance : absolute tolerance for numbers and arrays.
    reveals : regular expressions for text that would give the answer away, for answers
        too short to search for verbatim (``9`` is everywhere; ``9×9`` gives 12.1 away).
        No markdown cell or checked output above the exercise may match one.
    """

    key: str
    question: str
    expected: Callable[[], Any] | None = None
    checker: Callable[[Any], None] | None = None
    solution: Callable[[], Any] | None = None
    hints: tuple[tuple[Any, str], ...] = ()
    hint: str = ""
    tolerance: float = 1e-6
    reveals: tuple[str, ...] = ()
    mistakes: tuple[Any, ...] = field(default=(), repr=False)

    @property
    def is_open(self) -> bool:
        return self.checker is not None


_REGISTRY: dict[str, Exercise] = {}


def exercise(key: str, question: str, **details) -> Exercise:
    """Register an exercise (called in ``lecture_NN.py``)."""
    if key in _REGISTRY:
        raise ValueError(f"exercise {key} is defined twice")
    if ("expected" in details) == ("checker" in details):
        raise ValueError(f"exercise {key}: give either expected or checker")
    item = Exercise(key=key, question=question, **details)
    _REGISTRY[key] = item
    return item


def _lecture(key) -> str:
    if not isinstance(key, str) or len(key.split(".")) != 2:
        raise ValueError(
            f'an exercise is named "NN.k", e.g. check("04.2", answer); got {key!r}'
        )
    return key.split(".")[0]


def get(key: str) -> Exercise:
    """The exercise called ``key`` ("04.2")."""
    lecture = _lecture(key)
    try:
        importlib.import_module(f"course_lib.exercises.lecture_{lecture}")
    except ModuleNotFoundError:
        raise unknown_name("exercise", key, sorted(all_keys())) from None
    if key not in _REGISTRY:
        raise unknown_name(
            "exercise", key, sorted(k for k in _REGISTRY if k.startswith(lecture))
        )
    return _REGISTRY[key]


def all_keys() -> list[str]:
    """Every exercise of every lecture, loading their files."""
    from pathlib import Path

    for path in sorted(Path(__file__).parent.glob("lecture_*.py")):
        importlib.import_module(f"course_lib.exercises.{path.stem}")
    return sorted(_REGISTRY)


def same(answer, expected, tolerance: float = 1e-6) -> bool:
    """True when ``answer`` equals ``expected``: numbers and arrays within ``tolerance``
    (same shape), anything else with ``==``; strings ignore case and surrounding spaces."""
    if isinstance(expected, str) or isinstance(answer, str):
        return (
            isinstance(answer, str)
            and isinstance(expected, str)
            and answer.strip().casefold() == expected.strip().casefold()
        )
    try:
        a = np.asarray(answer, dtype=float)
        e = np.asarray(expected, dtype=float)
    except (TypeError, ValueError):
        return bool(answer == expected)
    if a.shape != e.shape:
        return False
    return bool(np.allclose(a, e, atol=tolerance, rtol=0, equal_nan=False))


def feedback(key: str, answer) -> tuple[bool | None, str]:
    """``(correct, message)`` for ``answer`` to exercise ``key``; correct is None when
    the exercise is not answered yet."""
    item = get(key)
    if answer is None:
        return None, (
            f"Exercise {key} is not answered yet: replace None with your answer and "
            "run the cell again."
        )
    if item.is_open:
        try:
            item.checker(answer)
        except Wrong as exc:
            return False, f"Not yet: {exc}"
        except Exception as exc:  # noqa: BLE001 - the student's code raised
            return False, f"Not yet: your code raised {type(exc).__name__}: {exc}"
        return True, "Correct! Every test case passes."
    expected = item.expected()
    if same(answer, expected, item.tolerance):
        return True, "Correct!"
    for mistake, hint in item.hints:
        if same(answer, mistake, item.tolerance):
            return False, f"Not quite. Hint: {hint}"
    extra = f" Hint: {item.hint}" if item.hint else ""
    return False, f"Not quite: {_short(answer)} is not the expected answer.{extra}"


def _short(answer) -> str:
    text = repr(answer)
    return text if len(text) <= 60 else text[:57] + "..."


def check(key: str, answer) -> None:
    """Print whether ``answer`` solves exercise ``key`` ("NN.k"), with a hint when it
    does not. The expected answer is never printed. (``feedback`` returns the verdict.)"""
    print(feedback(key, answer)[1])


def close(a: float, b: float, tolerance: float) -> bool:
    """``|a - b| <= tolerance`` for finite numbers (for checkers)."""
    return math.isfinite(a) and abs(a - b) <= tolerance
