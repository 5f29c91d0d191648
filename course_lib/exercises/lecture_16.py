"""Exercises of lecture 16 (spatial transformers): a zoom as θ, one bilinear read, the
parameters of a projective transformer, and the θ that frames a box of the canvas."""

from __future__ import annotations

import numpy as np

from course_lib.exercises import Wrong, exercise
from course_lib.spatial import CANVAS  # the canvas side, 60 pixels


def _box_theta(left, top, right, bottom, span=CANVAS - 1, pixels=False):
    """θ whose view runs from pixel centre (left, top) to (right, bottom) of the canvas:
    pixel p lies at 2p/span - 1 in normalised coordinates (span = 59: first and last
    pixel centres at -1 and +1); ``pixels=True`` leaves the coordinates in pixels."""

    def normal(p):
        return float(p) if pixels else 2 * p / span - 1

    x0, x1, y0, y1 = map(normal, (left, right, top, bottom))
    return np.array(
        [[(x1 - x0) / 2, 0, (x1 + x0) / 2], [0, (y1 - y0) / 2, (y1 + y0) / 2]]
    )


BOXES = [(0, 0, 59, 59), (15, 15, 44, 44), (0, 30, 29, 59), (10, 5, 40, 50)]
"""Canvas boxes (left, top, right, bottom) the checker tries: the whole canvas, the
middle half, the bottom-left quarter, an off-centre oblong."""


def _inverse(theta):
    matrix, offset = theta[:, :2], theta[:, 2]
    inverse = np.linalg.inv(matrix)
    return np.column_stack([inverse, -inverse @ offset])


def _check_box(function) -> None:
    if not callable(function):
        raise Wrong(
            "give a function, e.g. def theta_for_box(left, top, right, bottom): ..."
        )
    for box in BOXES:
        result = function(*box)
        if result is None:
            raise Wrong("theta_for_box returned None: write its body")
        answer = np.asarray(result, dtype=float)
        if answer.shape != (2, 3):
            raise Wrong(f"θ is a 2x3 matrix, got shape {answer.shape}")
        expected = _box_theta(*box)
        if np.allclose(answer, expected, atol=1e-6):
            continue
        mistakes = [
            (
                _box_theta(*box, pixels=True),
                "θ works in normalised coordinates (-1 to 1 across the canvas), not in "
                "pixels",
            ),
            (
                _box_theta(*box, span=CANVAS),
                "the first and last pixel centres (0 and 59) sit at -1 and +1, so pixel "
                "p is at 2p/59 - 1, not 2p/60 - 1",
            ),
            (
                _box_theta(box[1], box[0], box[3], box[2]),
                "the first row of θ gives x (the columns: left and right), the second y",
            ),
            (
                _inverse(expected),
                "θ maps each point of the VIEW to the canvas point it reads, not the "
                "canvas to the view",
            ),
        ]
        for wrong, hint in mistakes:
            if np.allclose(answer, wrong, atol=1e-6):
                raise Wrong(hint)
        raise Wrong(
            f"for the box {box} (left, top, right, bottom) θ is not right: the view's "
            "corner (-1, -1) must read the canvas at (left, top) and (1, 1) at "
            "(right, bottom), in normalised coordinates"
        )


def _box_solution():
    def theta_for_box(left, top, right, bottom):
        def normal(p):
            return 2 * p / 59 - 1

        x0, x1, y0, y1 = normal(left), normal(right), normal(top), normal(bottom)
        return np.array(
            [[(x1 - x0) / 2, 0, (x1 + x0) / 2], [0, (y1 - y0) / 2, (y1 + y0) / 2]]
        )

    return theta_for_box


def _in_pixels(left, top, right, bottom):
    return _box_theta(left, top, right, bottom, pixels=True)


def _over_sixty(left, top, right, bottom):
    return _box_theta(left, top, right, bottom, span=CANVAS)


def _rows_swapped(left, top, right, bottom):
    return _box_theta(top, left, bottom, right)


def _canvas_to_view(left, top, right, bottom):
    return _inverse(_box_theta(left, top, right, bottom))


exercise(
    "16.1",
    "A transformer should zoom in by a factor 2 on the centre of its input (the output "
    "shows the middle half of the image, twice as large). θ = [[a, 0, 0], [0, a, 0]]: "
    "what is a?",
    expected=lambda: 0.5,
    tolerance=1e-9,
    hints=(
        (
            2,
            "θ maps each OUTPUT point to the INPUT point it reads: to zoom in, the "
            "output must read a smaller region of the input",
        ),
        (-0.5, "a negative a also flips the image"),
        (0.25, "the zoom is per side: the output spans half the width, not a quarter"),
    ),
    hint="the output's corners (±1, ±1) must read the corners of the input's middle half.",
)

exercise(
    "16.2",
    "The image [[0, 10], [20, 30]] (row 0 is [0, 10]) is read bilinearly at pixel "
    "coordinates x = 0.25 (column), y = 0.5 (row). What value comes out?",
    expected=lambda: 12.5,
    tolerance=1e-6,
    hints=(
        (15, "that is the mean of the four pixels, the value at x = y = 0.5"),
        (10, "x is the column and y the row: you swapped them"),
    ),
    hint="weights (1-dx)(1-dy), dx(1-dy), (1-dx)dy, dx·dy for the four neighbours.",
)

exercise(
    "16.3",
    "The paper's projective transformer uses a 3x3 matrix H acting on (x, y, 1), "
    "then divides by the third coordinate. How many numbers must its localisation "
    "network output?",
    expected=lambda: 8,
    hints=(
        (
            9,
            "H and 2·H give the same points after the division: fix one entry "
            "(H[2, 2] = 1)",
        ),
        (6, "6 is the affine θ; projective adds the bottom row's two entries"),
    ),
    hint="count the entries of H, then remove the one the division makes redundant.",
)

exercise(
    "16.4",
    "Write theta_for_box(left, top, right, bottom): the θ (2x3) whose view covers the "
    "box of the 60x60 canvas from pixel centre (left, top) to (right, bottom), so the "
    "view's corner (-1, -1) reads (left, top) and (1, 1) reads (right, bottom).",
    checker=_check_box,
    solution=_box_solution,
    mistakes=(
        _in_pixels,
        _over_sixty,
        _rows_swapped,
        _canvas_to_view,
        "not a function",
    ),
)
