"""Tests of course_lib.autoencoders (lecture 18)."""

from __future__ import annotations

import numpy as np
import pytest

import course_lib as cl

A = cl.autoencoders


@pytest.fixture(scope="module")
def digits():
    (x_train, y_train), (x_test, y_test) = cl.data.load_mnist()
    return A.as_images(x_train), y_train, A.as_images(x_test), y_test


def test_as_images_shapes_and_refusals():
    assert A.as_images(np.zeros((3, 28, 28), np.uint8)).shape == (3, 28, 28, 1)
    assert A.as_images(np.ones((28, 28))).shape == (1, 28, 28, 1)
    assert A.as_images(np.full((2, 28, 28, 1), 255, np.uint8)).max() == 1.0
    for bad in (
        np.zeros((3, 27, 28)),
        np.zeros((3, 28, 28, 3)),
        np.full((28, 28), 2.0),
    ):
        with pytest.raises(ValueError):
            A.as_images(bad)


def test_mean_image_error_by_hand():
    train = np.zeros((2, 28, 28))
    train[1] = 1.0  # the mean image is 0.5 everywhere
    test = np.zeros((1, 28, 28))
    assert A.mean_image_error(train, test) == pytest.approx(0.25)
    assert A.reconstruction_error(lambda x: np.zeros_like(x), np.ones((2, 28, 28))) == 1


def test_reconstruction_error_refuses_non_models():
    with pytest.raises(ValueError, match="model must be an autoencoder"):
        A.reconstruction_error("model", np.zeros((1, 28, 28)))


def test_rebuild_equals_predict_in_any_block_size(digits):
    x_test = digits[2][:70]
    autoencoder, _, _ = A.build_dense_autoencoder(4, hidden=16)
    expected = autoencoder.predict(x_test, verbose=0)
    for batch_size in (1, 32, 250):
        rebuilt = A.rebuild(autoencoder, x_test, batch_size=batch_size)
        assert rebuilt.shape == (70, 28, 28, 1) and rebuilt.dtype == np.float32
        np.testing.assert_allclose(rebuilt, expected, atol=1e-6)
    assert np.mean((rebuilt - x_test) ** 2) == pytest.approx(
        A.reconstruction_error(autoencoder, x_test), rel=1e-5
    )
    with pytest.raises(ValueError, match="is it an encoder"):
        A.rebuild(lambda x: x[:, :2, 0, 0], x_test)


def test_add_noise_is_seeded_and_clipped():
    images = np.full((4, 28, 28), 0.5)
    one, two = A.add_noise(images, 0.4, seed=3), A.add_noise(images, 0.4, seed=3)
    np.testing.assert_array_equal(one, two)
    assert one.min() >= 0 and one.max() <= 1 and one.std() > 0.2
    with pytest.raises(ValueError, match="std"):
        A.add_noise(images, -1)


def test_reparameterize_by_hand_and_on_tensors():
    import keras

    mean, log_var, eps = np.array([1.0, -2.0]), np.array([0.0, np.log(4.0)]), [1, 1]
    np.testing.assert_allclose(A.reparameterize(mean, log_var, eps), [2.0, 0.0])
    tensor = A.reparameterize(
        keras.ops.convert_to_tensor(mean[None]),
        keras.ops.convert_to_tensor(log_var[None]),
        keras.ops.ones((1, 2), dtype="float64"),
    )
    np.testing.assert_allclose(keras.ops.convert_to_numpy(tensor), [[2.0, 0.0]])


def test_kl_closed_form_by_hand():
    # KL(N(1, 1) || N(0, 1)) = 1/2; KL(N(0, e^2) || N(0, 1)) = (e^2 - 1 - 2) / 2
    assert A.kl_divergence([1.0], [0.0]) == pytest.approx(0.5)
    assert A.kl_divergence([0.0], [2.0]) == pytest.approx((np.e**2 - 3) / 2)
    assert A.kl_divergence([0.0, 0.0], [0.0, 0.0]) == 0.0
    np.testing.assert_allclose(
        A.kl_divergence([[1.0], [0.0]], [[0.0], [0.0]]), [0.5, 0.0]
    )


