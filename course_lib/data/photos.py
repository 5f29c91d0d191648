"""Photos for the convolution demos: they ship inside scikit-image and scikit-learn
(see ``datasets/README.md`` for their licences), so nothing is downloaded."""

from __future__ import annotations

import numpy as np

from course_lib.core import Bool, Int, Optional, Text, checked, unknown_name

_SKIMAGE_IMAGES = (
    "astronaut",
    "camera",
    "chelsea",
    "coffee",
    "coins",
    "moon",
    "rocket",
    "page",
)
_SKLEARN_IMAGES = {"china": "china.jpg", "flower": "flower.jpg"}

MAX_IMAGE_SIDE = 2048
"""The largest side ``sample_image`` resizes to: a 2048x2048 photo is 12 MB as RGB
uint8 and 34 MB as gray float64, well inside Binder's 2 GB (at 20,000 pixels a side
one gray float64 copy alone is 3.2 GB)."""


@checked()
def sample_image_names() -> list[str]:
    """Names accepted by ``sample_image``."""
    return sorted(_SKIMAGE_IMAGES + tuple(_SKLEARN_IMAGES))


@checked(name=Text(max_length=100), gray=Bool(), size=Optional(Int(8, MAX_IMAGE_SIDE)))
def sample_image(name: str, gray: bool = False, size: int | None = None) -> np.ndarray:
    """A real photo as a uint8 array, (H, W) or (H, W, 3).

    ``gray=True`` converts a colour photo to one channel; ``size`` resizes the longer side
    to that many pixels (keeping the aspect ratio), from 8 to ``MAX_IMAGE_SIDE``.
    """
    if name in _SKLEARN_IMAGES:
        from sklearn.datasets import load_sample_image

        image = load_sample_image(_SKLEARN_IMAGES[name])
    elif name in _SKIMAGE_IMAGES:
        import skimage.data

        image = getattr(skimage.data, name)()
    else:
        raise unknown_name("image", name, sample_image_names())
    if image.ndim == 3 and image.shape[2] == 4:
        image = image[..., :3]
    if gray and image.ndim == 3:
        from skimage.color import rgb2gray

        image = (rgb2gray(image) * 255).round().astype(np.uint8)
    if size is not None:
        from skimage.transform import resize

        scale = size / max(image.shape[:2])
        shape = (
            round(image.shape[0] * scale),
            round(image.shape[1] * scale),
        ) + image.shape[2:]
        image = (
            (resize(image, shape, anti_aliasing=True) * 255).round().astype(np.uint8)
        )
    return np.ascontiguousarray(image, dtype=np.uint8)
