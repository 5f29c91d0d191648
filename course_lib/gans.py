"""Generative adversarial networks (lecture 19): a small DCGAN on digits, how its
training fails, and how to measure it.

A GAN trains two networks against each other (Goodfellow et al. 2014, "Generative
Adversarial Nets", NeurIPS): a *generator* G turns a random code z ~ N(0, I) into an
image, a *discriminator* D gives the probability that an image is real. D minimises the
binary cross-entropy of "real" vs "generated"; G tries to make D say "real".

- ``build_generator`` / ``build_discriminator``: a DCGAN pair for 28x28 digits
  (Radford, Metz and Chintala 2016, "Unsupervised Representation Learning with Deep
  Convolutional GANs", ICLR): strided (transposed) convolutions, batch norm in G, leaky
  ReLU in D.
- ``generator_loss`` and ``generator_loss_gradients``: the *minimax* loss
  log(1 - D(G(z))) and the *non-saturating* loss -log D(G(z)). With D = sigmoid(logit),
  their gradients with respect to the logit are -D and -(1 - D): the first vanishes when
  D wins (D(G(z)) -> 0), the second does not (Goodfellow et al. 2014, section 3).
- ``train_gan``: the alternating updates, one ``tf.function`` step per batch.
- ``sample_quality``: the shipped MNIST classifier's verdict on generated digits: mean
  top probability and the entropy of its class histogram (at most ln 10 = 2.303 nats);
  a collapsed generator makes few classes and a low entropy.
- ``within_class_diversity`` and ``nearest_distances``: collapse *within* a class (the
  mean distance between digits of one class) and memorisation (the distance from each
  sample to its nearest training digit).
- ``latent_code``, ``interpolate``: seeded codes and the path between two of them.
- ``load_generator``: the small generator that ships in ``datasets/`` (made by
  ``datasets/build_gan_generator.py``), checked by sha256.

Example::

    (x_train, _), _ = cl.data.load_mnist()
    run = cl.gans.train_gan(x_train, epochs=5)
    images = cl.gans.generate(run.generator, 64)
    cl.gans.sample_quality(images, cl.models.pretrained("mnist_convnet"))
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from course_lib.core import check_int, check_number, choose, show
from course_lib.data.registry import FILES_DIR

__all__ = [
    "LATENT_DIM",
    "MAX_ENTROPY",
    "GENERATOR_FILE",
    "GENERATOR_SHA256",
    "GanRun",
    "build_generator",
    "build_discriminator",
    "generator_loss",
    "generator_loss_gradients",
    "discriminator_loss",
    "latent_code",
    "latent_codes",
    "interpolate",
    "generate",
    "train_gan",
    "class_entropy",
    "sample_quality",
    "within_class_diversity",
    "nearest_distances",
    "image_grid",
    "load_generator",
]

LATENT_DIM = 16
"""The size of the code z of the course's generators (the shipped one included)."""

MAX_ENTROPY = math.log(10)
"""The entropy of a uniform histogram over 10 classes: ln 10 = 2.303 nats."""

LOSSES = ("non_saturating", "minimax")
"""The generator losses ``train_gan`` knows."""

GENERATOR_FILE = FILES_DIR / "gan_generator.weights.h5"
GENERATOR_SHA256 = "7109ae02f2771d0fab1e684098767a1f28b7a7793bd20d0a69a56dd9aa5da153"
GENERATOR_WIDTH = 32
"""The ``width`` of the shipped generator (see ``build_generator``)."""


# --------------------------------------------------------------------------------------
# The two networks
# --------------------------------------------------------------------------------------


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

    latent_dim = check_int(latent_dim, "latent_dim", 1, 512)
    width = check_int(width, "width", 1, 256)
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


