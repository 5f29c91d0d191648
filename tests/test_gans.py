"""cl.gans: the DCGAN pair, the two generator losses and their gradients (by hand),
entropy of a class histogram, interpolation, a short seeded training run that learns,
a minimax run that stalls, and the shipped generator."""

from __future__ import annotations

import math

import numpy as np
import pytest

import course_lib as cl
from course_lib import gans


@pytest.fixture(scope="module")
def classifier():
    return cl.data.load_mnist_convnet()


@pytest.fixture(scope="module")
def digits():
    (x_train, y_train), _ = cl.data.REGISTRY["mnist"].bundle_loader(
        cl.data.bundle_path("mnist")
    )
    return x_train, y_train


def test_networks_have_the_dcgan_shapes_and_sizes():
    generator = gans.build_generator(16, 32)
    discriminator = gans.build_discriminator(32)
    assert generator.output_shape == (None, 28, 28, 1)
    assert discriminator.output_shape == (None, 1)
    # Dense 16 -> 7*7*64 (no bias), BN(64*... ) 4 per unit, ConvT 64->32 4x4 (no bias),
    # BN 32, ConvT 32->1 4x4 with bias.
    dense = 16 * 7 * 7 * 64
    expected = dense + 4 * 7 * 7 * 64 + 4 * 4 * 64 * 32 + 4 * 32 + 4 * 4 * 32 + 1
    assert generator.count_params() == expected
    d_expected = (4 * 4 * 1 * 32 + 32) + (4 * 4 * 32 * 64 + 64) + (7 * 7 * 64 + 1)
    assert discriminator.count_params() == d_expected
    images = gans.generate(generator, 5)
    assert images.shape == (5, 28, 28)
    assert images.min() >= 0 and images.max() <= 1


def test_generator_loss_gradients_equal_the_hand_formulas():
    d = np.array([1e-4, 0.01, 0.1, 0.5, 0.9, 0.999])
    result = gans.generator_loss_gradients(d)
    # minimax: loss log(1 - D), d/dlogit = -D; non-saturating: -log D, d/dlogit = D - 1
    assert np.allclose(result["minimax_loss"], np.log1p(-d), atol=1e-5)
    assert np.allclose(result["non_saturating_loss"], -np.log(d), atol=1e-5)
    assert np.allclose(result["minimax_gradient"], -d, atol=1e-5)
    assert np.allclose(result["non_saturating_gradient"], d - 1, atol=1e-5)
    # When D wins (D(G(z)) = 1e-4) the minimax gradient vanishes, the other does not.
    assert abs(result["minimax_gradient"][0]) < 1e-3
    assert abs(result["non_saturating_gradient"][0]) > 0.999


def test_generator_loss_matches_keras_binary_crossentropy():
    import keras

    logits = np.array([[-3.0], [0.0], [2.5]], np.float32)
    ones = np.ones_like(logits)
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    assert float(gans.generator_loss(logits, "non_saturating")) == pytest.approx(
        float(bce(ones, logits)), abs=1e-5
    )
    # minimax = -(BCE against label 0)
    zeros = np.zeros_like(logits)
    assert float(gans.generator_loss(logits, "minimax")) == pytest.approx(
        -float(bce(zeros, logits)), abs=1e-5
    )
    real, fake = np.array([[1.0], [2.0]]), np.array([[-1.0], [0.5]])
    expected = float(bce(np.ones_like(real), real)) + float(bce(zeros[:2], fake))
    assert float(gans.discriminator_loss(real, fake)) == pytest.approx(
        expected, abs=1e-5
    )


def test_class_entropy():
    assert gans.class_entropy(np.ones(10)) == pytest.approx(math.log(10))
    assert gans.MAX_ENTROPY == pytest.approx(2.302585, abs=1e-6)
    assert gans.class_entropy([7, 0, 0]) == 0.0
    assert gans.class_entropy([1, 3]) == pytest.approx(
        -(0.25 * math.log(0.25) + 0.75 * math.log(0.75))
    )
    for bad in ([], [-1, 2], [0, 0], [np.nan, 1]):
        with pytest.raises(ValueError, match="counts"):
            gans.class_entropy(bad)


