"""Bad input to cl.augmentation and its widget that the declarations alone do not cover
(tests/test_declared.py generates the rest): issue 33's cases, each pinned, and the
pixel convention as a property of the results."""

from __future__ import annotations

import numpy as np
import pytest
from clear_errors import assert_clear, refused
from hypothesis import given, settings
from hypothesis import strategies as st

import course_lib as cl
from course_lib import augmentation as aug


def _digit(seed=0):
    return np.random.default_rng(seed).integers(0, 256, (28, 28), dtype=np.uint8)


# -- axes: one digit with a leading axis is never read as a 1x28 picture -------------


@pytest.mark.parametrize("shape", [(1, 28, 28), (28, 28, 1, 1), (2, 28, 28, 1)])
def test_augment_refuses_a_digit_with_the_wrong_axes(shape):
    digit = np.zeros(shape, np.uint8)
    message = refused(lambda: aug.augment(digit, aug.View(rotation=0.1)), "image")
    assert str(shape) in message


def test_a_gray_digit_with_a_channel_axis_keeps_its_shape():
    digit = _digit()
    view = aug.View(rotation=0.1, zoom=0.1)
    with_axis = aug.augment(digit[:, :, None], view)
    assert with_axis.shape == (28, 28, 1)
    np.testing.assert_allclose(with_axis[:, :, 0], aug.augment(digit, view))


def test_rotate_batch_refuses_one_image_and_channels_first():
    batch = np.zeros((2, 12, 12, 1), np.float32)
    refused(lambda: aug.rotate_batch(batch[0], 0.1), "images")
    assert "channels go last" in refused(
        lambda: aug.rotate_batch(np.zeros((2, 3, 12, 12)), 0.1), "images"
    )


# -- the pixel convention: uint8 and float 0-1 agree; 0-255 floats are refused -------


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 1000),
    rotation=st.floats(-1, 1),
    zoom=st.floats(-0.9, 1),
    shift=st.floats(-1, 1),
    contrast=st.floats(0, 2),
    flip=st.sampled_from(aug.FLIPS),
    fill_mode=st.sampled_from(aug.FILL_MODES),
)
def test_uint8_and_float_pixels_give_the_same_view(
    seed, rotation, zoom, shift, contrast, flip, fill_mode
):
    picture = np.random.default_rng(seed).integers(0, 256, (9, 11, 3), dtype=np.uint8)
    view = aug.View(flip, rotation, zoom, shift, -shift, contrast)
    as_uint8 = aug.augment(picture, view, fill_mode)
    as_float = aug.augment(picture / 255.0, view, fill_mode)
    assert as_uint8.dtype == np.float32 and 0 <= as_uint8.min() <= as_uint8.max() <= 1
    np.testing.assert_allclose(as_uint8, as_float, atol=1e-5)


@pytest.mark.parametrize(
    "call",
    [
        lambda image: aug.augment(image, aug.View(rotation=0.1)),
        lambda image: aug.flip(image),
        lambda image: aug.adjust_contrast(image, 0.5),
        lambda image: aug.warp(image, aug.rotation_matrix(0.1, 28, 28)),
    ],
)
def test_0_255_floats_are_refused_with_the_fix(call):
    message = refused(lambda: call(_digit().astype(np.float32)), "image")
    assert "divide by 255" in message


def test_batch_functions_agree_on_uint8_and_float():
    batch = np.random.default_rng(1).integers(0, 256, (3, 10, 10, 1), dtype=np.uint8)
    np.testing.assert_allclose(
        aug.rotate_batch(batch, 0.1), aug.rotate_batch(batch / 255.0, 0.1), atol=1e-5
    )
    assert "divide by 255" in refused(
        lambda: aug.rotate_batch(batch.astype(np.float32), 0.1), "images"
    )
    model = aug.small_convnet((10, 10, 1), 3, filters=(2,))
    layer = aug.digit_augmentation(seed=0)
    np.testing.assert_allclose(
        aug.predict_over_views(model, batch, layer, views=0),
        aug.predict_over_views(model, batch / 255.0, layer, views=0),
        atol=1e-6,
    )


def test_nan_pixels_are_refused():
    digit = _digit().astype(np.float32) / 255
    digit[3, 3] = np.nan
    refused(lambda: aug.augment(digit, aug.View()), "image")


# -- numbers: the declared ints and numbers agree with cl.core -----------------------


def test_whole_floats_and_numpy_numbers_are_accepted_everywhere():
    assert aug.alexnet_crop_factor(256.0, 224.0) == aug.alexnet_crop_factor(256, 224)
    assert aug.random_views(3.0, seed=np.int64(2)) == aug.random_views(3, seed=2)
    assert aug.rotation_matrix(np.float32(0.25), 6.0, np.int32(6)).shape == (8,)
    view = aug.View(rotation=np.float32(0.1), contrast=np.float64(1.5))
    assert isinstance(view.rotation, float)


