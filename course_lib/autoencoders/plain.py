"""Plain autoencoders (lecture 18): squeeze a digit through a small code and rebuild it.

- ``build_dense_autoencoder``, ``build_conv_autoencoder``: ``(autoencoder, encoder,
  decoder)``, three Keras models sharing layers;
- ``train_autoencoder``: Adam and the per-pixel binary cross-entropy (pass noisy
  ``images`` and clean ``targets`` for a denoiser; ``add_noise`` makes them);
- ``reconstruction_error``, ``mean_image_error`` (the baseline of a model that learned
  nothing) and ``bottleneck_curve`` (one autoencoder per code size).
"""

from __future__ import annotations

import numpy as np

from course_lib.core import (
    SEED,
    Callbacks,
    Constraint,
    Images,
    Int,
    Items,
    Model,
    Number,
    OneOf,
    Optional,
    checked,
)

IMAGE_SHAPE: tuple[int, int, int] = (28, 28, 1)
PIXELS = 28 * 28

DIGITS = Images(("NHW", "NHWC"), channels=1, size=(28, 28))
"""Digits (N, 28, 28) or (N, 28, 28, 1), uint8 0-255 or float 0-1 (float32 0-1 out)."""
AUTOENCODER = Model(IMAGE_SHAPE, IMAGE_SHAPE, what="an autoencoder")
"""An autoencoder: digits (N, 28, 28, 1) -> digits (N, 28, 28, 1)."""
ENCODER = Model(IMAGE_SHAPE, what="an encoder")
"""An encoder: digits (N, 28, 28, 1) -> codes (or a VAE's [z_mean, z_log_var])."""
DECODER = Model((None,), IMAGE_SHAPE, what="a decoder")
"""A decoder: codes (N, d) -> digits (N, 28, 28, 1)."""


def _batch(images: np.ndarray) -> np.ndarray:
    """Checked digits as float32 (N, 28, 28, 1)."""
    return np.ascontiguousarray(images.reshape(-1, *IMAGE_SHAPE), dtype=np.float32)


class _Rebuilder(Constraint):
    """What ``reconstruction_error`` measures: an autoencoder (a Keras model from
    digits to digits, a VAE with an encoder and a decoder) or a function of digits."""

    def describe(self):
        return f"{AUTOENCODER.describe()}, a VAE or a function of digits"

    def convert(self, value, name):
        import keras

        if isinstance(value, keras.Model):
            if hasattr(value, "encoder") and hasattr(value, "decoder"):
                ENCODER.check(value.encoder, f"{name}.encoder")
                DECODER.check(value.decoder, f"{name}.decoder")
                return value
            return AUTOENCODER.check(value, name)
        if not callable(value):
            self.fail(name, value)
        return value

    def example(self):
        return lambda x: x

    def bad_values(self):
        return [None, "model", 3]


@checked(images=Images(("HW", "NHW", "NHWC"), channels=1, size=(28, 28)))
def as_images(images) -> np.ndarray:
    """Digits as float32 ``(N, 28, 28, 1)`` in 0..1, from uint8 0..255 or float 0..1,
    with or without the channel axis (one digit (28, 28) becomes a batch of one)."""
    return _batch(images)


@checked(train_images=DIGITS, test_images=DIGITS)
def mean_image_error(train_images, test_images) -> float:
    """The baseline: mean squared error per pixel when every test digit is "rebuilt"
    as the mean training digit. A model that learned nothing does no better."""
    train, test = _batch(train_images), _batch(test_images)
    return float(np.mean((test - train.mean(axis=0)) ** 2))


def _rebuilt_batches(model, images: np.ndarray, batch_size: int):
    """``(batch, model(batch))`` for ``batch_size`` digits of ``images`` at a time, the
    rebuilt ones float32 in the batch's shape (a clear error for an encoder)."""
    for start in range(0, len(images), batch_size):
        batch = images[start : start + batch_size]
        rebuilt = np.asarray(model(batch), dtype=np.float32)
        if rebuilt.size != batch.size:
            raise ValueError(
                f"model must give back digits shaped like its input {batch.shape}, "
                f"got {rebuilt.shape}: is it an encoder?"
            )
        yield batch, rebuilt.reshape(batch.shape)


@checked(model=_Rebuilder(), images=DIGITS, batch_size=Int(1, 100_000))
def reconstruction_error(model, images, batch_size: int = 500) -> float:
    """Mean squared error per pixel between ``images`` and ``model(images)``.

    ``model`` maps ``(N, 28, 28, 1)`` digits to digits of the same shape: a Keras
    autoencoder, a VAE or a function.
    """
    images = _batch(images)
    total = sum(
        float(np.sum((rebuilt - batch) ** 2))
        for batch, rebuilt in _rebuilt_batches(model, images, batch_size)
    )
    return total / images.size


