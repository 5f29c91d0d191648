"""cl.widgets DigitSketchpad, FilterViewer, ActivationViewer and MnistDashboard.

The generic contract test (tests/widgets/test_base.py) moves every control to its ends;
here is what is special to each widget.
"""

from __future__ import annotations

import numpy as np
import pytest

import course_lib as cl


@pytest.fixture(scope="module")
def model():
    return cl.models.pretrained("mnist_convnet")


@pytest.fixture(scope="module")
def digits():
    _, (x_test, y_test) = cl.data.REGISTRY["mnist"].bundle_loader(
        cl.data.bundle_path("mnist")
    )
    return x_test[:12], y_test[:12]


def test_sketchpad_starts_empty_and_recognises_a_drawn_one(model):
    pad = cl.widgets.DigitSketchpad(model)
    assert pad.prediction is None and pad.probabilities is None
    assert pad.drawing is None
    assert "Draw a digit" in pad.caption.value
    before = pad.figure_image.value
    assert pad.add_stroke([(140, 40), (145, 240)])
    assert pad.prediction == 1
    assert pad.probabilities.sum() == pytest.approx(1.0, abs=1e-5)
    assert pad.drawing.shape == (28, 28) and pad.drawing.max() == pytest.approx(1.0)
    assert pad.bars[1].get_height() == pytest.approx(pad.probabilities[1])
    assert pad.figure_image.value != before
    assert pad.error.message == ""


def test_sketchpad_defaults_to_the_shipped_checkpoint():
    pad = cl.widgets.DigitSketchpad()
    assert isinstance(pad.model, cl.scratch.NumpyConvnet)
    assert isinstance(cl.widgets.DigitSketchpad(None).model, cl.scratch.NumpyConvnet)
    with pytest.raises(ValueError, match="unknown checkpoint 'cat'; known: mnist"):
        cl.widgets.DigitSketchpad("cat")
    with pytest.raises(ValueError, match="model must be a digit classifier"):
        cl.widgets.DigitSketchpad(42)
    with pytest.raises(ValueError, match="model must be a digit classifier"):
        cl.widgets.DigitSketchpad(lambda x, training=False: x)  # no model
    with pytest.raises(ValueError, match="size must be an int from 28 to 1,000"):
        cl.widgets.DigitSketchpad(size=10)


def test_sketchpad_publishes_what_the_network_sees():
    pad = cl.widgets.DigitSketchpad()
    seen = []
    pad.observe(lambda change: seen.append(change.new), names="drawing")
    pad.add_stroke([(140, 40), (145, 240)])
    pad.add_stroke([(100, 60), (180, 60)])
    assert len(seen) == 2 and seen[-1] is pad.drawing
    assert not np.array_equal(seen[0], seen[1])
    pad.clear()
    assert seen[-1] is None and pad.drawing is None


def test_a_stroke_with_nan_is_left_out_and_the_pad_keeps_working():
    pad = cl.widgets.DigitSketchpad()
    assert pad.add_stroke([(140, 40), (145, 240)])
    assert not pad.add_stroke([(60, 60), (np.nan, 100)])
    assert "finite numbers" in pad.error.message
    assert len(pad.strokes) == 1 and pad.prediction == 1
    assert pad.add_stroke([(100, 60), (180, 60)])
    assert pad.error.message == "" and len(pad.strokes) == 2
    # The same with the mouse: the stroke is dropped when the pen is lifted.
    pad._on_mouse_down(50, 50)
    pad._on_mouse_move(float("nan"), 80)
    pad._on_mouse_up()
    assert "the last stroke was left out" in pad.error.message
    assert len(pad.strokes) == 2
    pad.add_stroke([(200, 100)])
    assert pad.error.message == "" and len(pad.strokes) == 3


def test_sketchpad_without_centring_shows_the_drawing_as_it_is():
    pad = cl.widgets.DigitSketchpad()
    pad.add_stroke([(30, 20), (40, 90)])  # a small 1 in the top left corner
    centred = pad.drawing
    ys, xs = np.indices(centred.shape)
    assert (ys * centred).sum() / centred.sum() == pytest.approx(14, abs=1)
    before = pad.figure_image.value
    pad.centre.value = False
    assert pad.error.message == "" and pad.figure_image.value != before
    shrunk = pad.drawing
    assert (ys * shrunk).sum() / shrunk.sum() < 7  # still at the top
    assert (xs * shrunk).sum() / shrunk.sum() < 6  # and on the left
    assert "shrunk" in pad.title.get_text()
    pad.centre.value = True
    np.testing.assert_allclose(pad.drawing, centred)


def test_sketchpad_follows_the_mouse_and_clears(model):
    pad = cl.widgets.DigitSketchpad(model)
    pad._on_mouse_move(10, 10)  # moving without pressing draws nothing
    assert pad.strokes == []
    pad._on_mouse_down(60, 60)
    pad._on_mouse_move(210, 60)
    pad._on_mouse_move(110, 250)
    pad._on_mouse_up(110, 250)
    assert len(pad.strokes) == 1 and len(pad.strokes[0]) == 3
    assert pad.prediction == 7
    pad.clear_button.click()
    assert pad.strokes == [] and pad.prediction is None and not pad.raster.any()


