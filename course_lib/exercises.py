"""Self-checks for the exercises at the end of each notebook."""

from __future__ import annotations

import numpy as np


def check(answer, expected, tolerance: float = 1e-6) -> None:
    """Print whether ``answer`` equals ``expected`` (numbers and arrays within ``tolerance``).

    ``answer`` left as ``None`` prints a reminder, not an error, so that an untouched
    exercise never stops "Run all".
    """
    if answer is None:
        print("Not answered yet: replace None with your answer and run the cell again.")
        return
    try:
        ok = np.allclose(
            np.asarray(answer, dtype=float),
            np.asarray(expected, dtype=float),
            atol=tolerance,
            rtol=0,
        )
        ok = ok and np.shape(answer) == np.shape(expected)
    except (TypeError, ValueError):
        ok = answer == expected
    print(
        "Correct!"
        if ok
        else f"Not quite: {answer!r} is not the expected value. Try again."
    )
