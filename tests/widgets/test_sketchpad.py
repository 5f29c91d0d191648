"""cl.widgets DigitSketchpad and MnistDashboard (widgets/sketchpad.py).

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
    with pytest.raises(
        ValueError, match="checkpoint's name \\('mnist_convnet'\\), got 'cat'"
    ):
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


def test_the_sketchpad_without_a_model_runs_the_shipped_one():
    """Issue 12 found DigitSketchpad(None) accepted and failing later: None now means
    the shipped checkpoint, and it recognises a drawn one at once."""
    pad = cl.widgets.DigitSketchpad(None)
    assert pad.add_stroke([(140, 40), (145, 240)]) and pad.prediction == 1
