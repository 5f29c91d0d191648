"""Bad input to cl.gans and its widgets that the declarations alone do not cover
(tests/test_declared.py generates the rest): issue 33's cases, each pinned."""

from __future__ import annotations

import numpy as np
import pytest
from clear_errors import assert_clear, refused

import course_lib as cl
from course_lib import gans


@pytest.fixture(scope="module")
def pair():
    return gans.build_generator(16, 4), gans.build_discriminator(4)


@pytest.fixture(scope="module")
def digits():
    (x_train, y_train), _ = cl.data.load_mnist()
    return x_train[:64], y_train[:64]


@pytest.fixture(scope="module")
def classifier():
    return cl.data.load_mnist_convnet()


# -- interpolate: a path through zero ------------------------------------------------


@pytest.mark.parametrize("method", ["linear", "spherical"])
def test_opposite_codes_are_refused_with_the_reason(method):
    z = gans.latent_code(1)
    for other in (-z, -0.5 * z, -z + 0.01):
        message = refused(lambda o=other: gans.interpolate(z, o, 5, method), "z_b")
        assert "linear" in message and "spherical" in message
        assert "through 0" in message and "great circle" in message


def test_codes_at_a_right_angle_still_interpolate():
    z = gans.latent_code(1)
    other = gans.latent_code(2)
    other = other - other @ z / (z @ z) * z  # orthogonal: 90 degrees
    path = gans.interpolate(z, other, 5, "spherical")
    assert np.isfinite(path).all() and path.shape == (5, gans.LATENT_DIM)


def test_nan_codes_are_refused():
    z = gans.latent_code(1)
    bad = z.copy()
    bad[3] = np.nan
    refused(lambda: gans.interpolate(z, bad), "z_b")
    refused(lambda: gans.generate(gans.build_generator(16, 2), bad[None]), "codes")


def test_codes_of_two_lengths_are_refused():
    refused(lambda: gans.interpolate(np.zeros(3), np.ones(4)), "z_a")


# -- the wrong model ------------------------------------------------------------------


def test_g_and_d_swapped_are_named(pair):
    generator, discriminator = pair
    message = refused(lambda: gans.generate(discriminator, 3), "generator")
    assert "a generator (N, ?) -> (N, 28, 28, 1)" in message
    assert "'discriminator' (N, 28, 28, 1) -> (N, 1)" in message
    message = refused(lambda: gans.GAN(discriminator, generator), "generator")
    assert "got 'discriminator'" in message


def test_the_generator_is_no_classifier(pair):
    generator, _ = pair
    images = np.zeros((2, 28, 28), np.uint8)
    message = refused(lambda: gans.sample_quality(images, generator), "classifier")
    assert "a digit classifier" in message and "got 'generator'" in message


def test_a_discriminator_with_a_sigmoid_is_refused(pair):
    import keras

    generator, discriminator = pair
    squashed = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(1, "sigmoid"),
        ]
    )
    message = refused(lambda: gans.GAN(generator, squashed), "discriminator")
    assert "softmax/sigmoid" in message


def test_the_explorer_names_a_swapped_model(pair):
    generator, discriminator = pair
    refused(lambda: cl.widgets.GanExplorer(generator=discriminator), "generator")
    refused(lambda: cl.widgets.GanExplorer(classifier=generator), "classifier")


def test_codes_of_the_wrong_length_for_the_generator(pair):
    generator, _ = pair
    message = refused(lambda: gans.generate(generator, np.zeros((3, 5))), "codes")
    assert "(N, 16)" in message


# -- train_gan: bad values refused before any training ---------------------------------


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"images": np.full((64, 28, 28), 200.0)}, "divide by 255"),
        ({"images": np.zeros((64, 28, 28, 3))}, "images"),
        ({"batch_size": 65}, "batch_size"),
        ({"learning_rates": 2e-3}, "learning_rates"),
        ({"learning_rates": (2e-3,)}, "learning_rates"),
        ({"learning_rates": (2e-3, 0.0)}, "learning_rates"),
        ({"sizes": (16, 0)}, "sizes"),
        ({"loss": "wasserstein"}, "loss"),
        ({"callbacks": "LivePlot"}, "callbacks"),
        ({"callbacks": [3]}, "callbacks"),
        ({"d_steps": 0}, "d_steps"),
        ({"epochs": 2.5}, "epochs"),
        ({"seed": -1}, "seed"),
    ],
)
def test_train_gan_refuses_before_it_trains(kwargs, name, digits, monkeypatch):
    def no_training(*args, **kw):
        raise AssertionError("training started")

    monkeypatch.setattr(gans.GAN, "fit", no_training)
    arguments = {"images": digits[0], "epochs": 1, **kwargs}
    refused(lambda: gans.train_gan(**arguments), name)


