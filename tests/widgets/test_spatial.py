"""cl.widgets.DistortionExplorer (the generic contract test is in test_base.py)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import course_lib as cl
from course_lib import spatial
from course_lib.widgets.spatial import PAIRS


@pytest.fixture(scope="module")
def explorer():
    return cl.widgets.DistortionExplorer()


def test_it_constructs_without_training(monkeypatch):
    def train(*args, **kwargs):
        raise AssertionError("the widget trains a network")

    monkeypatch.setattr(keras.Model, "fit", train)
    monkeypatch.setattr(keras.Model, "train_on_batch", train)
    widget = cl.widgets.DistortionExplorer(count=10)
    assert widget.error.message == "" and widget.figure_image.value


def test_the_first_picture_ships_and_is_the_shipped_networks():
    """The default first picture's outputs ship (the dashboard starts without
    TensorFlow): they are the shipped CNN pair's, the picture and caption are those of
    the live networks, and any other canvas is not answered from the file."""
    widget = cl.widgets.DistortionExplorer()
    batch = widget.canvas[None, :, :, None].astype(np.float32)
    shipped = cl.data.precomputed("spatial", batch)
    if shipped is None:  # other digits (the full MNIST): computed, not shipped
        assert cl.data.source("mnist") != "bundled"
        return
    assert "cnn" not in widget._predict  # the first picture ran no network
    live = [np.asarray(o)[0] for o in widget.predictor("cnn")(batch)]
    for key, value in zip(("plain", "theta", "view", "st"), live, strict=True):
        assert np.allclose(shipped[key], value, atol=1e-5), key
    assert np.array_equal(widget.st_probabilities, shipped["st"])
    assert np.array_equal(widget.theta, shipped["theta"])
    first = (widget.caption.value, widget.figure_image.value)
    widget.rotation.value = 5.0
    widget.rotation.value = 0.0  # back to the first picture, now run live
    assert np.allclose(widget.plain_probabilities, live[0], atol=1e-6)
    assert widget.caption.value == first[0]
    assert cl.data.precomputed("spatial", batch[:, ::-1]) is None


def test_the_canvas_follows_the_sliders(explorer):
    explorer.clutter.value = False
    explorer.rotation.value = 30.0
    explorer.scale.value = 0.8
    explorer.shift_x.value = 5
    explorer.shift_y.value = -4
    digit = explorer.digits[explorer.digit.value]
    expected = spatial.transform(
        digit, spatial.placement_theta(30.0, 0.8, (5, -4)), spatial.CANVAS
    )
    assert np.allclose(explorer.canvas, np.clip(expected, 0, 1), atol=1e-6)
    clean = explorer.canvas.copy()
    explorer.clutter.value = True
    assert (explorer.canvas >= clean - 1e-6).all()  # clutter only adds ink
    assert explorer.canvas.sum() > clean.sum()


@pytest.mark.parametrize("pair", ["fc", "cnn"])
def test_the_predictions_are_those_of_the_shipped_models(explorer, pair):
    explorer.pair.value = pair
    explorer.digit.value = 3
    explorer.rotation.value = 10.0
    inputs = explorer.canvas[None, :, :, None]
    plain = cl.data.load_spatial_model(pair).predict(inputs, verbose=0)[0]
    st = cl.data.load_spatial_model(f"st_{pair}")
    assert np.allclose(explorer.plain_probabilities, plain, atol=1e-5)
    assert np.allclose(
        explorer.st_probabilities, st.predict(inputs, verbose=0)[0], atol=1e-5
    )
    theta, _ = spatial.transformer_outputs(st)(inputs)
    assert np.allclose(explorer.theta, np.asarray(theta)[0], atol=1e-5)
    assert explorer.resampled.shape == (spatial.OUTPUT_SIZE, spatial.OUTPUT_SIZE)
    assert explorer.plain_prediction == int(plain.argmax())
    assert f"true label <b>{explorer.label}</b>" in explorer.caption.value
    names = PAIRS[pair]
    assert f"{names[0]} says" in explorer.caption.value
    assert f"{names[1]} says" in explorer.caption.value
    assert [t.get_text() for t in explorer.legend.get_texts()] == list(names)
    explorer.pair.value = "cnn"


def test_undistorted_digits_are_mostly_read_right(explorer):
    explorer.clutter.value = False
    explorer.rotation.value = 0.0
    explorer.scale.value = 1.0
    explorer.shift_x.value = explorer.shift_y.value = 0
    explorer.pair.value = (
        "cnn"  # the FC pair is weak at the shipped budget (lecture 16)
    )
    right = {"plain": 0, "st": 0}
    for index in range(20):
        explorer.digit.value = index
        right["plain"] += explorer.plain_prediction == explorer.label
        right["st"] += explorer.st_prediction == explorer.label
    assert right["plain"] >= 12 and right["st"] >= 12, right


def test_each_control_redraws_the_picture(explorer):
    # the latency target (100 ms p95) lives in benchmarks/widget_latency.py
    for control, value in [
        (explorer.rotation, 45.0),
        (explorer.scale, 1.2),
        (explorer.shift_x, 8),
        (explorer.digit, 7),
        (explorer.pair, "fc"),
        (explorer.pair, "cnn"),
    ]:
        before = explorer.figure_image.value
        control.value = value
        assert explorer.error.message == "", control.description
        assert explorer.figure_image.value != before, control.description


def test_bad_arguments_are_clear_errors():
    with pytest.raises(
        ValueError, match="rotation must be a finite number from -180 to 180"
    ):
        cl.widgets.DistortionExplorer(rotation=400)
    with pytest.raises(ValueError, match="shift must be a list of 2 values"):
        cl.widgets.DistortionExplorer(shift=3)
    with pytest.raises(ValueError, match="count must be an int"):
        cl.widgets.DistortionExplorer(count=0)
    with pytest.raises(ValueError, match="digit must be an int"):
        cl.widgets.DistortionExplorer(digit=5, count=5)
    with pytest.raises(ValueError, match="pair"):
        cl.widgets.DistortionExplorer(pair="stn")