def _numbers(values, name: str):
    """NumPy input, text and lists as a float32 array (else a ValueError); tensors as
    they are."""
    if isinstance(values, np.ndarray | np.generic) or not (
        hasattr(values, "shape") and hasattr(values, "dtype")
    ):
        try:
            values = np.asarray(values, dtype=np.float32)
        except (TypeError, ValueError):
            raise ValueError(
                f"{name} must be numbers (an array or a tensor), got {show(values)}"
            ) from None
    return values


def _check_model(model, name: str) -> None:
    import keras

    if not isinstance(model, keras.Model):
        raise ValueError(f"{name} must be a Keras model, got {show(model)}")


def leaky_relu(x):
    """max(x, 0.2 x): the leaky ReLU of DCGAN's discriminator (slope 0.2 below 0).

    The same numbers as ``keras.layers.LeakyReLU(0.2)``; written as a maximum because
    TensorFlow's graph optimiser fails to fuse the built-in op with the convolution's
    bias under a gradient tape and prints an alarming (harmless) error.
    """
    import tensorflow as tf

    x = _numbers(x, "x")
    return tf.maximum(x, 0.2 * x)


def build_discriminator(width: int = 32):
    """The DCGAN discriminator: a digit (28, 28, 1) -> one logit (D = sigmoid(logit)).

    ``Conv2D(w, 4, strides=2)`` + leaky ReLU (0.2), ``Conv2D(2w, 4, strides=2)`` +
    leaky ReLU, ``Flatten``, ``Dense(1)``. No sigmoid inside: the losses take logits,
    which is exact where sigmoid rounds to 0 or 1.
    """
    import keras
    from keras import layers

    width = check_int(width, "width", 1, 256)
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(width, 4, strides=2, padding="same", name="down14"),
            layers.Activation(leaky_relu, name="leaky14"),
            layers.Conv2D(2 * width, 4, strides=2, padding="same", name="down7"),
            layers.Activation(leaky_relu, name="leaky7"),
            layers.Flatten(),
            layers.Dense(1, name="logit"),
        ],
        name="discriminator",
    )


# --------------------------------------------------------------------------------------
# Losses and their gradients
# --------------------------------------------------------------------------------------


def generator_loss(fake_logits, loss: str = "non_saturating"):
    """The generator's loss on D's logits for generated images (a TF scalar).

    ``"minimax"``: mean log(1 - D) = mean(-softplus(logit)), to be minimised (G plays
    the same game as D with the opposite sign). ``"non_saturating"``: mean -log D =
    mean(softplus(-logit)). Both push D(G(z)) up.
    """
    import tensorflow as tf

    loss = choose(loss, LOSSES, "generator loss")
    fake_logits = tf.convert_to_tensor(_numbers(fake_logits, "fake_logits"), tf.float32)
    if loss == "minimax":
        return tf.reduce_mean(-tf.nn.softplus(fake_logits))
    return tf.reduce_mean(tf.nn.softplus(-fake_logits))


def discriminator_loss(real_logits, fake_logits):
    """Binary cross-entropy of D: real images labelled 1, generated ones 0 (a TF scalar)."""
    import tensorflow as tf

    real_logits = _numbers(real_logits, "real_logits")
    fake_logits = _numbers(fake_logits, "fake_logits")
    real = tf.nn.sigmoid_cross_entropy_with_logits(
        labels=tf.ones_like(real_logits), logits=real_logits
    )
    fake = tf.nn.sigmoid_cross_entropy_with_logits(
        labels=tf.zeros_like(fake_logits), logits=fake_logits
    )
    return tf.reduce_mean(real) + tf.reduce_mean(fake)


