"""Rebuild course_lib/data/files/vae_2d.npy: the small 2-D variational autoencoder of lecture 18.

    .venv/bin/python datasets/build_vae.py          # train, write, print size and sha256
    .venv/bin/python datasets/build_vae.py --check  # train again, compare with the file

It trains ``cl.autoencoders.build_vae(latent_dim=2, hidden=256)`` (a dense encoder
784 → 256 → (z_mean, z_log_var) and decoder 2 → 256 → 784, the loss of
``cl.autoencoders.vae_loss_terms``) on the 4,000 bundled training digits
(``course_lib/data/files/mnist_5k.npz``, split as ``cl.data.load_mnist()`` does offline), seed 0,
Adam 1e-3, batch 64, with deterministic TensorFlow ops, and stores every weight as
float16 in one flat ``.npy`` vector (about 0.8 MB; ``.npy`` holds no time stamps, so the
same weights give the same bytes). About a minute on a laptop CPU.
``cl.widgets.LatentExplorer()`` and ``cl.data.load_vae_weights()`` read it and
check its sha256 (``VAE_SHA256`` in ``course_lib/autoencoders/shipped.py``).

The same seed gives the same file on the same machine and TensorFlow build. Another CPU
rounds differently and trains other weights; ``--check`` then passes when the rebuild's
test error per pixel (what lecture 18 reads from the file) is within ``WITHIN`` of the
shipped file's, and prints both.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import _build
from _build import bundled_mnist

EPOCHS = 40
BATCH_SIZE = 64
SEED = 0
LEARNING_RATE = 1e-3
WITHIN = 0.002
"""How far a rebuild's test error per pixel may be from the shipped file's: a tenth of
the gap to the mean-image baseline (0.0677 - 0.048)."""


def train(path: Path):
    import numpy as np
    import tensorflow as tf

    import course_lib as cl

    tf.config.experimental.enable_op_determinism()
    cl.set_seed(SEED)
    (x_train, _), (x_test, _) = bundled_mnist()
    x_train = cl.autoencoders.as_images(x_train)
    start = time.perf_counter()
    vae = cl.autoencoders.build_vae(
        cl.autoencoders.VAE_LATENT,
        cl.autoencoders.VAE_HIDDEN,
        learning_rate=LEARNING_RATE,
        seed=SEED,
    )
    history = vae.fit(x_train, epochs=EPOCHS, batch_size=BATCH_SIZE, verbose=0)
    print(
        f"trained {EPOCHS} epochs in {time.perf_counter() - start:.0f} s: loss "
        f"{history.history['loss'][-1]:.1f}, KL {history.history['kl'][-1]:.2f}"
    )
    weights = cl.autoencoders.vae_weights(vae).astype(np.float16)
    np.save(path, weights, allow_pickle=False)
    error = cl.autoencoders.reconstruction_error(vae, x_test)
    baseline = cl.autoencoders.mean_image_error(x_train, x_test)
    print(f"test error {error:.4f} per pixel (mean-image baseline {baseline:.4f})")
    return weights


def build(paths: dict[str, Path], args) -> None:
    train(paths["vae_2d"])


def results(name: str, path: Path) -> dict[str, float]:
    """The test error per pixel of the file's VAE, decoding each test digit's z_mean."""
    import numpy as np

    import course_lib as cl

    ae = cl.autoencoders
    _, (x_test, _) = bundled_mnist()
    x_test = ae.as_images(x_test)
    weights = cl.data.load_vae_weights(path)
    z_mean, _ = ae.encode_numpy(weights, x_test)
    rebuilt = ae.decode_numpy(weights, z_mean)
    error = np.mean((rebuilt.reshape(x_test.shape) - x_test) ** 2)
    return {"test error per pixel": float(error)}


if __name__ == "__main__":
    sys.exit(_build.main(build, ["vae_2d"], __doc__, results=results, within=WITHIN))
