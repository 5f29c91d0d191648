"""Bad input to cl.detection and its widget that the declarations alone do not cover
(tests/test_declared.py generates the rest): issue 33's cases, each pinned, and the
properties a result must have (the same answer for uint8 and float 0-1 pixels)."""

from __future__ import annotations

import time

import hypothesis_profiles  # noqa: F401 - loads the Hypothesis profile
import numpy as np
import pytest
import skimage.data
from clear_errors import assert_clear, refused
from hypothesis import given, settings
from hypothesis import strategies as st

import course_lib as cl

det = cl.detection
ASTRONAUT = skimage.data.astronaut()
SMALL = ASTRONAUT[::4, ::4]  # 128 x 128: the photo of issue 33's selective-search cases


@pytest.fixture(scope="module")
def detector():
    return cl.data.load_face_detector()


# -- pixels: uint8 and float 0-1 give the same answer, float 0-255 is refused ----------


def test_score_boxes_refuses_a_0_255_float_photo(detector):
    face = cl.data.load_face_boxes("astronaut")
    message = refused(
        lambda: det.score_boxes(detector, ASTRONAUT.astype(np.float32), face), "image"
    )
    assert "looks like 0-255 pixels" in message and "divide by 255" in message


def test_score_boxes_gives_the_face_the_same_score_for_uint8_and_float(detector):
    face = cl.data.load_face_boxes("astronaut")
    as_uint8 = det.score_boxes(detector, ASTRONAUT, face)
    as_float = det.score_boxes(detector, ASTRONAUT / 255.0, face)
    as_float32 = det.score_boxes(detector, (ASTRONAUT / 255.0).astype(np.float32), face)
    assert as_uint8[0] > 0.9  # issue 33: 0.909 as uint8, 0.0 as float 0-255
    assert np.allclose(as_uint8, as_float, atol=1e-5)
    assert np.allclose(as_uint8, as_float32, atol=1e-5)


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 2**31 - 1), st.booleans())
def test_score_boxes_same_for_uint8_and_float_of_any_photo(seed, gray):
    rng = np.random.default_rng(seed)
    shape = (40, 48) if gray else (40, 48, 3)
    photo = rng.integers(0, 256, shape, dtype=np.uint8)
    corner = rng.uniform(0, 20, (5, 2))
    boxes = np.concatenate([corner, corner + rng.uniform(2, 20, (5, 2))], axis=1)
    model = _face_model()
    as_uint8 = det.score_boxes(model, photo, boxes)
    as_float = det.score_boxes(model, photo / 255.0, boxes)
    assert np.allclose(as_uint8, as_float, atol=1e-5)
    crops = det.crop_boxes(photo, boxes)
    assert np.allclose(crops, det.crop_boxes(photo / 255.0, boxes), atol=1e-6)
    assert 0 <= crops.min() and crops.max() <= 1


_MODELS = {}


def _face_model():
    if "face" not in _MODELS:
        _MODELS["face"] = cl.data.load_face_detector()
    return _MODELS["face"]


def test_selective_search_finds_the_same_proposals_for_uint8_and_float():
    as_uint8 = det.selective_search(SMALL)
    as_float = det.selective_search(SMALL / 255.0)
    assert (
        len(as_uint8) > 200
    )  # issue 33: 273 proposals, 2 for float 0-1 (a black photo)
    assert np.array_equal(as_uint8, as_float)
    assert np.array_equal(
        det.initial_regions(SMALL), det.initial_regions(SMALL.astype(np.float32) / 255)
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda photo: det.selective_search(photo),
        lambda photo: det.initial_regions(photo),
        lambda photo: det.group_regions(photo, np.zeros(photo.shape[:2], int)),
        lambda photo: det.crop_boxes(photo, [[0, 0, 8, 8]]),
        lambda photo: det.score_boxes(_face_model(), photo, [[0, 0, 8, 8]]),
        lambda photo: det.cascade_faces(photo),
    ],
    ids=[
        "selective_search",
        "initial_regions",
        "group_regions",
        "crop_boxes",
        "score_boxes",
        "cascade_faces",
    ],
)
def test_every_photo_taker_refuses_0_255_floats_nan_and_infinity(call):
    photo = SMALL[:32, :32].astype(np.float64)
    assert "looks like 0-255 pixels" in refused(lambda: call(photo), "image")
    for bad in (np.nan, np.inf, -np.inf):
        spoilt = photo / 255.0
        spoilt[3, 4] = bad
        assert "NaN or infinite" in refused(lambda s=spoilt: call(s), "image")


def test_the_cascade_finds_the_same_faces_for_uint8_and_float():
    as_uint8 = det.cascade_faces(ASTRONAUT)
    assert len(as_uint8) == 1
    assert np.array_equal(as_uint8, det.cascade_faces(ASTRONAUT / 255.0))


