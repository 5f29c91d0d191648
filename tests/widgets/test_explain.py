"""cl.widgets.GradCamViewer (the generic contract test is in test_base.py)."""

from __future__ import annotations

import numpy as np
import pytest
from fresh_python import imported

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


def test_the_first_view_ships_and_is_the_shipped_networks():
    """The default digits' scores, the maps of the first and misclassified digits and the
    randomisation check ship (the dashboard starts without TensorFlow): they are what
    the shipped network computes, and other digits are not answered from the file."""
    viewer = cl.widgets.GradCamViewer()
    shipped = cl.data.precomputed("gradcam", viewer.images)
    if shipped is None:  # other digits (the full MNIST): computed, not shipped
        assert cl.data.source("mnist") != "bundled"
        return
    assert viewer._model is None and viewer._heatmaps is None  # no network ran
    assert list(shipped["shown"]) == [0, *viewer.misclassified]
    first = (viewer.caption.value, viewer.figure_image.value)
    viewer.index.value = viewer.misclassified[0]
    viewer.target.value = "true label"
    assert viewer._model is None and viewer.error.message == ""

    model = cl.data.load_mnist_convnet()
    live = cl.widgets.GradCamViewer(model, viewer.images, viewer.labels)
    assert live.layer == viewer.layer
    assert np.allclose(viewer.scores, live.scores, atol=1e-4)
    assert viewer.misclassified == live.misclassified
    for index in shipped["shown"]:
        assert np.allclose(viewer.maps_of(index), live.heatmaps[index], atol=1e-5)
    check, live_check = viewer.randomization_check(), live.randomization_check()
    for name, value in live_check.items():
        assert check[name] == pytest.approx(value, abs=1e-6), name
    assert (live.caption.value, live.figure_image.value) == first
    assert cl.data.precomputed("gradcam", viewer.images[:20]) is None


def test_a_digit_that_did_not_ship_is_computed_by_numpy_and_said_so():
    """Another digit's maps: the shipped network run by NumPy (loaded the first time,
    which the caption says before it loads), the same maps as Grad-CAM by Keras."""
    viewer = cl.widgets.GradCamViewer()
    if viewer._model is not None:  # nothing shipped for these digits
        return
    captions = []
    viewer.caption.observe(lambda change: captions.append(change["new"]), "value")
    unshipped = next(i for i in range(len(viewer.images)) if i not in viewer._maps)
    viewer.index.value = unshipped
    assert captions[0] == cl.widgets.explain.LOADING  # said before the network loads
    assert viewer._numpy_net is not None and viewer._model is None
    assert viewer.error.message == "" and f"Digit {unshipped}:" in viewer.caption.value
    model = cl.data.load_mnist_convnet()
    cam = cl.explain.grad_cam(model, viewer.images[unshipped], "pool")
    assert np.allclose(viewer.heatmap, cam.heatmap[0], atol=1e-5)
    viewer.index.value = 0  # shipped: no loading line
    assert cl.widgets.explain.LOADING not in captions[1:]
    every = cl.explain.grad_cam(model, viewer.images, "pool", 3).heatmap
    assert np.allclose(viewer.heatmaps[:, 3], every, atol=1e-5)
    assert ((viewer.heatmaps[:, 3] == 0) == (every == 0)).all()  # "all zero" agrees


def test_the_dashboard_widget_answers_every_control_without_tensorflow():
    code = (
        "import course_lib as cl\n"
        "viewer = cl.widgets.GradCamViewer()\n"
        "viewer.index.value = 7\n"
        "viewer.target.value = 'true label'\n"
        "viewer.index.value = viewer.misclassified[0]\n"
        "viewer.opacity.value = 0.9\n"
        "assert viewer.error.message == '' and viewer.heatmap.any()\n"
    )
    assert imported(code) == [False, False]


def test_a_network_that_does_not_load_is_said_on_the_page(monkeypatch):
    viewer = cl.widgets.GradCamViewer()
    if viewer._model is not None:
        return

    def broken(name):
        raise OSError("the weights file is unreadable")

    monkeypatch.setattr(cl.models, "pretrained_numpy", broken)
    monkeypatch.setenv("COURSE_STRICT_WIDGETS", "0")
    viewer.index.value = 9
    assert "the weights file is unreadable" in viewer.error.message
    assert "could not be computed" in viewer.caption.value
