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

from course_lib.attention import MNIST, SPLIT, _mnist_split
from course_lib.core import SEED, Instance, Int, Items, OneOf, Optional, checked

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


@checked(
    count=Int(1, 50_000),
    frames=Int(2, 9),
    step=Int(0, 3),
    split=SPLIT,
    seed=SEED,
    mnist=MNIST,
)
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
        ``cl.data.load_mnist()``; uint8 0-255 or float 0-1 pixels (the clips are the
        same either way).
    """
    x, _, scale = _mnist_split(split, mnist)
    rng = np.random.default_rng(seed)
    small = x.reshape(-1, 14, 2, 14, 2).mean(axis=(2, 4)).astype(np.float32) / scale
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


def _example_clips() -> Clips:
    return Clips(
        np.zeros((2, 2, SIDE, SIDE), np.float32),
        np.zeros(2, int),
        np.zeros((2, 2), int),
    )


@checked(
    clips=Instance(Clips, "clips from make_clips", example=_example_clips),
    frame=Optional(Int(0, 8)),
    seed=SEED,
)
def single_frames(clips: Clips, frame: int | None = None, seed: int = 0) -> np.ndarray:
    """One frame per clip, (N, 28, 28): frame number ``frame`` of every clip, or with
    ``frame=None`` a random frame of each clip (drawn with ``seed``)."""
    count, frames = clips.videos.shape[:2]
    if frame is None:
        picks = np.random.default_rng(seed).integers(0, frames, size=count)
    elif frame >= frames:
        raise ValueError(
            f"frame must be from 0 to {frames - 1} (these clips have {frames} frames), "
            f"got {frame}"
        )
    else:
        picks = np.full(count, frame)
    return clips.videos[np.arange(count), picks]


def _compile(model):
    import keras

    model.compile(
        optimizer=keras.optimizers.Adam(3e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


@checked(frames=Int(5, 9), seed=SEED)
def build_clip_classifier(frames: int = 7, seed: int = 0):
    """Two Conv3D blocks (3 x 3 x 3 kernels across time, height and width), global
    average pooling and a 4-way softmax over ``DIRECTIONS``. Input (N, frames, 28, 28,
    1)."""
    import keras
    from keras import layers

    # frames from 5: two 3-frame convolutions
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


@checked(seed=SEED)
def build_frame_classifier(seed: int = 0):
    """The one-frame baseline: the clip classifier's network with 3 x 3 Conv2D kernels
    (no time axis) on one frame (N, 28, 28, 1), and a 4-way softmax over
    ``DIRECTIONS``."""
    import keras
    from keras import layers

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


@checked(
    kernel=OneOf(Int(1, 1000), Items(Int(1, 1000), 3, 3)),
    in_channels=Int(1, 100_000),
    filters=Int(1, 100_000),
)
def conv3d_parameters(kernel, in_channels: int, filters: int) -> int:
    """Weights of a Conv3D layer: kt * kh * kw * in_channels * filters + filters.
    ``kernel``: one size for all three axes, or (time, height, width).

    >>> conv3d_parameters((3, 5, 5), 3, 32)   # LipNet's first layer
    7232
    """
    sizes = (kernel,) * 3 if isinstance(kernel, int) else kernel
    return math.prod(sizes) * in_channels * filters + filters
