"""The variational autoencoder, written out (lecture 18).

A VAE (Kingma and Welling 2014, "Auto-Encoding Variational Bayes", ICLR) makes the
encoder output a *distribution* over codes, ``N(z_mean, exp(z_log_var))``, samples a
code from it with the reparameterisation trick and adds the KL divergence from the prior
``N(0, 1)`` to the loss.

``reparameterize``, ``kl_divergence`` (closed form), ``kl_monte_carlo`` (the same
expectation by sampling, with its standard error) and ``vae_loss_terms`` take NumPy
arrays; ``VariationalAutoencoder`` is a ``keras.Model`` with its own ``train_step``,
made on first use so that importing this module does not start TensorFlow.
"""

from __future__ import annotations

import functools

import numpy as np

from course_lib.autoencoders.plain import DECODER, DIGITS, ENCODER, IMAGE_SHAPE, PIXELS
from course_lib.core import SEED, Anything, Array, Int, Number, checked

VAE_HIDDEN = 256
"""Width of the shipped VAE's one hidden layer, in the encoder and in the decoder."""
VAE_LATENT = 2

MEANS = Array(ndim=(1, 2), max_size=10_000_000, what="codes (d,) or (N, d)")


def _same_shape(z_mean: np.ndarray, z_log_var: np.ndarray) -> None:
    if z_mean.shape != z_log_var.shape:
        raise ValueError(
            "z_mean and z_log_var must have the same shape, (d,) or (N, d), got "
            f"{z_mean.shape} and {z_log_var.shape}"
        )


@checked(z_mean=MEANS, z_log_var=MEANS, epsilon=MEANS)
def reparameterize(z_mean, z_log_var, epsilon) -> np.ndarray:
    """The reparameterisation trick: ``z = z_mean + exp(z_log_var / 2) * epsilon``.

    ``epsilon`` is drawn from ``N(0, 1)`` outside the network, so ``z`` is a
    differentiable function of ``z_mean`` and ``z_log_var`` (the VAE's ``train_step``
    does the same with tensors).
    """
    _same_shape(z_mean, z_log_var)
    if epsilon.shape[-1] != z_mean.shape[-1] or (
        z_mean.ndim == 2 and epsilon.shape != z_mean.shape
    ):
        raise ValueError(
            f"epsilon's shape {epsilon.shape} must end with z_mean's {z_mean.shape}"
        )
    return z_mean + np.exp(0.5 * z_log_var) * epsilon


@checked(z_mean=MEANS, z_log_var=MEANS)
def kl_divergence(z_mean, z_log_var) -> np.ndarray:
    """KL( N(z_mean, exp(z_log_var)) || N(0, 1) ) in closed form, summed over the
    latent dimensions: ``-1/2 * sum(1 + z_log_var - z_mean**2 - exp(z_log_var))``.

    One value per row for ``(N, d)`` inputs, a float for ``(d,)``.
    """
    _same_shape(z_mean, z_log_var)
    kl = -0.5 * np.sum(1.0 + z_log_var - z_mean**2 - np.exp(z_log_var), axis=-1)
    return kl if kl.ndim else float(kl)


CODE = Array(ndim=1, max_size=10_000, what="one code (d,)")


@checked(z_mean=CODE, z_log_var=CODE, samples=Int(2, 10_000_000), seed=SEED)
def kl_monte_carlo(
    z_mean, z_log_var, samples: int = 100_000, seed: int = 0
) -> tuple[float, float]:
    """The same KL divergence estimated by sampling, for ONE code ``(d,)``.

    Draws ``z ~ q = N(z_mean, exp(z_log_var))`` and averages ``log q(z) - log p(z)``
    with ``p = N(0, 1)``. Returns ``(estimate, standard_error)``; the closed form
    should lie within a few standard errors of the estimate.
    """
    _same_shape(z_mean, z_log_var)
    if samples * z_mean.size > 20_000_000:
        raise ValueError(
            f"samples x dimensions must be at most 20,000,000 (memory), got "
            f"{samples:,} x {z_mean.size}"
        )
    rng = np.random.default_rng(seed)
    epsilon = rng.standard_normal((samples, z_mean.size))
    z = z_mean + np.exp(0.5 * z_log_var) * epsilon
    # log densities up to the same constant -d/2 log(2 pi), which cancels
    log_q = -0.5 * np.sum(z_log_var + epsilon**2, axis=1)
    log_p = -0.5 * np.sum(z**2, axis=1)
    terms = log_q - log_p
    return float(terms.mean()), float(terms.std(ddof=1) / np.sqrt(samples))


