"""Is a heatmap faithful? Erase its hottest and coldest squares and measure the class
score; the heat over bands of rows (lecture 12)."""

from __future__ import annotations

import numpy as np

from course_lib.core import (
    Array,
    Images,
    Instance,
    Int,
    Items,
    Number,
    checked,
)
from course_lib.explain.gradcam import CLASSES, _check_classes, class_scores
from course_lib.explain.running import MODEL

HEATMAPS = Array(ndim=3, what="heatmaps (N, H, W)")
"""Maps of finite numbers, one per image."""


@checked(heatmap=Array(ndim=2, what="a heatmap (H, W)"), size=Int(1, 4096))
def window_means(heatmap: np.ndarray, size: int) -> np.ndarray:
    """Mean of every ``size`` x ``size`` window of a 2-D map, (H-size+1, W-size+1)."""
    if size > min(heatmap.shape):
        raise ValueError(
            f"size must be at most the heatmap's shorter side {min(heatmap.shape)}, "
            f"got {size}"
        )
    total = np.pad(heatmap.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    sums = (
        total[size:, size:]
        - total[:-size, size:]
        - total[size:, :-size]
        + total[:-size, :-size]
    )
    return sums / size**2


@checked(
    image=Images(("HW", "HWC"), channels=(1, 3)),
    corner=Items(Int(0, 100_000), 2, 2),
    size=Int(1, 100_000),
    value=Number(0, 1),
)
def occlude(image: np.ndarray, corner: tuple[int, int], size: int, value=0.0):
    """A copy of ``image`` (as float 0..1) with the ``size`` x ``size`` square at
    ``corner`` (row, column) set to ``value`` (0 is the background of a digit: the ink
    there is erased). The corner must lie inside the image; the square may reach past
    its edge (that part is cut off)."""
    row, column = corner
    height, width = image.shape[:2]
    if row >= height or column >= width:
        raise ValueError(
            f"corner must lie inside the {height}x{width} image (row 0 to {height - 1}, "
            f"column 0 to {width - 1}), got ({row}, {column}): nothing would be erased"
        )
    covered = np.array(image, dtype=np.float32, copy=True)
    covered[row : row + size, column : column + size] = value
    return covered


@checked(
    model=MODEL,
    images=Images(("NHW", "NHWC"), channels=1),
    heatmaps=HEATMAPS,
    classes=CLASSES,
    size=Int(1, 4096),
    min_ink=Number(0, 1),
)
def occlusion_check(
    model, images, heatmaps, classes, size: int = 6, min_ink: float = 0.1
) -> dict[str, np.ndarray]:
    """Erase the hottest and the coldest ``size`` x ``size`` square of each heatmap among
    the squares with some ink (mean ink >= ``min_ink``) and measure the class score.

    ``images`` are gray (N, H, W) or (N, H, W, 1), uint8 0-255 or float 0-1; ``classes``
    one int or one per image. Returns ``{"score", "hot", "cold"}``: the scores before
    and after each erasure (N,). A faithful heatmap makes ``score - hot`` larger than
    ``score - cold``.
    """
    images = images.reshape(images.shape[:3])
    if heatmaps.shape != images.shape:
        raise ValueError(
            f"heatmaps must be one per image, shaped {images.shape}, got "
            f"{heatmaps.shape}"
        )
    classes = _check_classes(classes, len(images), model.output_shape[-1]).numpy()
    if size > min(images.shape[1:]):
        raise ValueError(
            f"size must be at most the images' shorter side {min(images.shape[1:])}, "
            f"got {size}"
        )
    hot_images, cold_images = [], []
    for image, heatmap in zip(images, heatmaps, strict=True):
        heat = window_means(heatmap, size)
        inked = window_means(image, size) >= min_ink
        if not inked.any():
            inked = np.ones_like(inked)
        hottest = np.unravel_index(np.where(inked, heat, -np.inf).argmax(), heat.shape)
        coldest = np.unravel_index(np.where(inked, heat, np.inf).argmin(), heat.shape)
        hot_images.append(occlude(image, hottest, size))
        cold_images.append(occlude(image, coldest, size))
    rows = np.arange(len(images))
    return {
        "score": class_scores(model, images)[rows, classes],
        "hot": class_scores(model, np.stack(hot_images))[rows, classes],
        "cold": class_scores(model, np.stack(cold_images))[rows, classes],
    }


BAND = Items(Int(0, 100_000), 2, 2)
"""Rows (first, stop) of one band."""


@checked(
    heatmaps=HEATMAPS,
    bands=Instance(
        dict, "a dict {name: (first_row, stop_row)}", example=lambda: {"top": (0, 1)}
    ),
)
def band_means(heatmaps, bands: dict) -> dict[str, float]:
    """The mean of ``heatmaps`` (N, H, W) over each band of rows: ``bands`` maps a name
    to ``(first_row, stop_row)``, e.g. ``{"eyes": (8, 13)}``. Returns name -> mean."""
    if not bands:
        raise ValueError("bands must name at least one band, e.g. {'eyes': (8, 13)}")
    height = heatmaps.shape[1]
    means = {}
    for name, rows in bands.items():
        first, stop = BAND.check(rows, f"band {name!r}")
        if not first < stop <= height:
            raise ValueError(
                f"band {name!r} must be rows (first, stop) with 0 <= first < stop <= "
                f"{height}, got ({first}, {stop})"
            )
        means[name] = float(heatmaps[:, first:stop].mean())
    return means
