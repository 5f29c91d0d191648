"""Bad input to cl.autoencoders and LatentExplorer that the declarations alone do not
cover (tests/test_declared.py generates the rest): issue 33's cases, each pinned."""

from __future__ import annotations

import numpy as np
import pytest
from clear_errors import assert_clear, refused

import course_lib as cl

A = cl.autoencoders


@pytest.fixture(scope="module")
def dense():
    return A.build_dense_autoencoder(8, hidden=16)


@pytest.fixture(scope="module")
def digits():
    (x_train, y_train), (x_test, y_test) = cl.data.load_mnist()
    return x_test[:40], y_test[:40]


@pytest.fixture(scope="module")
def weights():
    return cl.data.load_vae_weights()


# -- the wrong model -------------------------------------------------------------------


def test_an_encoder_for_an_autoencoder_is_named(dense, digits):
    _, encoder, decoder = dense
    images = digits[0]
    message = refused(lambda: A.train_autoencoder(encoder, images), "autoencoder")
    assert "an autoencoder (N, 28, 28, 1) -> (N, 28, 28, 1)" in message
    assert "got 'encoder' (N, 28, 28, 1) -> (N, 8)" in message
    message = refused(lambda: A.reconstruction_error(encoder, images), "model")
    assert "got 'encoder'" in message
    refused(lambda: A.reconstruction_error(decoder, images), "model")


def test_a_function_that_encodes_is_caught(digits):
    message = refused(
        lambda: A.reconstruction_error(
            lambda x: x.reshape(len(x), -1)[:, :8], digits[0]
        ),
        "model",
    )
    assert "encoder" in message


def test_a_vae_with_its_parts_swapped_is_refused():
    encoder, decoder = A.build_vae_encoder(2, 8), A.build_vae_decoder(2, 8)
    refused(lambda: A.VariationalAutoencoder(decoder, encoder), "encoder")
    refused(lambda: A.VariationalAutoencoder(encoder, encoder), "decoder")


def test_a_plain_autoencoder_is_no_vae(dense):
    autoencoder, _, _ = dense
    message = refused(lambda: A.vae_weights(autoencoder), "vae")
    assert "variational autoencoder" in message
    refused(lambda: A.set_vae_weights(autoencoder, np.zeros(10)), "vae")


def test_weights_of_the_wrong_shape_are_refused(weights):
    vae = A.build_vae(2, hidden=8)
    refused(lambda: A.set_vae_weights(vae, np.zeros(10)), "hidden=8")
    refused(lambda: A.decode_numpy(weights[:6], np.zeros((1, 2))), "weights")
    message = refused(lambda: A.decode_numpy(weights, np.zeros((1, 3))), "codes")
    assert "(N, 2)" in message


# -- the pixel convention --------------------------------------------------------------


def test_uint8_and_float_digits_give_the_same_answers(dense, digits, weights):
    autoencoder, _, _ = dense
    as_uint8, as_float = digits[0], digits[0] / 255.0
    assert A.reconstruction_error(autoencoder, as_uint8) == pytest.approx(
        A.reconstruction_error(autoencoder, as_float), rel=1e-5
    )
    assert A.mean_image_error(as_uint8, as_uint8[:5]) == pytest.approx(
        A.mean_image_error(as_float, as_float[:5]), rel=1e-5
    )
    assert A.ink(as_uint8).tolist() == A.ink(as_float).tolist()
    np.testing.assert_allclose(
        A.encode_numpy(weights, as_uint8)[0],
        A.encode_numpy(weights, as_float)[0],
        atol=1e-4,
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda x, w, m: A.reconstruction_error(m, x),
        lambda x, w, m: A.encode_numpy(w, x),
        lambda x, w, m: A.ink(x),
        lambda x, w, m: A.add_noise(x),
        lambda x, w, m: A.train_autoencoder(m, x),
        lambda x, w, m: A.as_images(x),
    ],
)
def test_0_255_floats_are_refused_with_the_fix(call, dense, digits, weights):
    x = digits[0].astype(np.float32)
    message = refused(lambda: call(x, weights, dense[0]), "images")
    assert "divide by 255" in message