@checked(latent_dim=Int(1, 256), hidden=Int(1, 4096), seed=SEED)
def build_vae_encoder(latent_dim: int = 2, hidden: int = VAE_HIDDEN, seed: int = 0):
    """The VAE's encoder: image → Flatten → Dense(hidden, relu) → two heads,
    ``z_mean`` and ``z_log_var`` (both linear: a log-variance may be any real number)."""
    import keras

    keras.utils.set_random_seed(seed)
    images = keras.Input(IMAGE_SHAPE)
    features = keras.layers.Flatten()(images)
    features = keras.layers.Dense(hidden, activation="relu")(features)
    z_mean = keras.layers.Dense(latent_dim, name="z_mean")(features)
    z_log_var = keras.layers.Dense(latent_dim, name="z_log_var")(features)
    return keras.Model(images, [z_mean, z_log_var], name="encoder")


@checked(latent_dim=Int(1, 256), hidden=Int(1, 4096), seed=SEED)
def build_vae_decoder(latent_dim: int = 2, hidden: int = VAE_HIDDEN, seed: int = 0):
    """The VAE's decoder: code → Dense(hidden, relu) → Dense(784, sigmoid) → 28x28x1."""
    import keras

    keras.utils.set_random_seed(seed + 1)
    return keras.Sequential(
        [
            keras.Input((latent_dim,)),
            keras.layers.Dense(hidden, activation="relu"),
            keras.layers.Dense(PIXELS, activation="sigmoid"),
            keras.layers.Reshape(IMAGE_SHAPE),
        ],
        name="decoder",
    )


def _loss_terms(images, reconstruction, z_mean, z_log_var):
    """The two loss terms per image, with ``keras.ops`` (tensors or arrays)."""
    from keras import ops

    eps = 1e-7
    rebuilt = ops.clip(reconstruction, eps, 1.0 - eps)
    cross_entropy = -(images * ops.log(rebuilt) + (1.0 - images) * ops.log(1 - rebuilt))
    rebuilt_loss = ops.sum(ops.reshape(cross_entropy, (ops.shape(images)[0], -1)), 1)
    kl = -0.5 * ops.sum(1.0 + z_log_var - z_mean**2 - ops.exp(z_log_var), axis=1)
    return rebuilt_loss, kl


CODES = Array(ndim=2, max_size=10_000_000, what="codes (N, d)")


@checked(images=DIGITS, reconstruction=DIGITS, z_mean=CODES, z_log_var=CODES)
def vae_loss_terms(images, reconstruction, z_mean, z_log_var):
    """The two terms of the VAE loss per image, as arrays ``(N,)``: the binary
    cross-entropy summed over the 784 pixels, and the closed-form KL.

    The loss is their mean over the batch, ``mean(reconstruction + kl)``.
    """
    from keras import ops

    _same_shape(z_mean, z_log_var)
    if not len(images) == len(reconstruction) == len(z_mean):
        raise ValueError(
            "images, reconstruction, z_mean and z_log_var must have one row per "
            f"image, got {len(images)}, {len(reconstruction)} and {z_mean.shape}"
        )
    terms = _loss_terms(
        images.reshape(-1, *IMAGE_SHAPE),
        reconstruction.reshape(-1, *IMAGE_SHAPE),
        z_mean.astype(np.float32),
        z_log_var.astype(np.float32),
    )
    return tuple(ops.convert_to_numpy(term) for term in terms)


