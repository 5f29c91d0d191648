"""The shipped 2-D VAE of lecture 18, run in NumPy.

``read_vae_weights`` reads a VAE's weight file (``cl.data.load_vae_weights()``: the one
made by ``datasets/build_vae.py``, verified);
``encode_numpy`` and ``decode_numpy`` run it without TensorFlow, which is what
``cl.widgets.LatentExplorer`` uses. ``vae_weights`` and ``set_vae_weights`` move the
weights of a Keras VAE to and from one flat vector.
"""

from __future__ import annotations

import numpy as np

from course_lib.autoencoders.plain import DECODER, DIGITS, ENCODER, PIXELS
from course_lib.autoencoders.variational import VAE_HIDDEN, VAE_LATENT
from course_lib.core import Array, Constraint, PathIn, checked


def _weight_shapes(hidden: int, latent: int) -> list[tuple[int, ...]]:
    """Shapes of the dense VAE's weights: the encoder's, then the decoder's."""
    return [
        (PIXELS, hidden),
        (hidden,),
        (hidden, latent),
        (latent,),
        (hidden, latent),
        (latent,),
        (latent, hidden),
        (hidden,),
        (hidden, PIXELS),
        (PIXELS,),
    ]


class _Vae(Constraint):
    """A dense VAE as ``build_vae`` makes it: a Keras model with an ``encoder`` and a
    ``decoder``."""

    def describe(self):
        return (
            "a variational autoencoder from build_vae (with an encoder and a decoder)"
        )

    def convert(self, value, name):
        import keras

        if not (
            isinstance(value, keras.Model)
            and isinstance(getattr(value, "encoder", None), keras.Model)
            and isinstance(getattr(value, "decoder", None), keras.Model)
        ):
            self.fail(name, value)
        ENCODER.check(value.encoder, f"{name}.encoder")
        DECODER.check(value.decoder, f"{name}.decoder")
        return value

    def example(self):
        from course_lib.autoencoders.variational import build_vae

        return build_vae(2, hidden=4)

    def bad_values(self):
        return [None, "vae", 3]


class _VaeWeights(Constraint):
    """The dense VAE's ten weight arrays (encoder's six, decoder's four)."""

    def describe(self):
        return (
            "the dense VAE's ten weight arrays (as cl.data.load_vae_weights gives them)"
        )

    def convert(self, value, name):
        if isinstance(value, (str, bytes, np.ndarray)) or value is None:
            self.fail(name, value)
        try:
            weights = [np.asarray(w, dtype=np.float32) for w in value]
        except (TypeError, ValueError):
            self.fail(name, value)
        ok = len(weights) == 10 and weights[0].ndim == 2 and weights[2].ndim == 2
        if ok:
            hidden, latent = weights[0].shape[1], weights[2].shape[-1]
            shapes = _weight_shapes(hidden, latent)
            ok = weights[0].shape[0] == PIXELS and all(
                w.shape == shape for w, shape in zip(weights, shapes, strict=True)
            )
        if not ok or not all(np.isfinite(w).all() for w in weights):
            self.fail(name, value)
        return weights

    def example(self):
        return [np.zeros(shape, np.float32) for shape in _weight_shapes(4, 2)]

    def bad_values(self):
        return [None, "text", [np.zeros(3)]]


VAE = _Vae()
WEIGHTS = _VaeWeights()


@checked(vae=VAE)
def vae_weights(vae) -> np.ndarray:
    """Every weight of a dense VAE, encoder then decoder, as one flat float32 vector."""
    parts = [*vae.encoder.get_weights(), *vae.decoder.get_weights()]
    return np.concatenate([np.ravel(part) for part in parts]).astype(np.float32)


def _split(vector: np.ndarray, hidden: int, latent: int) -> list[np.ndarray]:
    shapes = _weight_shapes(hidden, latent)
    sizes = [int(np.prod(shape)) for shape in shapes]
    if vector.ndim != 1 or vector.size != sum(sizes):
        raise ValueError(
            f"a dense VAE with hidden={hidden}, latent={latent} has {sum(sizes):,} "
            f"weights, got an array of shape {vector.shape}"
        )
    parts = np.split(vector.astype(np.float32), np.cumsum(sizes)[:-1])
    return [part.reshape(shape) for part, shape in zip(parts, shapes, strict=True)]


@checked(vae=VAE, vector=Array(ndim=1, what="a weight vector"))
def set_vae_weights(vae, vector) -> None:
    """Load a flat weight vector (from :func:`vae_weights` or the shipped file)."""
    hidden = vae.decoder.layers[0].units
    latent = vae.decoder.input_shape[-1]
    parts = _split(vector, hidden, latent)
    vae.encoder.set_weights(parts[:6])
    vae.decoder.set_weights(parts[6:])


@checked(path=PathIn(exists=True))
def read_vae_weights(path) -> list[np.ndarray]:
    """A dense 2-D VAE's weights from a flat ``.npy`` vector, as float32 arrays (the
    encoder's six, the decoder's four). The shipped VAE: ``cl.data.load_vae_weights()``."""
    try:
        vector = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise ValueError(f"{path} is not a .npy file of VAE weights: {exc}") from None
    if not isinstance(vector, np.ndarray) or vector.dtype.kind != "f":
        raise ValueError(f"{path} holds no float weights")
    return _split(vector, VAE_HIDDEN, VAE_LATENT)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


@checked(weights=WEIGHTS, images=DIGITS)
def encode_numpy(weights: list[np.ndarray], images) -> tuple[np.ndarray, np.ndarray]:
    """The dense VAE's encoder in NumPy: ``(z_mean, z_log_var)``, each ``(N, d)``."""
    w1, b1, wm, bm, wv, bv = weights[:6]
    flat = images.reshape(-1, PIXELS)
    hidden = np.maximum(flat @ w1 + b1, 0.0)
    return hidden @ wm + bm, hidden @ wv + bv


@checked(weights=WEIGHTS, codes=Array(ndim=(1, 2), what="codes (N, d)"))
def decode_numpy(weights: list[np.ndarray], codes) -> np.ndarray:
    """The dense VAE's decoder in NumPy: codes ``(N, d)`` → images ``(N, 28, 28)``."""
    w1, b1, w2, b2 = weights[6:]
    codes = codes.astype(np.float32)
    if codes.ndim == 1:
        codes = codes[None]
    if codes.shape[1] != w1.shape[0]:
        raise ValueError(
            f"codes must be shaped (N, {w1.shape[0]}) for these weights, got "
            f"{codes.shape}"
        )
    hidden = np.maximum(codes @ w1 + b1, 0.0)
    return _sigmoid(hidden @ w2 + b2).reshape(-1, 28, 28)
