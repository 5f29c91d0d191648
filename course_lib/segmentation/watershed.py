"""The classic pipeline (lecture 15): marker-based watershed on scikit-image's coins."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from course_lib.core import Int, checked


@dataclass
class Coins:
    """The result of :func:`watershed_coins`.

    image (303, 384) uint8; elevation the Sobel gradient magnitude; markers (1 = sure
    background, 2 = sure coin, 0 = undecided); semantic (bool, coin or not); instances
    (int, 0 = background, 1..count one id per coin); count the number of coins found.
    """

    image: np.ndarray
    elevation: np.ndarray
    markers: np.ndarray
    semantic: np.ndarray
    instances: np.ndarray
    count: int


@checked(low=Int(0, 255), high=Int(0, 255), min_size=Int(0, 10_000))
def watershed_coins(low: int = 30, high: int = 150, min_size: int = 50) -> Coins:
    """Segment scikit-image's ``coins`` with the classic marker-based watershed.

    Pixels darker than ``low`` are sure background, brighter than ``high`` sure coin;
    the watershed floods the Sobel elevation map from these markers and decides the
    rest. Holes inside coins are filled, connected regions become instances (regions
    smaller than ``min_size`` pixels are dropped).
    """
    import skimage
    from scipy import ndimage

    if low >= high:
        raise ValueError(f"low must be below high, got low={low}, high={high}")
    image = skimage.data.coins()
    elevation = skimage.filters.sobel(image)
    markers = np.zeros(image.shape, np.int32)
    markers[image < low] = 1
    markers[image > high] = 2
    flooded = skimage.segmentation.watershed(elevation, markers)
    semantic = ndimage.binary_fill_holes(flooded == 2)
    instances, count = ndimage.label(semantic)
    if min_size:
        sizes = np.bincount(instances.ravel())
        small = np.flatnonzero(sizes < min_size)
        small = small[small > 0]
        semantic = semantic & ~np.isin(instances, small)
        instances, count = ndimage.label(semantic)
    return Coins(image, elevation, markers, semantic, instances.astype(np.int32), count)
