"""cl.one_stage: anchor matching, box offsets, the one-stage detector, AP and mAP."""

from __future__ import annotations

import hypothesis_profiles  # noqa: F401 - loads the Hypothesis profile
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import course_lib as cl

o = cl.one_stage


@st.composite
def boxes_and_anchors(draw):
    count = draw(st.integers(1, 20))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    corner = rng.uniform(-50, 100, (count, 2, 2))
    size = rng.uniform(1, 60, (count, 2, 2))  # size ratios below the clip at 62.5
    boxes = np.concatenate([corner[:, 0], corner[:, 0] + size[:, 0]], axis=1)
    anchors = np.concatenate([corner[:, 1], corner[:, 1] + size[:, 1]], axis=1)
    return boxes, anchors


@given(boxes_and_anchors())
def test_encode_then_decode_gives_the_boxes_back(pair):
    boxes, anchors = pair
    offsets = o.encode_boxes(boxes, anchors)
    assert offsets.shape == (len(boxes), 4)
    assert np.allclose(o.decode_boxes(offsets, anchors), boxes, atol=1e-9, rtol=0)


def test_offsets_by_hand():
    # anchor centre (5, 5), 10 x 10; box centre (x 7, y 10), 20 wide, 40 high
    offsets = o.encode_boxes([[-10, -3, 30, 17]], [[0, 0, 10, 10]])[0]
    assert offsets == pytest.approx([0.2, 0.5, np.log(2), np.log(4)])
    assert np.allclose(o.encode_boxes([[0, 0, 10, 10]], [[0, 0, 10, 10]]), 0)
    assert o.decode_boxes([0.2, 0.5, np.log(2), np.log(4)], [[0, 0, 10, 10]])[
        0
    ] == pytest.approx([-10, -3, 30, 17])


def test_match_anchors_follows_faster_rcnn():
    anchors = [
        [0, 0, 10, 10],  # IoU 1 with the truth: positive
        [0, 1, 10, 11],  # IoU 9/11 = 0.82: positive
        [0, 4, 10, 14],  # IoU 6/14 = 0.43: ignored
        [0, 8, 10, 18],  # IoU 2/18 = 0.11: negative
        [50, 50, 60, 60],  # no overlap: negative
    ]
    labels, matched = o.match_anchors(anchors, [[0, 0, 10, 10]])
    assert labels.tolist() == [1, 1, -1, 0, 0]
    assert matched.tolist() == [0] * 5
    # a truth box no anchor reaches 0.7 with still gets its best anchor
    labels, _ = o.match_anchors(anchors, [[0, 5, 10, 15]])
    assert labels[2] == 1 and (labels == 1).sum() == 1
    labels, _ = o.match_anchors(anchors, np.zeros((0, 4)))
    assert (labels == 0).all()


def test_every_digit_of_a_scene_gets_a_positive_anchor():
    scenes = cl.segmentation.digit_scenes(20, seed=3)
    boxes, digits = o.scene_truth(scenes)
    anchors = o.digit_anchors()
    assert anchors.shape == (16 * 16 * 4, 4)
    targets = o.detection_targets(anchors, boxes, digits)
    assert targets.shape == (20, 1024, 5)
    for n in range(20):
        kind = targets[n, :, 0]
        assert set(np.unique(kind[kind > 0]) - 1) == set(digits[n].tolist())
        decoded = o.decode_boxes(targets[n, kind > 0, 1:], anchors[kind > 0])
        overlaps = cl.detection.iou_matrix(decoded, boxes[n]).max(axis=1)
        assert np.allclose(overlaps, 1)  # each positive anchor's target is a true box


def test_average_precision_by_hand():
    # hits at ranks 1 and 3 of 3 detections, 2 objects: 1 * 1/2 + 2/3 * 1/2
    assert o.average_precision([0.9, 0.8, 0.7], [1, 0, 1], 2) == pytest.approx(5 / 6)
    # the order comes from the scores, not from the list
    assert o.average_precision([0.7, 0.8, 0.9], [1, 0, 1], 2) == pytest.approx(5 / 6)
    assert o.average_precision([0.9, 0.8], [1, 1], 4) == pytest.approx(0.5)
    assert o.average_precision([0.9], [0], 1) == 0
    precision, recall = o.precision_recall_curve([0.9, 0.8, 0.7], [1, 0, 1], 2)
    assert precision.tolist() == pytest.approx([1, 0.5, 2 / 3])
    assert recall.tolist() == pytest.approx([0.5, 0.5, 1])


