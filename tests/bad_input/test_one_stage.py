"""Bad input to cl.one_stage that the declarations alone do not cover
(tests/test_declared.py generates the rest): arguments that must agree, and the same
detections for uint8 and float 0-1 scenes."""

from __future__ import annotations

import numpy as np
import pytest
from clear_errors import refused

import course_lib as cl

o = cl.one_stage


@pytest.fixture(scope="module")
def detector():
    return cl.data.load_one_stage_detector()


@pytest.fixture(scope="module")
def scenes():
    return cl.segmentation.digit_scenes(4, seed=1, split="test")


def test_uint8_and_float_scenes_give_the_same_detections(detector, scenes):
    as_float = o.predict_detections(detector, scenes.images)
    as_uint8 = o.predict_detections(
        detector, np.round(scenes.images * 255).astype(np.uint8)
    )
    assert sum(len(f["boxes"]) for f in as_float) >= 4
    for a, b in zip(as_float, as_uint8, strict=True):
        assert a["labels"].tolist() == b["labels"].tolist()
        assert np.allclose(a["scores"], b["scores"], atol=0.02)
        assert np.allclose(a["boxes"], b["boxes"], atol=0.5)


def test_0_255_float_and_nan_scenes_are_refused(detector, scenes):
    message = refused(
        lambda: o.predict_detections(detector, scenes.images * 255), "images"
    )
    assert "looks like 0-255 pixels" in message
    spoilt = scenes.images.copy()
    spoilt[0, 3, 3] = np.nan
    assert "NaN" in refused(lambda: o.predict_detections(detector, spoilt), "images")
    one = refused(lambda: o.predict_detections(detector, scenes.images[0]), "images")
    assert "x[None]" in one


def test_a_wrong_model_is_named(scenes):
    face = cl.detection.build_face_model()
    message = refused(lambda: o.predict_detections(face, scenes.images), "model")
    assert "a one-stage detector (N, 64, 64, 1) -> (N, 1024, 15)" in message


def test_thresholds_that_must_agree():
    anchors = [[0, 0, 10, 10]]
    refused(lambda: o.match_anchors(anchors, anchors, 0.2, 0.3), "positive")
    refused(
        lambda: o.detection_targets(anchors, [anchors], [[1]], 0.2, 0.3), "positive"
    )


def test_truth_must_pair_up_image_by_image():
    boxes = [np.array([[0.0, 0, 10, 10], [20, 20, 30, 30]])]
    anchors = o.digit_anchors()
    message = refused(
        lambda: o.detection_targets(anchors, boxes, [np.array([1])]), "truth_labels"
    )
    assert "image 0 has 2 boxes and 1 digits" in message
    refused(lambda: o.detection_targets(anchors, boxes, []), "truth_labels")
    refused(
        lambda: o.detection_targets(anchors, boxes, [np.array([1, 12])]), "truth_labels"
    )


def test_one_images_boxes_are_not_read_as_many_images():
    boxes = np.array([[0.0, 0, 10, 10], [20, 20, 30, 30]])
    message = refused(
        lambda: o.detection_targets(o.digit_anchors(), boxes, [np.array([1, 2])]),
        "truth_boxes",
    )
    assert "[x]" in message


def test_mean_average_precision_refuses_what_does_not_pair():
    truth = [np.array([[0.0, 0, 10, 10]])]
    labels = [np.array([3])]
    found = {"boxes": truth[0], "scores": np.array([0.9]), "labels": np.array([3])}
    assert o.mean_average_precision([found], truth, labels)[0] == 1
    refused(
        lambda: o.mean_average_precision([found, found], truth, labels), "detections"
    )
    refused(
        lambda: o.mean_average_precision([{"boxes": 1}], truth, labels), "detections"
    )
    short = dict(found, scores=np.array([0.9, 0.8]))
    assert "different lengths" in refused(
        lambda: o.mean_average_precision([short], truth, labels), "detections"
    )
    nan = dict(found, scores=np.array([np.nan]))
    refused(lambda: o.mean_average_precision([nan], truth, labels), "detections")
    empty = [np.zeros((0, 4))]
    refused(
        lambda: o.mean_average_precision([found], empty, [np.array([], int)]),
        "truth_boxes",
    )


def test_scores_and_hits_must_pair_up_and_be_finite():
    refused(lambda: o.average_precision([0.9, 0.8], [1], 1), "hits")
    refused(lambda: o.average_precision([np.nan, 0.8], [1, 0], 1), "scores")
    refused(lambda: o.match_detections([[0, 0, 1, 1]], [0.5, 0.4], []), "scores")
    refused(lambda: o.decode_boxes([[0, 0, np.nan, 0]], [[0, 0, 1, 1]]), "offsets")
    refused(lambda: o.decode_boxes(np.zeros((2, 4)), [[0, 0, 1, 1]]), "offsets")


def test_scene_truth_wants_digit_scenes():
    refused(lambda: o.scene_truth(np.zeros((2, 64, 64))), "scenes")
