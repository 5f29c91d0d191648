"""Autoencoders and variational autoencoders (lecture 18).

An autoencoder squeezes an image through a small code (the bottleneck) and rebuilds it;
a variational autoencoder (VAE; Kingma and Welling 2014, "Auto-Encoding Variational
Bayes", ICLR) makes the encoder output a *distribution* over codes, ``N(z_mean,
exp(z_log_var))``, samples a code from it with the reparameterisation trick and adds the
KL divergence from the prior ``N(0, 1)`` to the loss. The KL term packs the codes of all
images around the origin without gaps, so that every point of the latent plane decodes to
something digit-like (Chollet, *Deep Learning with Python*, 1st ed., section 8.4, which
slide set 002 follows).

This module:

- builds dense and convolutional autoencoders (``build_dense_autoencoder``,
  ``build_conv_autoencoder``), trains them (``train_autoencoder``) and measures them
  against the mean-image baseline (``reconstruction_error``, ``mean_image_error``,
  ``bottleneck_curve``); ``add_noise`` makes the inputs of a denoising autoencoder;
- writes the VAE out: ``reparameterize``, ``kl_divergence`` (closed form) and
  ``kl_monte_carlo`` (the same expectation by sampling, with its standard error),
  ``vae_loss_terms`` and ``VariationalAutoencoder``, a ``keras.Model`` with its own
  ``train_step``;
- loads the shipped 2-D VAE (``load_vae_weights``, made by ``datasets/build_vae.py``,
  sha256-checked) and runs it in NumPy (``encode_numpy``, ``decode_numpy``), which is what
  ``cl.widgets.LatentExplorer`` uses;
- measures stroke thickness (``ink``) and finds a concept vector from the data
  (``concept_vector``).

Keras is imported inside the functions that need it, so the widget stays NumPy-only.

Example::

    (x_train, _), (x_test, _) = cl.data.load_mnist()
    autoencoder, encoder, decoder = cl.autoencoders.build_dense_autoencoder(32)
    cl.autoencoders.train_autoencoder(autoencoder, x_train, epochs=5)
    cl.autoencoders.reconstruction_error(autoencoder, x_test)   # about 0.01
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from course_lib.core import check_floats, check_int, check_number, show
from course_lib.data.registry import FILES_DIR
from course_lib.images import to_unit_float

__all__ = [
    "IMAGE_SHAPE",
    "VAE_FILE",
    "as_images",
    "mean_image_error",
    "reconstruction_error",
    "build_dense_autoencoder",
    "build_conv_autoencoder",
    "train_autoencoder",
    "bottleneck_curve",
    "add_noise",
    "reparameterize",
    "kl_divergence",
    "kl_monte_carlo",
    "build_vae_encoder",
    "build_vae_decoder",
    "vae_loss_terms",
    "VariationalAutoencoder",  # noqa: F822 - made on first use, see __getattr__
    "build_vae",
    "vae_weights",
    "set_vae_weights",
    "load_vae_weights",
    "encode_numpy",
    "decode_numpy",
    "class_entropy",
    "BETA_FILE",
    "latent_grid",
    "ink",
    "concept_vector",
]

IMAGE_SHAPE: tuple[int, int, int] = (28, 28, 1)
PIXELS = 28 * 28

VAE_FILE = FILES_DIR / "vae_2d.npy"
"""The shipped 2-D VAE: every weight, float16, in one flat ``.npy`` vector."""
BETA_FILE = VAE_FILE.parent / "vae_beta.json"
"""The KL-weight sweep and the prior-sample entropies (``datasets/build_vae_beta.py``)."""
VAE_SHA256 = "f759dcdafdd2e161de61a4cdb71371d97f6605ade3a860c6403f2fd71c87c21e"
VAE_HIDDEN = 256
"""Width of the shipped VAE's one hidden layer, in the encoder and in the decoder."""
VAE_LATENT = 2


# --------------------------------------------------------------------------------------
# Data and error measures
# --------------------------------------------------------------------------------------


