"""The small data sets of lecture 10: a few hundred MNIST digits, faces vs non-faces
from scikit-image, the explorer's pictures, and image folders for Keras to read."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from course_lib.core import SEED, Images, Int, Items, Labels, PathIn, Text, checked


@functools.lru_cache(maxsize=1)
def _mnist():
    """``cl.data.load_mnist()``, loaded once (it says once which data it uses)."""
    from course_lib.data import load_mnist

    return load_mnist()


@checked(size=Int(8, 1024))
def explorer_images(size: int = 96) -> dict[str, np.ndarray]:
    """The pictures of ``cl.widgets.AugmentationExplorer``, float32 0..1, by name: an
    MNIST 6 (the first in ``cl.data.load_mnist()``'s training set), three photos from
    scikit-image resized to ``size`` pixels on the longer side, and a face from
    ``skimage.data.lfw_subset()``."""
    from skimage.data import lfw_subset

    from course_lib.data import sample_image
    from course_lib.images import to_unit_float

    (x_train, y_train), _ = _mnist()
    images = {"digit 6": to_unit_float(x_train[np.flatnonzero(y_train == 6)[0]])}
    for label, name in (
        ("astronaut", "astronaut"),
        ("cat (chelsea)", "chelsea"),
        ("coffee", "coffee"),
    ):
        images[label] = to_unit_float(sample_image(name, size=size))
    images["face (lfw)"] = lfw_subset()[0].astype(np.float32)
    return images


@checked(size=Int(10, 60_000), seed=SEED)
def small_digit_set(size: int = 500, seed: int = 0):
    """``size`` training digits (the same number of each digit) drawn from
    ``cl.data.load_mnist()``'s training set, and its whole test set; float32 0..1 with a
    channel axis: ``((x, y), (x_test, y_test))``."""
    if size % 10:
        raise ValueError(
            f"size must be a multiple of 10 (one share per digit), got {size}"
        )
    (x_train, y_train), (x_test, y_test) = _mnist()
    smallest = min(np.bincount(y_train, minlength=10))
    if size // 10 > smallest:
        raise ValueError(
            f"size must be at most {10 * smallest} (the data has {smallest} examples "
            f"of its rarest digit), got {size}"
        )
    rng = np.random.default_rng(seed)
    chosen = np.concatenate(
        [
            rng.choice(np.flatnonzero(y_train == digit), size // 10, replace=False)
            for digit in range(10)
        ]
    )
    chosen = rng.permutation(chosen)

    def prepare(images):
        return (images.astype(np.float32) / 255.0)[..., np.newaxis]

    return (prepare(x_train[chosen]), y_train[chosen].astype(np.int64)), (
        prepare(x_test),
        y_test.astype(np.int64),
    )


@checked(train_size=Int(2, 180), seed=SEED)
def face_data(train_size: int = 20, seed: int = 0):
    """Faces (label 1) vs non-faces (label 0) from ``skimage.data.lfw_subset()``: 200
    gray 25x25 images, the first 100 faces. ``train_size`` images (half of each, so an
    even number up to 180) are drawn for training, the rest are the test set:
    ``((x, y), (x_test, y_test))``, float32 0..1 with a channel axis."""
    from skimage.data import lfw_subset

    if train_size % 2:
        raise ValueError(f"train_size must be even (half faces), got {train_size}")
    images = lfw_subset().astype(np.float32)[..., np.newaxis]
    labels = np.r_[np.ones(100), np.zeros(100)].astype(np.int64)
    rng = np.random.default_rng(seed)
    faces, others = rng.permutation(100), 100 + rng.permutation(100)
    half = train_size // 2
    train = rng.permutation(np.r_[faces[:half], others[:half]])
    test = np.r_[faces[half:], others[half:]]
    return (images[train], labels[train]), (images[test], labels[test])


@checked(
    root=PathIn(folder=True),
    images=Images(("NHW", "NHWC"), channels=(1, 3), to="uint8"),
    labels=Labels(1000),
    class_names=Items(Text(max_length=100), 1, 1000),
)
def export_image_folders(root, images, labels, class_names) -> dict[str, int]:
    """Write ``images`` as PNG files into one sub-folder per class under ``root`` (the
    layout ``keras.utils.image_dataset_from_directory`` reads); return the counts.

    ``images`` are gray or RGB, uint8 0-255 or float 0-1; ``labels[i]`` is the index
    of image i's name in ``class_names``.
    """
    from skimage.io import imsave

    if root.exists() and not root.is_dir():
        raise ValueError(f"root must be a folder, but {root} is a file")
    if not all(n.strip(".") and not set(n) & set("/\\") for n in class_names):
        raise ValueError(
            "class_names must be folder names (no '/', '\\' or dots only), "
            f"got {list(class_names)!r}"
        )
    if len(images) != len(labels):
        raise ValueError(
            f"give one label per image: {len(images)} images, {len(labels)} labels"
        )
    if labels.max() >= len(class_names):
        raise ValueError(
            f"labels must be from 0 to {len(class_names) - 1} (one per class name), "
            f"got {labels.max()}"
        )
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    counts = {}
    for index, name in enumerate(class_names):
        folder = Path(root) / name
        folder.mkdir(parents=True, exist_ok=True)
        chosen = np.flatnonzero(labels == index)
        for number, i in enumerate(chosen):
            imsave(folder / f"{name}_{number:04d}.png", images[i], check_contrast=False)
        counts[name] = len(chosen)
    return counts
