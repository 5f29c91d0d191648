"""cl.conv: the slides' numbers, equality with TensorFlow and Keras, clear errors, and
the arithmetic behind the lecture 04-05 explorers (kernels, one pixel, pooled maps)."""

from __future__ import annotations

import hypothesis_profiles  # noqa: F401 - the "ci" or "deep" profile, before @settings
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from slide_examples import SLIDE_IMAGE, SLIDE_MAP, VERTICAL_EDGE

import course_lib as cl
from course_lib import conv
from course_lib.conv import conv2d, conv_params, output_size, pool2d, receptive_field

EXAMPLES = (
    settings()
)  # from the profile: "ci" replays fixed examples, "deep" draws many


# --- the slides' numbers -------------------------------------------------------------


def test_slide_6x6_image_with_vertical_edge_kernel():
    result = conv2d(SLIDE_IMAGE, VERTICAL_EDGE)
    assert result.dtype.kind == "i"
    np.testing.assert_array_equal(result, SLIDE_MAP)


def test_half_9_half_0_image_gives_27_in_the_middle_columns():
    image = np.zeros((8, 8), dtype=int)
    image[:, :4] = 9
    result = conv2d(image, VERTICAL_EDGE)
    assert result.shape == (6, 6)
    np.testing.assert_array_equal(result, [[0, 0, 27, 27, 0, 0]] * 6)


def test_padding_one_keeps_4x4_and_row_two_has_a_1_not_the_slides_2():
    image = [[2, 4, 2, 4], [1, 1, 2, 1], [1, 4, 3, 3], [3, 2, 1, 2]]
    expected = [[-5, -1, 0, 4], [-9, -3, 1, 7], [-7, -1, 1, 6], [-6, 0, 1, 4]]
    np.testing.assert_array_equal(conv2d(image, VERTICAL_EDGE, padding=1), expected)
    np.testing.assert_array_equal(
        conv2d(image, VERTICAL_EDGE, padding="same"), expected
    )


def test_max_pooling_of_the_slide_map():
    np.testing.assert_array_equal(pool2d(np.array(SLIDE_MAP)), [[17, 4], [14, -1]])
    np.testing.assert_allclose(
        pool2d(np.array(SLIDE_MAP), mode="avg"), [[9.75, -3.0], [11.75, -4.0]]
    )


def test_output_size_formula_from_the_slides():
    assert output_size(7, 3, 0, 1) == 5
    assert output_size(7, 3, 0, 2) == 3
    assert output_size(32, 5, 2, 1) == 32
    assert conv2d(np.zeros((32, 32, 3)), np.zeros((5, 5, 3, 3)), padding=2).shape == (
        32,
        32,
        3,
    )


def test_parameter_counts_from_the_slides():
    assert conv_params(5, 5, 3, 6) == 456
    assert conv_params(5, 5, 3, 6, bias=False) == 450
    assert conv_params(7, 7, 3, 64, bias=False) == 9408
    stack = conv_params(3, 3, 3, 64, False) + 2 * conv_params(3, 3, 64, 64, False)
    assert stack == 75456


def test_receptive_field_of_stacks():
    assert receptive_field([(3, 1)] * 3) == receptive_field([(7, 1)]) == 7
    assert receptive_field([(3, 1)] * 2) == 5
    assert receptive_field([]) == 1
    # conv 3x3, pool 2x2 (stride 2), conv 3x3: the last conv steps 2 input pixels at a time
    assert receptive_field([(3, 1), (2, 2), (3, 1)]) == 8


def test_receptive_field_matches_an_impulse_pushed_through_the_stack():
    image = np.zeros((15, 15))
    image[7, 7] = 1.0
    for _ in range(3):
        image = conv2d(image, np.ones((3, 3)), padding="same")
    rows, cols = np.nonzero(image)
    assert rows.max() - rows.min() + 1 == receptive_field([(3, 1)] * 3)
    assert cols.max() - cols.min() + 1 == 7


def test_rgb_kernel_is_the_sum_of_per_channel_convolutions():
    rng = np.random.default_rng(0)
    image = rng.normal(size=(9, 8, 3))
    kernel = rng.normal(size=(3, 3, 3, 1))
    per_channel = sum(conv2d(image[..., c], kernel[..., c, 0]) for c in range(3))
    np.testing.assert_allclose(conv2d(image, kernel)[..., 0], per_channel)


