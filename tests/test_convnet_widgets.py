"""cl.convnet_widgets: the sketchpad's predict path, FilterViewer and ActivationViewer."""

from __future__ import annotations

import numpy as np
import pytest

import course_lib as cl
from course_lib import convnet_widgets as cw


@pytest.fixture(scope="module")
def model():
    return cl.models.pretrained("mnist_convnet")


@pytest.fixture(scope="module")
def digits():
    _, (x_test, y_test) = cl.data.REGISTRY["mnist"].bundle_loader(
        cl.data.bundle_path("mnist")
    )
    return x_test[:12], y_test[:12]


def test_rasterize_draws_thick_round_lines():
    image = cw.rasterize_strokes([[(50, 20), (50, 80)]], size=100, line_width=10)
    assert image.shape == (100, 100) and image.max() == 1.0
    assert image[50, 46:55].min() == 1.0  # inside the line
    assert image[50, 40] == 0 and image[50, 60] == 0  # outside it
    assert image[16, 50] == 1.0 and image[10, 50] == 0  # a round cap of radius 5
    dot = cw.rasterize_strokes([[(50, 50)]], size=100, line_width=20)
    assert dot.sum() == pytest.approx(np.pi * 10**2, rel=0.05)
    outside = cw.rasterize_strokes([[(500, 500), (600, 600)]], size=100)
    assert not outside.any()
    with pytest.raises(ValueError, match="size must be"):
        cw.rasterize_strokes([], size=3)


def test_predict_drawing_classifies_scaled_up_mnist_digits(model, digits):
    x, y = digits
    predictions = [
        int(np.argmax(cw.predict_drawing(model, np.kron(d, np.ones((10, 10))))[1]))
        for d in x
    ]
    assert np.mean(np.array(predictions) == y) >= 0.9
    with pytest.raises(ValueError, match="the drawing is empty"):
        cw.predict_drawing(model, np.zeros((280, 280)))


def test_sketchpad_starts_empty_and_recognises_a_drawn_one(model):
    pad = cw.DigitSketchpad(model)
    assert pad.prediction is None and pad.probabilities is None
    assert "Draw a digit" in pad.caption.value
    before = pad.preview.value
    pad.add_stroke([(140, 40), (145, 240)])
    assert pad.prediction == 1
    assert pad.probabilities.sum() == pytest.approx(1.0, abs=1e-5)
    assert pad.image.shape == (28, 28) and pad.image.max() == pytest.approx(1.0)
    assert pad.bars[1].get_height() == pytest.approx(pad.probabilities[1])
    assert pad.preview.value != before
    assert pad.error.message == ""


def test_sketchpad_follows_the_mouse_and_clears(model):
    pad = cw.DigitSketchpad(model)
    pad._on_mouse_move(10, 10)  # moving without pressing draws nothing
    assert pad.strokes == []
    pad._on_mouse_down(60, 60)
    pad._on_mouse_move(210, 60)
    pad._on_mouse_move(110, 250)
    pad._on_mouse_up(110, 250)
    assert len(pad.strokes) == 1 and len(pad.strokes[0]) == 3
    assert pad.prediction == 7
    pad.clear_button.click()
    assert pad.strokes == [] and pad.prediction is None and not pad.drawing.any()


def test_sketchpad_shows_mnist_digits(model, digits):
    x, y = digits
    pad = cw.DigitSketchpad(model)
    right = 0
    for digit, label in zip(x, y, strict=True):
        pad.show_digit(digit)
        right += pad.prediction == label
    assert right >= 10
    with pytest.raises(ValueError, match="must be 28x28"):
        pad.show_digit(np.zeros((10, 10)))


def test_sketchpad_shows_a_failing_model_in_its_banner():
    def broken(x, training=False):
        raise RuntimeError("no weights")

    pad = cw.DigitSketchpad(broken)
    pad.add_stroke([(100, 100), (120, 200)])
    assert "RuntimeError: no weights" in pad.error.message


def test_filter_viewer_shows_first_and_second_layer_kernels(model):
    viewer = cw.FilterViewer(model)
    kernel = model.get_layer("conv1").kernel.numpy()
    np.testing.assert_array_equal(viewer.kernels[3], kernel[:, :, 0, 3])
    assert viewer.input_channel.disabled
    np.testing.assert_array_equal(viewer.artists[3].get_array(), kernel[:, :, 0, 3])
    viewer.layer_name.value = "conv2"
    assert not viewer.input_channel.disabled and viewer.input_channel.max == 31
    first = viewer.kernels.copy()
    viewer.input_channel.value = 7
    second = model.get_layer("conv2").kernel.numpy()
    np.testing.assert_array_equal(viewer.kernels[0], second[:, :, 7, 0])
    assert not np.array_equal(first, viewer.kernels)
    assert "slice 7 of 32" in viewer.caption.value


def test_filter_grid_checks_its_input():
    with pytest.raises(ValueError, match="input_channel must be an int from 0 to 1"):
        cw.filter_grid(np.zeros((3, 3, 2, 4)), 2)
    with pytest.raises(ValueError, match="a conv kernel is"):
        cw.filter_grid(np.zeros((3, 3)))
    import keras

    dense_only = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="no Conv2D layer"):
        cw.FilterViewer(dense_only)


def test_activation_viewer_maps_equal_the_scratch_pass(model, digits):
    x, y = digits
    viewer = cw.ActivationViewer(model, x, y)
    assert viewer.layer_name.options == ("conv1", "conv2", "pool")
    steps = cl.scratch.steps(model, cl.models.prepare_images(x[:1]))
    np.testing.assert_allclose(viewer.maps, steps[0][2][0], atol=1e-5)
    viewer.layer_name.value = "pool"
    assert viewer.maps.shape == (10, 10, 32)
    np.testing.assert_allclose(viewer.maps, steps[2][2][0], atol=1e-5)
    np.testing.assert_allclose(viewer.artists[5].get_array(), viewer.maps[:, :, 5])
    viewer.index.value = 4
    np.testing.assert_array_equal(viewer.input_artist.get_array(), x[4])
    assert f"true label {y[4]}" in viewer.caption.value
    assert int(np.argmax(viewer.probabilities)) == y[4]


def test_activation_viewer_checks_its_input(model, digits):
    x, y = digits
    with pytest.raises(ValueError, match="images must be"):
        cw.ActivationViewer(model, x[0])
    with pytest.raises(ValueError, match="one label per image"):
        cw.ActivationViewer(model, x, y[:3])
    with pytest.raises(ValueError, match="has no feature maps"):
        cw.feature_maps(model, x[0], "dense")


def test_mnist_dashboard_shows_the_activations_of_what_is_drawn():
    model = cl.models.pretrained("mnist_convnet")
    (_, _), (x_test, y_test) = cl.data.load_mnist()
    dashboard = cl.convnet_widgets.MnistDashboard(model, x_test[:20])
    first = dashboard.viewer.maps.copy()
    np.testing.assert_allclose(dashboard.viewer.images[0], dashboard.pad.image)
    dashboard.example.value = 5
    assert dashboard.pad.prediction == int(
        np.argmax(model(cl.models.prepare_images(dashboard.pad.image[None]))[0])
    )
    assert not np.allclose(dashboard.viewer.maps, first)
    np.testing.assert_allclose(dashboard.viewer.images[0], dashboard.pad.image)
    dashboard.pad.clear()
    assert dashboard.pad.prediction is None
    assert dashboard.error.message == ""
    with pytest.raises(ValueError, match="images must be"):
        cl.convnet_widgets.MnistDashboard(model, x_test[:3, :10])