def as_images(images, name: str = "images") -> np.ndarray:
    """Digits as float32 ``(N, 28, 28, 1)`` in 0..1, from uint8 or float, with or
    without the channel axis; anything else is refused with a ValueError."""
    array = to_unit_float(images, name)
    if array.ndim == 2 and array.shape == (28, 28):
        array = array[None]
    if array.ndim == 3 and array.shape[1:] == (28, 28):
        array = array[..., None]
    if array.ndim != 4 or array.shape[1:] != IMAGE_SHAPE:
        raise ValueError(
            f"{name} must be 28x28 digits shaped (N, 28, 28) or (N, 28, 28, 1), "
            f"got shape {np.shape(images)}"
        )
    return np.ascontiguousarray(array, dtype=np.float32)


def mean_image_error(train_images, test_images) -> float:
    """The baseline: mean squared error per pixel when every test digit is "rebuilt"
    as the mean training digit. A model that learned nothing does no better."""
    train = as_images(train_images, "train_images")
    test = as_images(test_images, "test_images")
    return float(np.mean((test - train.mean(axis=0)) ** 2))


def reconstruction_error(model, images, batch_size: int = 500) -> float:
    """Mean squared error per pixel between ``images`` and ``model(images)``.

    ``model`` is any callable mapping ``(N, 28, 28, 1)`` images to images of the same
    shape (a Keras autoencoder, a VAE, a function).
    """
    images = as_images(images)
    batch_size = check_int(batch_size, "batch_size", 1, 100_000)
    if not callable(model):
        raise ValueError(f"model must be callable (a Keras model), got {show(model)}")
    total = 0.0
    for start in range(0, len(images), batch_size):
        batch = images[start : start + batch_size]
        rebuilt = np.asarray(model(batch), dtype=np.float32).reshape(batch.shape)
        total += float(np.sum((rebuilt - batch) ** 2))
    return total / images.size


def add_noise(images, std: float = 0.4, seed: int = 0) -> np.ndarray:
    """``images`` plus Gaussian noise of standard deviation ``std``, clipped to 0..1
    (the inputs of a denoising autoencoder; its targets are the clean images)."""
    images = as_images(images)
    std = check_number(std, "std", 0.0, 2.0)
    seed = check_int(seed, "seed", 0, 2**32 - 1)
    noise = np.random.default_rng(seed).normal(0.0, std, images.shape)
    return np.clip(images + noise, 0.0, 1.0).astype(np.float32)


# --------------------------------------------------------------------------------------
# Autoencoders
# --------------------------------------------------------------------------------------


def build_dense_autoencoder(code_size: int = 32, hidden: int = 128, seed: int = 0):
    """A dense autoencoder 784 → ``hidden`` → ``code_size`` → ``hidden`` → 784.

    Returns ``(autoencoder, encoder, decoder)``: three Keras models sharing layers;
    ``encoder`` maps images to codes, ``decoder`` codes to images (sigmoid pixels).
    """
    import keras

    code_size = check_int(code_size, "code_size", 1, 784)
    hidden = check_int(hidden, "hidden", 1, 4096)
    keras.utils.set_random_seed(check_int(seed, "seed", 0, 2**32 - 1))
    encoder = keras.Sequential(
        [
            keras.Input(IMAGE_SHAPE),
            keras.layers.Flatten(),
            keras.layers.Dense(hidden, activation="relu"),
            keras.layers.Dense(code_size, name="code"),
        ],
        name="encoder",
    )
    decoder = keras.Sequential(
        [
            keras.Input((code_size,)),
            keras.layers.Dense(hidden, activation="relu"),
            keras.layers.Dense(PIXELS, activation="sigmoid"),
            keras.layers.Reshape(IMAGE_SHAPE),
        ],
        name="decoder",
    )
    return _joined(encoder, decoder)