@functools.cache
def _vae_class():
    import keras
    import tensorflow as tf

    class VariationalAutoencoder(keras.Model):
        """A VAE as a ``keras.Model`` with its own ``train_step`` (see the module)."""

        @checked(
            encoder=ENCODER,
            decoder=DECODER,
            beta=Number(0.0, 1000.0),
            seed=SEED,
            kw=Anything("keras.Model's own keyword arguments, e.g. name"),
        )
        def __init__(self, encoder, decoder, beta: float = 1.0, seed: int = 0, **kw):
            if len(encoder.outputs) != 2:
                raise ValueError(
                    "encoder must give two outputs, [z_mean, z_log_var] (as "
                    f"build_vae_encoder's does), got {len(encoder.outputs)}"
                )
            super().__init__(**kw)
            self.encoder = encoder
            self.decoder = decoder
            self.beta = beta
            self.noise_seed = keras.random.SeedGenerator(seed)
            self.loss_tracker = keras.metrics.Mean(name="loss")
            self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
            self.kl_tracker = keras.metrics.Mean(name="kl")

        @property
        def metrics(self):
            return [self.loss_tracker, self.reconstruction_tracker, self.kl_tracker]

        def call(self, images, training=False):
            """The reconstruction from the code's mean (no sampling): for use."""
            z_mean, _ = self.encoder(images, training=training)
            return self.decoder(z_mean, training=training)

        def _terms(self, images, training):
            z_mean, z_log_var = self.encoder(images, training=training)
            epsilon = keras.random.normal(keras.ops.shape(z_mean), seed=self.noise_seed)
            z = z_mean + keras.ops.exp(0.5 * z_log_var) * epsilon
            reconstruction = self.decoder(z, training=training)
            rebuilt, kl = _loss_terms(images, reconstruction, z_mean, z_log_var)
            rebuilt, kl = keras.ops.mean(rebuilt), keras.ops.mean(kl)
            return rebuilt + self.beta * kl, rebuilt, kl

        def _record(self, total, rebuilt, kl):
            self.loss_tracker.update_state(total)
            self.reconstruction_tracker.update_state(rebuilt)
            self.kl_tracker.update_state(kl)
            return {metric.name: metric.result() for metric in self.metrics}

        def train_step(self, data):
            images = data[0] if isinstance(data, tuple) else data
            with tf.GradientTape() as tape:
                total, rebuilt, kl = self._terms(images, training=True)
            gradients = tape.gradient(total, self.trainable_weights)
            self.optimizer.apply(gradients, self.trainable_weights)
            return self._record(total, rebuilt, kl)

        def test_step(self, data):
            images = data[0] if isinstance(data, tuple) else data
            return self._record(*self._terms(images, training=False))

    return VariationalAutoencoder


@checked(
    latent_dim=Int(1, 256),
    hidden=Int(1, 4096),
    beta=Number(0.0, 1000.0),
    learning_rate=Number(0, 10, positive=True),
    seed=SEED,
)
def build_vae(
    latent_dim: int = 2,
    hidden: int = VAE_HIDDEN,
    beta: float = 1.0,
    learning_rate: float = 1e-3,
    seed: int = 0,
):
    """A compiled dense :class:`VariationalAutoencoder` (Adam at ``learning_rate``).

    Train it with ``vae.fit(images, epochs=..., batch_size=...)``: no targets, the
    model rebuilds its input. ``vae.encoder(images)`` gives ``[z_mean, z_log_var]``,
    ``vae.decoder(codes)`` gives images.
    """
    import keras

    encoder = build_vae_encoder(latent_dim, hidden, seed)
    decoder = build_vae_decoder(latent_dim, hidden, seed)
    vae = _vae_class()(encoder, decoder, beta=beta, seed=seed, name="vae")
    vae.compile(optimizer=keras.optimizers.Adam(learning_rate))
    return vae