def test_train_gan_with_callbacks_none_trains(digits):
    run = gans.train_gan(
        digits[0], epochs=1, batch_size=32, sizes=(4, 2), callbacks=None
    )
    assert len(run.steps["g_loss"]) == 2 and run.snapshots.shape == (1, 16, 28, 28)


# -- the pixel convention --------------------------------------------------------------


def test_uint8_and_float_digits_get_the_same_verdict(digits, classifier):
    images = digits[0][:20]
    as_uint8 = gans.sample_quality(images, classifier)
    as_float = gans.sample_quality(images / 255.0, classifier)
    assert as_uint8["predictions"].tolist() == as_float["predictions"].tolist()
    np.testing.assert_allclose(
        as_uint8["confidence"], as_float["confidence"], atol=1e-5
    )
    message = refused(
        lambda: gans.sample_quality(images.astype(np.float32), classifier), "images"
    )
    assert "divide by 255" in message


def test_uint8_and_float_digits_are_as_far_apart(digits):
    images = digits[0]
    labels = digits[1]
    np.testing.assert_allclose(
        gans.nearest_distances(images[:5], images[5:]),
        gans.nearest_distances(images[:5] / 255.0, images[5:] / 255.0),
        atol=1e-5,
    )
    np.testing.assert_allclose(
        gans.within_class_diversity(images, labels),
        gans.within_class_diversity(images / 255.0, labels),
        atol=1e-5,
    )
    refused(lambda: gans.nearest_distances(images * 1.0, images), "images")


def test_nan_digits_never_get_a_verdict(classifier):
    images = np.full((2, 28, 28), np.nan)
    refused(lambda: gans.sample_quality(images, classifier), "images")
    refused(lambda: gans.nearest_distances(np.zeros((2, 28, 28)), images), "reference")


# -- what the old table tried that the declarations do not -----------------------------


def test_measures_refuse_what_does_not_fit():
    refused(lambda: gans.class_entropy(np.zeros(3)), "counts")
    refused(
        lambda: gans.nearest_distances(np.zeros((2, 5, 5)), np.zeros((2, 28, 28))),
        "images",
    )
    refused(
        lambda: gans.nearest_distances(np.zeros((2, 28, 28)), np.zeros((0, 28, 28))),
        "reference",
    )
    images = np.zeros((4, 28, 28))
    refused(lambda: gans.within_class_diversity(images, [0, 1, 2]), "classes")
    refused(lambda: gans.within_class_diversity(images, [0, 1, 2, 20]), "classes")
    refused(lambda: gans.generator_loss_gradients([0.0, 0.5]), "d_outputs")


def test_the_sample_grid_refuses_bad_arguments():
    refused(lambda: cl.widgets.SampleGrid(count=0), "count")
    refused(lambda: cl.widgets.SampleGrid(columns="8"), "columns")


@pytest.fixture(scope="module")
def explorer():
    return cl.widgets.GanExplorer()


@pytest.mark.parametrize(
    "control, value",
    [("method", "cubic"), ("method", None), ("t", np.nan), ("shift1", np.nan)],
)
def test_a_control_set_to_a_bad_value_shows_the_error_in_the_widget(
    explorer, control, value
):
    explorer.controls[control].value = value  # never traitlets' "Invalid selection"
    message = explorer.error.message
    assert message and explorer.stale
    assert_clear(ValueError(message), control)
    explorer.method.value = "spherical"  # a change: the widget renders again
    explorer.method.value = "linear"
    explorer.t.value = 0.5
    explorer.shifts[1].value = 0.0
    assert explorer.error.message == "" and not explorer.stale
