"""cl.widgets FilterViewer and ActivationViewer (widgets/inside.py); the sketchpad
and MnistDashboard are in test_sketchpad.py.

The generic contract test (tests/widgets/test_base.py) moves every control to its ends;
here is what is special to each widget.
"""

from __future__ import annotations

import numpy as np
import pytest

import course_lib as cl


@pytest.fixture(scope="module")
def model():
    return cl.data.load_mnist_convnet()


@pytest.fixture(scope="module")
def digits():
    _, (x_test, y_test) = cl.data.REGISTRY["mnist"].bundle_loader(
        cl.data.bundle_path("mnist")
    )
    return x_test[:12], y_test[:12]


def test_filter_viewer_shows_first_and_second_layer_kernels(model):
    viewer = cl.widgets.FilterViewer(model)
    kernel = model.get_layer("conv1").kernel.numpy()
    np.testing.assert_array_equal(viewer.kernels[3], kernel[:, :, 0, 3])
    assert viewer.input_channel.disabled
    mosaic = viewer.mosaic.artist.get_array()
    np.testing.assert_allclose(mosaic[0:5, 18:23], kernel[:, :, 0, 3])  # 4th cell
    viewer.layer.value = "conv2"
    assert not viewer.input_channel.disabled and viewer.input_channel.max == 31
    first = viewer.kernels.copy()
    viewer.input_channel.value = 7
    second = model.get_layer("conv2").kernel.numpy()
    np.testing.assert_array_equal(viewer.kernels[0], second[:, :, 7, 0])
    assert not np.array_equal(first, viewer.kernels)
    assert "slice 7 of 32" in viewer.caption.value
    viewer.layer.value = "conv1"
    assert viewer.input_channel.max == 0 and viewer.error.message == ""


def test_filter_viewer_checks_its_arguments():
    import keras

    dense_only = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="no Conv2D layer"):
        cl.widgets.FilterViewer(dense_only)
    with pytest.raises(ValueError, match="unknown conv layer 'conv9'; known: conv1"):
        cl.widgets.FilterViewer(layer="conv9")
    assert cl.widgets.FilterViewer(layer="CONV2").layer.value == "conv2"
    with pytest.raises(ValueError, match="unknown colour map"):
        cl.widgets.FilterViewer(cmap="rainbowish")


def test_activation_viewer_maps_equal_the_scratch_pass(model, digits):
    x, y = digits
    viewer = cl.widgets.ActivationViewer(model, x, y)
    assert viewer.layer.options == ("conv1", "conv2", "pool")
    steps = cl.scratch.steps(model, cl.images.prepare_images(x[:1]))
    np.testing.assert_allclose(viewer.maps, steps[0][2][0], atol=1e-5)
    viewer.layer.value = "pool"
    assert viewer.maps.shape == (10, 10, 32)
    np.testing.assert_allclose(viewer.maps, steps[2][2][0], atol=1e-5)
    mosaic = viewer.mosaic.artist.get_array()
    fifth = viewer.maps[:, :, 5]
    np.testing.assert_allclose(mosaic[0:10, 55:65], fifth / max(fifth.max(), 1e-6))
    viewer.index.value = 4
    np.testing.assert_allclose(viewer.input_artist.get_array(), x[4] / 255)
    assert f"true label {y[4]}" in viewer.caption.value
    assert int(np.argmax(viewer.probabilities)) == y[4]


def test_activation_viewer_shows_other_images_through_its_public_api(digits):
    x, y = digits
    viewer = cl.widgets.ActivationViewer()
    assert viewer.index.max == len(viewer.images) - 1 > 10  # the bundled test digits
    viewer.index.value = 900
    assert viewer.show(x[:3], y[:3])
    assert viewer.index.max == 2 and viewer.index.value == 2
    np.testing.assert_allclose(viewer.input_artist.get_array(), x[2] / 255)
    assert f"true label {y[2]}" in viewer.caption.value
    viewer.show(x[5:6] / 255.0)
    assert "true label" not in viewer.caption.value and viewer.error.message == ""


def test_activation_viewer_checks_its_input(model, digits):
    x, y = digits
    with pytest.raises(ValueError, match="images must be"):
        cl.widgets.ActivationViewer(model, x[0])
    with pytest.raises(ValueError, match="one label per image"):
        cl.widgets.ActivationViewer(model, x, y[:3])
    with pytest.raises(ValueError, match="looks like 0-255 pixels: divide by 255"):
        cl.widgets.ActivationViewer(model, x.astype(float))
    with pytest.raises(ValueError, match="unknown layer 'dense'; known: conv1"):
        cl.widgets.ActivationViewer(layer="dense")
    viewer = cl.widgets.ActivationViewer(images=x, labels=y, layer="Pool")
    assert viewer.layer.value == "pool" and viewer.maps.shape == (10, 10, 32)


def test_filter_viewer_matches_colour_maps_without_regard_to_case():
    viewer = cl.widgets.FilterViewer(cmap="Gray")
    assert viewer.mosaic.artist.get_cmap().name.startswith("gray")
    with pytest.raises(ValueError, match="cmap must be non-empty text, got 3"):
        cl.widgets.FilterViewer(cmap=3)
    with pytest.raises(ValueError, match="unknown colour map 'grey-ish'; e.g. gray"):
        cl.widgets.FilterViewer(cmap="grey-ish")


@pytest.mark.parametrize("widget", ["ActivationViewer", "MnistDashboard"])
def test_an_empty_or_mislabelled_data_set_is_refused_clearly(widget, digits):
    x, y = digits
    build = getattr(cl.widgets, widget)
    with pytest.raises(ValueError, match="got 0 images"):
        build(images=np.zeros((0, 28, 28), np.uint8), labels=[])
    with pytest.raises(ValueError, match="labels must be labels"):
        build(images=x, labels=["a"] * len(x))
    shown = build(images=x / 255.0, labels=y.astype(float))
    assert shown.error.message == ""