@pytest.mark.parametrize(
    "mean, log_var",
    [([1.0, -0.5], [0.0, -1.0]), ([0.2, 0.3, -2.0], [-3.0, 0.5, 1.0])],
)
def test_kl_monte_carlo_agrees_within_its_error(mean, log_var):
    estimate, error = A.kl_monte_carlo(mean, log_var, samples=200_000, seed=1)
    assert 0 < error < 0.02
    assert abs(estimate - A.kl_divergence(mean, log_var)) < 4 * error


def test_kl_refuses_bad_shapes():
    with pytest.raises(ValueError, match="same shape"):
        A.kl_divergence([0.0, 1.0], [0.0])
    with pytest.raises(ValueError, match="one code"):
        A.kl_monte_carlo([[0.0]], [[0.0]])
    with pytest.raises(ValueError, match="NaN"):
        A.kl_divergence([np.nan], [0.0])


def test_vae_loss_terms_equal_keras():
    import keras

    rng = np.random.default_rng(0)
    images = rng.uniform(size=(3, 28, 28, 1)).astype(np.float32)
    rebuilt = rng.uniform(0.05, 0.95, size=(3, 28, 28, 1)).astype(np.float32)
    mean = rng.normal(size=(3, 2)).astype(np.float32)
    log_var = rng.normal(size=(3, 2)).astype(np.float32)
    reconstruction, kl = A.vae_loss_terms(images, rebuilt, mean, log_var)
    bce = keras.losses.binary_crossentropy(
        images.reshape(3, -1), rebuilt.reshape(3, -1)
    )
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(reconstruction), 784 * np.asarray(bce), rtol=1e-5
    )
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(kl), A.kl_divergence(mean, log_var), rtol=1e-5
    )


def test_shipped_vae_in_numpy_equals_keras(digits):
    weights = cl.data.load_vae_weights()
    assert len(weights) == 10 and weights[0].shape == (784, A.VAE_HIDDEN)
    vae = A.build_vae(2)
    A.set_vae_weights(vae, np.concatenate([w.ravel() for w in weights]))
    images = digits[2][:20]
    z_mean, z_log_var = vae.encoder(images)
    mean_np, log_var_np = A.encode_numpy(weights, images)
    np.testing.assert_allclose(mean_np, np.asarray(z_mean), atol=1e-5)
    np.testing.assert_allclose(log_var_np, np.asarray(z_log_var), atol=1e-5)
    decoded = np.asarray(vae.decoder(z_mean))[..., 0]
    np.testing.assert_allclose(A.decode_numpy(weights, mean_np), decoded, atol=1e-5)
    np.testing.assert_allclose(
        A.vae_weights(vae), np.concatenate([w.ravel() for w in weights])
    )


def test_shipped_vae_learned(digits):
    x_train, _, x_test, _ = digits
    weights = cl.data.load_vae_weights()
    rebuilt = A.decode_numpy(weights, A.encode_numpy(weights, x_test)[0])
    error = float(np.mean((rebuilt - x_test[..., 0]) ** 2))
    assert error < 0.8 * A.mean_image_error(x_train, x_test)


def test_vae_weights_refused_when_wrong(tmp_path):
    bad = tmp_path / "vae.npy"
    np.save(bad, np.zeros(10, np.float16))
    with pytest.raises(ValueError, match="weights"):
        cl.data.load_vae_weights(bad)
    with pytest.raises(FileNotFoundError, match="no file"):
        cl.data.load_vae_weights(tmp_path / "nothing.npy")
    with pytest.raises(ValueError, match="codes"):
        A.decode_numpy(cl.data.load_vae_weights(), np.zeros((1, 3)))
    text = tmp_path / "text.npy"
    text.write_text("not weights")
    with pytest.raises(ValueError, match="not a .npy file"):
        cl.data.load_vae_weights(text)
    with pytest.raises(ValueError, match="ten weight arrays"):
        A.decode_numpy([np.zeros(3)], np.zeros((1, 2)))
    with pytest.raises(ValueError, match="autoencoder must be an autoencoder"):
        A.train_autoencoder("model", np.zeros((2, 28, 28)))


