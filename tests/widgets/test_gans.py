"""cl.widgets.GanExplorer (SampleGrid: test_gan_samples.py; the generic contract test is in test_base.py)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import course_lib as cl
from course_lib import gans


@pytest.fixture(scope="module")
def explorer():
    return cl.widgets.GanExplorer()


def test_it_constructs_without_training(monkeypatch):
    def train(*args, **kwargs):
        raise AssertionError("the widget trains a network")

    monkeypatch.setattr(keras.Model, "fit", train)
    monkeypatch.setattr(keras.Model, "train_on_batch", train)
    widget = cl.widgets.GanExplorer()
    assert widget.error.message == "" and widget.figure_image.value


def test_the_ends_of_the_path_are_the_seeds_codes(explorer):
    explorer.seed_a.value = 5
    explorer.seed_b.value = 9
    explorer.method.value = "linear"
    explorer.t.value = 0.0
    assert np.allclose(explorer.code, gans.latent_code(5), atol=1e-6)
    assert np.allclose(explorer.path[0], gans.latent_code(5), atol=1e-6)
    assert np.allclose(explorer.path[-1], gans.latent_code(9), atol=1e-6)
    explorer.t.value = 1.0
    assert np.allclose(explorer.code, gans.latent_code(9), atol=1e-6)
    explorer.t.value = 0.5
    midpoint = (gans.latent_code(5) + gans.latent_code(9)) / 2
    assert np.allclose(explorer.code, midpoint, atol=1e-6)
    explorer.method.value = "spherical"


def test_the_digit_and_label_are_the_generators_and_classifiers(explorer):
    explorer.seed_a.value = 2
    explorer.t.value = 0.0
    # the shipped networks (the explorer runs them with NumPy)
    generator, classifier = cl.data.load_gan_generator(), cl.data.load_mnist_convnet()
    expected = gans.generate(generator, gans.latent_code(2)[None])[0]
    assert np.allclose(explorer.digit, expected, atol=1e-5)
    probabilities = classifier.predict(expected[None, ..., None], verbose=0)
    assert explorer.label == int(probabilities.argmax())
    assert f"<b>{explorer.label}</b>" in explorer.caption.value
    assert len(explorer.path_labels) == 8


def test_a_shift_moves_one_coordinate(explorer):
    explorer.t.value = 0.0
    before = explorer.code.copy()
    explorer.shifts[1].value = 2.0
    difference = explorer.code - before
    assert difference[1] == pytest.approx(2.0) and np.allclose(
        np.delete(difference, 1), 0
    )
    explorer.shifts[1].value = 0.0


def test_each_control_redraws_the_picture(explorer):
    # the latency target (100 ms p95) lives in benchmarks/widget_latency.py
    explorer.seed_a.value = 1
    for control, value in [
        (explorer.seed_a, 40),
        (explorer.seed_b, 41),
        (explorer.t, 0.25),
        (explorer.method, "linear"),
        (explorer.shifts[0], 1.5),
    ]:
        before = explorer.figure_image.value
        control.value = value
        assert explorer.error.message == "", control.description
        assert explorer.figure_image.value != before, control.description


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="seed_a must be an int from 0 to 99"):
        cl.widgets.GanExplorer(seed_a=500)
    with pytest.raises(ValueError, match="t must be a finite number from 0 to 1"):
        cl.widgets.GanExplorer(t=2.0)


def test_the_numpy_networks_are_the_shipped_keras_ones():
    """Without arguments the explorer runs the shipped networks with NumPy (the
    dashboard starts without TensorFlow): the same digits and labels as Keras."""
    from course_lib.gans.numpy_generator import NumpyGenerator

    generator = NumpyGenerator.from_file()
    codes = cl.gans.latent_codes(16, generator.latent_dim, 0)
    digits = generator(codes)
    expected = np.asarray(cl.data.load_gan_generator()(codes, training=False))
    np.testing.assert_allclose(digits, expected, atol=1e-5)
    judge = np.asarray(cl.data.load_mnist_convnet()(expected, training=False))
    np.testing.assert_allclose(
        cl.models.pretrained_numpy("mnist_convnet")(digits), judge, atol=1e-4
    )
