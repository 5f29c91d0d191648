"""Digit scenes (lecture 15): real MNIST digits on a 64x64 canvas, with a class for every
pixel (semantic labels) and an id for every digit (instance labels)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from course_lib.core import (
    SEED,
    Choice,
    Examples,
    Images,
    Instance,
    Int,
    Labels,
    Optional,
    checked,
    show,
)

NUM_CLASSES = 11
"""Background plus the ten digits."""
CLASS_NAMES = ["background", *[f"digit {d}" for d in range(10)]]
"""Class c > 0 is digit c - 1 (semantic label = digit + 1)."""
SCENE_SIZE = 64
INK = 128
"""A digit's pixel belongs to the digit when its MNIST value is at least 128 (of 255);
fainter pixels (the anti-aliased rim) are background."""
MAX_SCENES = 5_000


@dataclass
class DigitScenes:
    """Scenes made by :func:`digit_scenes`.

    images (N, 64, 64) float32 in 0..1; semantic (N, 64, 64) uint8, 0 = background and
    digit + 1 on a digit's ink; instances (N, 64, 64) uint8, 0 = background and k on
    the ink of the k-th digit placed (1-based); digits a list of N lists of the digits
    placed, in order; boxes a list of N lists of (top, left, height, width).
    """

    images: np.ndarray
    semantic: np.ndarray
    instances: np.ndarray
    digits: list = field(default_factory=list)
    boxes: list = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.images)


def _example_scenes() -> DigitScenes:
    blank = np.zeros((2, SCENE_SIZE, SCENE_SIZE), np.uint8)
    return DigitScenes(blank.astype(np.float32), blank, blank, [[], []], [[], []])


SCENES = Instance(
    DigitScenes, "DigitScenes (made by cl.segmentation.digit_scenes)", _example_scenes
)
"""The declaration of a parameter that takes digit scenes."""


DIGITS = Examples(Images("NHW", size=(28, 28), to="uint8"), Labels(10))
"""``(images, labels)``: digits (M, 28, 28) of uint8 0-255 or float 0-1 pixels and one
label 0-9 each; returned as (uint8 images, int64 labels)."""


def _ink_crop(digit: np.ndarray) -> np.ndarray:
    rows = np.flatnonzero(digit.max(axis=1) > 0)
    cols = np.flatnonzero(digit.max(axis=0) > 0)
    if len(rows) == 0:
        return digit[:1, :1]
    return digit[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def _overlaps(box, boxes, gap: int = 1) -> bool:
    top, left, height, width = box
    for other_top, other_left, other_height, other_width in boxes:
        if (
            top < other_top + other_height + gap
            and other_top < top + height + gap
            and left < other_left + other_width + gap
            and other_left < left + width + gap
        ):
            return True
    return False


@checked(
    count=Int(1, MAX_SCENES),
    seed=SEED,
    split=Choice("train", "test"),
    min_digits=Int(1, 4),
    max_digits=Int(1, 4),
    digits=Optional(DIGITS),
)
def digit_scenes(
    count: int,
    seed: int = 0,
    split: str = "train",
    min_digits: int = 2,
    max_digits: int = 4,
    digits=None,
) -> DigitScenes:
    """``count`` seeded scenes of 2-4 real MNIST digits on a 64x64 black canvas.

    Each digit is cut to the box around its ink and placed at a random position where
    its box does not touch another's (so every pixel has one true label).

    Parameters
    ----------
    count : number of scenes (1 to 5,000).
    seed : the same seed gives the same scenes.
    split : "train" or "test": which part of ``cl.data.load_mnist()`` the digits come
        from (the test scenes use digits the network never saw).
    min_digits, max_digits : how many digits per scene (1 to 4).
    digits : ``(images, labels)`` to draw from instead: images (M, 28, 28) as uint8
        0-255 or float 0-1 (the same digits either way), labels 0-9.

    Returns
    -------
    DigitScenes
    """
    if max_digits < min_digits:
        raise ValueError(
            f"max_digits must be an int from {min_digits} to 4 (not below "
            f"min_digits), got {max_digits}"
        )
    images, labels = _source_digits(split, digits)
    rng = np.random.default_rng(seed)
    size = SCENE_SIZE
    canvas = np.zeros((count, size, size), np.uint8)
    semantic = np.zeros((count, size, size), np.uint8)
    instances = np.zeros((count, size, size), np.uint8)
    all_digits, all_boxes = [], []
    for n in range(count):
        wanted = int(rng.integers(min_digits, max_digits + 1))
        placed, boxes, restarts = [], [], 0
        while len(placed) < wanted:
            index = int(rng.integers(len(images)))
            ink = _ink_crop(images[index])
            height, width = ink.shape
            for _ in range(50):
                top = int(rng.integers(0, size - height + 1))
                left = int(rng.integers(0, size - width + 1))
                if not _overlaps((top, left, height, width), boxes):
                    break
            else:  # no room left: start the scene again
                restarts += 1
                if restarts > 200:
                    raise ValueError(
                        f"{wanted} digits of these sizes do not fit on a {size}x{size} "
                        "canvas without touching; give fewer or smaller digits"
                    )
                placed, boxes = [], []
                canvas[n] = semantic[n] = instances[n] = 0
                continue
            window = (slice(top, top + height), slice(left, left + width))
            canvas[n][window] = ink
            strong = ink >= INK
            semantic[n][window][strong] = int(labels[index]) + 1
            instances[n][window][strong] = len(placed) + 1
            placed.append(int(labels[index]))
            boxes.append((top, left, height, width))
        all_digits.append(placed)
        all_boxes.append(boxes)
    return DigitScenes(
        canvas.astype(np.float32) / 255, semantic, instances, all_digits, all_boxes
    )


def _source_digits(split, digits):
    """(uint8 images, labels): ``digits`` as checked, or MNIST's ``split``."""
    if digits is not None:
        return digits
    from course_lib.data import load_mnist

    train, test = load_mnist()
    images, labels = train if split == "train" else test
    return np.asarray(images), np.asarray(labels)


