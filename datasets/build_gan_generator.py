"""Rebuild datasets/gan_generator.weights.h5: the small DCGAN generator of lecture 19.

    .venv/bin/python datasets/build_gan_generator.py          # train, save, print sha256
    .venv/bin/python datasets/build_gan_generator.py --check  # train and compare, keep file

It runs ``cl.gans.train_gan`` (non-saturating loss, Adam 2e-3 with beta_1 = 0.5 for both
networks, batch 64, 16-d codes, width 32, seed 0, deterministic TensorFlow ops) for
``EPOCHS`` epochs on the 4,000 training digits of the bundled MNIST subset
(``datasets/mnist_5k.npz``, split as ``cl.data.load_mnist()`` does offline), then keeps
the generator's weights only (413 kB; the discriminator and Adam's moments are
left out). A few minutes on a laptop CPU. It prints the shipped classifier's verdict on
1,000 generated digits and refuses to save a generator it does not recognise.

The same seed gives the same weights on the same machine and TensorFlow build; another
CPU may round differently and give a different sha256 (then update ``GENERATOR_SHA256``
in ``course_lib/gans.py``).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from train_checkpoint import bundled_mnist, save_reproducibly  # noqa: E402

EPOCHS = 30
SEED = 0
MIN_CONFIDENCE = 0.85  # the classifier's mean top probability on 1,000 samples
MIN_ENTROPY = 2.0  # nats, of its class histogram (ln 10 = 2.303 is the most)


def train():
    import tensorflow as tf

    import course_lib as cl

    cl.set_seed(SEED)
    tf.config.experimental.enable_op_determinism()
    (x_train, _), _ = bundled_mnist()
    start = time.perf_counter()

    def report(epoch, logs, samples):
        numbers = " ".join(f"{key} {value:.3f}" for key, value in logs.items())
        print(f"epoch {epoch + 1}/{EPOCHS}: {numbers}", flush=True)

    run = cl.gans.train_gan(
        x_train,
        epochs=EPOCHS,
        batch_size=64,
        latent_dim=cl.gans.LATENT_DIM,
        width=cl.gans.GENERATOR_WIDTH,
        seed=SEED,
        on_epoch=report,
    )
    print(f"trained in {time.perf_counter() - start:.0f} s")
    classifier = cl.models.pretrained("mnist_convnet")
    quality = cl.gans.sample_quality(cl.gans.generate(run.generator, 1000), classifier)
    print(
        f"classifier on 1,000 samples: mean confidence {quality['mean_confidence']:.3f}"
        f", class entropy {quality['entropy']:.3f} nats, histogram "
        f"{quality['histogram'].tolist()}"
    )
    if quality["mean_confidence"] < MIN_CONFIDENCE or quality["entropy"] < MIN_ENTROPY:
        raise SystemExit("the generator is not good enough; not saved")
    # A fresh copy without optimizer state: only the generator's weights ship.
    weights_only = cl.gans.build_generator(cl.gans.LATENT_DIM, cl.gans.GENERATOR_WIDTH)
    weights_only.set_weights(run.generator.get_weights())
    return weights_only


def main() -> int:
    import course_lib as cl

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="compare with the shipped file"
    )
    args = parser.parse_args()
    generator = train()
    target = cl.gans.GENERATOR_FILE
    expected = cl.gans.GENERATOR_SHA256
    if args.check:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / target.name
            save_reproducibly(generator, path)
            digest = cl.data.sha256_of(path)
        same = digest == expected
        print(f"sha256 {digest} {'matches' if same else 'DIFFERS from'} {expected}")
        if not same and target.exists():
            shipped = cl.gans.load_generator(target)
            largest = max(
                float(abs(a - b).max())
                for a, b in zip(
                    shipped.get_weights(), generator.get_weights(), strict=True
                )
            )
            print(f"largest difference of a weight: {largest:.3g}")
        return 0 if same else 1
    save_reproducibly(generator, target)
    digest = cl.data.sha256_of(target)
    print(f"wrote {target.relative_to(HERE.parent)}: {target.stat().st_size:,} B")
    print(f"sha256 {digest}")
    if digest != expected:
        print("(update GENERATOR_SHA256 in course_lib/gans.py)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