def build_conv_autoencoder(code_size: int = 16, filters: int = 16, seed: int = 0):
    """A convolutional autoencoder: two stride-2 3x3 convolutions (28 → 14 → 7) and a
    dense code of ``code_size``; the decoder mirrors it with transposed convolutions.

    Returns ``(autoencoder, encoder, decoder)`` like :func:`build_dense_autoencoder`.
    """
    import keras

    code_size = check_int(code_size, "code_size", 1, 784)
    filters = check_int(filters, "filters", 1, 256)
    keras.utils.set_random_seed(check_int(seed, "seed", 0, 2**32 - 1))
    layers = keras.layers
    encoder = keras.Sequential(
        [
            keras.Input(IMAGE_SHAPE),
            layers.Conv2D(filters, 3, strides=2, padding="same", activation="relu"),
            layers.Conv2D(2 * filters, 3, strides=2, padding="same", activation="relu"),
            layers.Flatten(),
            layers.Dense(code_size, name="code"),
        ],
        name="encoder",
    )
    decoder = keras.Sequential(
        [
            keras.Input((code_size,)),
            layers.Dense(7 * 7 * 2 * filters, activation="relu"),
            layers.Reshape((7, 7, 2 * filters)),
            layers.Conv2DTranspose(
                2 * filters, 3, strides=2, padding="same", activation="relu"
            ),
            layers.Conv2DTranspose(
                filters, 3, strides=2, padding="same", activation="relu"
            ),
            layers.Conv2D(1, 3, padding="same", activation="sigmoid"),
        ],
        name="decoder",
    )
    return _joined(encoder, decoder)


def _joined(encoder, decoder):
    import keras

    images = keras.Input(IMAGE_SHAPE)
    autoencoder = keras.Model(images, decoder(encoder(images)), name="autoencoder")
    return autoencoder, encoder, decoder


def train_autoencoder(
    autoencoder,
    images,
    targets=None,
    epochs: int = 5,
    batch_size: int = 64,
    learning_rate: float = 3e-3,
    validation_data=None,
    callbacks=(),
    seed: int = 0,
):
    """Train ``autoencoder`` to rebuild ``targets`` (by default ``images`` themselves)
    from ``images``, with Adam and the per-pixel binary cross-entropy.

    For a denoising autoencoder pass noisy ``images`` and clean ``targets``.
    ``validation_data`` is ``(inputs, targets)`` or just images. Returns the Keras
    ``History``.
    """
    import keras

    _check_model(autoencoder, "autoencoder")
    images = as_images(images)
    targets = images if targets is None else as_images(targets, "targets")
    if len(targets) != len(images):
        raise ValueError(
            f"images and targets must have the same length, got {len(images)} and "
            f"{len(targets)}"
        )
    epochs = check_int(epochs, "epochs", 1, 1000)
    batch_size = check_int(batch_size, "batch_size", 1, 100_000)
    learning_rate = check_number(learning_rate, "learning_rate", positive=True)
    if validation_data is not None:
        if isinstance(validation_data, tuple) and len(validation_data) == 2:
            validation_data = (
                as_images(validation_data[0], "validation inputs"),
                as_images(validation_data[1], "validation targets"),
            )
        else:
            val = as_images(validation_data, "validation_data")
            validation_data = (val, val)
    keras.utils.set_random_seed(check_int(seed, "seed", 0, 2**32 - 1))
    autoencoder.compile(
        optimizer=keras.optimizers.Adam(learning_rate), loss="binary_crossentropy"
    )
    return autoencoder.fit(
        images,
        targets,
        epochs=epochs,
        batch_size=batch_size,
        validation_data=validation_data,
        callbacks=list(callbacks),
        shuffle=True,
        verbose=0,
    )


def bottleneck_curve(
    train_images,
    test_images,
    sizes=(2, 4, 8, 16, 32, 64),
    epochs: int = 5,
    hidden: int = 128,
    batch_size: int = 64,
    seed: int = 0,
) -> dict:
    """Train one dense autoencoder per code size and measure its test error.

    Returns ``{"sizes": [...], "errors": [...], "baseline": mean_image_error}`` with
    the mean squared error per pixel on ``test_images`` for each size.
    """
    try:
        sizes = [check_int(size, "each code size", 1, 784) for size in sizes]
    except TypeError:
        raise ValueError(f"sizes must be a list of ints, got {show(sizes)}") from None
    if not sizes:
        raise ValueError("sizes is empty: give at least one code size")
    train = as_images(train_images, "train_images")
    test = as_images(test_images, "test_images")
    errors = []
    for size in sizes:
        autoencoder, _, _ = build_dense_autoencoder(size, hidden, seed)
        train_autoencoder(
            autoencoder, train, epochs=epochs, batch_size=batch_size, seed=seed
        )
        errors.append(reconstruction_error(autoencoder, test))
    return {
        "sizes": sizes,
        "errors": errors,
        "baseline": mean_image_error(train, test),
    }