def test_gray_and_rgba_photos_get_the_fix():
    message = refused(lambda: det.selective_search(SMALL[..., 0]), "image")
    assert "(H, W, 3)" in message and "np.stack([x] * 3, axis=-1)" in message
    rgba = np.concatenate([SMALL, SMALL[..., :1]], axis=2)
    for call in (det.selective_search, lambda x: det.crop_boxes(x, [[0, 0, 8, 8]])):
        assert "x[..., :3]" in refused(lambda c=call: c(rgba), "image")
    gray = det.crop_boxes(SMALL[..., 0], [[0, 0, 8, 8]])  # a gray image is fine here
    assert gray.shape == (1, 25, 25, 1)


# -- selective search: bounded work ---------------------------------------------------


def test_settings_that_would_run_for_minutes_are_refused_quickly():
    start = time.process_time()
    message = refused(
        lambda: det.selective_search(SMALL, scales=(1,), min_size=1), "min_size"
    )
    assert time.process_time() - start < 5
    assert "raise min_size or the scale" in message
    assert f"at most {det.MAX_REGIONS:,}" in message


def test_grouping_refuses_too_many_regions_quickly():
    labels = np.arange(64 * 64).reshape(64, 64)
    start = time.process_time()
    message = refused(lambda: det.group_regions(SMALL[:64, :64], labels), "labels")
    assert time.process_time() - start < 5
    assert "4,096 regions" in message and "min_size" in message


def test_the_largest_allowed_grouping_answers_in_seconds():
    labels = det.initial_regions(SMALL, scale=10, min_size=3)
    assert int(labels.max()) + 1 <= det.MAX_REGIONS
    start = time.process_time()
    det.group_regions(SMALL, labels, "rgb")
    assert time.process_time() - start < 10


# -- lists where a list is wanted -------------------------------------------------------


@pytest.mark.parametrize(
    "call, name, hint",
    [
        (lambda: det.sliding_window_count((512, 512), 64), "window_sizes", "[64]"),
        (
            lambda: det.sliding_window_count((512, 512), (64,), 1.0),
            "aspect_ratios",
            "[1.0]",
        ),
        (lambda: det.selective_search(SMALL, scales=100), "scales", "[100]"),
        (
            lambda: det.selective_search(SMALL, colour_spaces="rgb"),
            "colour_spaces",
            "['rgb']",
        ),
        (lambda: det.anchor_shapes(scales=128), "scales", "[128]"),
        (lambda: det.anchor_boxes((4, 4), ratios=0.5), "ratios", "[0.5]"),
    ],
)
def test_a_single_value_where_a_list_is_wanted_gets_the_fix(call, name, hint):
    message = refused(call, name)
    assert "one value goes in a list" in message and hint in message


# -- IoU: boxes pair up by a written rule ---------------------------------------------


def test_iou_pairs_boxes_up_and_refuses_counts_that_do_not_pair():
    assert det.iou([0, 0, 10, 10], [5, 5, 15, 15]) == pytest.approx(25 / 175)
    two = [[0, 0, 10, 10], [0, 0, 5, 10]]
    # issue 33: iou(two boxes, one box) gave 1.0, ignoring the second box
    assert det.iou(two, [0, 0, 10, 10]).tolist() == [1.0, 0.5]
    assert det.iou([0, 0, 10, 10], two).tolist() == [1.0, 0.5]
    assert det.iou(two, two).tolist() == [1.0, 1.0]
    message = refused(lambda: det.iou(two, [[0, 0, 1, 1]] * 3), "box_a", "box_b")
    assert "iou_matrix" in message


@given(st.integers(1, 8), st.integers(0, 2**31 - 1))
def test_paired_iou_is_the_diagonal_of_the_matrix(count, seed):
    rng = np.random.default_rng(seed)
    corner = rng.uniform(0, 50, (2, count, 2))
    boxes = np.concatenate([corner, corner + rng.uniform(0, 30, (2, count, 2))], 2)
    paired = np.atleast_1d(det.iou(boxes[0], boxes[1]))
    assert np.allclose(paired, np.diag(det.iou_matrix(boxes[0], boxes[1])))


def test_boxes_with_corners_swapped_or_in_columns_are_refused():
    message = refused(lambda: det.iou([10, 0, 0, 10], [0, 0, 1, 1]), "box_a")
    assert "(y0, x0, y1, x1)" in message
    message = refused(
        lambda: det.iou_matrix(np.zeros((4, 3)), [[0, 0, 1, 1]]), "boxes_a"
    )
    assert "one box per row" in message


