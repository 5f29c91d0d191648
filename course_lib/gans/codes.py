"""Codes z ~ N(0, I) and what a generator makes of them (lecture 19).

``latent_code`` / ``latent_codes`` give seeded codes, ``interpolate`` the path between
two of them, ``generate`` the digits a generator draws for codes.
"""

from __future__ import annotations

import math

import numpy as np

from course_lib.core import SEED, Array, Choice, Int, OneOf, checked
from course_lib.gans.networks import GENERATOR, LATENT_DIM


class _CountOrCodes(OneOf):
    """How many codes to draw (an int), or the codes themselves; an array or a list
    that is wrong gets the array's own reason (NaN, shape) in the message."""

    def __init__(self):
        super().__init__(
            Int(1, 100_000),
            Array(ndim=(1, 2), max_size=50_000_000, what="codes (N, latent_dim)"),
        )

    def convert(self, value, name):
        if isinstance(value, np.ndarray | list | tuple):
            return self.options[1].check(value, name)
        return super().convert(value, name)


CODE = Array(ndim=1, max_size=512, what="a code (latent_dim,)")
OPPOSITE = -0.99
"""Codes whose directions have a cosine below this are "opposite" (about 172 degrees)."""


@checked(seed=SEED, latent_dim=Int(1, 512))
def latent_code(seed: int, latent_dim: int = LATENT_DIM) -> np.ndarray:
    """The code z ~ N(0, I) of a seed: the same seed gives the same code everywhere."""
    return np.random.default_rng(seed).standard_normal(latent_dim).astype(np.float32)


@checked(count=Int(1, 100_000), latent_dim=Int(1, 512), seed=SEED)
def latent_codes(count: int, latent_dim: int = LATENT_DIM, seed: int = 0) -> np.ndarray:
    """``count`` codes z ~ N(0, I), shaped (count, latent_dim), from one seed."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((count, latent_dim)).astype(np.float32)


@checked(z_a=CODE, z_b=CODE, steps=Int(2, 1000), method=Choice("linear", "spherical"))
def interpolate(z_a, z_b, steps: int = 8, method: str = "spherical") -> np.ndarray:
    """Codes on the way from ``z_a`` to ``z_b``: (steps, latent_dim), ends included.

    ``"linear"``: (1 - t) z_a + t z_b. Its midpoint is shorter than either end (for two
    random 16-d codes about 0.7 times as long), a code the generator rarely saw: codes
    z ~ N(0, I) lie near a shell of radius sqrt(latent_dim).
    ``"spherical"`` (slerp, White 2016, "Sampling Generative Networks"): along the great
    circle, so the length stays typical.

    Two codes pointing in opposite directions (z and -z) are refused: the straight path
    runs through 0, far inside the shell, and the great circle between them is not one
    path but infinitely many.
    """
    if z_a.shape != z_b.shape:
        raise ValueError(
            f"z_a and z_b must have the same length, got {z_a.size} and {z_b.size}"
        )
    t = np.linspace(0.0, 1.0, steps)[:, None]
    norms = np.linalg.norm(z_a) * np.linalg.norm(z_b)
    cosine = float(np.clip(np.dot(z_a, z_b) / norms, -1.0, 1.0)) if norms > 0 else 1.0
    if cosine < OPPOSITE:
        raise ValueError(
            f"z_b points almost opposite to z_a ({math.degrees(math.acos(cosine)):.0f} "
            "degrees apart): a linear path would pass through 0, far inside the shell "
            "of radius ~sqrt(latent_dim) where codes of N(0, I) lie, and a spherical "
            "one has no single great circle to follow; pick another end, e.g. "
            "latent_code(another seed)"
        )
    if method == "linear":
        return ((1 - t) * z_a + t * z_b).astype(np.float32)
    omega = math.acos(cosine)
    if omega < 1e-6:  # (nearly) the same direction: slerp is linear
        return ((1 - t) * z_a + t * z_b).astype(np.float32)
    sine = math.sin(omega)
    path = (np.sin((1 - t) * omega) * z_a + np.sin(t * omega) * z_b) / sine
    return path.astype(np.float32)


@checked(
    generator=GENERATOR,
    codes=_CountOrCodes(),
    batch_size=Int(1, 10_000),
)
def generate(generator, codes, batch_size: int = 500) -> np.ndarray:
    """Digits (N, 28, 28) in 0..1 from a generator, for codes (N, latent_dim) or a count.

    An int ``codes`` draws that many codes with ``latent_codes(codes, seed=0)``. The
    generator runs in inference mode (batch norm uses its moving statistics).
    """
    latent_dim = int(generator.inputs[0].shape[-1])
    if isinstance(codes, int):
        codes = latent_codes(codes, latent_dim)
    codes = np.asarray(codes, dtype=np.float32)
    if codes.ndim == 1:
        codes = codes[None]
    if codes.shape[1] != latent_dim or not len(codes):
        raise ValueError(
            f"codes must be shaped (N, {latent_dim}) for this generator, got "
            f"{codes.shape}"
        )
    parts = [
        np.asarray(generator(codes[i : i + batch_size], training=False))
        for i in range(0, len(codes), batch_size)
    ]
    return np.concatenate(parts)[..., 0]