def test_nan_digits_and_codes_never_give_an_answer(dense, weights):
    nan_digits = np.full((2, 28, 28), np.nan)
    refused(lambda: A.reconstruction_error(dense[0], nan_digits), "images")
    refused(lambda: A.encode_numpy(weights, nan_digits), "images")
    refused(lambda: A.decode_numpy(weights, [[np.nan, 0.0]]), "codes")
    refused(lambda: A.kl_divergence([np.nan], [0.0]), "z_mean")
    refused(lambda: A.reparameterize([0.0], [np.inf], [1.0]), "z_log_var")
    refused(
        lambda: A.concept_vector(np.full((2, 2), np.nan), nan_digits, [0, 1]), "codes"
    )


# -- callbacks and sizes ------------------------------------------------------------------


def test_callbacks_none_trains(digits):
    autoencoder, _, _ = A.build_dense_autoencoder(2, hidden=4)
    history = A.train_autoencoder(autoencoder, digits[0], epochs=1, callbacks=None)
    assert len(history.history["loss"]) == 1


def test_bottleneck_sizes_out_of_range_are_refused_before_training(digits):
    x = digits[0]
    for sizes in ((0,), (10**9,), 32, ()):
        refused(lambda s=sizes: A.bottleneck_curve(x, x, sizes=s), "sizes")


def test_targets_and_validation_must_match(dense, digits):
    autoencoder, _, _ = dense
    x = digits[0]
    refused(lambda: A.train_autoencoder(autoencoder, x, targets=x[:3]), "targets")
    refused(
        lambda: A.train_autoencoder(autoencoder, x, validation_data=(x, x[:3])),
        "validation_data",
    )


def test_measures_refuse_what_does_not_fit(digits):
    x, y = digits
    refused(lambda: A.class_entropy(np.array([0, 10])), "classes")
    refused(lambda: A.class_entropy(np.array([], int)), "classes")
    refused(lambda: A.concept_vector(np.zeros((3, 2)), x, y), "codes")
    refused(lambda: A.concept_vector(np.zeros((len(x), 2)), x, y + 1), "labels")
    refused(lambda: A.latent_grid(1, -1), "low")
    refused(
        lambda: A.kl_monte_carlo(np.zeros(100), np.zeros(100), 1_000_000), "samples"
    )


# -- LatentExplorer ----------------------------------------------------------------------


def test_labels_1_to_10_are_refused_when_the_explorer_is_built(weights, digits):
    x = digits[0][:10]
    message = refused(
        lambda: cl.widgets.LatentExplorer(weights, x, np.arange(1, 11)), "labels"
    )
    assert "0 to 9" in message
    refused(lambda: cl.widgets.LatentExplorer(weights, x, np.eye(10)), "labels")
    refused(lambda: cl.widgets.LatentExplorer(labels=np.zeros(1000)), "labels")


def test_good_labels_survive_every_slider_move(weights, digits):
    x, y = digits
    explorer = cl.widgets.LatentExplorer(weights, x, y, k=5)
    for value in (-3.0, 3.0, 0.0):
        explorer.z1.value = value
        assert explorer.error.message == ""
        assert explorer.vote in set(y.tolist())


def test_the_explorer_refuses_bad_arguments(weights, digits):
    x = digits[0]
    refused(lambda: cl.widgets.LatentExplorer(weights, x, k=len(x) + 1), "k")
    refused(lambda: cl.widgets.LatentExplorer(weights[:4]), "weights")
    refused(lambda: cl.widgets.LatentExplorer(images=x.astype(float)), "images")
    refused(lambda: cl.widgets.LatentExplorer(z1=np.nan), "z1")


@pytest.mark.parametrize(
    "control, value", [("z1", np.nan), ("z2", np.nan), ("digit", 10_000)]
)
def test_a_control_set_to_a_bad_value_shows_the_error_in_the_widget(control, value):
    explorer = cl.widgets.LatentExplorer()
    explorer.controls[control].value = value
    message = explorer.error.message
    assert message and explorer.stale
    assert_clear(ValueError(message), control, "the digit")
    explorer.z1.value, explorer.z2.value, explorer.digit.value = 0.5, 0.5, -1
    assert explorer.error.message == "" and not explorer.stale