def test_sketchpad_shows_mnist_digits(model, digits):
    x, y = digits
    pad = cl.widgets.DigitSketchpad(model)
    right = 0
    for digit, label in zip(x, y, strict=True):
        pad.show_digit(digit)
        right += pad.prediction == label
    assert right >= 10
    assert pad.shown_digit.max() <= 1.0
    pad.add_stroke([(140, 40), (145, 240)])  # drawing on a shown digit starts afresh
    assert pad.shown_digit is None and pad.prediction == 1
    with pytest.raises(ValueError, match=r"digit must be an image \(28, 28\)"):
        pad.show_digit(np.zeros((10, 10)))
    with pytest.raises(ValueError, match="looks like 0-255 pixels: divide by 255"):
        pad.show_digit(x[0] * 2.0)


class _BrokenModel(cl.scratch.NumpyConvnet):
    """Passes for the NumPy convnet (its __init__ is skipped) but fails when run."""

    def __init__(self):
        pass

    layers: list = []

    def __call__(self, x, training=False):
        raise RuntimeError("no weights")


def test_sketchpad_shows_a_failing_model_in_its_banner(monkeypatch):
    pad = cl.widgets.DigitSketchpad(_BrokenModel())
    assert pad.error.message == ""  # an empty pad does not ask the model
    with pytest.raises(RuntimeError, match="no weights"):  # a bug fails the tests
        pad.add_stroke([(100, 100), (120, 200)])
    monkeypatch.setenv("COURSE_STRICT_WIDGETS", "0")
    pad.add_stroke([(100, 100), (120, 200)])
    assert "RuntimeError: no weights" in pad.error.message


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


def test_mnist_dashboard_shows_the_activations_of_what_is_drawn(model, digits):
    x, y = digits
    dashboard = cl.widgets.MnistDashboard(model, x, y)
    first = dashboard.viewer.maps.copy()
    np.testing.assert_allclose(dashboard.viewer.images[0], dashboard.pad.drawing)
    dashboard.example.value = 5
    assert dashboard.pad.prediction == int(
        np.argmax(model(cl.images.prepare_images(dashboard.pad.drawing))[0])
    )
    assert f"labelled {y[5]}" in dashboard.caption.value
    assert not np.allclose(dashboard.viewer.maps, first)
    np.testing.assert_allclose(dashboard.viewer.images[0], dashboard.pad.drawing)
    dashboard.pad.add_stroke([(140, 40), (145, 240)])
    np.testing.assert_allclose(dashboard.viewer.images[0], dashboard.pad.drawing)
    dashboard.pad.clear()
    assert dashboard.pad.prediction is None
    assert not dashboard.viewer.images.any()  # the blank pad
    assert dashboard.error.message == "" and dashboard.viewer.error.message == ""
    with pytest.raises(ValueError, match="images must be"):
        cl.widgets.MnistDashboard(model, x[:3, :10])


def test_mnist_dashboard_defaults_to_numpy_and_the_test_digits():
    dashboard = cl.widgets.MnistDashboard()
    assert isinstance(dashboard.pad.model, cl.scratch.NumpyConvnet)
    assert dashboard.viewer.model is dashboard.pad.model
    assert len(dashboard.images) == dashboard.example.max + 1 >= 1000
    assert dashboard.pad.prediction is not None


# -- issue 12: clear errors, no stale picture ------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"size": 100_000}, "size must be an int from 28 to 1,000"),
        ({"size": 280.5}, "size must be an int"),
        ({"line_width": True}, "line_width must be a positive number"),
        ({"line_width": "text"}, "line_width must be a positive number"),
        ({"line_width": float("nan")}, "line_width must be a positive number"),
        ({"line_width": 300}, "line_width must be less than the canvas size 280"),
        ({"update_every": "text"}, "update_every must be a finite number from 0"),
        ({"update_every": -1}, "update_every must be a finite number from 0"),
        ({"update_every": 1e9}, "from 0 to 10"),
    ],
)
def test_sketchpad_refuses_sizes_and_times_out_of_range(kwargs, message):
    with pytest.raises(ValueError, match=message):
        cl.widgets.DigitSketchpad(**kwargs)


def test_sketchpad_takes_numpy_numbers():
    pad = cl.widgets.DigitSketchpad(size=np.int64(56), line_width=np.float32(4))
    assert pad.size == 56 and pad.add_stroke([(28, 8), (28, 48)])


def test_a_bad_stroke_drawn_while_the_pad_predicts_leaves_no_trace(monkeypatch):
    """The pad predicts while the pen moves: a part of the bad stroke was drawn before
    its NaN point. Once the stroke is left out, the picture is that of the kept ones."""
    pad = cl.widgets.DigitSketchpad(update_every=0)
    pad.add_stroke([(140, 40), (145, 240)])
    kept = pad.drawing.copy()
    pad._on_mouse_down(60, 60)
    pad._on_mouse_move(200, 60)  # predicted at once (update_every=0): a 7-ish bar
    assert not np.allclose(pad.drawing, kept)
    pad._on_mouse_move(float("nan"), 80)
    assert "finite numbers" in pad.error.message
    pad._on_mouse_up()
    assert "the last stroke was left out" in pad.error.message
    assert len(pad.strokes) == 1
    np.testing.assert_allclose(pad.drawing, kept)
    fresh = cl.widgets.DigitSketchpad()
    fresh.add_stroke([(140, 40), (145, 240)])
    assert pad.figure_image.value == fresh.figure_image.value
    assert pad.caption.value == fresh.caption.value


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


def test_the_sketchpad_without_a_model_runs_the_shipped_one():
    """Issue 12 found DigitSketchpad(None) accepted and failing later: None now means
    the shipped checkpoint, and it recognises a drawn one at once."""
    pad = cl.widgets.DigitSketchpad(None)
    assert pad.add_stroke([(140, 40), (145, 240)]) and pad.prediction == 1