@checked(
    count=Int(1, MAX_SCENES),
    seed=SEED,
    split=Choice("train", "test"),
    digits=Optional(DIGITS),
)
def touching_digit_scenes(
    count: int, seed: int = 0, split: str = "test", digits=None
) -> DigitScenes:
    """``count`` seeded 64x64 scenes of two different images of the **same digit**,
    placed side by side so that their ink touches.

    The second digit starts to the right of the first and slides left, one column at
    a time, until one of its ink pixels (MNIST value >= 128) is next to (or on) one of
    the first digit's; where the two overlap, the second is drawn on top. The labels are
    those of :func:`digit_scenes`: semantic (digit + 1 on ink, both digits alike) and
    instance (1 and 2). No per-pixel class can tell the two digits apart: only the
    instance labels do.

    Parameters
    ----------
    count : number of scenes (1 to 5,000).
    seed : the same seed gives the same scenes.
    split : "train" or "test" (default): which digits of ``cl.data.load_mnist()``.
    digits : ``(images, labels)`` to draw from instead (uint8 0-255 or float 0-1
        images (M, 28, 28)); at least one class must have two images.

    Returns
    -------
    DigitScenes
    """
    images, labels = _source_digits(split, digits)
    by_class = [np.flatnonzero(labels == c) for c in range(10)]
    usable = [c for c in range(10) if len(by_class[c]) >= 2]
    if not usable:
        raise ValueError(
            "digits must hold at least two images of one class, got "
            + show(np.unique(labels).tolist())
        )
    rng = np.random.default_rng(seed)
    size = SCENE_SIZE
    canvas = np.zeros((count, size, size), np.uint8)
    semantic = np.zeros((count, size, size), np.uint8)
    instances = np.zeros((count, size, size), np.uint8)
    all_digits, all_boxes = [], []
    for n in range(count):
        label = int(usable[rng.integers(len(usable))])
        first, second = rng.choice(by_class[label], 2, replace=False)
        inks = [_ink_crop(images[first]), _ink_crop(images[second])]
        masks = []
        for ink in inks:  # each digit's ink on its own 64x64 plane, at the left edge
            plane = np.zeros((size, size), np.uint8)
            plane[: ink.shape[0], : ink.shape[1]] = ink
            masks.append(plane)
        top = [int(rng.integers(0, size - ink.shape[0] + 1)) for ink in inks]
        top[1] = int(np.clip(top[0] + rng.integers(-4, 5), 0, size - inks[1].shape[0]))
        planes = [np.roll(masks[k], top[k], axis=0) for k in range(2)]
        strong = planes[0] >= INK
        near = strong.copy()  # the first digit's ink and its 4 neighbours
        near[1:] |= strong[:-1]
        near[:-1] |= strong[1:]
        near[:, 1:] |= strong[:, :-1]
        near[:, :-1] |= strong[:, 1:]
        shift = inks[0].shape[1]
        while shift > 0 and not (near & (np.roll(planes[1], shift, 1) >= INK)).any():
            shift -= 1
        width = max(inks[0].shape[1], shift + inks[1].shape[1])
        left = int(rng.integers(0, size - width + 1))
        planes = [np.roll(planes[0], left, 1), np.roll(planes[1], left + shift, 1)]
        canvas[n] = np.maximum(planes[0], planes[1])
        for k in range(2):
            ink = planes[k] >= INK
            semantic[n][ink] = label + 1
            instances[n][ink] = k + 1
        all_digits.append([label, label])
        all_boxes.append(
            [
                (top[0], left, *inks[0].shape),
                (top[1], left + shift, *inks[1].shape),
            ]
        )
    return DigitScenes(
        canvas.astype(np.float32) / 255, semantic, instances, all_digits, all_boxes
    )
