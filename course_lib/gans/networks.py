"""The DCGAN pair of lecture 19 and the losses they are trained with.

- ``build_generator`` / ``build_discriminator``: a DCGAN pair for 28x28 digits
  (Radford, Metz and Chintala 2016, "Unsupervised Representation Learning with Deep
  Convolutional GANs", ICLR): strided (transposed) convolutions, batch norm in G, leaky
  ReLU in D.
- ``generator_loss`` and ``generator_loss_gradients``: the *minimax* loss
  log(1 - D(G(z))) and the *non-saturating* loss -log D(G(z)). With D = sigmoid(logit),
  their gradients with respect to the logit are -D and -(1 - D): the first vanishes when
  D wins (D(G(z)) -> 0), the second does not (Goodfellow et al. 2014, section 3).
- ``GENERATOR``, ``DISCRIMINATOR``, ``CLASSIFIER``: what each model argument of
  ``cl.gans`` must be, so that swapping G and D is answered in words.
"""

from __future__ import annotations

import numpy as np

from course_lib.core import Array, Choice, Images, Int, Model, checked

LATENT_DIM = 16
"""The size of the code z of the course's generators (the shipped one included)."""

LOSSES = ("non_saturating", "minimax")
"""The generator losses ``train_gan`` knows."""

GENERATOR = Model((None,), (28, 28, 1), what="a generator")
"""A generator: codes (N, latent_dim) -> digits (N, 28, 28, 1)."""
DISCRIMINATOR = Model((28, 28, 1), (1,), outputs="logits", what="a discriminator")
"""A discriminator: digits (N, 28, 28, 1) -> one logit each (no final sigmoid)."""
CLASSIFIER = Model(
    (28, 28, 1), (10,), outputs="probabilities", what="a digit classifier"
)
"""The judge of generated digits: (N, 28, 28, 1) -> 10 class probabilities."""
DIGITS = Images(("NHW", "NHWC"), channels=1, size=(28, 28))
"""Digits (N, 28, 28) or (N, 28, 28, 1), uint8 0-255 or float 0-1 (float32 0-1 out)."""


class _Logits(Array):
    """D's logits, one per image: (N,) or (N, 1)."""

    def __init__(self):
        super().__init__(ndim=(1, 2), max_size=10_000_000, what="logits")

    def describe(self):
        return "logits (N,) or (N, 1) of finite numbers"

    def convert(self, value, name):
        array = super().convert(value, name)
        if array.ndim == 2 and array.shape[1] != 1:
            self.fail(name, value, got=f"shape {array.shape}")
        return array

    def bad_values(self):
        return [None, "text", np.full(2, np.nan), np.zeros((2, 2)), np.zeros((2, 1, 1))]


LOGITS = _Logits()


@checked(latent_dim=Int(1, 512), width=Int(1, 256))
def build_generator(latent_dim: int = LATENT_DIM, width: int = 32):
    """The DCGAN generator: a code (latent_dim,) -> a digit (28, 28, 1) in 0..1.

    ``Dense(7*7*2w)`` + batch norm + ReLU, reshaped to 7x7x2w, then
    ``Conv2DTranspose(w, 4, strides=2)`` + batch norm + ReLU (14x14x w) and
    ``Conv2DTranspose(1, 4, strides=2)`` with a sigmoid (28x28x1): pixels in 0..1 as
    the course's classifier reads them (DCGAN used tanh and -1..1; only the scale
    differs). With ``width=32`` and 16 inputs it has 96,129 weights (413 kB as a file).
    """
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input((latent_dim,)),
            layers.Dense(7 * 7 * 2 * width, use_bias=False, name="project"),
            layers.BatchNormalization(momentum=0.9, name="project_bn"),
            layers.ReLU(),
            layers.Reshape((7, 7, 2 * width)),
            layers.Conv2DTranspose(
                width, 4, strides=2, padding="same", use_bias=False, name="up14"
            ),
            layers.BatchNormalization(momentum=0.9, name="up14_bn"),
            layers.ReLU(),
            layers.Conv2DTranspose(
                1, 4, strides=2, padding="same", activation="sigmoid", name="up28"
            ),
        ],
        name="generator",
    )


def _leaky_relu(x):
    """max(x, 0.2 x): the leaky ReLU of DCGAN's discriminator (slope 0.2 below 0).

    The same numbers as ``keras.layers.LeakyReLU(0.2)``; written as a maximum because
    TensorFlow's graph optimiser fails to fuse the built-in op with the convolution's
    bias under a gradient tape and prints an alarming (harmless) error.
    """
    import tensorflow as tf

    return tf.maximum(x, 0.2 * x)


