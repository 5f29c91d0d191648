"""cl.conv: the slides' numbers, equality with TensorFlow and Keras, clear errors, and
the arithmetic behind the lecture 04-05 explorers (kernels, one pixel, pooled maps)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from slide_examples import SLIDE_IMAGE, SLIDE_MAP, VERTICAL_EDGE

import course_lib as cl
from course_lib import conv
from course_lib.conv import conv2d, conv_params, output_size, pool2d, receptive_field

EXAMPLES = settings(max_examples=40, deadline=None, derandomize=True)


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


@st.composite
def conv_cases(draw, paddings=("valid", "same", 0, 1, 2)):
    """A random image, kernel, stride and padding that fit together."""
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    padding = draw(st.sampled_from(paddings))
    pad = 0 if padding == "same" else (padding if isinstance(padding, int) else 0)
    smallest_h = 1 if padding == "same" else max(kh - 2 * pad, 1)
    smallest_w = 1 if padding == "same" else max(kw - 2 * pad, 1)
    height = draw(st.integers(smallest_h, 12))
    width = draw(st.integers(smallest_w, 12))
    c_in, c_out = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    image = rng.normal(size=(height, width, c_in)).astype(np.float32)
    kernel = rng.normal(size=(kh, kw, c_in, c_out)).astype(np.float32)
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
    expected = tf.nn.conv2d(image[np.newaxis], kernel, stride, tf_padding)[0]
    result = conv2d(image, kernel, stride=stride, padding=padding)
    assert result.shape == tuple(expected.shape)
    np.testing.assert_allclose(result, expected.numpy(), rtol=1e-4, atol=1e-4)


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
    layer.set_weights([kernel, bias])
    expected = np.asarray(layer(image[np.newaxis]))[0]
    result = conv2d(image, kernel, stride=stride, padding=padding) + bias
    np.testing.assert_allclose(result, expected, rtol=1e-4, atol=1e-4)


@st.composite
def pool_cases(draw):
    size = draw(st.integers(1, 4))
    stride = draw(st.sampled_from([None, 1, 2, 3]))
    height, width = draw(st.integers(size, 12)), draw(st.integers(size, 12))
    channels = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**16))
    x = np.random.default_rng(seed).normal(size=(height, width, channels))
    return x.astype(np.float32), size, stride


@EXAMPLES
@given(pool_cases(), st.sampled_from(["max", "avg"]))
def test_pool2d_equals_keras_pooling(case, mode):
    import keras

    x, size, stride = case
    layer_class = (
        keras.layers.MaxPooling2D if mode == "max" else keras.layers.AveragePooling2D
    )
    layer = layer_class(pool_size=size, strides=stride, padding="valid")
    expected = np.asarray(layer(x[np.newaxis]))[0]
    result = pool2d(x, size, stride, mode)
    assert result.shape == expected.shape
    np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-5)


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
        ({"stride": 0}, "stride must be a positive int"),
        ({"stride": 1.5}, "stride must be a positive int"),
        ({"padding": "full"}, 'padding must be "valid", "same" or an int'),
        ({"padding": -1}, "padding must be >= 0"),
        ({"kernel": np.ones((7, 7))}, "kernel 7x7 is larger than the padded image 6x6"),
        ({"kernel": np.ones((3, 3, 2, 1))}, "channel mismatch"),
        ({"kernel": [["a", "b"], ["c", "d"]]}, "kernel must hold numbers"),
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
        ({"size": 0}, "size must be a positive int"),
        ({"stride": -2}, "stride must be a positive int"),
        ({"mode": "min"}, 'mode must be "max" or "avg"'),
        ({"size": 7}, "size 7 is larger than the 6x6 input"),
    ],
)
def test_pool2d_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        pool2d(SLIDE_IMAGE, **kwargs)


def test_helpers_reject_bad_input():
    with pytest.raises(ValueError, match="p must be an int >= 0"):
        output_size(7, 3, -1, 1)
    with pytest.raises(ValueError, match="s must be a positive int"):
        output_size(7, 3, 0, 0)
    with pytest.raises(ValueError, match='p must be an int >= 0, "valid" or "same"'):
        output_size(7, 3, "full", 1)
    with pytest.raises(ValueError, match="c_in must be a positive int"):
        conv_params(3, 3, 0, 8)
    with pytest.raises(ValueError, match="layer 1 must be a"):
        receptive_field([(3, 1), 3])
    with pytest.raises(ValueError, match="stride of layer 0"):
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
    with pytest.raises(ValueError, match="unknown kernel 'gauss'; known: identity, "):
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
    with pytest.raises(ValueError, match="stride must be 1 or more"):
        conv.explore_convolution(SLIDE_IMAGE, kernel, 0, "valid")
    with pytest.raises(ValueError, match="stride must be a whole number"):
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
    flat = conv.display_gray(np.full((5, 5), 7.0))
    assert flat.shape == (5, 5, 4) and (flat[..., 0] == 0).all()


def test_gray_image_names_offer_the_photos_and_a_digit():
    names = conv.gray_image_names()
    assert set(cl.data.sample_image_names()) <= set(names)
    assert conv.DIGIT in names
    assert conv.gray_image("camera", 64).shape == (64, 64)
    assert conv.gray_image(conv.DIGIT).shape == (28, 28)
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
    with pytest.raises(ValueError, match='mode must be "max" or "avg"'):
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