def test_iou_matrix_refuses_more_pairs_than_memory_allows():
    many = np.tile([0.0, 0.0, 1.0, 1.0], (5_000, 1))
    assert "pairs" in refused(lambda: det.iou_matrix(many, many), "boxes_a")


# -- RoI max pooling: a box outside the map ---------------------------------------------


@pytest.mark.parametrize(
    "box", [[0, 0, 20, 20], [10, 10, 12, 12], [-3, 0, 4, 4], [2, 2, 4, 9]]
)
def test_roi_max_pool_refuses_a_box_outside_the_map(box):
    feature_map = np.arange(64.0).reshape(8, 8)
    message = refused(lambda: det.roi_max_pool(feature_map, [box], (2, 2)), "boxes")
    assert "8 x 8 feature map" in message and "rows 0 to 7" in message


def test_roi_max_pool_of_the_whole_map_is_still_the_max_of_each_quarter():
    feature_map = np.arange(64.0).reshape(8, 8)
    pooled = det.roi_max_pool(feature_map, [[0, 0, 7, 7]], (2, 2))[0, ..., 0]
    assert pooled.tolist() == [[27, 31], [59, 63]]


# -- NaN never decides which boxes are kept ---------------------------------------------


BOXES = np.array([[0.0, 0, 10, 10], [1, 1, 11, 11], [30, 30, 40, 40]])


def test_non_max_suppression_refuses_a_nan_threshold_and_nan_scores():
    scores = np.array([0.9, 0.8, 0.7])
    refused(
        lambda: det.non_max_suppression(BOXES, scores, score_threshold=np.nan),
        "score_threshold",
    )
    refused(lambda: det.non_max_suppression(BOXES, scores, np.nan), "iou_threshold")
    spoilt = scores.copy()
    spoilt[0] = np.nan  # issue 33: the NaN box was dropped without a word
    refused(lambda: det.non_max_suppression(BOXES, spoilt), "scores")
    refused(lambda: det.detect(BOXES, spoilt), "scores")
    assert det.non_max_suppression(BOXES, scores).tolist() == [0, 2]
    assert det.non_max_suppression(BOXES, scores, score_threshold=0.75).tolist() == [0]


def test_non_max_suppression_refuses_more_boxes_than_it_can_compare():
    many = np.tile([0.0, 0.0, 1.0, 1.0], (det.boxes.MAX_NMS + 1, 1))
    message = refused(
        lambda: det.non_max_suppression(many, np.ones(len(many))), "boxes"
    )
    assert "at most 20,000" in message


def test_scores_in_a_column_are_refused_with_their_shape():
    message = refused(lambda: det.detect(BOXES, np.ones((3, 1))), "scores")
    assert "(3, 1)" in message


def test_a_wrong_model_is_named():
    digits = cl.one_stage.build_one_stage_detector(filters=4)
    message = refused(lambda: det.score_boxes(digits, SMALL, [[0, 0, 8, 8]]), "model")
    assert "a face model (N, 25, 25, 1) -> (N, 1)" in message


def test_train_face_model_refuses_labels_that_do_not_pair_with_patches():
    patches = np.zeros((4, 25, 25, 1), np.float32)
    message = refused(
        lambda: det.train_face_model(
            det.build_face_model(), (patches, [0, 1, 0]), (patches, [0, 1, 0, 1])
        ),
        "train",
    )
    assert "4 inputs and 3 labels" in message
    refused(
        lambda: det.train_face_model(
            det.build_face_model(), (patches, [0, 1, 2, 1]), (patches, [0, 1, 0, 1])
        ),
        "train[1]",
    )


def test_hand_checks_that_tie_two_arguments():
    refused(lambda: det.face_shaped(BOXES, ratios=(1.6, 0.8)), "ratios")
    refused(lambda: det.cascade_faces(SMALL, min_size=60, max_size=30), "max_size")
    refused(lambda: det.hard_negatives(_face_model(), count=10, pool=5), "pool")
    refused(lambda: det.group_regions(SMALL, np.zeros((4, 4), int)), "labels")


# -- the widget ------------------------------------------------------------------------


@pytest.mark.parametrize("control", ["score_threshold", "iou_threshold"])
def test_a_nan_slider_value_shows_in_the_widget(control):
    explorer = cl.widgets.DetectionExplorer()
    getattr(explorer, control).value = float("nan")
    assert explorer.error.message
    assert_clear(ValueError(explorer.error.message), control)
    getattr(explorer, control).value = 0.5
    assert not explorer.error.message


def test_the_widget_clamps_sliders_set_beyond_their_ends():
    explorer = cl.widgets.DetectionExplorer()
    explorer.score_threshold.value = 5
    explorer.proposals.value = 10**6
    assert explorer.score_threshold.value == 1.0
    assert explorer.proposals.value == explorer.proposals.max
    assert not explorer.error.message