def test_two_d_image_with_four_d_kernel_returns_channels():
    result = conv2d(np.ones((5, 5)), np.ones((3, 3, 1, 4)))
    assert result.shape == (3, 3, 4)
    np.testing.assert_array_equal(result, 9.0)


# --- equality with TensorFlow and Keras on random cases --------------------------------


NUMBER_TYPES = ("float32", "float64", "int64", "uint8")


def _numbers(rng, shape, number_type):
    """Random numbers of ``shape``: normal floats, or small integers (uint8 0-255)."""
    if number_type == "uint8":
        return rng.integers(0, 256, shape).astype(np.uint8)
    if number_type == "int64":
        return rng.integers(-9, 10, shape)
    return rng.normal(size=shape).astype(number_type)


@st.composite
def conv_cases(draw, paddings=("valid", "same", 0, 1, 2)):
    """A random image, kernel, stride and padding that fit together: sides up to 32,
    kernels up to 7, and float or integer numbers (image and kernel drawn apart)."""
    kh, kw = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    padding = draw(st.sampled_from(paddings))
    pad = 0 if padding == "same" else (padding if isinstance(padding, int) else 0)
    smallest_h = 1 if padding == "same" else max(kh - 2 * pad, 1)
    smallest_w = 1 if padding == "same" else max(kw - 2 * pad, 1)
    height = draw(st.integers(smallest_h, 32))
    width = draw(st.integers(smallest_w, 32))
    c_in, c_out = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    image = _numbers(rng, (height, width, c_in), draw(st.sampled_from(NUMBER_TYPES)))
    kernel_type = draw(st.sampled_from(NUMBER_TYPES[:3]))  # signed: edge kernels
    kernel = _numbers(rng, (kh, kw, c_in, c_out), kernel_type)
    return image, kernel, stride, padding


@EXAMPLES
@given(conv_cases())
def test_conv2d_equals_tf_nn_conv2d(case):
    import tensorflow as tf

    image, kernel, stride, padding = case
    if isinstance(padding, int):
        tf_padding = [[0, 0], [padding, padding], [padding, padding], [0, 0]]
    else:
        tf_padding = padding.upper()
    # The reference in float64: exact for integers, and closer than float32 for floats.
    expected = tf.nn.conv2d(
        image[np.newaxis].astype(np.float64),
        kernel.astype(np.float64),
        stride,
        tf_padding,
    )[0].numpy()
    result = conv2d(image, kernel, stride=stride, padding=padding)
    assert result.shape == expected.shape
    integers = image.dtype.kind in "iu" and kernel.dtype.kind in "iu"
    assert result.dtype.kind == ("i" if integers else "f")
    if integers:
        np.testing.assert_array_equal(result, expected)
    else:
        scale = np.abs(image).max() * np.abs(kernel).sum(axis=(0, 1, 2)).max() + 1
        np.testing.assert_allclose(result, expected, rtol=1e-4, atol=1e-5 * scale)


@EXAMPLES
@given(conv_cases(paddings=("valid", "same")))
def test_conv2d_equals_keras_conv2d(case):
    import keras

    image, kernel, stride, padding = case
    layer = keras.layers.Conv2D(
        kernel.shape[-1], kernel.shape[:2], strides=stride, padding=padding
    )
    layer.build((None, *image.shape))
    bias = np.linspace(-1, 1, kernel.shape[-1]).astype(np.float32)
    layer.set_weights([kernel.astype(np.float32), bias])
    expected = np.asarray(layer(image[np.newaxis].astype(np.float32)))[0]
    result = conv2d(image, kernel, stride=stride, padding=padding) + bias
    scale = np.abs(image).max() * np.abs(kernel).sum(axis=(0, 1, 2)).max() + 1
    np.testing.assert_allclose(result, expected, rtol=1e-4, atol=1e-5 * scale)


@st.composite
def pool_cases(draw):
    """A map up to 32x32, a window up to 5, any stride, "valid" or "same", floats or
    integers."""
    size = draw(st.integers(1, 5))
    stride = draw(st.sampled_from([None, 1, 2, 3, 4]))
    padding = draw(st.sampled_from(["valid", "same"]))
    smallest = size if padding == "valid" else 1
    height, width = draw(st.integers(smallest, 32)), draw(st.integers(smallest, 32))
    channels = draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = _numbers(rng, (height, width, channels), draw(st.sampled_from(NUMBER_TYPES)))
    return x, size, stride, padding