# --------------------------------------------------------------------------------------
# The variational autoencoder, written out
# --------------------------------------------------------------------------------------


def _is_tensor(value) -> bool:
    return (
        hasattr(value, "dtype")
        and hasattr(value, "shape")
        and not isinstance(value, np.ndarray | np.generic)
    )


def _check_model(model, what: str = "model") -> None:
    if not all(hasattr(model, name) for name in ("fit", "get_weights", "compile")):
        raise ValueError(f"{what} must be a Keras model, got {show(model)}")


def _means_and_log_vars(z_mean, z_log_var) -> tuple[np.ndarray, np.ndarray]:
    mean = check_floats(z_mean, "z_mean")
    log_var = check_floats(z_log_var, "z_log_var")
    if mean.shape != log_var.shape or mean.ndim not in (1, 2) or mean.size == 0:
        raise ValueError(
            "z_mean and z_log_var must have the same shape, (d,) or (N, d), got "
            f"{mean.shape} and {log_var.shape}"
        )
    if not (np.isfinite(mean).all() and np.isfinite(log_var).all()):
        raise ValueError("z_mean and z_log_var must be finite")
    return mean, log_var


def reparameterize(z_mean, z_log_var, epsilon):
    """The reparameterisation trick: ``z = z_mean + exp(z_log_var / 2) * epsilon``.

    ``epsilon`` is drawn from ``N(0, 1)`` outside the network, so ``z`` is a
    differentiable function of ``z_mean`` and ``z_log_var``. Works on NumPy arrays and
    on tensors (it uses ``keras.ops`` for tensors).
    """
    if not _is_tensor(z_mean):
        mean, log_var = _means_and_log_vars(z_mean, z_log_var)
        epsilon = check_floats(epsilon, "epsilon")
        if epsilon.shape[-mean.ndim :] != mean.shape[-mean.ndim :]:
            raise ValueError(
                f"epsilon's shape {epsilon.shape} must end with z_mean's {mean.shape}"
            )
        return mean + np.exp(0.5 * log_var) * epsilon
    from keras import ops

    return z_mean + ops.exp(0.5 * z_log_var) * epsilon


def kl_divergence(z_mean, z_log_var) -> np.ndarray:
    """KL( N(z_mean, exp(z_log_var)) || N(0, 1) ) in closed form, summed over the
    latent dimensions: ``-1/2 * sum(1 + z_log_var - z_mean**2 - exp(z_log_var))``.

    One value per row for ``(N, d)`` inputs, a float for ``(d,)``.
    """
    mean, log_var = _means_and_log_vars(z_mean, z_log_var)
    kl = -0.5 * np.sum(1.0 + log_var - mean**2 - np.exp(log_var), axis=-1)
    return kl if kl.ndim else float(kl)


def kl_monte_carlo(
    z_mean, z_log_var, samples: int = 100_000, seed: int = 0
) -> tuple[float, float]:
    """The same KL divergence estimated by sampling, for ONE code ``(d,)``.

    Draws ``z ~ q = N(z_mean, exp(z_log_var))`` and averages ``log q(z) - log p(z)``
    with ``p = N(0, 1)``. Returns ``(estimate, standard_error)``; the closed form
    should lie within a few standard errors of the estimate.
    """
    mean, log_var = _means_and_log_vars(z_mean, z_log_var)
    if mean.ndim != 1:
        raise ValueError(f"give one code shaped (d,), got shape {mean.shape}")
    samples = check_int(samples, "samples", 2, 10_000_000)
    if samples * mean.size > 20_000_000:
        raise ValueError(
            f"samples x dimensions must be at most 20,000,000 (memory), got "
            f"{samples:,} x {mean.size}"
        )
    rng = np.random.default_rng(check_int(seed, "seed", 0, 2**32 - 1))
    epsilon = rng.standard_normal((samples, mean.size))
    z = mean + np.exp(0.5 * log_var) * epsilon
    # log densities up to the same constant -d/2 log(2 pi), which cancels
    log_q = -0.5 * np.sum(log_var + epsilon**2, axis=1)
    log_p = -0.5 * np.sum(z**2, axis=1)
    terms = log_q - log_p
    return float(terms.mean()), float(terms.std(ddof=1) / np.sqrt(samples))


