"""Generative adversarial networks (lecture 19): a small DCGAN on digits, how its
training fails, and how to measure it.

A GAN trains two networks against each other (Goodfellow et al. 2014, "Generative
Adversarial Nets", NeurIPS): a *generator* G turns a random code z ~ N(0, I) into an
image, a *discriminator* D gives the probability that an image is real. D minimises the
binary cross-entropy of "real" vs "generated"; G tries to make D say "real".

One idea per module:

- :mod:`~course_lib.gans.networks`: the DCGAN pair (``build_generator``,
  ``build_discriminator``), the minimax and non-saturating losses and their gradients;
- :mod:`~course_lib.gans.codes`: seeded codes (``latent_code``, ``latent_codes``), the
  path between two (``interpolate``) and the digits a generator draws (``generate``);
- :mod:`~course_lib.gans.training`: ``GAN``, a ``keras.Model`` with its own
  ``train_step``, and ``train_gan``, a seeded run of ``GAN.fit``;
- :mod:`~course_lib.gans.measures`: the shipped classifier's verdict
  (``sample_quality``), collapse within a class, memorisation, ``image_grid``;
- :mod:`~course_lib.gans.shipped`: the shipped generator's width (``cl.data.load_gan_generator``
  loads it).

Example::

    (x_train, _), _ = cl.data.load_mnist()
    run = cl.gans.train_gan(x_train, epochs=5, callbacks=[cl.widgets.SampleGrid()])
    images = cl.gans.generate(run.generator, 64)
    cl.gans.sample_quality(images, cl.data.load_mnist_convnet())
"""

from __future__ import annotations

import importlib

from course_lib.gans.codes import generate, interpolate, latent_code, latent_codes
from course_lib.gans.measures import (
    MAX_ENTROPY,
    class_entropy,
    image_grid,
    nearest_distances,
    sample_quality,
    within_class_diversity,
)
from course_lib.gans.networks import (
    CLASSIFIER,
    DIGITS,
    DISCRIMINATOR,
    GENERATOR,
    LATENT_DIM,
    LOSSES,
    build_discriminator,
    build_generator,
    discriminator_loss,
    generator_loss,
    generator_loss_gradients,
)
from course_lib.gans.shipped import (
    GENERATOR_WIDTH,
)

__all__ = [
    "LATENT_DIM",
    "LOSSES",
    "MAX_ENTROPY",
    "GENERATOR_WIDTH",
    "GENERATOR",
    "DISCRIMINATOR",
    "CLASSIFIER",
    "DIGITS",
    "GAN",
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
]


# Training needs Keras (and TensorFlow, 3 s to import): imported on first use, so that the
# codes, the measures and the NumPy generator of the GAN dashboard start without it.
_LAZY = {"GAN": "training", "GanRun": "training", "train_gan": "training"}


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(f"course_lib.gans.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'course_lib.gans' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
