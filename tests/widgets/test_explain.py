"""cl.widgets.GradCamViewer (the generic contract test is in test_base.py)."""

from __future__ import annotations

import numpy as np
import pytest

import course_lib as cl


@pytest.fixture(scope="module")
def viewer():
    return cl.widgets.GradCamViewer()


def test_the_heatmap_follows_the_class(viewer):
    viewer.index.value = 0
    viewer.target.value = "predicted"
    predicted = int(viewer.predictions[0])
    assert np.array_equal(viewer.heatmap, viewer.heatmaps[0, predicted])
    other = (predicted + 1) % 10
    viewer.target.value = str(other)
    assert viewer.chosen_class() == other
    assert np.array_equal(viewer.heatmap, viewer.heatmaps[0, other])
    assert f"class <b>{other}</b>" in viewer.caption.value
    assert viewer.heatmaps.shape == (200, 10, 28, 28)
    assert viewer.heatmaps.max() <= 1 and viewer.heatmaps.min() >= 0


def test_the_heatmaps_are_those_of_grad_cam():
    model = cl.data.load_mnist_convnet()
    (_, _), (x_test, y_test) = cl.data.load_mnist()
    small = cl.widgets.GradCamViewer(model, x_test[:5], y_test[:5], count=5)
    cam = cl.explain.grad_cam(model, x_test[:5], "pool", 3)
    assert np.allclose(small.heatmaps[:, 3], cam.heatmap, atol=1e-6)
    small.target.value = "true label"
    assert small.chosen_class() == y_test[0]


def test_misclassified_digits_are_listed(viewer):
    wrong = viewer.misclassified
    assert all(viewer.predictions[i] != viewer.labels[i] for i in wrong)
    assert len(wrong) == int((viewer.predictions != viewer.labels).sum())


def test_each_control_redraws_the_picture(viewer):
    # the latency target (100 ms p95) lives in benchmarks/widget_latency.py
    for control, value in [
        (viewer.index, 7),
        (viewer.target, "5"),
        (viewer.opacity, 0.9),
    ]:
        before = viewer.figure_image.value
        control.value = value
        assert viewer.error.message == "", control.description
        assert viewer.figure_image.value != before, control.description


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="count must be an int"):
        cl.widgets.GradCamViewer(count=0)
    with pytest.raises(
        ValueError, match=r"images must be images \(N, 28, 28\).*got shape \(3, 5\)"
    ):
        cl.widgets.GradCamViewer(images=np.zeros((3, 5)))
