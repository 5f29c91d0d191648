"""Exercises of lecture 16 (spatial transformers): a zoom as θ, one bilinear read, the
parameters of a projective transformer, and the grid generator written out."""

from __future__ import annotations

import numpy as np

from course_lib.exercises import Wrong, exercise


def _reference_grid(theta, height, width):
    ys, xs = np.meshgrid(
        np.linspace(-1, 1, height), np.linspace(-1, 1, width), indexing="ij"
    )
    points = np.stack([xs, ys, np.ones_like(xs)], axis=-1)
    return points @ np.asarray(theta, dtype=float).T


def _check_grid(function) -> None:
    if not callable(function):
        raise Wrong("give a function, e.g. def affine_grid_by_hand(theta, h, w): ...")
    cases = [
        (np.array([[1.0, 0, 0], [0, 1.0, 0]]), 3, 3),
        (np.array([[0.5, 0, 0.2], [0, 0.5, -0.1]]), 4, 5),
        (np.array([[0.8, 0.3, 0.1], [-0.2, 1.1, -0.3]]), 5, 2),
    ]
    for theta, height, width in cases:
        result = function(theta, height, width)
        if result is None:
            raise Wrong("affine_grid_by_hand returned None: write its body")
        answer = np.asarray(result, dtype=float)
        expected = _reference_grid(theta, height, width)
        if answer.shape != expected.shape:
            raise Wrong(
                f"for height {height}, width {width} the grid must be shaped "
                f"{expected.shape} (rows, columns, (x, y)), got {answer.shape}"
            )
        if np.allclose(answer, expected[..., ::-1], atol=1e-6) and not np.allclose(
            answer, expected, atol=1e-6
        ):
            raise Wrong("x and y are swapped: the last axis holds (x, y), x = column")
        if not np.allclose(answer, expected, atol=1e-6):
            raise Wrong(
                f"for theta {theta.tolist()} ({height}x{width}) the points differ: "
                "each output pixel's (x_t, y_t) runs from -1 to 1 (first to last "
                "pixel centre), and the point read is theta @ (x_t, y_t, 1)"
            )


def _grid_solution():
    def affine_grid_by_hand(theta, height, width):
        xs = np.linspace(-1, 1, width)
        ys = np.linspace(-1, 1, height)
        grid = np.zeros((height, width, 2))
        for row, y in enumerate(ys):
            for column, x in enumerate(xs):
                grid[row, column] = np.asarray(theta) @ [x, y, 1.0]
        return grid

    return affine_grid_by_hand


def _swapped(theta, height, width):
    return _reference_grid(theta, height, width)[..., ::-1]


def _pixel_units(theta, height, width):
    ys, xs = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    points = np.stack([xs, ys, np.ones_like(xs)], axis=-1).astype(float)
    return points @ np.asarray(theta).T


def _no_translation(theta, height, width):
    theta = np.asarray(theta, dtype=float).copy()
    theta[:, 2] = 0
    return _reference_grid(theta, height, width)


def _transposed(theta, height, width):
    return np.transpose(_reference_grid(theta, width, height), (1, 0, 2))


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
    "Write affine_grid_by_hand(theta, height, width): the (height, width, 2) array of "
    "input points (x_s, y_s) = theta @ (x_t, y_t, 1) read by each output pixel, with "
    "x_t, y_t running from -1 to 1 across the columns and rows.",
    checker=_check_grid,
    solution=_grid_solution,
    mistakes=(_swapped, _pixel_units, _no_translation, _transposed, "not a function"),
)
