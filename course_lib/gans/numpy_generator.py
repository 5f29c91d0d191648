"""Lecture 19's shipped generator run by NumPy alone, for the GAN dashboard.

``cl.gans.build_generator`` with the weights of ``gan_generator.weights.h5``: a dense
projection, batch normalization (its moving averages: prediction mode) and ReLU, then two
transposed convolutions (4x4, stride 2, "same"). The same numbers as the Keras model up to
float round-off, without importing TensorFlow (which alone takes longer than the whole
dashboard may). Used by ``cl.widgets.GanExplorer()`` without arguments.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from course_lib.core import Anything, Optional, PathIn, checked

EPSILON = 1e-3  # keras.layers.BatchNormalization's default


def _transposed_convolution(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Keras' ``Conv2DTranspose(strides=2, padding="same")`` without bias: (N, H, W, C)
    with a (k, k, out, C) kernel -> (N, 2H, 2W, out)."""
    n, height, width, _ = x.shape
    size, out = kernel.shape[0], kernel.shape[2]
    full = np.zeros((n, 2 * height + size - 2, 2 * width + size - 2, out), np.float32)
    for dy in range(size):
        for dx in range(size):
            full[:, dy : dy + 2 * height : 2, dx : dx + 2 * width : 2] += (
                x @ kernel[dy, dx].T
            )
    crop = (size - 2) // 2
    return full[:, crop : crop + 2 * height, crop : crop + 2 * width]


def _batch_norm(x: np.ndarray, gamma, beta, mean, variance) -> np.ndarray:
    return (x - mean) / np.sqrt(variance + EPSILON) * gamma + beta


class NumpyGenerator:
    """The shipped generator: ``generator(codes)`` -> digits (N, 28, 28, 1) in 0..1.

    ``latent_dim`` is the length of a code. Read it with ``NumpyGenerator.from_file()``
    (the verified shipped file) or ``from_file(path)``.
    """

    @checked(weights=Anything("the layers of a weights file, as from_file reads them"))
    def __init__(self, weights: dict[str, list[np.ndarray]]):
        self.weights = weights
        self.latent_dim = int(weights["dense"][0].shape[0])

    @classmethod
    @checked(path=Optional(PathIn()))
    def from_file(cls, path: str | Path | None = None) -> NumpyGenerator:
        """The generator in a Keras ``.weights.h5`` of ``build_generator`` (default: the
        shipped, verified ``gan_generator.weights.h5``)."""
        import h5py

        from course_lib.data import registry

        path = registry.path("gan_generator") if path is None else Path(path)
        weights = {}
        with h5py.File(path, "r") as f:
            for name, group in f["layers"].items():
                values = sorted(group["vars"].items(), key=lambda item: int(item[0]))
                weights[name] = [np.asarray(v, np.float32) for _, v in values]
        return cls(weights)

    def __call__(self, codes, training: bool = False) -> np.ndarray:
        w = self.weights
        x = np.asarray(codes, np.float32) @ w["dense"][0]
        x = np.maximum(_batch_norm(x, *w["batch_normalization"]), 0)
        x = x.reshape(len(x), 7, 7, -1)
        x = _transposed_convolution(x, w["conv2d_transpose"][0])
        x = np.maximum(_batch_norm(x, *w["batch_normalization_1"]), 0)
        x = _transposed_convolution(x, w["conv2d_transpose_1"][0])
        x = x + w["conv2d_transpose_1"][1]
        return 1 / (1 + np.exp(-x))