def build_vae_encoder(latent_dim: int = 2, hidden: int = VAE_HIDDEN, seed: int = 0):
    """The VAE's encoder: image → Flatten → Dense(hidden, relu) → two heads,
    ``z_mean`` and ``z_log_var`` (both linear: a log-variance may be any real number)."""
    import keras

    latent_dim = check_int(latent_dim, "latent_dim", 1, 256)
    hidden = check_int(hidden, "hidden", 1, 4096)
    keras.utils.set_random_seed(check_int(seed, "seed", 0, 2**32 - 1))
    images = keras.Input(IMAGE_SHAPE)
    features = keras.layers.Flatten()(images)
    features = keras.layers.Dense(hidden, activation="relu")(features)
    z_mean = keras.layers.Dense(latent_dim, name="z_mean")(features)
    z_log_var = keras.layers.Dense(latent_dim, name="z_log_var")(features)
    return keras.Model(images, [z_mean, z_log_var], name="encoder")


def build_vae_decoder(latent_dim: int = 2, hidden: int = VAE_HIDDEN, seed: int = 0):
    """The VAE's decoder: code → Dense(hidden, relu) → Dense(784, sigmoid) → 28x28x1."""
    import keras

    latent_dim = check_int(latent_dim, "latent_dim", 1, 256)
    hidden = check_int(hidden, "hidden", 1, 4096)
    keras.utils.set_random_seed(check_int(seed, "seed", 0, 2**32 - 1) + 1)
    return keras.Sequential(
        [
            keras.Input((latent_dim,)),
            keras.layers.Dense(hidden, activation="relu"),
            keras.layers.Dense(PIXELS, activation="sigmoid"),
            keras.layers.Reshape(IMAGE_SHAPE),
        ],
        name="decoder",
    )


def vae_loss_terms(images, reconstruction, z_mean, z_log_var):
    """The two terms of the VAE loss per image, as tensors ``(N,)``:
    the binary cross-entropy summed over the 784 pixels, and the closed-form KL.

    The loss is their mean over the batch, ``mean(reconstruction + kl)``.
    """
    from keras import ops

    if not _is_tensor(images):  # NumPy input: check it (tensors come from train_step)
        images = as_images(images)
        reconstruction = as_images(reconstruction, "reconstruction")
        z_mean, z_log_var = _means_and_log_vars(z_mean, z_log_var)
        if z_mean.ndim != 2 or not len(images) == len(reconstruction) == len(z_mean):
            raise ValueError(
                "images, reconstruction, z_mean and z_log_var must have one row per "
                f"image, got {len(images)}, {len(reconstruction)} and {z_mean.shape}"
            )
        z_mean, z_log_var = z_mean.astype(np.float32), z_log_var.astype(np.float32)
    eps = 1e-7
    rebuilt = ops.clip(reconstruction, eps, 1.0 - eps)
    cross_entropy = -(images * ops.log(rebuilt) + (1.0 - images) * ops.log(1 - rebuilt))
    rebuilt_loss = ops.sum(ops.reshape(cross_entropy, (ops.shape(images)[0], -1)), 1)
    kl = -0.5 * ops.sum(1.0 + z_log_var - z_mean**2 - ops.exp(z_log_var), axis=1)
    return rebuilt_loss, kl


@functools.cache
def _vae_class():
    import keras
    import tensorflow as tf

    class VariationalAutoencoder(keras.Model):
        """A VAE as a ``keras.Model`` with its own ``train_step`` (see the module)."""

        def __init__(self, encoder, decoder, beta: float = 1.0, seed: int = 0, **kw):
            super().__init__(**kw)
            self.encoder = encoder
            self.decoder = decoder
            self.beta = check_number(beta, "beta", 0.0, 1000.0)
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
            z = reparameterize(z_mean, z_log_var, epsilon)
            reconstruction = self.decoder(z, training=training)
            rebuilt, kl = vae_loss_terms(images, reconstruction, z_mean, z_log_var)
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