def test_float32_settings_at_their_limits_are_accepted():
    """np.float32(0.99) is 0.99000001 as a float64: the old bound refused it."""
    model = aug.small_convnet((8, 8, 1), 2, filters=(2,), dropout=np.float32(0.99))
    assert model.layers[-2].rate == pytest.approx(0.99)
    # np.float32(1e-8) is 9.99999994e-09 as a float64: the old lower bound refused it
    aug.small_convnet((8, 8, 1), 2, filters=(2,), learning_rate=np.float32(1e-8))
    refused(lambda: aug.small_convnet((8, 8, 1), 2, dropout=1.0), "dropout")


# -- lists where one value was given --------------------------------------------------


def test_compare_refuses_a_single_seed_with_the_fix_before_training():
    message = refused(lambda: aug.compare("faces", seeds=5, epochs=1), "seeds")
    assert "[5]" in message


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"task": "cats"}, "task"),
        ({"epochs": 0}, "epochs"),
        ({"size": 21, "task": "faces"}, "size"),
        ({"size": 55}, "size"),
        ({"callbacks": "plot"}, "callbacks"),
        ({"seeds": []}, "seeds"),
        ({"seeds": [0, -1]}, "seeds"),
    ],
)
def test_compare_refuses_bad_settings_before_training(kwargs, name, monkeypatch):
    def no_training(*args, **kwargs):
        raise AssertionError("trained before refusing")

    monkeypatch.setattr(aug.experiment, "train_small", no_training)
    refused(lambda: aug.compare(**kwargs), name)


def test_callbacks_none_trains():
    result = aug.train_small("faces", False, 0, epochs=1, size=4, callbacks=None)
    assert len(result.history["loss"]) == 1


def test_value_range_needs_low_below_high():
    refused(
        lambda: aug.augmentation_layers(contrast=0.1, value_range=(1, 0)), "value_range"
    )
    refused(lambda: aug.augmentation_layers(value_range=0), "value_range")


def test_labels_and_images_must_pair_up(tmp_path):
    x = np.zeros((3, 6, 6, 1), np.uint8)
    refused(lambda: aug.augmented_dataset(x, [0, 1]), "label")
    refused(lambda: aug.augmented_dataset(x, np.eye(3)), "y")
    refused(lambda: aug.augmented_dataset(x, [0, -1, 0]), "y")
    refused(
        lambda: aug.export_image_folders(tmp_path / "out", x, [0, 1, 2], ["a", "b"]),
        "labels",
    )


# -- the widget -----------------------------------------------------------------------


def test_the_explorer_refuses_bad_pictures_and_settings():
    pictures = {"gray": _digit()}
    explorer = cl.widgets.AugmentationExplorer
    refused(lambda: explorer("gray", {"gray": _digit().astype(float)}), "image 'gray'")
    refused(lambda: explorer("gray", {"gray": np.zeros((1, 28, 28))}), "image 'gray'")
    refused(lambda: explorer("gray", pictures, flip="diagonal"), "flip")
    refused(lambda: explorer("gray", pictures, seed=100), "seed")
    refused(lambda: explorer("gray", pictures, contrast=np.nan), "contrast")
    refused(lambda: explorer("cat", pictures), "image")


def test_the_explorer_shows_uint8_and_float_pictures_alike():
    digit = _digit()
    a = cl.widgets.AugmentationExplorer("d", {"d": digit}, rotation=0.2, zoom=0.1)
    b = cl.widgets.AugmentationExplorer(
        "d", {"d": digit / 255.0}, rotation=0.2, zoom=0.1
    )
    np.testing.assert_allclose(a.augmented, b.augmented, atol=1e-5)


@pytest.mark.parametrize(
    "control, value",
    [
        ("flip", "diagonal"),
        ("fill_mode", "mirror"),
        ("fill_mode", None),
        ("image", "dog"),
        ("rotation", np.nan),
        ("contrast", np.nan),
    ],
)
def test_a_control_set_to_a_bad_value_shows_the_error_in_the_widget(control, value):
    explorer = cl.widgets.AugmentationExplorer("gray", {"gray": _digit()})
    getattr(explorer, control).value = value  # never traitlets' "Invalid selection"
    message = explorer.error.message
    assert message and explorer.stale
    assert_clear(ValueError(message), control)
    explorer.flip.value = "vertical"
    explorer.fill_mode.value = "constant"
    explorer.image.value = "gray"
    explorer.rotation.value = 0.1
    explorer.contrast.value = 1.0
    assert explorer.error.message == "" and not explorer.stale