def test_interpolation_keeps_ends_and_length():
    z_a, z_b = gans.latent_code(1), gans.latent_code(2)
    assert np.array_equal(z_a, gans.latent_code(1))
    for method in ("linear", "spherical"):
        path = gans.interpolate(z_a, z_b, 5, method)
        assert path.shape == (5, gans.LATENT_DIM)
        assert np.allclose(path[0], z_a, atol=1e-5)
        assert np.allclose(path[-1], z_b, atol=1e-5)
    linear = gans.interpolate(z_a, z_b, 3, "linear")
    assert np.allclose(linear[1], (z_a + z_b) / 2, atol=1e-6)
    # slerp between two codes of equal length keeps that length
    u = z_b / np.linalg.norm(z_b) * np.linalg.norm(z_a)
    lengths = np.linalg.norm(gans.interpolate(z_a, u, 7, "spherical"), axis=1)
    assert np.allclose(lengths, np.linalg.norm(z_a), rtol=1e-5)
    # ... while the straight line's midpoint is shorter than both ends
    midpoint = gans.interpolate(z_a, u, 3, "linear")[1]
    assert np.linalg.norm(midpoint) < 0.99 * np.linalg.norm(z_a)
    with pytest.raises(ValueError, match="same length"):
        gans.interpolate(z_a, z_b[:3])
    with pytest.raises(ValueError, match="method must be one of"):
        gans.interpolate(z_a, z_b, 4, "cubic")


def test_image_grid_tiles():
    images = np.zeros((5, 2, 3))
    grid = gans.image_grid(images, columns=3, gap=1)
    assert grid.shape == (2 * 2 + 1, 3 * 3 + 2)
    assert grid[0, 0] == 0 and grid[0, 3] == 1 and grid[3, 8] == 1


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="d_outputs"):
        gans.generator_loss_gradients([0.0, 0.5])
    with pytest.raises(ValueError, match="loss must be one of"):
        gans.generator_loss([0.0], "wasserstein")
    with pytest.raises(ValueError, match="latent_dim"):
        gans.build_generator(0)
    with pytest.raises(ValueError, match="epochs"):
        gans.train_gan(np.zeros((10, 28, 28), np.uint8), epochs=0)
    with pytest.raises(ValueError, match="codes"):
        gans.generate(gans.build_generator(), np.zeros((2, 3)))