def __getattr__(name: str):
    # ``VariationalAutoencoder`` subclasses keras.Model: it is made on first use so
    # that importing this module (the widget does) does not start TensorFlow.
    if name == "VariationalAutoencoder":
        return _vae_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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

    seed = check_int(seed, "seed", 0, 2**32 - 1)
    encoder = build_vae_encoder(latent_dim, hidden, seed)
    decoder = build_vae_decoder(latent_dim, hidden, seed)
    vae = _vae_class()(encoder, decoder, beta=beta, seed=seed, name="vae")
    learning_rate = check_number(learning_rate, "learning_rate", positive=True)
    vae.compile(optimizer=keras.optimizers.Adam(learning_rate))
    return vae


# --------------------------------------------------------------------------------------
# The shipped 2-D VAE, in NumPy
# --------------------------------------------------------------------------------------


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


def vae_weights(vae) -> np.ndarray:
    """Every weight of a dense VAE, encoder then decoder, as one flat float32 vector."""
    _check_vae(vae)
    parts = [*vae.encoder.get_weights(), *vae.decoder.get_weights()]
    return np.concatenate([np.ravel(part) for part in parts]).astype(np.float32)


def _check_vae(vae) -> None:
    if not all(hasattr(vae, part) for part in ("encoder", "decoder")):
        raise ValueError(f"vae must be a VariationalAutoencoder, got {show(vae)}")
    _check_model(vae.encoder, "vae.encoder")
    _check_model(vae.decoder, "vae.decoder")


def _check_weights(weights) -> list[np.ndarray]:
    """The ten weight arrays of a dense VAE, else a ValueError."""
    try:
        weights = [np.asarray(w, dtype=np.float32) for w in weights]
    except (TypeError, ValueError):
        raise ValueError(
            f"weights must be the dense VAE's ten arrays, got {show(weights)}"
        ) from None
    ok = len(weights) == 10 and weights[0].ndim == 2
    if ok:
        hidden, latent = weights[0].shape[1], weights[2].shape[-1]
        shapes = _weight_shapes(hidden, latent)
        ok = weights[0].shape[0] == PIXELS and all(
            w.shape == shape for w, shape in zip(weights, shapes, strict=True)
        )
    if not ok:
        raise ValueError(
            "weights must be the dense VAE's ten arrays (as load_vae_weights gives), "
            f"got {show(weights)}"
        )
    return weights


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


def set_vae_weights(vae, vector) -> None:
    """Load a flat weight vector (from :func:`vae_weights` or the shipped file)."""
    _check_vae(vae)
    vector = check_floats(vector, "vector")
    hidden = vae.decoder.layers[0].units
    latent = vae.decoder.input_shape[-1]
    parts = _split(vector, hidden, latent)
    vae.encoder.set_weights(parts[:6])
    vae.decoder.set_weights(parts[6:])


def load_vae_weights(path: str | Path | None = None) -> list[np.ndarray]:
    """The shipped 2-D VAE's weights as float32 arrays (encoder's six, decoder's four).

    The shipped file (``path`` None) must pass its sha256 check; rebuild it with
    ``.venv/bin/python datasets/build_vae.py``.
    """
    from course_lib.data import _file, sha256_of

    shipped = path is None
    path = VAE_FILE if shipped else _file(path)
    rebuild = "rebuild it with .venv/bin/python datasets/build_vae.py"
    if not path.exists():
        raise ValueError(f"the VAE weights {path} are missing; {rebuild}")
    if shipped and sha256_of(path) != VAE_SHA256:
        raise ValueError(f"{path} fails its sha256 check; {rebuild}")
    try:
        vector = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise ValueError(f"{path} is not a .npy file of VAE weights: {exc}") from None
    if not isinstance(vector, np.ndarray) or vector.dtype.kind != "f":
        raise ValueError(f"{path} holds no float weights")
    return _split(vector, VAE_HIDDEN, VAE_LATENT)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def encode_numpy(weights: list[np.ndarray], images) -> tuple[np.ndarray, np.ndarray]:
    """The dense VAE's encoder in NumPy: ``(z_mean, z_log_var)``, each ``(N, d)``."""
    w1, b1, wm, bm, wv, bv = _check_weights(weights)[:6]
    flat = as_images(images).reshape(-1, PIXELS)
    hidden = np.maximum(flat @ w1 + b1, 0.0)
    return hidden @ wm + bm, hidden @ wv + bv