@checked(model=_Rebuilder(), images=DIGITS, batch_size=Int(1, 100_000))
def rebuild(model, images, batch_size: int = 250) -> np.ndarray:
    """``model(images)``: the rebuilt digits, float32 (N, 28, 28, 1) in 0..1.

    The model is called on ``batch_size`` digits at a time, eagerly and in inference
    mode: the same digits as ``model.predict``, without the ``tf.data`` pipeline and
    the traced predict function that ``predict`` builds (and keeps) for every model.
    """
    images = _batch(images)
    return np.concatenate(
        [rebuilt for _, rebuilt in _rebuilt_batches(model, images, batch_size)]
    )


@checked(images=DIGITS, std=Number(0.0, 2.0), seed=SEED)
def add_noise(images, std: float = 0.4, seed: int = 0) -> np.ndarray:
    """``images`` plus Gaussian noise of standard deviation ``std``, clipped to 0..1
    (the inputs of a denoising autoencoder; its targets are the clean images)."""
    images = _batch(images)
    noise = np.random.default_rng(seed).normal(0.0, std, images.shape)
    return np.clip(images + noise, 0.0, 1.0).astype(np.float32)


@checked(code_size=Int(1, 784), hidden=Int(1, 4096), seed=SEED)
def build_dense_autoencoder(code_size: int = 32, hidden: int = 128, seed: int = 0):
    """A dense autoencoder 784 → ``hidden`` → ``code_size`` → ``hidden`` → 784.

    Returns ``(autoencoder, encoder, decoder)``: three Keras models sharing layers;
    ``encoder`` maps images to codes, ``decoder`` codes to images (sigmoid pixels).
    """
    import keras

    keras.utils.set_random_seed(seed)
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


@checked(code_size=Int(1, 784), filters=Int(1, 256), seed=SEED)
def build_conv_autoencoder(code_size: int = 16, filters: int = 16, seed: int = 0):
    """A convolutional autoencoder: two stride-2 3x3 convolutions (28 → 14 → 7) and a
    dense code of ``code_size``; the decoder mirrors it with transposed convolutions.

    Returns ``(autoencoder, encoder, decoder)`` like :func:`build_dense_autoencoder`.
    """
    import keras

    keras.utils.set_random_seed(seed)
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


@checked(
    autoencoder=AUTOENCODER,
    images=DIGITS,
    targets=Optional(DIGITS),
    epochs=Int(1, 1000),
    batch_size=Int(1, 100_000),
    learning_rate=Number(0, 10, positive=True),
    validation_data=Optional(OneOf(DIGITS, Items(DIGITS, 2, 2))),
    callbacks=Callbacks(),
    seed=SEED,
)
def train_autoencoder(
    autoencoder,
    images,
    targets=None,
    epochs: int = 5,
    batch_size: int = 64,
    learning_rate: float = 3e-3,
    validation_data=None,
    callbacks=None,
    seed: int = 0,
):
    """Train ``autoencoder`` to rebuild ``targets`` (by default ``images`` themselves)
    from ``images``, with Adam and the per-pixel binary cross-entropy.

    For a denoising autoencoder pass noisy ``images`` and clean ``targets``.
    ``validation_data`` is ``(inputs, targets)`` or just images. Returns the Keras
    ``History``.
    """
    import keras

    images = _batch(images)
    targets = images if targets is None else _batch(targets)
    if len(targets) != len(images):
        raise ValueError(
            f"images and targets must have the same length, got {len(images)} and "
            f"{len(targets)}"
        )
    if isinstance(validation_data, tuple):
        validation_data = tuple(_batch(part) for part in validation_data)
        if len(validation_data[0]) != len(validation_data[1]):
            raise ValueError(
                "validation_data's inputs and targets must have the same length, got "
                f"{len(validation_data[0])} and {len(validation_data[1])}"
            )
    elif validation_data is not None:
        validation_data = (_batch(validation_data), _batch(validation_data))
    keras.utils.set_random_seed(seed)
    autoencoder.compile(
        optimizer=keras.optimizers.Adam(learning_rate), loss="binary_crossentropy"
    )
    return autoencoder.fit(
        images,
        targets,
        epochs=epochs,
        batch_size=batch_size,
        validation_data=validation_data,
        callbacks=list(callbacks or []),
        shuffle=True,
        verbose=0,
    )


@checked(
    train_images=DIGITS,
    test_images=DIGITS,
    sizes=Items(Int(1, 784), 1, 20),
    epochs=Int(1, 1000),
    hidden=Int(1, 4096),
    batch_size=Int(1, 100_000),
    seed=SEED,
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
    errors = []
    for size in sizes:
        autoencoder, _, _ = build_dense_autoencoder(size, hidden, seed)
        train_autoencoder(
            autoencoder,
            train_images,
            epochs=epochs,
            batch_size=batch_size,
            seed=seed,
        )
        errors.append(reconstruction_error(autoencoder, test_images))
    return {
        "sizes": list(sizes),
        "errors": errors,
        "baseline": mean_image_error(train_images, test_images),
    }
