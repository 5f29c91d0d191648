"""Training a GAN with Keras' own machinery (lecture 19).

``GAN`` is a ``keras.Model`` whose ``train_step`` makes the alternating updates: one
step of D (or ``d_steps``) on real digits labelled 1 and generated ones labelled 0, then
one step of G through D. ``model.fit`` runs the steps and drives the callbacks (a
``cl.widgets.LivePlot``, a ``cl.widgets.SampleGrid``) as it does for any model.
``train_gan`` builds a fresh seeded pair, feeds it shuffled digits and codes, and keeps
what the lecture measures (``GanRun``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import keras
import numpy as np

from course_lib.core import (
    SEED,
    Callbacks,
    Choice,
    Int,
    Items,
    Number,
    checked,
)
from course_lib.gans.codes import generate, latent_codes
from course_lib.gans.networks import (
    DIGITS,
    DISCRIMINATOR,
    GENERATOR,
    LATENT_DIM,
    LOSSES,
    _discriminator_loss,
    _generator_loss,
    build_discriminator,
    build_generator,
)

KEYS = ("d_loss", "g_loss", "d_real", "d_fake", "g_grad_norm")
"""What each training step reports (see ``GanRun``)."""


class GAN(keras.Model):
    """A generator and a discriminator that ``fit`` trains against each other.

    Each batch ``fit`` gives it is ``(real, d_codes, g_codes)``: real digits
    (B, 28, 28, 1) in 0..1, the codes of D's steps (d_steps, B, latent_dim) and of G's
    step (B, latent_dim). ``compile(g_optimizer, d_optimizer)`` gives each network its
    optimizer. The logs ``fit`` shows its callbacks are the epoch's means of ``d_loss``,
    ``g_loss``, ``d_real`` (mean D on real digits), ``d_fake`` (mean D on generated
    ones) and ``g_grad_norm`` (the norm of G's whole gradient, before the optimizer
    rescales it); ``last_step`` holds the same five numbers of the latest step.
    ``gan(codes)`` is ``generator(codes)``.
    """

    @checked(
        generator=GENERATOR,
        discriminator=DISCRIMINATOR,
        loss=Choice(*LOSSES),
        d_steps=Int(1, 20),
    )
    def __init__(self, generator, discriminator, loss="non_saturating", d_steps=1):
        super().__init__(name="gan")
        self.generator, self.discriminator = generator, discriminator
        self.generator_loss, self.d_steps = loss, d_steps
        self.trackers = [keras.metrics.Mean(name=key) for key in KEYS]
        self.last_step = {
            key: keras.Variable(0.0, trainable=False, name=f"last_{key}")
            for key in KEYS
        }
        self.built = True

    def compile(self, g_optimizer, d_optimizer, **kwargs):
        super().compile(jit_compile=False, **kwargs)
        self.g_optimizer, self.d_optimizer = g_optimizer, d_optimizer

    @property
    def metrics(self):
        return self.trackers

    def call(self, codes, training=False):
        return self.generator(codes, training=training)

    def _d_step(self, real, codes):
        import tensorflow as tf

        generator, discriminator = self.generator, self.discriminator
        fake = generator(codes, training=True)
        with tf.GradientTape() as tape:
            real_logits = discriminator(real, training=True)
            fake_logits = discriminator(fake, training=True)
            d_loss = _discriminator_loss(real_logits, fake_logits)
        grads = tape.gradient(d_loss, discriminator.trainable_variables)
        self.d_optimizer.apply_gradients(
            zip(grads, discriminator.trainable_variables, strict=True)
        )
        return (
            d_loss,
            tf.reduce_mean(tf.sigmoid(real_logits)),
            tf.reduce_mean(tf.sigmoid(fake_logits)),
        )

    def _g_step(self, codes):
        import tensorflow as tf

        generator, discriminator = self.generator, self.discriminator
        with tf.GradientTape() as tape:
            fake_logits = discriminator(generator(codes, training=True), training=True)
            g_loss = _generator_loss(fake_logits, self.generator_loss)
        grads = tape.gradient(g_loss, generator.trainable_variables)
        self.g_optimizer.apply_gradients(
            zip(grads, generator.trainable_variables, strict=True)
        )
        return g_loss, tf.linalg.global_norm(grads)

    def train_step(self, data):
        real, d_codes, g_codes = data
        for index in range(self.d_steps):
            d_loss, d_real, d_fake = self._d_step(real, d_codes[index])
        g_loss, g_grad_norm = self._g_step(g_codes)
        values = (d_loss, g_loss, d_real, d_fake, g_grad_norm)
        for key, tracker, value in zip(KEYS, self.trackers, values, strict=True):
            tracker.update_state(value)
            self.last_step[key].assign(value)
        return {tracker.name: tracker.result() for tracker in self.trackers}


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


class _Recorder(keras.callbacks.Callback):
    """Keeps every step's numbers, their epoch means and the fixed codes' digits."""

    def __init__(self, codes: np.ndarray):
        super().__init__()
        self.codes = codes
        self.steps: dict[str, list[float]] = {key: [] for key in KEYS}
        self.history: dict[str, list[float]] = {key: [] for key in KEYS}
        self.snapshots: list[np.ndarray] = []
        self._epoch_start = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = len(self.steps["g_loss"])

    def on_train_batch_end(self, batch, logs=None):
        for key, variable in self.model.last_step.items():
            self.steps[key].append(float(variable.numpy()))

    def on_epoch_end(self, epoch, logs=None):
        for key, values in self.steps.items():
            epoch_values = values[self._epoch_start :]
            self.history[key].append(sum(epoch_values) / len(epoch_values))
        self.snapshots.append(generate(self.model.generator, self.codes))


def _batches(images, batch_size: int, latent_dim: int, d_steps: int, seed: int):
    """``(real, d_codes, g_codes)`` batches, reshuffled every epoch, from one seeded
    random generator (the same numbers, in the same order, every run)."""
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    steps = len(images) // batch_size

    def epoch():
        order = rng.permutation(len(images))
        for step in range(steps):
            real = images[order[step * batch_size : (step + 1) * batch_size]]
            d_codes = np.stack(
                [
                    rng.standard_normal((batch_size, latent_dim)).astype(np.float32)
                    for _ in range(d_steps)
                ]
            )
            g_codes = rng.standard_normal((batch_size, latent_dim)).astype(np.float32)
            yield real, d_codes, g_codes

    spec = (
        tf.TensorSpec((batch_size, 28, 28, 1), tf.float32),
        tf.TensorSpec((d_steps, batch_size, latent_dim), tf.float32),
        tf.TensorSpec((batch_size, latent_dim), tf.float32),
    )
    dataset = tf.data.Dataset.from_generator(epoch, output_signature=spec)
    return dataset.apply(tf.data.experimental.assert_cardinality(steps))


@checked(
    images=DIGITS,
    epochs=Int(1, 1000),
    batch_size=Int(1, 4096),
    loss=Choice(*LOSSES),
    learning_rates=Items(Number(0, 1, positive=True), 2, 2),
    d_steps=Int(1, 20),
    sizes=Items(Int(1, 512), 2, 2),
    seed=SEED,
    callbacks=Callbacks(),
)
def train_gan(
    images,
    epochs: int = 5,
    batch_size: int = 64,
    loss: str = "non_saturating",
    learning_rates=(2e-3, 2e-3),
    d_steps: int = 1,
    sizes=(LATENT_DIM, 32),
    seed: int = 0,
    callbacks=None,
) -> GanRun:
    """Train a fresh DCGAN pair on digits with ``GAN.fit``: one D step (or ``d_steps``),
    then one G step, per batch.

    Parameters
    ----------
    images : digits (N, 28, 28) or (N, 28, 28, 1), uint8 0..255 or float 0..1.
    epochs, batch_size : passes over ``images`` and digits per step.
    loss : ``"non_saturating"`` (the usual choice) or ``"minimax"`` (the original game).
    learning_rates : Adam's step sizes (G's, D's); beta_1 = 0.5 as in DCGAN.
    d_steps : D updates per G update (more makes D stronger).
    sizes : (latent_dim, width) of the two networks (``build_generator``).
    seed : seeds the weights, the shuffling and every code.
    callbacks : Keras callbacks, e.g. ``cl.widgets.LivePlot(["d_loss", "g_loss"])`` or
        ``cl.widgets.SampleGrid()``; ``fit`` drives them, with the epoch's means of
        ``d_loss``, ``g_loss``, ``d_real``, ``d_fake`` and ``g_grad_norm`` as logs.
    """
    if len(images) < 2 or batch_size > len(images):
        raise ValueError(
            f"batch_size must be at most the number of images ({len(images)}), got "
            f"{batch_size}"
            + (" (a GAN needs at least 2 digits)" if len(images) < 2 else "")
        )
    images = images.reshape(-1, 28, 28, 1)
    latent_dim, width = sizes
    (g_rate, d_rate) = learning_rates
    keras.utils.set_random_seed(seed)
    generator = build_generator(latent_dim, width)
    discriminator = build_discriminator(width)
    gan = GAN(generator, discriminator, loss, d_steps)
    gan.compile(
        g_optimizer=keras.optimizers.Adam(g_rate, beta_1=0.5),
        d_optimizer=keras.optimizers.Adam(d_rate, beta_1=0.5),
    )
    recorder = _Recorder(latent_codes(16, latent_dim, seed))
    gan.fit(
        _batches(images, batch_size, latent_dim, d_steps, seed),
        epochs=epochs,
        shuffle=False,  # _batches shuffles, with its own seed
        callbacks=[recorder, *(callbacks or [])],
        verbose=0,
    )
    settings = dict(
        epochs=epochs,
        batch_size=batch_size,
        loss=loss,
        learning_rates=(g_rate, d_rate),
        d_steps=d_steps,
        sizes=(latent_dim, width),
        seed=seed,
    )
    return GanRun(
        generator,
        discriminator,
        recorder.history,
        recorder.steps,
        np.stack(recorder.snapshots),
        settings,
    )