@EXAMPLES
@given(pool_cases(), st.sampled_from(["max", "avg"]))
def test_pool2d_equals_keras_pooling(case, mode):
    import keras

    x, size, stride, padding = case
    layer_class = (
        keras.layers.MaxPooling2D if mode == "max" else keras.layers.AveragePooling2D
    )
    layer = layer_class(pool_size=size, strides=stride, padding=padding)
    expected = np.asarray(layer(x[np.newaxis].astype(np.float32)))[0]
    result = pool2d(x, size, stride, mode, padding=padding)
    assert result.shape == expected.shape
    if mode == "max":
        assert result.dtype == x.dtype  # max pooling keeps the numbers as they were
    np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-4)


@EXAMPLES
@given(
    w=st.integers(1, 64),
    f=st.integers(1, 9),
    p=st.integers(0, 4),
    s=st.integers(1, 4),
)
def test_output_size_equals_the_shape_conv2d_returns(w, f, p, s):
    if f > w + 2 * p:
        with pytest.raises(ValueError, match="larger than the padded input"):
            output_size(w, f, p, s)
        return
    result = conv2d(np.zeros((w, 3)), np.zeros((f, 1)), stride=s, padding=p)
    assert result.shape[0] == output_size(w, f, p, s)


@EXAMPLES
@given(
    w=st.integers(1, 64),
    f=st.integers(1, 9),
    p=st.sampled_from(["valid", "same"]),
    s=st.integers(1, 4),
)
def test_output_size_with_named_padding_equals_conv2d(w, f, p, s):
    if p == "valid" and f > w:
        with pytest.raises(ValueError, match="larger than the padded input"):
            output_size(w, f, p, s)
        return
    result = conv2d(np.zeros((w, 3)), np.zeros((f, 1)), stride=s, padding=p)
    assert result.shape[0] == output_size(w, f, p, s)
    if p == "same":
        assert output_size(w, f, p, s) == -(-w // s)  # ceil(w / s), as Keras


def test_conv_params_equals_keras_count():
    import keras

    layer = keras.layers.Conv2D(6, 5)
    layer.build((None, 28, 28, 3))
    assert layer.count_params() == conv_params(5, 5, 3, 6) == 456
    assert layer.compute_output_shape((None, 28, 28, 3)) == (None, 24, 24, 6)


# --- clear errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"stride": 0}, "stride must be an int from 1"),
        ({"stride": 1.5}, "stride must be an int from 1"),
        ({"padding": "full"}, "padding must be one of 'valid', 'same' or an int"),
        ({"padding": -1}, "padding must be one of 'valid', 'same' or an int from 0"),
        ({"kernel": np.ones((7, 7))}, "kernel 7x7 is larger than the padded image 6x6"),
        ({"kernel": np.ones((3, 3, 2, 1))}, "channel mismatch"),
        (
            {"kernel": [["a", "b"], ["c", "d"]]},
            "kernel must be a kernel .* got an array of",
        ),
        ({"kernel": np.ones(3)}, "kernel must be"),
        ({"image": np.ones((2, 2, 2, 2))}, "image must be"),
    ],
)
def test_conv2d_rejects_bad_input_with_a_clear_message(kwargs, message):
    arguments = {"image": SLIDE_IMAGE, "kernel": VERTICAL_EDGE} | kwargs
    with pytest.raises(ValueError, match=message):
        conv2d(**arguments)


def test_padding_makes_a_large_kernel_fit():
    assert conv2d(SLIDE_IMAGE, np.ones((7, 7)), padding=1).shape == (2, 2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"size": 0}, "size must be an int from 1"),
        ({"stride": -2}, "stride must be an int from 1"),
        ({"mode": "min"}, "mode must be one of 'max', 'avg'"),
        ({"size": 7}, "size 7 is larger than the 6x6 input"),
    ],
)
def test_pool2d_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        pool2d(SLIDE_IMAGE, **kwargs)


def test_helpers_reject_bad_input():
    with pytest.raises(
        ValueError, match="p must be one of 'valid', 'same' or an int from 0"
    ):
        output_size(7, 3, -1, 1)
    with pytest.raises(ValueError, match="s must be an int from 1"):
        output_size(7, 3, 0, 0)
    with pytest.raises(
        ValueError, match="p must be one of 'valid', 'same' or an int from 0"
    ):
        output_size(7, 3, "full", 1)
    with pytest.raises(ValueError, match="c_in must be an int from 1"):
        conv_params(3, 3, 0, 8)
    with pytest.raises(ValueError, match=r"layers\[1\] must be a list of 2 values"):
        receptive_field([(3, 1), 3])
    with pytest.raises(ValueError, match=r"layers\[0\]\[1\] must be an int from 1"):
        receptive_field([(3, 0)])


