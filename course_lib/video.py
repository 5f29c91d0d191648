"""Moving digits for lecture 20's 3D convolution, and the one-frame baseline.

- ``make_clips``: a half-size MNIST digit moving in one of four directions on a 28 x 28
  frame that wraps around (what leaves on the right comes back on the left), from a
  random start anywhere on the frame. Every single frame is then a digit at a uniformly
  random place, whatever the direction: no frame alone tells the direction;
- ``build_clip_classifier``: two Conv3D blocks (kernels across time, height and width):
  it can compare frames;
- ``build_frame_classifier``: the same network with Conv2D, on one frame: the baseline
  the field uses for a video model (Karpathy et al. 2014's "single frame" model);
- ``single_frames``: one frame per clip (a chosen position or a random one per clip);
- ``conv3d_parameters``: the weights of a Conv3D layer (LipNet's first layer: 7,232).

Example::

    clips = cl.video.make_clips(600, seed=0)
    clips.videos.shape, cl.video.DIRECTIONS[clips.directions[0]]   # (600, 7, 28, 28)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from course_lib.attention import _check_digit_images, _mnist_split
from course_lib.core import check_int, show

__all__ = [
    "DIRECTIONS",
    "Clips",
    "make_clips",
    "single_frames",
    "build_clip_classifier",
    "build_frame_classifier",
    "conv3d_parameters",
]

DIRECTIONS = ("right", "left", "down", "up")
_MOVES = {"right": (0, 1), "left": (0, -1), "down": (1, 0), "up": (-1, 0)}
SIDE = 28


@dataclass
class Clips:
    """Short clips of a moving digit.

    Attributes
    ----------
    videos : (N, frames, 28, 28) float32 in 0..1.
    directions : (N,) int indexing ``DIRECTIONS``.
    starts : (N, 2) int, the digit's top-left corner (row, column) in the first frame.
    """

    videos: np.ndarray
    directions: np.ndarray
    starts: np.ndarray

    def __len__(self) -> int:
        return len(self.videos)


def make_clips(
    count: int,
    *,
    frames: int = 7,
    step: int = 2,
    split: str = "train",
    seed: int = 0,
    mnist=None,
) -> Clips:
    """``count`` clips of a half-size (14 x 14) MNIST digit moving across a 28 x 28
    frame that wraps around at its edges.

    The four directions come equally often (to within one clip). The digit starts at
    a random place (any of the 28 x 28 corners, drawn the same way
    for every direction) and moves ``step`` pixels a frame in one of ``DIRECTIONS``.
    On a wrapping frame every place is as likely as any other in *every* frame, so one
    frame alone carries no information about the direction: a model must compare frames.

    Parameters
    ----------
    count : how many clips (1..50,000).
    frames : frames per clip (2..9).
    step : pixels moved per frame (0..3).
    split : ``"train"`` or ``"test"``: whose digits (``cl.data.load_mnist()``).
    seed : the random choice of digits, directions and starts.
    mnist : ``((x_train, y_train), (x_test, y_test))`` to use instead of
        ``cl.data.load_mnist()``.
    """
    count = check_int(count, "count", 1, 50_000)
    frames = check_int(frames, "frames", 2, 9)
    step = check_int(step, "step", 0, 3)
    seed = check_int(seed, "seed", 0, 2**32 - 1)
    x, _ = _check_digit_images(*_mnist_split(split, mnist))
    rng = np.random.default_rng(seed)
    small = x.reshape(-1, 14, 2, 14, 2).mean(axis=(2, 4)).astype(np.float32) / 255
    videos = np.zeros((count, frames, SIDE, SIDE), np.float32)
    # each direction equally often (up to one clip), in random order: chance is 25 %
    directions = rng.permutation(np.arange(count) % len(DIRECTIONS))
    starts = rng.integers(0, SIDE, size=(count, 2))
    canvas = np.zeros((SIDE, SIDE), np.float32)
    for n, direction in enumerate(directions):
        canvas[:14, :14] = small[rng.integers(0, len(small))]
        dy, dx = _MOVES[DIRECTIONS[direction]]
        for f in range(frames):
            shift = (starts[n, 0] + dy * step * f, starts[n, 1] + dx * step * f)
            videos[n, f] = np.roll(canvas, shift, axis=(0, 1))
    return Clips(videos, directions.astype(np.int64), starts.astype(np.int64))


def single_frames(clips: Clips, frame: int | None = None, seed: int = 0) -> np.ndarray:
    """One frame per clip, (N, 28, 28): frame number ``frame`` of every clip, or with
    ``frame=None`` a random frame of each clip (drawn with ``seed``)."""
    if not isinstance(clips, Clips):
        raise ValueError(f"clips must come from make_clips, got {show(clips)}")
    count, frames = clips.videos.shape[:2]
    if frame is None:
        seed = check_int(seed, "seed", 0, 2**32 - 1)
        picks = np.random.default_rng(seed).integers(0, frames, size=count)
    else:
        picks = np.full(count, check_int(frame, "frame", 0, frames - 1))
    return clips.videos[np.arange(count), picks]


def _compile(model):
    import keras

    model.compile(
        optimizer=keras.optimizers.Adam(3e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def build_clip_classifier(frames: int = 7, seed: int = 0):
    """Two Conv3D blocks (3 x 3 x 3 kernels across time, height and width), global
    average pooling and a 4-way softmax over ``DIRECTIONS``. Input (N, frames, 28, 28,
    1)."""
    import keras
    from keras import layers

    frames = check_int(frames, "frames", 5, 9)  # two 3-frame convolutions
    seed = check_int(seed, "seed", 0, 2**32 - 1)
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input((frames, SIDE, SIDE, 1)),
            layers.Conv3D(8, 3, activation="relu", name="conv3d_1"),
            layers.MaxPooling3D((1, 2, 2), name="pool_1"),
            layers.Conv3D(16, 3, activation="relu", name="conv3d_2"),
            layers.GlobalAveragePooling3D(name="pool_all"),
            layers.Dense(len(DIRECTIONS), activation="softmax", name="direction"),
        ],
        name="clip_classifier",
    )
    return _compile(model)


def build_frame_classifier(seed: int = 0):
    """The one-frame baseline: the clip classifier's network with 3 x 3 Conv2D kernels
    (no time axis) on one frame (N, 28, 28, 1), and a 4-way softmax over
    ``DIRECTIONS``."""
    import keras
    from keras import layers

    seed = check_int(seed, "seed", 0, 2**32 - 1)
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input((SIDE, SIDE, 1)),
            layers.Conv2D(8, 3, activation="relu", name="conv2d_1"),
            layers.MaxPooling2D(2, name="pool_1"),
            layers.Conv2D(16, 3, activation="relu", name="conv2d_2"),
            layers.GlobalAveragePooling2D(name="pool_all"),
            layers.Dense(len(DIRECTIONS), activation="softmax", name="direction"),
        ],
        name="frame_classifier",
    )
    return _compile(model)


def conv3d_parameters(kernel, in_channels: int, filters: int) -> int:
    """Weights of a Conv3D layer: kt * kh * kw * in_channels * filters + filters.

    >>> conv3d_parameters((3, 5, 5), 3, 32)   # LipNet's first layer
    7232
    """
    try:
        kernel = tuple(kernel) if not isinstance(kernel, int) else (kernel,) * 3
    except TypeError:
        raise ValueError(f"kernel must be 3 sizes, got {show(kernel)}") from None
    if len(kernel) != 3:
        raise ValueError(f"kernel must be 3 sizes (time, height, width), got {kernel}")
    sizes = [check_int(k, "kernel size", 1, 1000) for k in kernel]
    in_channels = check_int(in_channels, "in_channels", 1, 100_000)
    filters = check_int(filters, "filters", 1, 100_000)
    return math.prod(sizes) * in_channels * filters + filters