def decode_numpy(weights: list[np.ndarray], codes) -> np.ndarray:
    """The dense VAE's decoder in NumPy: codes ``(N, d)`` → images ``(N, 28, 28)``."""
    w1, b1, w2, b2 = _check_weights(weights)[6:]
    codes = check_floats(codes, "codes").astype(np.float32)
    if codes.ndim == 1:
        codes = codes[None]
    if codes.ndim != 2 or codes.shape[1] != w1.shape[0] or not np.isfinite(codes).all():
        raise ValueError(
            f"codes must be finite and shaped (N, {w1.shape[0]}), got {codes.shape}"
        )
    hidden = np.maximum(codes @ w1 + b1, 0.0)
    return _sigmoid(hidden @ w2 + b2).reshape(-1, 28, 28)


def class_entropy(classes, num_classes: int = 10) -> float:
    """The entropy (in nats) of the histogram of ``classes``: ln(num_classes) when all
    classes are equally common, 0 when one class takes all.

    Applied to the classes a classifier gives decoded prior samples, it measures how
    many kinds of digit a generative model draws.
    """
    num_classes = check_int(num_classes, "num_classes", 1, 10_000)
    values = np.asarray(classes)
    if values.ndim != 1 or values.size == 0 or values.dtype.kind not in "iu":
        raise ValueError(
            f"classes must be a non-empty 1-D array of class ids, got {show(classes)}"
        )
    if values.min() < 0 or values.max() >= num_classes:
        raise ValueError(f"classes must lie in 0..{num_classes - 1}")
    shares = np.bincount(values, minlength=num_classes) / values.size
    shares = shares[shares > 0]
    return float(-np.sum(shares * np.log(shares)))


def latent_grid(low: float = -3.0, high: float = 3.0, steps: int = 15) -> np.ndarray:
    """Points of a square grid over the latent plane, ``(steps * steps, 2)``, row by
    row from the top (``z2 = high``) so that decoded digits tile like the plane."""
    low = check_number(low, "low")
    high = check_number(high, "high")
    if not low < high:
        raise ValueError(f"low must be below high, got {low} and {high}")
    steps = check_int(steps, "steps", 2, 100)
    values = np.linspace(low, high, steps)
    z1, z2 = np.meshgrid(values, values[::-1])
    return np.stack([z1.ravel(), z2.ravel()], axis=1).astype(np.float32)


# --------------------------------------------------------------------------------------
# A concept vector: stroke thickness
# --------------------------------------------------------------------------------------


def ink(images, threshold: float = 0.5) -> np.ndarray:
    """Stroke thickness as ink: the number of pixels above ``threshold``, per image."""
    images = as_images(images)
    threshold = check_number(threshold, "threshold", 0.0, 1.0)
    return (images > threshold).reshape(len(images), -1).sum(axis=1)


def concept_vector(codes, images, labels, fraction: float = 0.25) -> np.ndarray:
    """The "thickness" direction in code space, found from the data.

    Within each class, the mean code of the ``fraction`` of digits with the most ink
    minus the mean code of the ``fraction`` with the least; averaged over the classes
    (so that the vector does not also point from thin 1s to thick 8s).
    """
    codes = check_floats(codes, "codes")
    amounts = ink(images)
    labels = np.asarray(labels)
    if codes.ndim != 2 or len(codes) != len(amounts) or labels.shape != amounts.shape:
        raise ValueError(
            f"codes (N, d), images (N, 28, 28) and labels (N,) must agree, got "
            f"{codes.shape}, {len(amounts)} images and labels {labels.shape}"
        )
    fraction = check_number(fraction, "fraction", 0.01, 0.5)
    differences = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        count = int(len(members) * fraction)
        if count < 1:
            continue
        order = members[np.argsort(amounts[members], kind="stable")]
        differences.append(codes[order[-count:]].mean(0) - codes[order[:count]].mean(0))
    if not differences:
        raise ValueError("too few digits per class for this fraction")
    return np.mean(differences, axis=0)