def test_builders_shapes():
    autoencoder, encoder, decoder = A.build_conv_autoencoder(8, filters=4)
    assert encoder.output_shape == (None, 8)
    assert decoder.output_shape == (None, 28, 28, 1)
    assert autoencoder.output_shape == (None, 28, 28, 1)
    autoencoder, encoder, decoder = A.build_dense_autoencoder(5, hidden=16)
    assert encoder.output_shape == (None, 5)
    assert autoencoder.count_params() == (784 * 16 + 16 + 16 * 5 + 5) + (
        5 * 16 + 16 + 16 * 784 + 784
    )
    with pytest.raises(ValueError, match="code_size"):
        A.build_dense_autoencoder(0)


def test_autoencoder_learns_and_bigger_codes_rebuild_better(digits):
    cl.set_seed(0)
    x_train, _, x_test, _ = digits
    curve = A.bottleneck_curve(
        x_train[:2000], x_test[:300], sizes=(1, 32), epochs=3, batch_size=32
    )
    small, large = curve["errors"]
    assert large < 0.5 * curve["baseline"]
    assert large < small
    with pytest.raises(ValueError, match="sizes"):
        A.bottleneck_curve(x_train[:10], x_test[:10], sizes=())


def test_vae_trains_with_its_own_step(digits):
    cl.set_seed(0)
    x_train, _, x_test, _ = digits
    vae = A.build_vae(2, hidden=128, learning_rate=3e-3)
    history = vae.fit(x_train, epochs=4, batch_size=64, verbose=0)
    assert set(history.history) >= {"loss", "reconstruction", "kl"}
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["kl"][-1] > 0
    assert A.reconstruction_error(vae, x_test[:300]) < 0.9 * A.mean_image_error(
        x_train, x_test[:300]
    )


def test_latent_grid_runs_from_the_top_left():
    grid = A.latent_grid(-1, 1, 3)
    assert grid.shape == (9, 2)
    np.testing.assert_allclose(grid[0], [-1, 1])
    np.testing.assert_allclose(grid[-1], [1, -1])
    with pytest.raises(ValueError, match="below"):
        A.latent_grid(1, -1)


def test_ink_and_concept_vector():
    thin = np.zeros((28, 28))
    thin[5:20, 14] = 1.0
    thick = np.zeros((28, 28))
    thick[5:20, 12:17] = 1.0
    assert list(A.ink(np.stack([thin, thick]))) == [15, 75]
    images = np.stack([thin, thick, thin, thick])
    labels = np.array([1, 1, 7, 7])
    codes = np.array([[0.0, 0.0], [2.0, 1.0], [1.0, 0.0], [3.0, -1.0]])
    np.testing.assert_allclose(
        A.concept_vector(codes, images, labels, fraction=0.5), [2.0, 0.0]
    )
    with pytest.raises(ValueError, match="agree"):
        A.concept_vector(codes[:3], images, labels)


def test_class_entropy_is_zero_for_one_class_and_ln_k_for_k_equal_classes():
    assert A.class_entropy(np.full(50, 3)) == 0.0
    assert np.isclose(A.class_entropy(np.arange(10).repeat(7)), np.log(10))
    assert np.isclose(A.class_entropy(np.array([0, 0, 1, 1])), np.log(2))
    assert A.class_entropy(np.array([0, 0, 0, 1])) < np.log(2)
    with pytest.raises(ValueError, match="from 0 to 9"):
        A.class_entropy(np.array([0, 10]))
    with pytest.raises(ValueError, match="classes must be class ids"):
        A.class_entropy(np.array([0.5, 1.0]))


def test_the_beta_sweep_shows_the_trade_off_and_the_entropy_gap():
    sweep = cl.data.load_vae_beta()
    betas = sweep["settings"]["betas"]
    kl = [np.mean([r["kl"] for r in sweep["vae"] if r["beta"] == b]) for b in betas]
    assert all(np.diff(kl) < 0)
    vae = [r["prior_entropy"] for r in sweep["vae"] if r["beta"] == 1.0]
    plain = [r["prior_entropy"] for r in sweep["autoencoder"]]
    error = np.sqrt(np.var(vae, ddof=1) / len(vae) + np.var(plain, ddof=1) / len(plain))
    assert np.mean(vae) - np.mean(plain) > 2 * error
    rebuild = [
        np.mean([r["reconstruction"] for r in sweep["vae"] if r["beta"] == b])
        for b in betas
    ]
    assert rebuild[-1] > rebuild[0]