@checked(width=Int(1, 256))
def build_discriminator(width: int = 32):
    """The DCGAN discriminator: a digit (28, 28, 1) -> one logit (D = sigmoid(logit)).

    ``Conv2D(w, 4, strides=2)`` + leaky ReLU (0.2), ``Conv2D(2w, 4, strides=2)`` +
    leaky ReLU, ``Flatten``, ``Dense(1)``. No sigmoid inside: the losses take logits,
    which is exact where sigmoid rounds to 0 or 1.
    """
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(width, 4, strides=2, padding="same", name="down14"),
            layers.Activation(_leaky_relu, name="leaky14"),
            layers.Conv2D(2 * width, 4, strides=2, padding="same", name="down7"),
            layers.Activation(_leaky_relu, name="leaky7"),
            layers.Flatten(),
            layers.Dense(1, name="logit"),
        ],
        name="discriminator",
    )


# The losses on tensors (inside the training step) ...


def _generator_loss(fake_logits, loss: str):
    import tensorflow as tf

    if loss == "minimax":
        return tf.reduce_mean(-tf.nn.softplus(fake_logits))
    return tf.reduce_mean(tf.nn.softplus(-fake_logits))


def _discriminator_loss(real_logits, fake_logits):
    import tensorflow as tf

    real = tf.nn.sigmoid_cross_entropy_with_logits(
        labels=tf.ones_like(real_logits), logits=real_logits
    )
    fake = tf.nn.sigmoid_cross_entropy_with_logits(
        labels=tf.zeros_like(fake_logits), logits=fake_logits
    )
    return tf.reduce_mean(real) + tf.reduce_mean(fake)


# ... and on numbers, for a student to try.


@checked(fake_logits=LOGITS, loss=Choice(*LOSSES))
def generator_loss(fake_logits, loss: str = "non_saturating") -> float:
    """The generator's loss on D's logits for generated images.

    ``"minimax"``: mean log(1 - D) = mean(-softplus(logit)), to be minimised (G plays
    the same game as D with the opposite sign). ``"non_saturating"``: mean -log D =
    mean(softplus(-logit)). Both push D(G(z)) up.
    """
    return float(_generator_loss(fake_logits.astype(np.float32), loss))


@checked(real_logits=LOGITS, fake_logits=LOGITS)
def discriminator_loss(real_logits, fake_logits) -> float:
    """Binary cross-entropy of D: real images labelled 1, generated ones 0."""
    return float(
        _discriminator_loss(
            real_logits.astype(np.float32), fake_logits.astype(np.float32)
        )
    )


@checked(
    d_outputs=Array(ndim=1, low=0, high=1, max_size=100_000, what="D(G(z)) values")
)
def generator_loss_gradients(d_outputs) -> dict[str, np.ndarray]:
    """Each generator loss and its gradient with respect to D's logit, at D = d_outputs.

    The gradient with respect to the logit is what flows back through D into G. It is
    computed with ``tf.GradientTape``, per sample (each D value is one generated image).

    Parameters
    ----------
    d_outputs : D(G(z)) values (N,), each strictly between 0 and 1.

    Returns
    -------
    dict with ``d`` (the inputs), ``minimax_loss``, ``minimax_gradient`` (equal to -D),
    ``non_saturating_loss`` and ``non_saturating_gradient`` (equal to -(1 - D)).
    """
    import tensorflow as tf

    d = d_outputs
    if d.size == 0 or not np.all((d > 0) & (d < 1)):
        raise ValueError(
            "d_outputs must be values strictly between 0 and 1 (a sigmoid never "
            f"reaches 0 or 1 exactly), got {d.min() if d.size else 'none'}"
            + (f" to {d.max()}" if d.size else "")
        )
    logits = tf.Variable(np.log(d) - np.log1p(-d))  # the logit whose sigmoid is d
    result: dict[str, np.ndarray] = {"d": d}
    for name in LOSSES:
        with tf.GradientTape() as tape:
            # Per-sample losses summed: the gradient of each entry is its own.
            per_sample = (
                -tf.nn.softplus(logits)
                if name == "minimax"
                else tf.nn.softplus(-logits)
            )
            total = tf.reduce_sum(per_sample)
        result[f"{name}_loss"] = per_sample.numpy()
        result[f"{name}_gradient"] = tape.gradient(total, logits).numpy()
    return result
