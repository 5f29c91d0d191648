"""Bad input to cl.segmentation and its widget that the declarations alone do not cover
(tests/test_declared.py generates the rest): issue 33's cases, each pinned, and the
properties a result must have (the same labels for uint8 and float 0-1 scenes, NaN
never read as "all background")."""

from __future__ import annotations

import hypothesis_profiles  # noqa: F401 - loads the Hypothesis profile
import keras
import numpy as np
import pytest
from clear_errors import refused
from hypothesis import given, settings
from hypothesis import strategies as st

import course_lib as cl

seg = cl.segmentation


@pytest.fixture(scope="module")
def shipped():
    return cl.data.load_segmentation_unet()


@pytest.fixture(scope="module")
def scenes():
    return seg.digit_scenes(40, seed=2, split="test")


@pytest.fixture(scope="module")
def small_unet():
    cl.set_seed(0)
    return seg.build_unet(filters=2, depth=1)


def _as_uint8(images):
    return np.round(images * 255).astype(np.uint8)


# -- pixels: uint8 and float 0-1 give the same labels, float 0-255 is refused ----------


def test_predict_labels_reads_uint8_scenes_as_well_as_float(shipped, scenes):
    """Issue 33: pixel accuracy fell from 0.974 to 0.677 on uint8 scenes."""
    as_float = seg.predict_labels(shipped, scenes.images)
    as_uint8 = seg.predict_labels(shipped, _as_uint8(scenes.images))
    assert np.array_equal(as_float, as_uint8)
    assert seg.pixel_accuracy(scenes.semantic, as_uint8) > 0.95
    with_channel = seg.predict_labels(shipped, _as_uint8(scenes.images)[..., None])
    assert np.array_equal(with_channel, as_float)


def test_predict_labels_refuses_0_255_floats(shipped, scenes):
    message = refused(
        lambda: seg.predict_labels(shipped, scenes.images * 255.0), "images"
    )
    assert "looks like 0-255 pixels" in message and "divide by 255" in message


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_predict_labels_same_for_uint8_and_float_of_any_scene(small_unet, seed):
    rng = np.random.default_rng(seed)
    scene = rng.integers(0, 256, (2, 64, 64), dtype=np.uint8)
    assert np.array_equal(
        seg.predict_labels(small_unet, scene),
        seg.predict_labels(small_unet, scene / 255.0),
    )


def test_nan_scenes_are_refused_not_read_as_background(shipped, scenes):
    """Issue 33: NaN scenes came back as "all background"."""
    images = scenes.images[:2].copy()
    images[0, 10, 10] = np.nan
    message = refused(lambda: seg.predict_labels(shipped, images), "images")
    assert "NaN" in message


def test_digit_scenes_refuse_0_255_float_digits():
    """Issue 33: float 0-255 digits painted solid blocks."""
    rng = np.random.default_rng(0)
    digits = rng.integers(0, 256, (6, 28, 28)).astype(np.float32)
    message = refused(
        lambda: seg.digit_scenes(3, digits=(digits, np.arange(6))), "digits"
    )
    assert "divide by 255" in message


@pytest.mark.parametrize("make", [seg.digit_scenes, seg.touching_digit_scenes])
def test_scenes_are_the_same_for_uint8_and_float_digits(make):
    (x, y), _ = cl.data.load_mnist()
    x, y = x[:50], y[:50]
    as_uint8 = make(4, seed=1, digits=(x, y))
    as_float = make(4, seed=1, digits=(x / 255.0, y))
    assert np.array_equal(as_uint8.images, as_float.images)
    assert np.array_equal(as_uint8.semantic, as_float.semantic)


def test_nan_digits_are_refused():
    digits = np.zeros((3, 28, 28))
    digits[1, 4, 4] = np.nan
    refused(lambda: seg.digit_scenes(2, digits=(digits, [1, 2, 3])), "digits")


# -- settings that mean nothing --------------------------------------------------------


def test_a_unet_with_one_class_is_refused_with_the_reason():
    """Issue 33: num_classes=1 gave a net whose every pixel scores 1.0."""
    message = refused(lambda: seg.build_unet(num_classes=1), "num_classes")
    assert "background" in message and "at least one class" in message
    assert seg.build_unet(num_classes=2, filters=1, depth=1).output_shape[-1] == 2


# -- the wrong model -------------------------------------------------------------------


@pytest.fixture(scope="module")
def mnist_convnet():
    inputs = keras.Input((28, 28, 1))
    x = keras.layers.Conv2D(4, 3, activation="relu")(inputs)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="mnist_convnet")


def test_the_mnist_convnet_for_the_unet_names_what_is_wanted(mnist_convnet, scenes):
    """Issue 33: the MNIST convnet for the U-Net gave a raw Keras error."""
    for call in (
        lambda: seg.predict_labels(mnist_convnet, scenes.images),
        lambda: seg.train_unet(mnist_convnet, scenes),
        lambda: seg.compile_unet(mnist_convnet),
        lambda: cl.widgets.SegmentationViewer(model=mnist_convnet, count=2),
    ):
        message = refused(call, "model")
        assert "a U-Net: (N, H, W, 1) -> (N, H, W, classes)" in message
        assert "'mnist_convnet' (N, 28, 28, 1) -> (N, 10)" in message


def test_scenes_of_another_size_than_the_unet_takes(shipped):
    message = refused(
        lambda: seg.predict_labels(shipped, np.zeros((2, 28, 28), np.uint8)), "images"
    )
    assert "28x28" in message and "64x64" in message


