"""cl.widgets.SegmentationViewer (the generic contract test is in test_base.py)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import course_lib as cl
from course_lib.widgets.segmentation import MISSED, majority_digits

seg = cl.segmentation


@pytest.fixture(scope="module")
def viewer():
    return cl.widgets.SegmentationViewer()


def test_it_shows_the_shipped_unet_on_test_scenes(viewer):
    assert len(viewer.scenes) == 100
    expected = seg.digit_scenes(100, seed=2, split="test")
    assert np.array_equal(viewer.scenes.semantic, expected.semantic)
    assert viewer.predictions.shape == (100, 64, 64)
    assert viewer.report["mean_iou"] > viewer.report["baseline_mean_iou"] + 0.3
    assert viewer.confusion.sum() == 100 * 64 * 64
    assert "mean IoU" in viewer.caption.value


def test_the_shipped_labels_are_the_shipped_unets(viewer):
    """The default scenes' labels ship (the dashboard starts without TensorFlow): they
    are the shipped U-Net's, and any other scenes are not answered from the file."""
    scenes = seg.digit_scenes(100, seed=2, split="test")
    shipped = cl.data.precomputed("segmentation", scenes.images)
    if cl.data.source("mnist") != "bundled":  # other digits: computed, not shipped
        assert shipped is None
        return
    fresh = seg.predict_labels(cl.data.load_segmentation_unet(), scenes.images)
    assert np.mean(shipped["predictions"] == fresh) > 0.999
    assert np.array_equal(viewer.predictions, shipped["predictions"])
    assert cl.data.precomputed("segmentation", scenes.images[:20]) is None


def test_the_picture_follows_the_scene(viewer):
    viewer.view.value = "prediction"
    viewer.index.value = 4
    assert np.array_equal(viewer.truth_artist.get_array(), viewer.scenes.semantic[4])
    assert np.array_equal(viewer.predicted_artist.get_array(), viewer.predictions[4])
    heights = [bar.get_height() for bar in viewer.bars]
    assert np.allclose(heights, np.nan_to_num(viewer.ious[4]))
    digits = ", ".join(map(str, viewer.scenes.digits[4]))
    assert f"digits <b>{digits}</b>" in viewer.caption.value
    shown = [t.get_text() for t in viewer.labels["truth"] if t.get_visible()]
    assert shown == [str(d) for d in viewer.scenes.digits[4]]


def test_the_mistakes_view_shows_only_wrong_pixels(viewer):
    viewer.view.value = "mistakes"
    index = next(
        i
        for i in range(100)
        if (viewer.predictions[i] != viewer.scenes.semantic[i]).any()
    )
    viewer.index.value = index
    shown = np.asarray(viewer.predicted_artist.get_array())
    truth, predicted = viewer.scenes.semantic[index], viewer.predictions[index]
    wrong = predicted != truth
    assert np.array_equal(shown > 0, wrong)
    missed = wrong & (predicted == 0)
    assert np.all(shown[missed] == MISSED)
    assert np.array_equal(shown[wrong & ~missed], predicted[wrong & ~missed])
    viewer.view.value = "prediction"


def test_majority_digits():
    instances = np.array([[1, 1, 1, 0, 2, 2]])
    labels = np.array([[4, 4, 9, 0, 0, 0]])
    assert majority_digits(instances, labels, 2) == [3, -1]


def test_the_confused_pair_can_be_found_from_the_viewer(viewer):
    pairs = seg.confused_pairs(viewer.scenes.semantic, viewer.predictions)
    (a, b), pixels = pairs[0]
    matrix = viewer.confusion[1:, 1:]
    assert pixels == matrix[a, b] + matrix[b, a] > 0


def test_each_control_redraws_the_picture(viewer):
    # the latency target (100 ms p95) lives in benchmarks/widget_latency.py
    for control, value in [
        (viewer.index, 17),
        (viewer.view, "mistakes"),
    ]:
        before = viewer.figure_image.value
        control.value = value
        assert viewer.error.message == "", control.description
        assert viewer.figure_image.value != before, control.description


def test_it_constructs_without_training(monkeypatch):
    def train(*args, **kwargs):
        raise AssertionError("the widget trains a network")

    monkeypatch.setattr(keras.Model, "fit", train)
    monkeypatch.setattr(keras.Model, "train_on_batch", train)
    widget = cl.widgets.SegmentationViewer()  # the dashboard's
    assert widget.error.message == "" and widget.figure_image.value


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="count must be an int"):
        cl.widgets.SegmentationViewer(count=0)
    with pytest.raises(ValueError, match="scenes must be DigitScenes"):
        cl.widgets.SegmentationViewer(scenes=np.zeros((3, 64, 64)))
