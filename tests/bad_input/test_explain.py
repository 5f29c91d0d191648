"""Bad input to cl.explain (lecture 12) and its widget that the declarations alone do
not cover (tests/test_declared.py generates the rest): issue 33's cases, each pinned."""

from __future__ import annotations

import hypothesis_profiles  # noqa: F401 - loads the Hypothesis profile
import numpy as np
import pytest
from clear_errors import refused, unclear_reason
from hypothesis import given, settings
from hypothesis import strategies as st

import course_lib as cl
from course_lib import explain


@pytest.fixture(scope="module")
def model():
    return cl.data.load_mnist_convnet()


@pytest.fixture(scope="module")
def digits():
    (_, _), (x_test, y_test) = cl.data.load_mnist()
    return x_test[:6], y_test[:6]


@pytest.fixture(scope="module")
def viewer(model, digits):
    x, y = digits
    return cl.widgets.GradCamViewer(model, x, y, count=6)


# -- the pixel convention: the same digit as uint8 and float 0-1 gives the same map --


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_grad_cam_and_saliency_agree_for_uint8_and_float_pixels(seed):
    model = cl.data.load_mnist_convnet()
    (_, _), (x_test, _) = cl.data.load_mnist()
    rng = np.random.default_rng(seed)
    digits = x_test[rng.choice(len(x_test), 2, replace=False)]
    for function in (explain.grad_cam, explain.saliency_map):
        as_uint8 = function(model, digits, classes=3)
        as_float = function(model, digits / 255.0, classes=3)
        if function is explain.grad_cam:
            as_uint8, as_float = as_uint8.heatmap, as_float.heatmap
        np.testing.assert_allclose(as_uint8, as_float, atol=1e-4)
    np.testing.assert_allclose(
        explain.class_scores(model, digits),
        explain.class_scores(model, digits / 255.0),
        atol=1e-4,
    )


@pytest.mark.parametrize("name", ["grad_cam", "saliency_map", "class_scores"])
def test_0_255_floats_and_nan_are_refused(model, digits, name):
    x, _ = digits
    function = getattr(explain, name)
    assert "divide by 255" in refused(lambda: function(model, x * 1.0), "images")
    broken = x / 255.0
    broken[1, 5, 5] = np.nan
    assert "NaN" in refused(lambda: function(model, broken), "images")


def test_one_gray_digit_is_a_batch_of_one_never_28_images(model, digits):
    x, _ = digits
    one = explain.grad_cam(model, x[0], classes=2).heatmap
    np.testing.assert_allclose(one, explain.grad_cam(model, x[:1], classes=2).heatmap)


def test_colour_images_for_a_gray_model_are_refused(model):
    photo = np.zeros((28, 28, 3), np.uint8)
    assert "gray" in refused(lambda: explain.grad_cam(model, photo), "images")


# -- classes: -1 is never class 9 ----------------------------------------------------


@pytest.mark.parametrize("classes", [-1, [0, 1, 2, 3, 4, -1], 10, [0] * 5])
def test_classes_out_of_range_or_miscounted_are_refused(model, digits, classes):
    x, _ = digits
    refused(lambda: explain.grad_cam(model, x, classes=classes), "classes")
    refused(lambda: explain.saliency_map(model, x, classes=classes), "classes")


# -- occlude: a corner outside the image erases nothing -------------------------------


@pytest.mark.parametrize("corner", [(28, 0), (0, 28), (100, 100)])
def test_a_corner_outside_the_image_is_refused_with_its_size(corner):
    message = refused(
        lambda: explain.occlude(np.ones((28, 28), np.uint8), corner, 4), "corner"
    )
    assert "28x28" in message


def test_occlude_erases_the_square_for_uint8_and_float_pixels():
    image = np.full((6, 6), 255, np.uint8)
    for picture in (image, image / 255.0):
        covered = explain.occlude(picture, (4, 4), 4)  # reaches past the edge
        assert covered[4:, 4:].sum() == 0 and covered.sum() == 32


def test_occlusion_check_refuses_heatmaps_that_are_not_one_per_image(model, digits):
    x, y = digits
    assert "(6, 28, 28)" in refused(
        lambda: explain.occlusion_check(model, x, np.ones((5, 28, 28)), y), "heatmaps"
    )


# -- DeepDream: pixels or the network's own range -------------------------------------


def test_deep_dream_refuses_a_photo_outside_its_value_range(model):
    photo = np.full((40, 40), 2.0)
    assert "value_range" in refused(
        lambda: explain.deep_dream(model, photo, {"conv2": 1}, value_range=(-1, 1)),
        "value_range",
    )
    assert "divide by 255" in refused(
        lambda: explain.deep_dream(model, photo * 100, {"conv2": 1}), "image"
    )


# -- GradCamViewer: labels -1, unknown classes, NaN opacity ---------------------------


def test_grad_cam_viewer_refuses_label_minus_one(model, digits):
    x, y = digits
    labels = y.astype(np.int64)
    labels[0] = -1
    message = refused(
        lambda: cl.widgets.GradCamViewer(model, x, labels, count=6), "labels"
    )
    assert "from 0 to 9" in message


def test_an_unknown_class_shows_in_the_banner_not_traitlets(viewer):
    viewer.target.value = "predicted"
    viewer.target.value = "cat"
    message = viewer.error.message
    assert "class must be one of" in message and "'cat'" in message
    assert unclear_reason(message, ("class",)) is None
    assert viewer.target.value == "predicted" and viewer.stale
    viewer.target.value = 3  # a number picks its option
    assert viewer.target.value == "3" and viewer.chosen_class() == 3
    assert (
        viewer.error.message == "" and "Grad-CAM for 3" in viewer.titles[1].get_text()
    )


def test_a_nan_opacity_shows_in_the_banner(viewer):
    viewer.opacity.value = float("nan")
    assert "opacity must be" in viewer.error.message
    viewer.opacity.value = 0.5
    assert viewer.error.message == ""


def test_without_labels_the_true_label_is_no_option(model, digits):
    x, _ = digits
    unlabelled = cl.widgets.GradCamViewer(model, x, count=6)
    unlabelled.target.value = "true label"
    assert "class must be one of" in unlabelled.error.message