def test_module_loads_lazily_from_the_package():
    assert cl.conv.conv2d is conv2d


# --- the explorers' arithmetic (lecture 04): kernels, pictures, one pixel ----------------


def test_every_preset_is_a_3x3_kernel_and_identity_changes_nothing():
    image = conv.gray_image("coins", 32).astype(float)
    for name in conv.KERNEL_PRESETS:
        assert conv.kernel_preset(name).shape == (3, 3), name
        assert conv.preset_name(conv.kernel_preset(name)) == name
    same = conv2d(image, conv.kernel_preset("identity"), padding="same")
    np.testing.assert_array_equal(same, image)
    np.testing.assert_allclose(conv.kernel_preset("blur").sum(), 1.0)
    np.testing.assert_array_equal(
        conv.kernel_preset(" Sobel"), conv.kernel_preset("sobel")
    )
    with pytest.raises(
        ValueError, match="name must be one of 'identity', .* got 'gauss'"
    ):
        conv.kernel_preset("gauss")


def test_preset_name_finds_equal_kernels_only():
    assert conv.preset_name(np.array([[1, 0, -1]] * 3)) == "vertical edge"
    assert conv.preset_name(np.full((3, 3), 1 / 9 + 1e-12)) == "blur"
    assert conv.preset_name(np.ones((3, 3))) is None
    assert conv.preset_name(np.full((3, 3), np.nan)) is None


def test_parse_kernel_accepts_numbers_and_names_the_bad_entry():
    kernel = conv.parse_kernel(["1", 0, -1, 2, "0.5", -2, 1, 0, -1])
    assert kernel[1, 1] == 0.5 and kernel.shape == (3, 3)
    with pytest.raises(ValueError, match="row 2, column 3 is not a finite number: 'x'"):
        conv.parse_kernel([0, 0, 0, 0, 0, "x", 0, 0, 0])
    with pytest.raises(ValueError, match="row 1, column 1 .* nan"):
        conv.parse_kernel([float("nan")] + [0] * 8)
    with pytest.raises(ValueError, match="needs 9 values"):
        conv.parse_kernel([1, 2, 3])


def test_explain_pixel_reproduces_the_slides_first_sum():
    kernel = np.array([[1, 0, -1]] * 3, dtype=float)
    explanation = conv.explain_pixel(SLIDE_IMAGE, kernel, 1, "valid", 0, 0)
    assert explanation.value == 2
    assert explanation.formula(kernel) == (
        "0·1 + 0·0 + 5·(-1) + 3·1 + 4·0 + 1·(-1) + 6·1 + 7·0 + 1·(-1) = 2"
    )
    # every pixel of the map is the sum its explanation writes out
    result = conv2d(SLIDE_IMAGE, kernel, stride=2, padding=1)
    for (row, column), value in np.ndenumerate(result):
        e = conv.explain_pixel(SLIDE_IMAGE, kernel, 2, 1, row, column)
        assert e.value == value
        assert (e.top, e.left) == (2 * row - 1, 2 * column - 1)


def test_explain_pixel_covers_the_whole_same_padded_output():
    kernel = np.ones((3, 3))
    result = conv2d(SLIDE_IMAGE[:5], kernel, stride=2, padding="same")
    assert result.shape == (3, 3)
    for (row, column), value in np.ndenumerate(result):
        e = conv.explain_pixel(SLIDE_IMAGE[:5], kernel, 2, "same", row, column)
        assert e.value == value
    with pytest.raises(ValueError, match=r"pixel \(3, 0\) is outside the 3x3 output"):
        conv.explain_pixel(SLIDE_IMAGE[:5], kernel, 2, "same", 3, 0)


def test_explain_pixel_of_a_window_wholly_in_the_padding():
    kernel = np.arange(9.0).reshape(3, 3)
    result = conv2d(SLIDE_IMAGE, kernel, padding=5)
    assert result.shape == (14, 14)
    for row, column in [(0, 0), (0, 13), (13, 0), (13, 13), (0, 6), (6, 13), (4, 4)]:
        e = conv.explain_pixel(SLIDE_IMAGE, kernel, 1, 5, row, column)
        assert e.value == result[row, column]
    corner = conv.explain_pixel(SLIDE_IMAGE, kernel, 1, 5, 13, 13)
    assert (corner.top, corner.left) == (8, 8) and not corner.window.any()


