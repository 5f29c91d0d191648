"""cl.inside: drawings, filters and feature maps of a trained convnet."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from fresh_python import imported

import course_lib as cl
from course_lib import inside


@pytest.fixture(scope="module")
def model():
    return cl.data.load_mnist_convnet()


@pytest.fixture(scope="module")
def numpy_model():
    return cl.models.pretrained_numpy("mnist_convnet")


@pytest.fixture(scope="module")
def digits():
    _, (x_test, y_test) = cl.data.REGISTRY["mnist"].bundle_loader(
        cl.data.bundle_path("mnist")
    )
    return x_test[:12], y_test[:12]


def test_rasterize_draws_thick_round_lines():
    image = inside.rasterize_strokes([[(50, 20), (50, 80)]], size=100, line_width=10)
    assert image.shape == (100, 100) and image.max() == 1.0
    assert image.dtype == np.float32
    assert image[50, 46:55].min() == 1.0  # inside the line
    assert image[50, 40] == 0 and image[50, 60] == 0  # outside it
    assert image[16, 50] == 1.0 and image[10, 50] == 0  # a round cap of radius 5
    dot = inside.rasterize_strokes([[(50, 50)]], size=100, line_width=20)
    assert dot.sum() == pytest.approx(np.pi * 10**2, rel=0.05)
    outside = inside.rasterize_strokes([[(500, 500), (600, 600)]], size=100)
    assert not outside.any()
    with pytest.raises(ValueError, match="size must be"):
        inside.rasterize_strokes([], size=3)
    with pytest.raises(ValueError, match="line_width must be a positive number"):
        inside.rasterize_strokes([], line_width=0)


def test_strokes_with_nan_or_nothing_are_refused():
    assert inside.check_stroke([(1, 2), (3.5, 4)]) == [(1.0, 2.0), (3.5, 4.0)]
    with pytest.raises(ValueError, match="finite numbers"):
        inside.check_stroke([(1, 2), (np.nan, 4)])
    with pytest.raises(ValueError, match="finite numbers"):
        inside.rasterize_strokes([[(1, 2), (3, np.inf)]])
    with pytest.raises(ValueError, match=r"points must be a stroke.*got shape \(0,\)"):
        inside.check_stroke([])
    with pytest.raises(ValueError, match=r"\(x, y\) points of shape \(N, 2\)"):
        inside.check_stroke([(1, 2, 3)])
    with pytest.raises(ValueError, match="points must be a stroke"):
        inside.check_stroke([("a", "b")])


def test_predict_drawing_classifies_scaled_up_mnist_digits(model, digits):
    x, y = digits
    predictions = [
        int(
            np.argmax(
                inside.predict_drawing(model, np.kron(d, np.ones((10, 10), np.uint8)))[
                    1
                ]
            )
        )
        for d in x
    ]
    assert np.mean(np.array(predictions) == y) >= 0.9
    with pytest.raises(ValueError, match="the drawing is empty"):
        inside.predict_drawing(model, np.zeros((280, 280)))
    image, _ = inside.predict_drawing(
        model, np.kron(x[0], np.ones((10, 10), np.uint8)), False
    )
    assert np.abs(image - x[0] / x[0].max()).mean() < 0.05  # shrunk back, a bit blurred


def test_classify_agrees_between_keras_and_numpy(model, numpy_model, digits):
    x, y = digits
    keras_probabilities = inside.classify(model, x)
    numpy_probabilities = inside.classify(numpy_model, x)
    assert keras_probabilities.shape == (12, 10)
    np.testing.assert_allclose(keras_probabilities, numpy_probabilities, atol=1e-4)
    assert (keras_probabilities.argmax(1) == y).mean() >= 0.9
    assert inside.classify(numpy_model, x[0]).shape == (1, 10)
    with pytest.raises(ValueError, match="looks like 0-255 pixels: divide by 255"):
        inside.classify(numpy_model, x.astype(float))  # 0..255 as floats


def test_conv_kernels_are_the_same_for_keras_and_numpy(model, numpy_model):
    keras_kernels = inside.conv_kernels(model)
    numpy_kernels = inside.conv_kernels(numpy_model)
    assert list(keras_kernels) == list(numpy_kernels) == ["conv1", "conv2"]
    assert keras_kernels["conv2"].shape == (5, 5, 32, 32)
    for name in ("conv1", "conv2"):
        weights = np.asarray(model.get_layer(name).kernel)
        np.testing.assert_array_equal(keras_kernels[name], weights)
        np.testing.assert_array_equal(numpy_kernels[name], weights)


def test_filter_grid_checks_its_input():
    kernel = np.arange(3 * 3 * 2 * 4).reshape(3, 3, 2, 4)
    grid = inside.filter_grid(kernel, 1)
    assert grid.shape == (4, 3, 3)
    np.testing.assert_array_equal(grid[2], kernel[:, :, 1, 2])
    with pytest.raises(ValueError, match="input_channel must be an int from 0 to 1"):
        inside.filter_grid(np.zeros((3, 3, 2, 4)), 2)
    with pytest.raises(ValueError, match="input_channel must be an int"):
        inside.filter_grid(np.zeros((3, 3, 2, 4)), True)
    with pytest.raises(
        ValueError, match=r"kernel must be a conv kernel \(kh, kw, C_in, C_out\)"
    ):
        inside.filter_grid(np.zeros((3, 3)))


def test_feature_maps_of_keras_and_numpy_agree(model, numpy_model, digits):
    x, _ = digits
    assert inside.feature_map_layers(model) == ["conv1", "conv2", "pool"]
    assert inside.feature_map_layers(numpy_model) == ["conv1", "conv2", "pool"]
    cache: dict = {}
    for name, shape in [("conv1", (24, 24, 32)), ("pool", (10, 10, 32))]:
        keras_maps = inside.feature_maps(model, x[3], name, cache)
        assert keras_maps.shape == shape and keras_maps.dtype == np.float32
        np.testing.assert_allclose(
            inside.feature_maps(numpy_model, x[3], name), keras_maps, atol=1e-4
        )
    assert len(cache) == 2  # one sub-model per layer, kept for the next call
    steps = cl.scratch.steps(model, cl.images.prepare_images(x[3]))
    np.testing.assert_allclose(
        inside.feature_maps(model, x[3], "conv2", cache), steps[1][2][0], atol=1e-4
    )


def test_feature_maps_check_the_layer_and_the_image(numpy_model, digits):
    x, _ = digits
    with pytest.raises(ValueError, match="has no feature maps; pick one of conv1"):
        inside.feature_maps(numpy_model, x[0], "dense")
    with pytest.raises(ValueError, match=r"image must be an image \(28, 28\)"):
        inside.feature_maps(numpy_model, x[:2], "conv1")
    with pytest.raises(ValueError, match=r"got shape \(20, 20\)"):
        inside.feature_maps(numpy_model, np.zeros((20, 20)), "conv1")


def test_grid_shape_and_tile():
    assert inside.grid_shape(32) == (4, 8)
    assert inside.grid_shape(1) == (1, 2)
    rows, columns = inside.grid_shape(7)
    assert rows * columns >= 7 and columns >= rows
    with pytest.raises(ValueError, match="count must be an int from 1 to"):
        inside.grid_shape(0)
    stack = np.arange(3 * 2 * 2, dtype=float).reshape(3, 2, 2)
    mosaic = inside.tile(stack, columns=2, rows=3)
    assert mosaic.shape == (3 * 3 - 1, 2 * 3 - 1)
    np.testing.assert_array_equal(mosaic[0:2, 3:5], stack[1])
    np.testing.assert_array_equal(mosaic[3:5, 0:2], stack[2])
    assert np.isnan(mosaic[2]).all() and np.isnan(mosaic[:, 2]).all()  # the gaps
    assert np.isnan(mosaic[3:5, 3:5]).all() and np.isnan(mosaic[6:]).all()  # unused
    with pytest.raises(ValueError, match="need 2 rows"):
        inside.tile(stack, columns=2, rows=1)
    with pytest.raises(ValueError, match=r"\(C, H, W\)"):
        inside.tile(np.zeros((2, 2)), columns=2)
    with pytest.raises(ValueError, match="columns must be"):
        inside.tile(stack, columns=0)


def test_feature_maps_of_the_numpy_model_do_not_start_tensorflow():
    code = (
        "import numpy as np, course_lib as cl\n"
        "m = cl.models.pretrained_numpy()\n"
        "cl.inside.feature_maps(m, np.zeros((28, 28), np.uint8), 'pool')\n"
        "cl.inside.conv_kernels(m)\n"
    )
    assert imported(code, ("tensorflow", "ipywidgets")) == [False, False]


# --- issue 12: sizes have a maximum, wrong types a clear error ------------------------


def _peak_growth_mb(function):
    """What ``function()`` returns (or raises) and how much it grew resident memory."""
    if not sys.platform.startswith("linux"):
        return function(), 0.0

    def status(key):
        with open("/proc/self/status") as lines:
            return next(int(x.split()[1]) / 1024 for x in lines if x.startswith(key))

    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # VmHWM := VmRSS
    before = status("VmRSS")
    try:
        return function(), status("VmHWM") - before
    except ValueError as error:
        return error, status("VmHWM") - before


def test_rasterize_refuses_a_huge_canvas_before_allocating_it():
    error, grown = _peak_growth_mb(lambda: inside.rasterize_strokes([], size=10**5))
    assert isinstance(error, ValueError) and grown < 50
    assert "size must be an int from 8 to 2,048" in str(error)
    with pytest.raises(ValueError, match="line_width must be a positive number"):
        inside.rasterize_strokes([[(1, 1)]], size=16, line_width=1e9)
    with pytest.raises(ValueError, match="more than 100,000 points"):
        inside.rasterize_strokes([[(1.0, 1.0)] * 100_001], size=16)
    with pytest.raises(ValueError, match="strokes must be a list of"):
        inside.rasterize_strokes(np.float64(3.0))
    # Strokes of equal length as one array are fine, as a list of them would be.
    strokes = np.array([[(5.0, 5.0), (5.0, 10.0)]])
    np.testing.assert_array_equal(
        inside.rasterize_strokes(strokes, size=16, line_width=2),
        inside.rasterize_strokes(strokes.tolist(), size=16, line_width=2),
    )


def test_tile_and_grid_shape_refuse_huge_layouts():
    error, grown = _peak_growth_mb(
        lambda: inside.tile(np.ones((3, 2, 2)), columns=10**6, rows=10**6)
    )
    assert isinstance(error, ValueError) and grown < 50
    assert "more than the 16,777,216 allowed" in str(error)
    with pytest.raises(ValueError, match="count must be an int from 1 to"):
        inside.grid_shape(2**63)
    with pytest.raises(ValueError, match="stack must be a stack of small images"):
        inside.tile(np.ones((2, 2, 2)) * 1j, columns=2)


def test_functions_of_a_model_say_when_it_is_not_one(numpy_model, digits):
    for function in (inside.classify, inside.predict_drawing):
        with pytest.raises(ValueError, match="model must be a digit classifier"):
            function("mnist_convnet", digits[0][0])
    with pytest.raises(ValueError, match="model must be a Keras model"):
        inside.feature_map_layers(None)
    with pytest.raises(ValueError, match="cache must be a dict"):
        inside.feature_maps(
            cl.data.load_mnist_convnet(), digits[0][0], "conv1", cache=[]
        )
    with pytest.raises(ValueError, match="layer_name must be non-empty text, got 3"):
        inside.feature_maps(numpy_model, digits[0][0], 3)
    with pytest.raises(ValueError, match="points must be a stroke"):
        inside.check_stroke([(1j, 2.0)])