def test_a_second_box_on_the_same_object_is_a_false_positive():
    truth = [[0, 0, 10, 10]]
    hits = o.match_detections([[0, 0, 10, 10], [0, 0, 10, 9]], [0.5, 0.9], truth)
    assert hits.tolist() == [False, True]  # the better-scored one takes the object
    assert o.match_detections([[0, 0, 10, 10]], [1.0], truth, 1.0).tolist() == [True]


def test_mean_average_precision_of_perfect_and_of_shuffled_labels():
    scenes = cl.segmentation.digit_scenes(10, seed=4)
    boxes, digits = o.scene_truth(scenes)
    perfect = [
        {"boxes": b, "scores": np.ones(len(b)), "labels": d}
        for b, d in zip(boxes, digits, strict=True)
    ]
    value, per_digit = o.mean_average_precision(perfect, boxes, digits)
    assert value == 1
    wrong = [dict(p, labels=(p["labels"] + 1) % 10) for p in perfect]
    assert o.mean_average_precision(wrong, boxes, digits)[0] == 0
    assert np.isnan(per_digit).sum() == 10 - len(set(np.concatenate(digits)))


def test_the_loss_is_smaller_for_right_answers():
    scenes = cl.segmentation.digit_scenes(2, seed=6)
    anchors = o.digit_anchors()
    targets = o.detection_targets(anchors, *o.scene_truth(scenes))
    right = np.zeros(targets.shape[:2] + (15,), np.float32)
    classes = np.maximum(targets[..., 0], 0).astype(int)
    np.put_along_axis(right, classes[..., None], 10.0, axis=2)
    right[..., 11:] = targets[..., 1:]
    wrong = right.copy()
    wrong[..., 11:] += 3.0
    assert (o.detection_loss(targets, right).numpy() < 0.01).all()
    assert (o.detection_loss(targets, wrong).numpy() > 1).all()


def test_the_shipped_detector_reaches_its_recorded_map():
    results = cl.data.load_one_stage_results()
    assert results["test_map50"] >= 0.8
    scenes = cl.segmentation.digit_scenes(100, seed=1, split="test")
    boxes, digits = o.scene_truth(scenes)
    found = o.predict_detections(cl.data.load_one_stage_detector(), scenes.images)
    assert o.mean_average_precision(found, boxes, digits)[0] >= 0.75


def test_the_face_benchmark_has_held_out_faces_in_both_splits():
    validation = cl.data.load_face_benchmark("validation")
    test = cl.data.load_face_benchmark("test")
    assert {e["name"] for e in test} >= {"astronaut", "camera"}
    assert sum(len(e["faces"]) for e in validation) == 8
    assert sum(len(e["faces"]) for e in test) == 8
    for entry in validation + test:
        assert entry["image"].ndim == 3 and entry["image"].dtype == np.uint8
        height, width = entry["image"].shape[:2]
        assert (entry["faces"][:, 2] <= height).all()
        assert (entry["faces"][:, 3] <= width).all()


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: o.encode_boxes([[0, 0, 0, 10]], [[0, 0, 10, 10]]), "positive width"),
        (lambda: o.encode_boxes([[0, 0, 1, 1]] * 2, [[0, 0, 1, 1]]), "pair up"),
        (lambda: o.decode_boxes([[0, 0, np.nan, 0]], [[0, 0, 1, 1]]), "finite"),
        (lambda: o.match_anchors([[0, 0, 1, 1]], [[0, 0, 1, 1]], 0.2, 0.3), "positive"),
        (lambda: o.average_precision([0.5], [2], 1), "hits must be"),
        (lambda: cl.data.load_face_benchmark("train"), "split"),
    ],
)
def test_bad_input_is_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_predict_detections_gives_empty_detections_when_nothing_scores_enough():
    scenes = cl.segmentation.digit_scenes(3, seed=1, split="test")
    found = o.predict_detections(
        cl.data.load_one_stage_detector(), scenes.images, score_threshold=1.0
    )
    assert [len(f["boxes"]) for f in found] == [0, 0, 0]
    assert all(f["boxes"].shape == (0, 4) and not len(f["labels"]) for f in found)
    boxes, digits = o.scene_truth(scenes)
    assert o.mean_average_precision(found, boxes, digits)[0] == 0.0
