"""Autoencoders and variational autoencoders (lecture 18).

An autoencoder squeezes an image through a small code (the bottleneck) and rebuilds it;
a variational autoencoder (VAE; Kingma and Welling 2014, "Auto-Encoding Variational
Bayes", ICLR) makes the encoder output a *distribution* over codes, ``N(z_mean,
exp(z_log_var))``, samples a code from it with the reparameterisation trick and adds the
KL divergence from the prior ``N(0, 1)`` to the loss. The KL term packs the codes of all
images around the origin without gaps, so that every point of the latent plane decodes to
something digit-like (Chollet, *Deep Learning with Python*, 1st ed., section 8.4, which
slide set 002 follows).

One idea per module:

- :mod:`~course_lib.autoencoders.plain`: dense and convolutional autoencoders, their
  training and the mean-image baseline (``bottleneck_curve``, ``add_noise``);
- :mod:`~course_lib.autoencoders.variational`: ``reparameterize``, ``kl_divergence``,
  ``kl_monte_carlo``, ``vae_loss_terms``, ``build_vae`` and ``VariationalAutoencoder``,
  a ``keras.Model`` with its own ``train_step``;
- :mod:`~course_lib.autoencoders.shipped`: the shipped 2-D VAE (``cl.data.load_vae_weights``)
  run in NumPy (``encode_numpy``, ``decode_numpy``), what ``cl.widgets.LatentExplorer``
  uses;
- :mod:`~course_lib.autoencoders.concepts`: ``class_entropy``, ``latent_grid``, and a
  concept vector from the data (``ink``, ``concept_vector``).

Keras is imported inside the functions that need it, so the widget stays NumPy-only.

Example::

    (x_train, _), (x_test, _) = cl.data.load_mnist()
    autoencoder, encoder, decoder = cl.autoencoders.build_dense_autoencoder(32)
    cl.autoencoders.train_autoencoder(autoencoder, x_train, epochs=5)
    cl.autoencoders.reconstruction_error(autoencoder, x_test)   # about 0.01
"""

from __future__ import annotations

from course_lib.autoencoders.concepts import (
    class_entropy,
    concept_vector,
    ink,
    latent_grid,
)
from course_lib.autoencoders.plain import (
    AUTOENCODER,
    DECODER,
    DIGITS,
    ENCODER,
    IMAGE_SHAPE,
    PIXELS,
    add_noise,
    as_images,
    bottleneck_curve,
    build_conv_autoencoder,
    build_dense_autoencoder,
    mean_image_error,
    rebuild,
    reconstruction_error,
    train_autoencoder,
)
from course_lib.autoencoders.shipped import (
    VAE,
    WEIGHTS,
    decode_numpy,
    encode_numpy,
    read_vae_weights,
    set_vae_weights,
    vae_weights,
)
from course_lib.autoencoders.variational import (
    VAE_HIDDEN,
    VAE_LATENT,
    _vae_class,
    build_vae,
    build_vae_decoder,
    build_vae_encoder,
    kl_divergence,
    kl_monte_carlo,
    reparameterize,
    vae_loss_terms,
)

__all__ = [
    "IMAGE_SHAPE",
    "PIXELS",
    "DIGITS",
    "AUTOENCODER",
    "ENCODER",
    "DECODER",
    "VAE",
    "WEIGHTS",
    "VAE_HIDDEN",
    "VAE_LATENT",
    "as_images",
    "mean_image_error",
    "rebuild",
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
    "read_vae_weights",
    "encode_numpy",
    "decode_numpy",
    "class_entropy",
    "latent_grid",
    "ink",
    "concept_vector",
]


def __getattr__(name: str):
    # ``VariationalAutoencoder`` subclasses keras.Model: it is made on first use so
    # that importing this package (the widget does) does not start TensorFlow.
    if name == "VariationalAutoencoder":
        return _vae_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
