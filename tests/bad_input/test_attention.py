"""Bad input to cl.attention (lecture 20, reading digit strips) and its widget that the
declarations alone do not cover (tests/test_declared.py generates the rest): issue 33's
cases, each pinned, with property tests of the results (a uint8 strip reads as its
label, as the same strip in 0-1 floats does; NaN strips are never read)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from clear_errors import assert_clear, refused

import course_lib as cl
from course_lib import attention


@pytest.fixture(scope="module")
def reader():
    return cl.data.load_attention_reader()


@pytest.fixture(scope="module")
def strips():
    return attention.make_strips(40, split="test", seed=3)


@pytest.fixture(scope="module")
def small_mnist():
    (x_train, y_train), (x_test, y_test) = cl.data.load_mnist()
    return (x_train[:200], y_train[:200]), (x_test[:50], y_test[:50])


# -- greedy_decode: one pixel convention -----------------------------------------------


def test_a_uint8_strip_reads_as_its_label(reader, strips):
    """Issue 33: uint8 strips were read as '05051' where the strip says '15860'."""
    as_uint8 = np.round(strips.images * 255).astype(np.uint8)
    read_float = attention.greedy_decode(reader, strips.images)
    read_uint8 = attention.greedy_decode(reader, as_uint8)
    assert read_uint8 == read_float
    right = [r == d for r, d in zip(read_uint8, strips.digits, strict=True)]
    assert np.mean(right) >= 0.7, (read_uint8, strips.digits)


def test_0_255_float_strips_are_refused_with_the_fix(reader, strips):
    message = refused(
        lambda: attention.greedy_decode(reader, strips.images * 255), "images"
    )
    assert "divide by 255" in message


def test_nan_strips_are_refused_never_read(reader, strips):
    """Issue 33: NaN strips read '000000'."""
    bad = strips.images[:3].copy()
    bad[1, 5, 5] = np.nan
    assert "NaN" in refused(lambda: attention.greedy_decode(reader, bad), "images")
    for value in (np.inf, -np.inf):
        bad[1, 5, 5] = value
        refused(lambda: attention.greedy_decode(reader, bad), "images")


def test_one_strip_gets_the_batch_fix_and_strips_of_another_width_are_refused(
    reader, strips
):
    assert "x[None]" in refused(
        lambda: attention.greedy_decode(reader, strips.images[0]), "images"
    )
    message = refused(
        lambda: attention.greedy_decode(reader, strips.images[:, :, :56]), "images"
    )
    assert "(N, 28, 140)" in message


def test_teacher_forcing_reads_uint8_strips_the_same(reader, strips):
    as_uint8 = attention.Strips(
        np.round(strips.images * 255).astype(np.uint8),
        strips.labels,
        strips.lengths,
        strips.starts,
    )
    assert attention.teacher_forced_accuracy(reader, as_uint8) == pytest.approx(
        attention.teacher_forced_accuracy(reader, strips), abs=0.02
    )


def test_the_wrong_model_is_refused_by_what_it_is(strips):
    ctc_reader = cl.ctc.build_ctc_reader(max_digits=5, units=4, recurrent_units=2)
    message = refused(
        lambda: attention.greedy_decode(ctc_reader, strips.images), "reader"
    )
    assert "a reader from build_reader" in message
    import keras

    one_input = keras.Sequential(
        [keras.Input((28, 140)), keras.layers.Dense(13), keras.layers.Softmax()]
    )
    message = refused(
        lambda: attention.greedy_decode(one_input, strips.images), "reader"
    )
    assert "two inputs" in message
    refused(lambda: attention.attention_model(one_input), "reader")


def test_a_reader_without_attention_has_no_attention_model():
    plain = attention.build_reader(max_digits=1, units=4, attention=False)
    assert "attention=True" in refused(lambda: attention.attention_model(plain))


# -- make_strips: digits in either convention, never divided twice ------------------


def test_0_1_digits_make_the_same_strips_as_uint8_digits(small_mnist):
    """Issue 33: 0-1 digits were divided by 255 again (black strips)."""
    (x_train, y_train), (x_test, y_test) = small_mnist
    as_float = ((x_train / 255.0, y_train), (x_test / 255.0, y_test))
    from_uint8 = attention.make_strips(20, mnist=small_mnist, seed=1)
    from_float = attention.make_strips(20, mnist=as_float, seed=1)
    assert np.allclose(from_uint8.images, from_float.images, atol=1e-6)
    assert from_float.images.max() > 0.9
    assert from_uint8.digits == from_float.digits


def test_0_255_float_digits_and_bad_labels_are_refused(small_mnist):
    (x_train, y_train), test = small_mnist
    as_255 = ((x_train.astype(np.float32), y_train), test)
    assert "divide by 255" in refused(
        lambda: attention.make_strips(5, mnist=as_255), "mnist"
    )
    refused(
        lambda: attention.make_strips(5, mnist=((x_train, y_train + 10), test)), "mnist"
    )
    refused(
        lambda: attention.make_strips(5, mnist=((x_train, y_train[:5]), test)), "mnist"
    )
    one_hot = np.eye(10)[y_train]
    assert "argmax" in refused(
        lambda: attention.make_strips(5, mnist=((x_train, one_hot), test)), "mnist"
    )
    refused(lambda: attention.make_strips(5, mnist=(x_train, y_train)), "mnist")
    nan = x_train.astype(np.float32) / 255
    nan[0, 0, 0] = np.nan
    refused(lambda: attention.make_strips(5, mnist=((nan, y_train), test)), "mnist")


def test_min_digits_above_max_digits_is_refused():
    refused(lambda: attention.make_strips(5, max_digits=2, min_digits=3), "min_digits")


# -- the rest of the checks between arguments ---------------------------------------


def test_one_text_per_strip(strips):
    refused(lambda: attention.sequence_accuracy(["1"], strips), "predicted")
    refused(lambda: attention.sequence_accuracy("15860", strips), "predicted")
    assert attention.sequence_accuracy(strips.digits, strips) == 1.0


def test_attention_shapes_must_agree():
    refused(
        lambda: attention.attention_by_hand(np.ones((2, 3)), np.ones((4, 5))), "query"
    )
    refused(lambda: attention.attention_by_hand(np.ones(3), np.ones(3)), "query")
    refused(lambda: attention.attention_over_pixels(np.full(3, 1 / 3), 8), "width")
    refused(
        lambda: attention.attention_over_pixels(np.array([0.5, np.nan]), 8), "weights"
    )


def test_saving_to_a_folder_is_refused(tmp_path):
    plain = attention.build_reader(max_digits=1, units=4, attention=True)
    refused(lambda: attention.save_reader_weights(plain, tmp_path), "path")


# -- the widget --------------------------------------------------------------------


@pytest.fixture(scope="module")
def viewer():
    return cl.widgets.AttentionViewer(count=8)


@pytest.mark.parametrize("value", [math.nan, math.inf, -1.0, 2.0])
def test_an_opacity_out_of_range_shows_in_the_widget(viewer, value):
    """Issue 33: AttentionViewer.opacity = nan drew a NaN overlay."""
    viewer.opacity.value = value
    if viewer.error.message:  # NaN gets through the slider: the banner says why
        assert_clear(ValueError(viewer.error.message), "opacity")
        assert viewer.stale
    else:  # the slider clamped it into range
        assert 0 <= viewer.opacity.value <= 1
    assert np.isfinite(viewer.overlay).all()
    viewer.opacity.value = 0.6
    assert viewer.error.message == ""
    assert np.isfinite(viewer.overlay).all()


def test_nan_opacity_is_named_in_the_banner(viewer):
    viewer.opacity.value = math.nan
    assert "opacity" in viewer.error.message
    viewer.opacity.value = 0.6


@pytest.mark.parametrize("control, value", [("index", 99), ("step", -3), ("index", -1)])
def test_sliders_set_out_of_range_stay_in_range(viewer, control, value):
    slider = getattr(viewer, control)
    slider.value = value
    assert slider.min <= slider.value <= slider.max
    assert viewer.error.message == ""


@pytest.mark.parametrize(
    "kwargs, name",
    [({"count": 0}, "count"), ({"count": 1.5}, "count"), ({"seed": -1}, "seed")],
)
def test_bad_constructor_arguments_are_clear(kwargs, name):
    refused(lambda: cl.widgets.AttentionViewer(**kwargs), name)