def generator_loss_gradients(d_outputs) -> dict[str, np.ndarray]:
    """Each generator loss and its gradient with respect to D's logit, at D = d_outputs.

    The gradient with respect to the logit is what flows back through D into G. It is
    computed with ``tf.GradientTape``, per sample (each D value is one generated image).

    Parameters
    ----------
    d_outputs : D(G(z)) values, each strictly between 0 and 1.

    Returns
    -------
    dict with ``d`` (the inputs), ``minimax_loss``, ``minimax_gradient`` (equal to -D),
    ``non_saturating_loss`` and ``non_saturating_gradient`` (equal to -(1 - D)).
    """
    import tensorflow as tf

    d = np.asarray(_numbers(d_outputs, "d_outputs"), dtype=np.float64).ravel()
    if d.size == 0 or d.size > 100_000 or not np.all((d > 0) & (d < 1)):
        raise ValueError(
            "d_outputs must be 1 to 100,000 values strictly between 0 and 1, got "
            f"{show(d_outputs)}"
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


# --------------------------------------------------------------------------------------
# Codes
# --------------------------------------------------------------------------------------


def latent_code(seed: int, latent_dim: int = LATENT_DIM) -> np.ndarray:
    """The code z ~ N(0, I) of a seed: the same seed gives the same code everywhere."""
    seed = check_int(seed, "seed", 0, 2**32 - 1)
    latent_dim = check_int(latent_dim, "latent_dim", 1, 512)
    return np.random.default_rng(seed).standard_normal(latent_dim).astype(np.float32)


def latent_codes(count: int, latent_dim: int = LATENT_DIM, seed: int = 0) -> np.ndarray:
    """``count`` codes z ~ N(0, I), shaped (count, latent_dim), from one seed."""
    count = check_int(count, "count", 1, 100_000)
    latent_dim = check_int(latent_dim, "latent_dim", 1, 512)
    seed = check_int(seed, "seed", 0, 2**32 - 1)
    rng = np.random.default_rng(seed)
    return rng.standard_normal((count, latent_dim)).astype(np.float32)


def interpolate(z_a, z_b, steps: int = 8, method: str = "spherical") -> np.ndarray:
    """Codes on the way from ``z_a`` to ``z_b``: (steps, latent_dim), ends included.

    ``"linear"``: (1 - t) z_a + t z_b. Its midpoint is shorter than either end (for two
    random 16-d codes about 0.7 times as long), a code the generator rarely saw.
    ``"spherical"`` (slerp, White 2016, "Sampling Generative Networks"): along the great
    circle, so the length stays typical.
    """
    z_a = _code(z_a, "z_a")
    z_b = _code(z_b, "z_b")
    if z_a.shape != z_b.shape:
        raise ValueError(
            f"z_a and z_b must have the same length, got {z_a.size} and {z_b.size}"
        )
    steps = check_int(steps, "steps", 2, 1000)
    method = choose(method, ("linear", "spherical"), "interpolation")
    t = np.linspace(0.0, 1.0, steps)[:, None]
    if method == "linear":
        return ((1 - t) * z_a + t * z_b).astype(np.float32)
    norms = np.linalg.norm(z_a) * np.linalg.norm(z_b)
    cosine = np.clip(np.dot(z_a, z_b) / norms, -1.0, 1.0) if norms > 0 else 1.0
    omega = math.acos(cosine)
    if omega < 1e-6:  # (nearly) the same direction: slerp is linear
        return ((1 - t) * z_a + t * z_b).astype(np.float32)
    sine = math.sin(omega)
    path = (np.sin((1 - t) * omega) * z_a + np.sin(t * omega) * z_b) / sine
    return path.astype(np.float32)


def _code(z, what: str) -> np.ndarray:
    try:
        code = np.asarray(z, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a vector of numbers, got {show(z)}") from None
    if code.size == 0 or code.size > 512 or not np.all(np.isfinite(code)):
        raise ValueError(f"{what} must be 1 to 512 finite numbers, got {show(z)}")
    return code


def generate(generator, codes, batch_size: int = 500) -> np.ndarray:
    """Digits (N, 28, 28) in 0..1 from a generator, for codes (N, latent_dim) or a count.

    An int ``codes`` draws that many codes with ``latent_codes(codes, seed=0)``. The
    generator runs in inference mode (batch norm uses its moving statistics).
    """
    _check_model(generator, "generator")
    latent_dim = int(generator.inputs[0].shape[-1])
    if isinstance(codes, int | np.integer) and not isinstance(codes, bool):
        codes = latent_codes(int(codes), latent_dim)
    codes = np.asarray(_numbers(codes, "codes"), dtype=np.float32)
    if codes.ndim == 1:
        codes = codes[None]
    if codes.ndim != 2 or codes.shape[1] != latent_dim or not len(codes):
        raise ValueError(
            f"codes must be shaped (N, {latent_dim}) for this generator, got "
            f"{codes.shape}"
        )
    if not np.all(np.isfinite(codes)):
        raise ValueError("codes must be finite numbers (no NaN or infinity)")
    batch_size = check_int(batch_size, "batch_size", 1, 10_000)
    parts = [
        np.asarray(generator(codes[i : i + batch_size], training=False))
        for i in range(0, len(codes), batch_size)
    ]
    return np.concatenate(parts)[..., 0]


# --------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------


@dataclass
class GanRun:
    """A trained GAN: both networks, per-epoch history and fixed-code samples.

    ``history`` has one float per epoch for ``d_loss``, ``g_loss``, ``d_real`` (mean D
    on real digits), ``d_fake`` (mean D on generated ones) and ``g_grad_norm`` (the
    norm of G's whole gradient, before Adam rescales it); ``steps`` has the same five
    numbers for every G step; ``snapshots`` holds the digits made from the same 16
    codes after every epoch, (epochs, 16, 28, 28).
    """

    generator: object
    discriminator: object
    history: dict[str, list[float]] = field(default_factory=dict)
    steps: dict[str, list[float]] = field(default_factory=dict)
    snapshots: np.ndarray | None = None
    settings: dict = field(default_factory=dict)


def _training_images(images) -> np.ndarray:
    from course_lib.models import prepare_images

    images = prepare_images(images)
    if len(images) < 2:
        raise ValueError(f"images must hold at least 2 digits, got {len(images)}")
    return images


def train_gan(
    images,
    epochs: int = 5,
    batch_size: int = 64,
    latent_dim: int = LATENT_DIM,
    width: int = 32,
    loss: str = "non_saturating",
    g_learning_rate: float = 2e-3,
    d_learning_rate: float = 2e-3,
    d_steps: int = 1,
    seed: int = 0,
    on_epoch: Callable[[int, dict, np.ndarray], None] | None = None,
    callbacks: Sequence = (),
) -> GanRun:
    """Train a DCGAN pair on digits, alternating one D step (or ``d_steps``) and one G step.

    Parameters
    ----------
    images : digits (N, 28, 28) uint8 0..255 or float 0..1.
    epochs, batch_size : passes over ``images`` and digits per step.
    latent_dim, width : sizes of the networks (``build_generator``).
    loss : ``"non_saturating"`` (the usual choice) or ``"minimax"`` (the original game).
    g_learning_rate, d_learning_rate : Adam step sizes (beta_1 = 0.5 as in DCGAN).
    d_steps : D updates per G update (more makes D stronger).
    seed : seeds the weights, the shuffling and every code.
    on_epoch : called as ``on_epoch(epoch, logs, samples)`` after each epoch with the
        digits of 16 fixed codes, e.g. to draw a live grid.
    callbacks : Keras callbacks (e.g. ``cl.widgets.LivePlot(["d_loss", "g_loss"])``),
        driven by a ``keras.callbacks.CallbackList`` as ``fit`` drives them:
        ``on_train_begin``, ``on_epoch_begin``, ``on_train_batch_end``,
        ``on_epoch_end`` (with the epoch's mean ``d_loss``, ``g_loss``, ...) and
        ``on_train_end``.
    """
    import keras
    import tensorflow as tf

    images = _training_images(images)
    epochs = check_int(epochs, "epochs", 1, 1000)
    batch_size = check_int(batch_size, "batch_size", 1, min(4096, len(images)))
    loss = choose(loss, LOSSES, "generator loss")
    g_learning_rate = check_number(g_learning_rate, "g_learning_rate", 0, 1, True)
    d_learning_rate = check_number(d_learning_rate, "d_learning_rate", 0, 1, True)
    d_steps = check_int(d_steps, "d_steps", 1, 20)
    seed = check_int(seed, "seed", 0, 2**32 - 1)
    keras.utils.set_random_seed(seed)
    generator = build_generator(latent_dim, width)
    discriminator = build_discriminator(width)
    g_optimizer = keras.optimizers.Adam(g_learning_rate, beta_1=0.5)
    d_optimizer = keras.optimizers.Adam(d_learning_rate, beta_1=0.5)
    rng = np.random.default_rng(seed)
    fixed_codes = latent_codes(16, latent_dim, seed)

    @tf.function
    def d_step(real, codes):
        fake = generator(codes, training=True)
        with tf.GradientTape() as tape:
            real_logits = discriminator(real, training=True)
            fake_logits = discriminator(fake, training=True)
            d_loss = discriminator_loss(real_logits, fake_logits)
        grads = tape.gradient(d_loss, discriminator.trainable_variables)
        d_optimizer.apply_gradients(
            zip(grads, discriminator.trainable_variables, strict=True)
        )
        return (
            d_loss,
            tf.reduce_mean(tf.sigmoid(real_logits)),
            tf.reduce_mean(tf.sigmoid(fake_logits)),
        )

    @tf.function
    def g_step(codes):
        with tf.GradientTape() as tape:
            fake_logits = discriminator(generator(codes, training=True), training=True)
            g_loss = generator_loss(fake_logits, loss)
        grads = tape.gradient(g_loss, generator.trainable_variables)
        g_optimizer.apply_gradients(
            zip(grads, generator.trainable_variables, strict=True)
        )
        return g_loss, tf.linalg.global_norm(grads)

    steps = len(images) // batch_size
    callback_list = keras.callbacks.CallbackList(
        list(callbacks), epochs=epochs, steps=steps
    )
    callback_list.on_train_begin()
    history: dict[str, list[float]] = {
        k: [] for k in ("d_loss", "g_loss", "d_real", "d_fake", "g_grad_norm")
    }
    per_step: dict[str, list[float]] = {k: [] for k in history}
    snapshots = []
    for epoch in range(epochs):
        callback_list.on_epoch_begin(epoch)
        order = rng.permutation(len(images))
        sums = dict.fromkeys(history, 0.0)
        for step in range(steps):
            batch = images[order[step * batch_size : (step + 1) * batch_size]]
            for _ in range(d_steps):
                codes = rng.standard_normal((batch_size, latent_dim)).astype(np.float32)
                d_loss, d_real, d_fake = d_step(batch, codes)
            codes = rng.standard_normal((batch_size, latent_dim)).astype(np.float32)
            g_loss, g_grad_norm = g_step(codes)
            for key, value in zip(
                history, (d_loss, g_loss, d_real, d_fake, g_grad_norm), strict=True
            ):
                sums[key] += float(value)
                per_step[key].append(float(value))
            callback_list.on_train_batch_end(step)
        logs = {key: value / steps for key, value in sums.items()}
        for key, value in logs.items():
            history[key].append(value)
        samples = generate(generator, fixed_codes)
        snapshots.append(samples)
        if on_epoch is not None:
            on_epoch(epoch, logs, samples)
        callback_list.on_epoch_end(epoch, logs)
    callback_list.on_train_end()
    settings = dict(
        epochs=epochs,
        batch_size=batch_size,
        latent_dim=latent_dim,
        width=width,
        loss=loss,
        g_learning_rate=g_learning_rate,
        d_learning_rate=d_learning_rate,
        d_steps=d_steps,
        seed=seed,
    )
    return GanRun(
        generator, discriminator, history, per_step, np.stack(snapshots), settings
    )


# --------------------------------------------------------------------------------------
# Measuring what came out
# --------------------------------------------------------------------------------------


def class_entropy(counts) -> float:
    """The entropy, in nats, of a class histogram (counts or probabilities).

    10 equal classes give ln 10 = 2.303, one class alone gives 0.

    >>> round(class_entropy([5, 5, 0, 0]), 4)   # two equal classes: ln 2
    0.6931
    """
    counts = np.asarray(_numbers(counts, "counts"), dtype=np.float64).ravel()
    if counts.size == 0 or not np.all(np.isfinite(counts)) or np.any(counts < 0):
        raise ValueError(
            f"counts must be non-negative finite numbers, got {show(counts)}"
        )
    total = counts.sum()
    if total <= 0:
        raise ValueError("counts must not all be zero")
    p = counts[counts > 0] / total
    return float(-(p * np.log(p)).sum()) + 0.0


def sample_quality(images, classifier) -> dict:
    """The classifier's verdict on (generated) digits.

    Returns a dict: ``predictions`` (N,), ``confidence`` (N,) the top probability,
    ``mean_confidence``, ``histogram`` (10,) counts of predicted classes,
    ``entropy`` (nats, ``class_entropy`` of the histogram), ``max_entropy`` (ln 10) and
    ``effective_classes`` = exp(entropy) (1 to 10).
    """
    from course_lib.models import prepare_images

    _check_model(classifier, "classifier")
    images = prepare_images(images)
    probabilities = np.asarray(classifier.predict(images, batch_size=500, verbose=0))
    if probabilities.ndim != 2 or probabilities.shape[1] != 10:
        raise ValueError(
            "classifier must output 10 class probabilities per digit, got shape "
            f"{probabilities.shape}"
        )
    predictions = probabilities.argmax(axis=1)
    confidence = probabilities.max(axis=1)
    histogram = np.bincount(predictions, minlength=10)
    entropy = class_entropy(histogram)
    return {
        "predictions": predictions,
        "confidence": confidence,
        "mean_confidence": float(confidence.mean()),
        "histogram": histogram,
        "entropy": entropy,
        "max_entropy": MAX_ENTROPY,
        "effective_classes": math.exp(entropy),
    }


def _flat_images(images, name: str) -> np.ndarray:
    """Digits (N, 28, 28) as float rows of 784 values in 0..1 (uint8 0..255 scaled)."""
    array = np.asarray(images)
    if array.dtype.kind not in "uif" or array.ndim not in (3, 4) or array.shape[0] == 0:
        raise ValueError(
            f"{name} must be a non-empty array of digits (N, 28, 28), got {show(images)}"
        )
    if array.ndim == 4:
        if array.shape[-1] != 1:
            raise ValueError(f"{name} must have one channel, got shape {array.shape}")
        array = array[..., 0]
    if array.shape[1:] != (28, 28):
        raise ValueError(f"{name} must be 28 x 28 digits, got shape {array.shape}")
    flat = array.reshape(len(array), -1).astype(np.float64)
    if array.dtype.kind in "ui":
        flat /= 255.0
    if not np.isfinite(flat).all():
        raise ValueError(f"{name} must be finite")
    return flat


def nearest_distances(images, reference, batch_size: int = 500) -> np.ndarray:
    """For each image, the Euclidean distance (pixels 0..1) to its nearest image in
    ``reference``: a memorisation check. A generator that copies its training digits
    scores near 0 against them; real test digits show what "new" looks like.

    >>> digits = np.random.default_rng(0).random((3, 28, 28))
    >>> nearest_distances(digits, digits).round(6).tolist()
    [0.0, 0.0, 0.0]
    """
    flat = _flat_images(images, "images")
    ref = _flat_images(reference, "reference")
    batch_size = check_int(batch_size, "batch_size", 1, 100_000)
    ref_squares = (ref**2).sum(axis=1)
    best = np.empty(len(flat))
    for start in range(0, len(flat), batch_size):
        chunk = flat[start : start + batch_size]
        squared = (
            (chunk**2).sum(axis=1)[:, None] + ref_squares[None] - 2 * chunk @ ref.T
        )
        best[start : start + batch_size] = squared.min(axis=1)
    return np.sqrt(np.maximum(best, 0.0))


def within_class_diversity(images, classes, num_classes: int = 10) -> np.ndarray:
    """Mean Euclidean distance (pixels 0..1) between two different images of the same
    class, one value per class (NaN where a class has fewer than 2 images).

    The class histogram's entropy misses collapse *within* a class (every 7 the same
    7); this measure sees it: identical images score 0.
    """
    flat = _flat_images(images, "images")
    num_classes = check_int(num_classes, "num_classes", 1, 1000)
    labels = np.asarray(classes)
    if labels.shape != (len(flat),) or labels.dtype.kind not in "iu":
        raise ValueError(
            f"classes must be one int class id per image ({len(flat)}), "
            f"got {show(classes)}"
        )
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"classes must lie in 0..{num_classes - 1}")
    result = np.full(num_classes, np.nan)
    for label in range(num_classes):
        members = flat[labels == label]
        count = len(members)
        if count < 2:
            continue
        squares = (members**2).sum(axis=1)
        squared = squares[:, None] + squares[None] - 2 * members @ members.T
        distances = np.sqrt(np.maximum(squared, 0.0))
        result[label] = distances.sum() / (count * (count - 1))
    return result


def image_grid(images, columns: int = 8, gap: int = 1) -> np.ndarray:
    """Tile digits (N, h, w) into one picture, ``columns`` wide, ``gap`` pixels apart
    (the gaps are 1.0, white). Empty cells of the last row stay 1.0."""
    images = np.asarray(_numbers(images, "images"), dtype=np.float32)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3 or not len(images):
        raise ValueError(f"images must be shaped (N, h, w), got {images.shape}")
    columns = check_int(columns, "columns", 1, 1000)
    gap = check_int(gap, "gap", 0, 100)
    count, height, width = images.shape
    columns = min(columns, count)
    rows = -(-count // columns)
    grid = np.ones(
        (rows * height + (rows - 1) * gap, columns * width + (columns - 1) * gap),
        np.float32,
    )
    for index, image in enumerate(images):
        r, c = divmod(index, columns)
        top, left = r * (height + gap), c * (width + gap)
        grid[top : top + height, left : left + width] = image
    return grid


# --------------------------------------------------------------------------------------
# The shipped generator
# --------------------------------------------------------------------------------------


def load_generator(path: str | Path | None = None):
    """The shipped generator (``build_generator(LATENT_DIM, GENERATOR_WIDTH)`` trained by
    ``datasets/build_gan_generator.py`` on the 4,000 bundled digits), sha256-checked.

    ``path`` loads other weights of the same shape instead (no checksum).
    """
    from course_lib.data import sha256_of

    rebuild = "rebuild it with: .venv/bin/python datasets/build_gan_generator.py"
    shipped = path is None
    if not shipped and not isinstance(path, str | Path):
        raise ValueError(f"path must be a file name (text or a Path), got {show(path)}")
    path = GENERATOR_FILE if shipped else Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"the generator weights are missing: {path}; {rebuild}")
    if shipped:
        digest = sha256_of(path)
        if digest != GENERATOR_SHA256:
            raise ValueError(
                f"the generator weights at {path} fail their sha256 check (got "
                f"{digest[:12]}…, expected {GENERATOR_SHA256[:12]}…); {rebuild}"
            )
    generator = build_generator(LATENT_DIM, GENERATOR_WIDTH)
    try:
        generator.load_weights(path)
    except (ValueError, KeyError, OSError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise ValueError(
            f"the weights in {path} do not fit the generator: {first[:200]}"
        ) from None
    return generator
