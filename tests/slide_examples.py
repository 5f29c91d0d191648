"""Worked examples from the slides (seed 002), shared by the convolution tests."""

import numpy as np

# The 6x6 image and the vertical-edge kernel of the slides, and the 4x4 map they give.
SLIDE_IMAGE = np.array(
    [
        [0, 0, 5, 2, 1, 4],
        [3, 4, 1, 1, 1, 3],
        [6, 7, 1, 1, 1, 4],
        [8, 9, 2, 1, 5, 2],
        [2, 0, 0, 0, 2, 1],
        [6, 2, 2, 2, 2, 1],
    ]
)
VERTICAL_EDGE = np.array([[1, 0, -1]] * 3)
SLIDE_MAP = np.array(
    [[2, 7, 4, -7], [13, 17, -3, -6], [13, 14, -5, -5], [12, 8, -5, -1]]
)