def test_a_short_seeded_run_learns_and_a_minimax_run_with_a_strong_d_stalls(
    digits, classifier
):
    x_train, _ = digits
    untrained = gans.sample_quality(
        gans.generate(gans.build_generator(), 500), classifier
    )
    run = gans.train_gan(x_train[:2000], epochs=3, seed=0)
    quality = gans.sample_quality(gans.generate(run.generator, 500), classifier)
    assert run.snapshots.shape == (3, 16, 28, 28)
    assert set(run.history) == {"d_loss", "g_loss", "d_real", "d_fake", "g_grad_norm"}
    assert len(run.steps["g_grad_norm"]) == 3 * (2000 // 64)
    assert np.mean(run.steps["g_grad_norm"]) == pytest.approx(
        np.mean(run.history["g_grad_norm"]), rel=1e-6
    )
    assert quality["entropy"] > 1.8 > untrained["entropy"] + 0.5
    assert quality["mean_confidence"] > 0.65
    broken = gans.train_gan(
        x_train[:2000], epochs=1, loss="minimax", learning_rates=(2e-3, 2e-2), seed=0
    )
    stalled = gans.sample_quality(gans.generate(broken.generator, 500), classifier)
    assert broken.history["d_fake"][-1] < 0.15  # D wins from the first steps
    assert stalled["entropy"] < 1.0
    # ... and G's gradient vanishes: far below the healthy run's over the same steps.
    steps = slice(10, 2000 // 64)
    assert np.mean(broken.steps["g_grad_norm"][steps]) < 0.1 * np.mean(
        run.steps["g_grad_norm"][steps]
    )


def test_the_run_is_reproducible(digits):
    x_train, _ = digits
    first = gans.train_gan(x_train[:256], epochs=1, batch_size=64, seed=3)
    second = gans.train_gan(x_train[:256], epochs=1, batch_size=64, seed=3)
    assert np.allclose(first.snapshots, second.snapshots, atol=1e-5)


def test_the_shipped_generator_makes_recognisable_digits(classifier):
    generator = cl.data.load_gan_generator()
    quality = gans.sample_quality(gans.generate(generator, 1000), classifier)
    assert quality["mean_confidence"] > 0.85
    assert quality["entropy"] > 2.0
    assert cl.data.path("gan_generator").stat().st_size < 1_000_000


def test_nearest_distances_are_zero_for_copies_and_exact_otherwise():
    rng = np.random.default_rng(0)
    reference = rng.random((30, 28, 28))
    assert np.allclose(gans.nearest_distances(reference[:5], reference), 0, atol=1e-6)
    images = rng.random((7, 28, 28))
    expected = [
        min(np.linalg.norm(image - other) for other in reference) for image in images
    ]
    found = gans.nearest_distances(images, reference, batch_size=3)
    assert np.allclose(found, expected, atol=1e-6)
    # uint8 digits are read as 0..255 and scaled to 0..1
    as_bytes = (reference * 255).round().astype(np.uint8)
    assert np.allclose(
        gans.nearest_distances(as_bytes[:2], as_bytes[:2] / 255.0), 0, atol=1e-6
    )


def test_within_class_diversity_sees_collapse_inside_a_class():
    rng = np.random.default_rng(1)
    varied = rng.random((20, 28, 28))
    copies = np.repeat(varied[:1], 20, axis=0)
    classes = np.repeat([3, 5], 10)
    diverse = gans.within_class_diversity(varied, classes)
    collapsed = gans.within_class_diversity(copies, classes)
    assert np.isnan(diverse[[0, 1, 2, 4, 6, 7, 8, 9]]).all()
    assert np.allclose(collapsed[[3, 5]], 0, atol=1e-6)
    members = varied[classes == 3].reshape(10, -1)
    pairs = [
        np.linalg.norm(members[i] - members[j])
        for i in range(10)
        for j in range(10)
        if i != j
    ]
    assert diverse[3] == pytest.approx(np.mean(pairs), rel=1e-6)
    with pytest.raises(ValueError, match="classes"):
        gans.within_class_diversity(varied, classes[:3])
    with pytest.raises(ValueError, match=r"\(N, 28, 28\)"):
        gans.nearest_distances(np.zeros((2, 5, 5)), varied)


def test_keras_callbacks_see_the_run_as_fit_shows_it(digits):
    import keras

    class Recorder(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.calls = []

        def on_train_begin(self, logs=None):
            self.calls.append(("begin", dict(self.params)))

        def on_train_batch_end(self, batch, logs=None):
            self.calls.append(("batch", batch))

        def on_epoch_end(self, epoch, logs=None):
            self.calls.append(("epoch", epoch, sorted(logs)))

        def on_train_end(self, logs=None):
            self.calls.append(("end",))

    x_train, _ = digits
    recorder = Recorder()
    run = gans.train_gan(x_train[:128], epochs=2, batch_size=64, callbacks=[recorder])
    assert recorder.calls[0][0] == "begin"
    assert recorder.calls[0][1]["epochs"] == 2 and recorder.calls[0][1]["steps"] == 2
    assert [c for c in recorder.calls if c[0] == "batch"] == [
        ("batch", 0),
        ("batch", 1),
    ] * 2
    assert recorder.calls[3] == ("epoch", 0, sorted(run.history))
    assert recorder.calls[-1] == ("end",)
