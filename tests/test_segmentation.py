"""cl.segmentation: digit scenes, watershed, transposed convolution, U-Net, metrics."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import course_lib as cl

seg = cl.segmentation


@pytest.fixture(scope="module")
def scenes():
    return seg.digit_scenes(60, seed=3)


# -- digit scenes ------------------------------------------------------------------------


def test_scenes_have_the_promised_shapes_and_labels(scenes):
    assert scenes.images.shape == (60, 64, 64) and scenes.images.dtype == np.float32
    assert scenes.semantic.shape == scenes.instances.shape == (60, 64, 64)
    assert 0 <= scenes.images.min() and scenes.images.max() <= 1
    for n in range(len(scenes)):
        digits = scenes.digits[n]
        assert 2 <= len(digits) <= 4 and len(scenes.boxes[n]) == len(digits)
        assert set(np.unique(scenes.instances[n])) == set(range(len(digits) + 1))
        for k, digit in enumerate(digits, start=1):
            # every pixel of instance k carries digit k's class, and only those
            classes = np.unique(scenes.semantic[n][scenes.instances[n] == k])
            assert classes.tolist() == [digit + 1]
        ink = scenes.images[n] >= seg.INK / 255 - 1e-6
        assert np.array_equal(ink, scenes.semantic[n] > 0)
        assert np.array_equal(scenes.semantic[n] > 0, scenes.instances[n] > 0)


def test_digit_boxes_never_touch(scenes):
    for boxes in scenes.boxes:
        for i, box in enumerate(boxes):
            assert not seg.scenes._overlaps(box, boxes[:i] + boxes[i + 1 :], gap=1)


def test_scenes_are_real_mnist_digits():
    digits = np.zeros((2, 28, 28), np.uint8)
    digits[0, 5:20, 10:14] = 255  # a "1" drawn as a bar
    digits[1, 8:12, 4:24] = 200
    small = seg.digit_scenes(5, seed=0, digits=(digits, np.array([1, 7])))
    values = set(np.unique((small.images * 255).round().astype(int))) - {0}
    assert values <= {255, 200}
    assert set(np.unique(small.semantic)) <= {0, 2, 8}
    (_, _), (x_test, _) = cl.data.load_mnist()
    test_scene = seg.digit_scenes(1, seed=5, split="test")
    top, left, height, width = test_scene.boxes[0][0]
    patch = (
        test_scene.images[0, top : top + height, left : left + width] * 255
    ).round()
    crops = [seg.scenes._ink_crop(d) for d in x_test]
    assert any(c.shape == patch.shape and np.array_equal(c, patch) for c in crops)


def test_the_same_seed_gives_the_same_scenes():
    a, b = seg.digit_scenes(10, seed=7), seg.digit_scenes(10, seed=7)
    c = seg.digit_scenes(10, seed=8)
    assert np.array_equal(a.images, b.images) and a.digits == b.digits
    assert not np.array_equal(a.images, c.images)
    longer = seg.digit_scenes(20, seed=7)
    assert np.array_equal(longer.semantic[:10], a.semantic)


def test_bad_scene_arguments_are_refused(monkeypatch):
    with pytest.raises(ValueError, match="count must be an int"):
        seg.digit_scenes(0)
    with pytest.raises(ValueError, match="split must be one of"):
        seg.digit_scenes(3, split="validation")
    with pytest.raises(ValueError, match="max_digits must be an int from 3"):
        seg.digit_scenes(3, min_digits=3, max_digits=2)
    monkeypatch.setattr(seg.scenes, "SCENE_SIZE", 40)  # four 28x28 boxes cannot fit
    with pytest.raises(ValueError, match="do not fit"):
        seg.digit_scenes(1, min_digits=4, digits=(np.full((1, 28, 28), 255), [1]))
    with pytest.raises(ValueError, match=r"\(N, 28, 28\)"):
        seg.digit_scenes(3, digits=(np.zeros((2, 5, 5)), np.zeros(2, int)))


# -- watershed ---------------------------------------------------------------------------


def test_watershed_finds_the_24_coins():
    coins = seg.watershed_coins()
    assert coins.count == 24
    assert coins.instances.max() == 24
    assert np.array_equal(coins.semantic, coins.instances > 0)
    assert set(np.unique(coins.markers)) == {0, 1, 2}
    assert 0.25 < coins.semantic.mean() < 0.45
    with pytest.raises(ValueError, match="low must be below high"):
        seg.watershed_coins(low=150, high=30)


# -- transposed convolution --------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "kernel_shape", "stride", "padding"),
    [
        ((6, 6, 1), (3, 3, 1, 1), 1, "valid"),
        ((7, 7, 2), (3, 3, 2, 3), 2, "valid"),
        ((8, 6, 2), (3, 3, 2, 2), 2, "same"),
        ((5, 5, 1), (2, 2, 1, 4), 1, "same"),
    ],
)
def test_convolution_matrix_matches_tensorflow(shape, kernel_shape, stride, padding):
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape)
    kernel = rng.normal(size=kernel_shape)
    y = seg.convolution(x, kernel, stride, padding)
    expected = tf.nn.conv2d(x[None], kernel, stride, padding.upper()).numpy()[0]
    assert y.shape == expected.shape
    assert np.allclose(y, expected, atol=1e-5)
    upstream = rng.normal(size=y.shape)
    back = seg.transposed_convolution(upstream, kernel, shape, stride, padding)
    by_tf = tf.nn.conv2d_transpose(
        upstream[None], kernel, (1, *shape), stride, padding.upper()
    ).numpy()[0]
    assert np.allclose(back, by_tf, atol=1e-5)


def test_transposed_convolution_equals_keras_conv2d_transpose():
    rng = np.random.default_rng(1)
    kernel = rng.normal(size=(2, 2, 3, 4)).astype("float32")  # (kh, kw, out, in)
    y = rng.normal(size=(3, 3, 4)).astype("float32")
    layer = keras.layers.Conv2DTranspose(3, 2, strides=2, use_bias=False)
    layer.build((None, 3, 3, 4))
    layer.set_weights([kernel])
    by_keras = np.asarray(layer(y[None]))[0]
    by_matrix = seg.transposed_convolution(y, kernel, (6, 6, 3), stride=2)
    assert by_keras.shape == (6, 6, 3)
    assert np.allclose(by_matrix, by_keras, atol=1e-5)


def test_the_transposed_convolution_is_no_inverse():
    kernel = np.array([[1.0, 2.0], [0.0, -1.0]])
    x = np.arange(16.0).reshape(4, 4)
    y = seg.convolution(x, kernel)
    back = seg.transposed_convolution(y, kernel, (4, 4))
    assert back.shape == x.shape and not np.allclose(back, x)
    matrix = seg.convolution_matrix(kernel, (4, 4))
    assert matrix.shape == (9, 16) and np.linalg.matrix_rank(matrix) < 16


def test_bad_convolution_arguments_are_refused():
    with pytest.raises(ValueError, match="kernel must be"):
        seg.convolution_matrix(np.zeros(3), (4, 4))
    with pytest.raises(ValueError, match="padding must be one of"):
        seg.convolution_matrix(np.ones((2, 2)), (4, 4), padding="full")
    with pytest.raises(ValueError, match="at most"):
        seg.convolution_matrix(np.ones((2, 2)), (100, 100))
    with pytest.raises(ValueError, match="input channels"):
        seg.convolution_matrix(np.ones((2, 2, 3, 1)), (4, 4, 1))
    with pytest.raises(ValueError, match="y has 5 values"):
        seg.transposed_convolution(np.ones(5), np.ones((2, 2)), (4, 4))


# -- U-Net -------------------------------------------------------------------------------


def test_the_small_unet_concatenates_its_skips():
    model = seg.build_unet(filters=4, depth=2)
    assert model.output_shape == (None, 64, 64, seg.NUM_CLASSES)
    concats = [layer for layer in model.layers if "concat" in layer.name]
    assert len(concats) == 2
    assert not any(isinstance(layer, keras.layers.Add) for layer in model.layers)
    up2 = model.get_layer("up2_concat")
    assert up2.output.shape[-1] == 8 + 8  # 8 from the encoder, 8 from below
    scores = np.asarray(model(np.zeros((2, 64, 64, 1), "float32")))
    assert np.allclose(scores.sum(axis=-1), 1, atol=1e-5)


@pytest.mark.parametrize(
    "settings",
    [
        {"filters": 4, "depth": 2},
        {"filters": 8, "depth": 3},
        {"input_shape": (92, 92, 1), "num_classes": 2, "filters": 2, "depth": 2,
         "padding": "valid"},
    ],
)  # fmt: skip
def test_the_shapes_only_build_matches_keras(settings):
    plan = seg.build_unet(shapes_only=True, **settings)
    model = seg.build_unet(**settings)
    assert plan.params == model.count_params()
    assert plan.output_shape == tuple(model.output_shape[1:])
    convs = [
        layer
        for layer in model.layers
        if isinstance(layer, keras.layers.Conv2D | keras.layers.Conv2DTranspose)
    ]
    assert plan.convolutions == len(convs)
    for layer in plan.layers[1:]:
        assert tuple(model.get_layer(layer.name).output.shape[1:]) == layer.shape


def test_the_papers_unet_572_to_388_with_23_convolutions():
    plan = seg.build_unet(
        (572, 572, 1), 2, filters=64, depth=4, padding="valid", shapes_only=True
    )
    assert plan.output_shape == (388, 388, 2)
    assert plan.convolutions == 23
    assert max(layer.shape[2] for layer in plan.layers) == 1024
    bottom = [layer for layer in plan.layers if layer.name.startswith("bottom")]
    assert [layer.shape for layer in bottom] == [(30, 30, 1024), (28, 28, 1024)]
    assert plan.params == 31_030_658
    # one layer by hand: up1's first convolution sees 64 + 64 channels
    up1 = next(layer for layer in plan.layers if layer.name == "up1_conv1")
    assert up1.params == 3 * 3 * 128 * 64 + 64


def test_bad_unet_arguments_are_refused():
    with pytest.raises(ValueError, match="multiples of 2\\*\\*depth = 8"):
        seg.build_unet((60, 60, 1), depth=3)
    with pytest.raises(ValueError, match="too small"):
        seg.build_unet((16, 16, 1), depth=3, padding="valid", shapes_only=True)
    with pytest.raises(ValueError, match="odd sides"):
        seg.build_unet((570, 570, 1), depth=4, padding="valid", shapes_only=True)
    with pytest.raises(ValueError, match="input_shape must be"):
        seg.build_unet((64, 64))
    with pytest.raises(ValueError, match="shapes_only must be True or False"):
        seg.build_unet(shapes_only="yes")
    with pytest.raises(ValueError, match="trace it with shapes_only=True"):
        seg.build_unet((1024, 1024, 1), filters=128, depth=5)


# -- metrics -----------------------------------------------------------------------------


def test_iou_by_hand():
    truth = np.array([[0, 0, 1, 1], [0, 2, 2, 1]])
    predicted = np.array([[0, 1, 1, 1], [0, 2, 0, 0]])
    # class 0: hits 2, truth 3, predicted 4 -> 2 / 5; class 1: 2 / (3 + 3 - 2) = 0.5;
    # class 2: 1 / (2 + 1 - 1) = 0.5
    iou = seg.per_class_iou(truth, predicted, 4)
    assert np.allclose(iou[:3], [0.4, 0.5, 0.5]) and np.isnan(iou[3])
    assert seg.mean_iou(truth, predicted, 4) == pytest.approx((0.4 + 0.5 + 0.5) / 3)
    assert seg.pixel_accuracy(truth, predicted, 4) == pytest.approx(5 / 8)
    matrix = seg.confusion_matrix(truth, predicted, 4)
    assert matrix.sum() == 8 and matrix[1, 0] == 1 and matrix[0, 1] == 1


def test_mean_iou_equals_keras(scenes):
    rng = np.random.default_rng(0)
    predicted = np.where(rng.random(scenes.semantic.shape) < 0.1, 3, scenes.semantic)
    metric = keras.metrics.MeanIoU(num_classes=seg.NUM_CLASSES)
    metric.update_state(scenes.semantic.ravel(), predicted.ravel())
    assert seg.mean_iou(scenes.semantic, predicted) == pytest.approx(
        float(metric.result()), abs=1e-5
    )


def test_the_background_baseline_has_high_accuracy_and_low_mean_iou(scenes):
    report = seg.segmentation_report(scenes.semantic, scenes.semantic)
    assert report["pixel_accuracy"] == 1 and report["mean_iou"] == 1
    background = (scenes.semantic == 0).mean()
    assert report["baseline_pixel_accuracy"] == pytest.approx(background)
    present = len(np.unique(scenes.semantic))
    assert report["baseline_mean_iou"] == pytest.approx(background / present)
    assert report["baseline_pixel_accuracy"] > 0.85 > 0.15 > report["baseline_mean_iou"]


def test_confused_pairs_count_both_directions():
    truth = np.array([1, 1, 1, 2, 2, 4, 4, 0])  # digits 0, 0, 0, 1, 1, 3, 3
    predicted = np.array([2, 2, 1, 1, 1, 5, 0, 4])  # 0->1 twice, 1->0 twice, 3->4 once
    pairs = seg.confused_pairs(truth, predicted, top=2)
    assert pairs == [((0, 1), 4), ((3, 4), 1)]
    with pytest.raises(ValueError, match="top must be an int"):
        seg.confused_pairs(truth, predicted, top=0)


@pytest.fixture(scope="module")
def touching():
    return seg.touching_digit_scenes(40, seed=5)


def test_touching_scenes_hold_two_touching_digits_of_one_class(touching):
    from scipy import ndimage

    assert touching.images.shape == touching.semantic.shape == (40, 64, 64)
    merged = 0
    for n in range(len(touching)):
        first, second = touching.digits[n]
        assert first == second
        assert set(np.unique(touching.instances[n])) == {0, 1, 2}
        assert set(np.unique(touching.semantic[n])) == {0, first + 1}
        assert np.array_equal(touching.semantic[n] > 0, touching.instances[n] > 0)
        one, two = touching.instances[n] == 1, touching.instances[n] == 2
        grown = ndimage.binary_dilation(one)  # 4-neighbours of the first digit
        assert (grown & two).any(), f"scene {n}: the two digits do not touch"
        regions, _ = ndimage.label(touching.semantic[n] > 0, structure=np.ones((3, 3)))
        merged += bool(set(regions[one].tolist()) & set(regions[two].tolist()))
    assert merged == len(touching)  # one region holds ink of both digits


def test_touching_scenes_are_seeded_and_refuse_bad_digits():
    a = seg.touching_digit_scenes(3, seed=1)
    b = seg.touching_digit_scenes(3, seed=1)
    assert np.array_equal(a.images, b.images) and a.digits == b.digits
    images = np.zeros((3, 28, 28), np.uint8)
    with pytest.raises(ValueError, match="two images of one class"):
        seg.touching_digit_scenes(2, digits=(images, np.array([0, 1, 2])))


def test_connected_components_find_separate_digits_but_merge_touching_ones(touching):
    separate = seg.digit_scenes(40, seed=5, split="test", min_digits=2, max_digits=2)
    found = seg.instances_from_semantic(separate.semantic)
    assert seg.instance_recall(separate.instances, found) > 0.95
    assert seg.instance_recall(separate.instances, separate.instances) == 1.0
    found = seg.instances_from_semantic(touching.semantic)
    assert seg.instance_recall(touching.instances, found) < 0.7
    # two digits become one region: at most one of them can reach IoU 0.5
    assert seg.instance_recall(touching.instances, found) >= 0.5 - 1e-9


def test_instances_from_semantic_splits_by_class_and_region():
    semantic = np.array([[1, 1, 0, 1], [0, 0, 0, 1], [2, 2, 0, 0]])
    found = seg.instances_from_semantic(semantic)
    assert found.max() == 3 and found[0, 0] == found[0, 1] != found[0, 3]
    assert found[0, 3] == found[1, 3] and found[2, 0] == found[2, 1]
    assert found[0, 0] != found[2, 0]
    assert seg.instances_from_semantic(semantic[None]).shape == (1, 3, 4)


def test_instance_recall_counts_matches_at_the_threshold():
    truth = np.array([[1, 1, 0, 2, 2, 2]])
    assert seg.instance_recall(truth, truth) == 1.0
    half = np.array([[1, 0, 0, 2, 2, 2]])  # instance 1 at IoU 0.5
    assert seg.instance_recall(truth, half) == 1.0
    assert seg.instance_recall(truth, half, threshold=0.6) == 0.5
    assert seg.instance_recall(truth, np.zeros_like(truth)) == 0.0
    with pytest.raises(ValueError, match="no instances"):
        seg.instance_recall(np.zeros((2, 2), int), np.zeros((2, 2), int))
    with pytest.raises(ValueError, match="positive number"):
        seg.instance_recall(truth, truth, threshold=0)


def test_bad_metric_input_is_refused():
    with pytest.raises(ValueError, match="same shape"):
        seg.pixel_accuracy(np.zeros((2, 2), int), np.zeros(3, int))
    with pytest.raises(ValueError, match="truth must be ids per pixel"):
        seg.mean_iou(np.array([0.5, 1, 2]), np.zeros(3, int))
    with pytest.raises(ValueError, match="below num_classes"):
        seg.per_class_iou(np.array([0, 12]), np.array([0, 1]))


# -- training and the shipped U-Net ------------------------------------------------------


def test_a_short_training_beats_the_background_baseline():
    cl.set_seed(0)
    train = seg.digit_scenes(400, seed=1)
    test = seg.digit_scenes(40, seed=2, split="test")
    model = seg.build_unet(filters=8, depth=3)
    # 4 epochs of 50 steps: after 2, some seeds still call every pixel background.
    history = seg.train_unet(model, train, epochs=4)
    assert history.history["loss"][-1] < history.history["loss"][0]
    predicted = seg.predict_labels(model, test.images)
    report = seg.segmentation_report(test.semantic, predicted)
    assert report["mean_iou"] > report["baseline_mean_iou"] + 0.005


def test_the_shipped_unet_is_checked_and_segments():
    assert cl.data.path("segmentation_unet").stat().st_size < 1_000_000
    model = cl.data.load_segmentation_unet()
    test = seg.digit_scenes(50, seed=2, split="test")
    report = seg.segmentation_report(
        test.semantic, seg.predict_labels(model, test.images)
    )
    assert report["mean_iou"] > report["baseline_mean_iou"] + 0.3
    assert report["pixel_accuracy"] > report["baseline_pixel_accuracy"]


def test_saved_weights_are_byte_identical(tmp_path):
    model = seg.build_unet(filters=2, depth=1)
    first = seg.save_unet_weights(model, tmp_path / "a.npz").read_bytes()
    second = seg.save_unet_weights(model, tmp_path / "b.npz").read_bytes()
    assert first == second


def test_bad_training_arguments_are_refused(scenes):
    model = seg.build_unet(filters=2, depth=1)
    with pytest.raises(ValueError, match="scenes must be DigitScenes"):
        seg.train_unet(model, (scenes.images, scenes.semantic))
    with pytest.raises(ValueError, match="epochs must be an int"):
        seg.train_unet(model, scenes, epochs=0)
    with pytest.raises(ValueError, match="ink_weight must be"):
        seg.ink_weights(scenes.semantic, ink_weight=0.5)
    with pytest.raises(ValueError, match="model must be a U-Net"):
        seg.train_unet("unet", scenes)
    with pytest.raises(ValueError, match="model must be a U-Net"):
        seg.save_unet_weights(None, "x.npz")
    with pytest.raises(ValueError, match="path must be a file name"):
        cl.data.load_segmentation_unet(path=3)


def test_text_and_dicts_as_arrays_are_a_value_error():
    """Regression: a dict or text as x, kernel or y crashed with numpy's TypeError."""
    with pytest.raises(ValueError, match="x must be an array of numbers"):
        seg.convolution({"a": 1}, np.ones((3, 3)))
    with pytest.raises(ValueError, match="kernel must be an array of numbers"):
        seg.convolution(np.ones((4, 4)), {"a": 1})
    with pytest.raises(ValueError, match="y must be an array of numbers"):
        seg.transposed_convolution({"a": 1}, np.ones((3, 3)), (4, 4))


def test_a_folder_or_an_empty_file_as_weights_path_is_a_value_error(tmp_path):
    """Regression: a folder gave IsADirectoryError, an empty file numpy's EOFError."""
    model = seg.build_unet(filters=2, depth=1)
    with pytest.raises(ValueError, match="got the folder"):
        seg.save_unet_weights(model, tmp_path)
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="not a weights file"):
        cl.data.load_segmentation_unet(empty)
