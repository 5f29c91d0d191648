"""cl.widgets.DetectionExplorer (the generic contract test is in test_base.py)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import course_lib as cl


@pytest.fixture(scope="module")
def explorer():
    return cl.widgets.DetectionExplorer()


def test_it_constructs_without_training(monkeypatch):
    def train(*args, **kwargs):
        raise AssertionError("the widget trains a network")

    monkeypatch.setattr(keras.Model, "fit", train)
    monkeypatch.setattr(keras.Model, "train_on_batch", train)
    widget = cl.widgets.DetectionExplorer()
    assert widget.error.message == "" and widget.figure_image.value


def test_the_kept_boxes_are_those_of_detect(explorer):
    explorer.proposals.value = explorer.proposals.max
    explorer.score_threshold.value = 0.99
    explorer.iou_threshold.value = 0.3
    expected = cl.detection.detect(explorer.boxes, explorer.scores, 0.99, 0.3)
    assert np.array_equal(explorer.detections.boxes, expected.boxes)
    assert explorer.recall == 1
    assert "recall <b>1.00</b>" in explorer.caption.value


def test_raising_the_nms_threshold_keeps_more_boxes(explorer):
    explorer.score_threshold.value = 0.9
    explorer.iou_threshold.value = 0.3
    few = len(explorer.detections.boxes)
    explorer.iou_threshold.value = 0.95
    many = len(explorer.detections.boxes)
    assert many > few
    assert explorer.precision < 1  # more than one box on the one face
    explorer.iou_threshold.value = 0.3


def test_fewer_proposals_and_a_high_threshold_find_nothing(explorer):
    explorer.proposals.value = 1
    assert len(explorer.detections.boxes) <= 1
    explorer.proposals.value = explorer.proposals.max
    explorer.score_threshold.value = 1.0
    assert len(explorer.detections.boxes) == 0
    assert explorer.precision == 1 and explorer.recall == 0
    explorer.score_threshold.value = 0.99


def test_each_control_redraws_the_picture(explorer):
    # the latency target (100 ms p95) lives in benchmarks/widget_latency.py
    explorer.proposals.value = explorer.proposals.max
    explorer.score_threshold.value = 0.9
    explorer.iou_threshold.value = 0.3
    for control, value in [
        (explorer.iou_threshold, 0.95),  # more boxes kept
        (explorer.score_threshold, 1.0),  # none kept
        (explorer.proposals, 1),  # one grey outline
    ]:
        before = explorer.figure_image.value
        control.value = value
        assert explorer.error.message == "", control.description
        assert explorer.figure_image.value != before, control.description


def test_the_task_can_be_done_at_the_defaults():
    # "raise the NMS IoU threshold until two green boxes cover the one face"
    fresh = cl.widgets.DetectionExplorer()
    assert fresh.proposals.value == fresh.proposals.max
    on_face = cl.detection.iou_matrix(fresh.detections.boxes, fresh.truth)[:, 0] >= 0.5
    assert on_face.sum() == 1
    fresh.iou_threshold.value = 0.95
    on_face = cl.detection.iou_matrix(fresh.detections.boxes, fresh.truth)[:, 0] >= 0.5
    assert on_face.sum() == 2
