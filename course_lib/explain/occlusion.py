"""Is a heatmap faithful? Erase its hottest and coldest squares and measure the class
score; the heat over bands of rows (lecture 12)."""

from __future__ import annotations

import numpy as np

from course_lib.core import check_int, check_number, show
from course_lib.explain.gradcam import class_scores
from course_lib.explain.running import _check_model
from course_lib.images import to_unit_float


def window_means(heatmap: np.ndarray, size: int) -> np.ndarray:
    """Mean of every ``size`` x ``size`` window of a 2-D map, (H-size+1, W-size+1)."""
    heatmap = np.asarray(heatmap, dtype=np.float64)
    if heatmap.ndim != 2:
        raise ValueError(f"heatmap must be 2-D, got shape {heatmap.shape}")
    size = check_int(size, "size", 1, min(heatmap.shape))
    total = np.pad(heatmap.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    sums = (
        total[size:, size:]
        - total[:-size, size:]
        - total[size:, :-size]
        + total[:-size, :-size]
    )
    return sums / size**2


def occlude(image: np.ndarray, corner: tuple[int, int], size: int, value=0.0):
    """A copy of ``image`` with the ``size`` x ``size`` square at ``corner`` set to
    ``value`` (0 is the background of a digit: the ink there is erased)."""
    try:
        covered = np.array(image, dtype=np.float32, copy=True)
    except (TypeError, ValueError):
        covered = np.array([])
    if covered.ndim not in (2, 3) or covered.size == 0:
        raise ValueError(f"image must be (H, W) or (H, W, C), got {show(image)}")
    try:
        row, column = (check_int(n, "corner", 0) for n in corner)
    except (TypeError, ValueError):
        raise ValueError(
            f"corner must be two ints >= 0 (row, column), got {show(corner)}"
        ) from None
    size = check_int(size, "size", 1)
    value = check_number(value, "value")
    covered[row : row + size, column : column + size] = value
    return covered


def occlusion_check(
    model, images, heatmaps, classes, size: int = 6, min_ink: float = 0.1
) -> dict[str, np.ndarray]:
    """Erase the hottest and the coldest ``size`` x ``size`` square of each heatmap among
    the squares with some ink (mean ink >= ``min_ink``) and measure the class score.

    Returns ``{"score", "hot", "cold"}``: the scores before and after each erasure (N,).
    A faithful heatmap makes ``score - hot`` larger than ``score - cold``.
    """
    _check_model(model)
    images = to_unit_float(images, "images")
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3:
        raise ValueError(f"images must be gray, (N, H, W), got shape {images.shape}")
    try:
        heatmaps = np.asarray(heatmaps, dtype=np.float64)
    except (TypeError, ValueError):
        heatmaps = None
    if heatmaps is None or heatmaps.shape != images.shape:
        raise ValueError(f"heatmaps must be one per image, shaped {images.shape}")
    classes = np.asarray(classes)
    if classes.ndim == 0:
        classes = np.full(len(images), classes)
    if classes.shape != (len(images),) or classes.dtype.kind not in "iu":
        raise ValueError(
            f"classes must be one int, or one int per image ({len(images)})"
        )
    size = check_int(size, "size", 1, min(images.shape[1:]))
    min_ink = check_number(min_ink, "min_ink")
    num_classes = model.output_shape[-1]
    if classes.min() < 0 or classes.max() >= num_classes:
        raise ValueError(f"classes must be from 0 to {num_classes - 1}")
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


def _real_array(values) -> np.ndarray:
    """``values`` as float64, or an empty array when they are not real numbers."""
    try:
        array = np.asarray(values)
    except (TypeError, ValueError):
        return np.array([])
    if array.dtype.kind not in "uif":
        return np.array([])
    return array.astype(np.float64)


def band_means(heatmaps, bands: dict) -> dict[str, float]:
    """The mean of ``heatmaps`` (N, H, W) over each band of rows: ``bands`` maps a name
    to ``(first_row, stop_row)``, e.g. ``{"eyes": (8, 13)}``. Returns name -> mean."""
    maps = _real_array(heatmaps)
    if maps.ndim != 3 or maps.size == 0 or not np.isfinite(maps).all():
        raise ValueError(
            f"heatmaps must be finite maps (N, H, W), got {show(heatmaps)}"
        )
    if not isinstance(bands, dict) or not bands:
        raise ValueError(
            f"bands must be a dict name -> (first_row, stop_row), got {show(bands)}"
        )
    means = {}
    for name, rows in bands.items():
        try:
            first, stop = (check_int(n, "band rows", 0, maps.shape[1]) for n in rows)
        except (TypeError, ValueError):
            first, stop = 0, 0
        if not first < stop:
            raise ValueError(
                f"band {name!r} must be rows (first, stop) with 0 <= first < stop <= "
                f"{maps.shape[1]}, got {show(rows)}"
            )
        means[name] = float(maps[:, first:stop].mean())
    return means