def test_a_unet_trained_without_softmax_is_refused_for_training(scenes):
    logits = keras.Model(
        (inputs := keras.Input((64, 64, 1))),
        keras.layers.Conv2D(11, 1)(inputs),
        name="logits",
    )
    assert seg.predict_labels(logits, scenes.images[:2]).shape == (2, 64, 64)
    message = refused(lambda: seg.train_unet(logits, scenes), "model")
    assert "softmax" in message


def test_scenes_with_more_classes_than_the_unet_scores(scenes):
    two_classes = seg.build_unet(num_classes=2, filters=1, depth=1)
    message = refused(lambda: seg.train_unet(two_classes, scenes), "scenes")
    assert "2 classes" in message


# -- callbacks --------------------------------------------------------------------------


def test_train_unet_takes_callbacks_none_one_or_a_list(small_unet, scenes):
    """Issue 33: callbacks=None gave "'NoneType' object is not iterable"."""
    few = seg.DigitScenes(scenes.images[:4], scenes.semantic[:4], scenes.instances[:4])
    seen = []
    one = keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(e))
    for callbacks in (None, one, [one]):
        history = seg.train_unet(small_unet, few, batch_size=4, callbacks=callbacks)
        assert len(history.history["loss"]) == 1
    assert seen == [0, 0]
    refused(lambda: seg.train_unet(small_unet, few, callbacks=[object()]), "callbacks")


# -- two arguments that must agree, and sizes (hand checks in the bodies) ----------------


@pytest.mark.parametrize(
    ("call", "name", "words"),
    [
        (
            lambda: seg.digit_scenes(2, min_digits=3, max_digits=2),
            "max_digits",
            "min_digits",
        ),
        (lambda: seg.watershed_coins(low=150, high=30), "low", "below high"),
        (
            lambda: seg.touching_digit_scenes(
                2, digits=(np.zeros((3, 28, 28), np.uint8), [1, 2, 3])
            ),
            "digits",
            "two images of one class",
        ),
        (
            lambda: seg.digit_scenes(2, digits=(np.zeros((3, 28, 28)), [1, 2])),
            "digits",
            "3 inputs and 2 labels",
        ),
        (
            lambda: seg.build_unet((4096, 4096, 3), filters=512, depth=5),
            "shapes_only",
            "weights",
        ),
        (lambda: seg.build_unet((60, 60, 1)), "input", "multiples"),
        (
            lambda: seg.convolution_matrix(np.ones((2, 2)), (100, 100)),
            "input_shape",
            "4,096",
        ),
        (lambda: seg.convolution(np.ones((4000, 4000)), np.ones((3, 3))), "x", "4,096"),
        (
            lambda: seg.pixel_accuracy(np.zeros((2, 3), int), np.zeros((3, 2), int)),
            "prediction",
            "same shape",
        ),
        (
            lambda: seg.confusion_matrix(np.array([[0, 12]]), np.array([[0, 1]])),
            "num_classes",
            "below",
        ),
        (
            lambda: seg.instance_recall(np.zeros((2, 2), int), np.zeros((2, 2), int)),
            "truth",
            "no instances",
        ),
        (lambda: seg.instances_from_semantic(np.zeros(5, int)), "semantic", "(H, W)"),
        (lambda: seg.build_unet(name="a/b"), "name", "/"),
    ],
)
def test_hand_checked_cases_are_clear(call, name, words):
    message = refused(call, name)
    assert words in message


def test_saving_into_a_folder_is_refused(small_unet, tmp_path):
    message = refused(lambda: seg.save_unet_weights(small_unet, tmp_path), "path")
    assert "folder" in message


# -- the widget -----------------------------------------------------------------------


def test_the_viewer_refuses_bad_arguments_in_words():
    for kwargs, name in [
        ({"count": 0}, "count"),
        ({"count": 10**6}, "count"),
        ({"scenes": np.zeros((3, 64, 64))}, "scenes"),
        ({"model": "unet"}, "model"),
    ]:
        refused(lambda kwargs=kwargs: cl.widgets.SegmentationViewer(**kwargs), name)


def test_the_viewer_shows_uint8_and_float_scenes_alike(shipped, scenes):
    few = seg.DigitScenes(
        scenes.images[:3],
        scenes.semantic[:3],
        scenes.instances[:3],
        scenes.digits[:3],
        scenes.boxes[:3],
    )
    viewer = cl.widgets.SegmentationViewer(model=shipped, scenes=few, count=3)
    expected = seg.predict_labels(shipped, _as_uint8(few.images))
    assert np.array_equal(viewer.predictions, expected)


def test_the_viewer_answers_a_bad_control_value_in_its_banner(shipped, scenes):
    few = seg.DigitScenes(
        scenes.images[:3],
        scenes.semantic[:3],
        scenes.instances[:3],
        scenes.digits[:3],
        scenes.boxes[:3],
    )
    viewer = cl.widgets.SegmentationViewer(model=shipped, scenes=few, count=3)
    viewer.view.value = "everything"
    assert viewer.view.value == "prediction"  # the value stays
    message = viewer.error.message
    assert message.startswith("view must be one of 'prediction', 'mistakes'")
    assert "Invalid selection" not in message
    viewer.view.value = "Mistakes"  # any case
    assert viewer.view.value == "mistakes" and viewer.error.message == ""
    viewer.index.value = 10**6  # a slider keeps to its range
    assert viewer.index.value == 2 and viewer.error.message == ""