def test_explain_pixel_rejects_a_pixel_outside_the_output():
    kernel = np.ones((3, 3))
    with pytest.raises(ValueError, match=r"pixel \(4, 0\) is outside the 4x4 output"):
        conv.explain_pixel(SLIDE_IMAGE, kernel, 1, "valid", 4, 0)


def test_explore_convolution_refuses_a_stride_too_large_for_the_image():
    kernel = np.ones((3, 3))
    result = conv.explore_convolution(SLIDE_IMAGE, kernel, 3, "valid")
    assert result.shape == (2, 2)
    with pytest.raises(ValueError, match="stride 4 is too large for this 6x6 image"):
        conv.explore_convolution(SLIDE_IMAGE, kernel, 4, "valid")
    with pytest.raises(ValueError, match="stride must be an int from 1"):
        conv.explore_convolution(SLIDE_IMAGE, kernel, 0, "valid")
    with pytest.raises(ValueError, match="stride must be an int from 1"):
        conv.explore_convolution(SLIDE_IMAGE, kernel, 1.5, "valid")


@pytest.mark.parametrize("padding", ["valid", "same", 1, 2])
def test_explore_convolution_names_the_largest_stride_that_works(padding):
    kernel = np.ones((3, 3))
    with pytest.raises(ValueError, match=r"use a stride from 1 to (\d+)") as error:
        conv.explore_convolution(SLIDE_IMAGE, kernel, 50, padding)
    largest = int(error.value.args[0].rsplit(" ", 1)[1])
    assert conv.explore_convolution(SLIDE_IMAGE, kernel, largest, padding).shape[0] == 2
    with pytest.raises(ValueError, match="too large"):
        conv.explore_convolution(SLIDE_IMAGE, kernel, largest + 1, padding)


def test_display_gray_shrinks_large_arrays_and_stretches_values():
    picture = conv.display_gray(np.arange(600 * 300, dtype=float).reshape(600, 300))
    assert picture.shape == (200, 100, 4) and picture.dtype == np.uint8
    assert picture[..., 0].min() == 0 and picture[..., 0].max() == 255
    assert (picture[..., 3] == 255).all()
    # Each pixel is the mean of a 3x3 block, stretched to 0..255, the same in R, G, B.
    values = np.random.default_rng(0).normal(size=(600, 300))
    picture = conv.display_gray(values)
    blocks = values.reshape(200, 3, 100, 3).mean(axis=(1, 3))
    stretched = (blocks - blocks.min()) / (blocks.max() - blocks.min()) * 255
    np.testing.assert_allclose(picture[..., 0], stretched, atol=1)
    assert (picture[..., 0] == picture[..., 1]).all()
    assert (picture[..., 0] == picture[..., 2]).all()
    flat = conv.display_gray(np.full((5, 5), 7.0))
    assert flat.shape == (5, 5, 4) and (flat[..., 0] == 0).all()


def test_gray_image_names_offer_the_photos_and_a_digit():
    names = conv.gray_image_names()
    assert set(cl.data.sample_image_names()) <= set(names)
    assert conv.DIGIT in names
    np.testing.assert_array_equal(
        conv.gray_image("camera", 64), cl.data.sample_image("camera", True, 64)
    )
    digit = conv.gray_image(conv.DIGIT)
    _, (x_test, _) = cl.data.load_mnist()
    np.testing.assert_array_equal(digit, x_test[0])  # the first test digit
    assert digit.shape == (28, 28) and 0.05 < (digit > 127).mean() < 0.35
    assert not conv.gray_image("camera", 64).flags.writeable  # shared by the cache


def test_format_number_never_prints_minus_zero():
    assert [conv.format_number(v) for v in (-0.0, 1 / 3, 2, -1e-7)] == [
        "0",
        "0.3333",
        "2",
        "-1e-07",
    ]


# --- pooling a feature map (lecture 05) ---------------------------------------------------


def test_slide_feature_map_is_the_slides_convolution():
    np.testing.assert_array_equal(conv.SLIDE_FEATURE_MAP, SLIDE_MAP)


def test_edge_feature_map_is_a_rectified_sobel_response():
    edges = conv.edge_feature_map("camera", 64)
    assert edges.shape == (64, 64) and edges.min() == 0 and edges.max() > 0.5
    picture = conv.gray_image("camera", 64) / 255
    sobel = conv2d(picture, conv.kernel_preset("sobel"), padding="same")
    np.testing.assert_allclose(edges, np.maximum(sobel, 0))


def test_pool_feature_map_speaks_of_the_feature_map():
    np.testing.assert_array_equal(
        conv.pool_feature_map(SLIDE_MAP, 2, 2, "max"), [[17, 4], [14, -1]]
    )
    with pytest.raises(
        ValueError, match="a 5x5 window does not fit in the 4x4 feature"
    ):
        conv.pool_feature_map(SLIDE_MAP, 5, 1, "max")
    with pytest.raises(ValueError, match="mode must be one of 'max', 'avg'"):
        conv.pool_feature_map(SLIDE_MAP, 2, 2, "min")


def test_conv_never_imports_ipywidgets():
    import subprocess
    import sys

    code = (
        "import sys, course_lib as cl; cl.conv.kernel_preset('sobel'); cl.stacks; "
        "print('ipywidgets' in sys.modules)"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert output.stdout.strip() == "False"


# --- issue 12: sizes with a maximum, wrong types a clear error ---------------------------


def test_conv2d_refuses_a_huge_padding_or_output_before_allocating():
    import time

    start = time.perf_counter()
    with pytest.raises(ValueError, match="more than the 16,777,216 allowed"):
        conv2d(SLIDE_IMAGE, VERTICAL_EDGE, padding=10**6)
    with pytest.raises(ValueError, match="multiply-adds, more than"):
        conv2d(np.zeros((256, 256, 16), np.float32), np.zeros((31, 31, 16, 64)))
    assert time.perf_counter() - start < 1
    assert conv2d(SLIDE_IMAGE, VERTICAL_EDGE, padding="SAME").shape == (6, 6)


def test_same_pooling_keeps_the_size_like_keras():
    # 4x4 map, 3x3 windows, stride 2, "same": 2x2 out; the padding never wins or counts.
    result = pool2d(np.array(SLIDE_MAP), 3, 2, "max", padding="same")
    np.testing.assert_array_equal(result, [[17, 4], [14, -1]])
    assert result.dtype == np.array(SLIDE_MAP).dtype
    averages = pool2d(np.array(SLIDE_MAP), 3, 2, "avg", padding="same")
    np.testing.assert_allclose(averages[1, 1], np.mean([-5, -5, -5, -1]))
    with pytest.raises(
        ValueError, match="padding must be one of 'valid', 'same', got 'full'"
    ):
        pool2d(np.array(SLIDE_MAP), padding="full")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: conv.display_gray([]), "array must be a picture \\(H, W\\)"),
        (lambda: conv.display_gray(np.ones((4, 4)), max_side=0), "max_side must be"),
        (lambda: conv.format_number([]), "value must be a number"),
        (
            lambda: conv.grow_receptive_field(None, 1, 2, 2),
            "field must be an int >= 1 or a positive number",
        ),
        (
            lambda: conv.padding_amounts(None, 3, 2, "same"),
            "size must be an int from 1",
        ),
        (lambda: conv.receptive_field(np.array(0)), "layers must be a list of"),
        (lambda: conv.explore_convolution([], KERNEL3, 1, "same"), "image must be"),
        (
            lambda: conv.explain_pixel([[1.0]], [], 1, "valid", 0, 0),
            "kernel must be a kernel",
        ),
        (lambda: conv.pool_feature_map([], 2, 2, "max"), "feature_map must be"),
        (lambda: conv.gray_image("camera", 20_000), "size must be an int from 8"),
        (lambda: conv.gray_image(["camera"]), "name must be"),
        (lambda: conv.edge_feature_map("camera", 10**4), "size must be an int from 8"),
    ],
)
def test_explorer_helpers_refuse_wrong_types_with_a_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


KERNEL3 = np.ones((3, 3))


def test_lists_work_where_arrays_do():
    image = np.arange(36.0).reshape(6, 6)
    assert conv.explain_pixel(
        image.tolist(), KERNEL3.tolist(), 1, "valid", 1, 2
    ).value == (image[1:4, 2:5].sum())
    assert conv.preset_name([["a"] * 3] * 3) is None  # not numbers: no preset
