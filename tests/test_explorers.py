"""cl.explorers: the pure functions and the three widgets of lectures 04-05."""

from __future__ import annotations

import numpy as np
import pytest
from slide_examples import SLIDE_IMAGE

import course_lib as cl
from course_lib import explorers
from course_lib.conv import conv2d


@pytest.fixture
def explorer():
    # 64 pixels keep the tests quick; the benchmark covers 512x512.
    return explorers.ConvolutionExplorer("camera", kernel="vertical edge", size=64)


# --- pure functions ----------------------------------------------------------------------


def test_every_preset_is_a_3x3_kernel_and_identity_changes_nothing():
    image = explorers.explorer_image("coins", 32).astype(float)
    for name in explorers.KERNEL_PRESETS:
        assert explorers.kernel_preset(name).shape == (3, 3), name
    same = conv2d(image, explorers.kernel_preset("identity"), padding="same")
    np.testing.assert_array_equal(same, image)
    np.testing.assert_allclose(explorers.kernel_preset("blur").sum(), 1.0)
    with pytest.raises(ValueError, match="unknown kernel 'gauss'"):
        explorers.kernel_preset("gauss")


def test_parse_kernel_accepts_numbers_and_names_the_bad_entry():
    kernel = explorers.parse_kernel(["1", 0, -1, 2, "0.5", -2, 1, 0, -1])
    assert kernel[1, 1] == 0.5 and kernel.shape == (3, 3)
    with pytest.raises(ValueError, match="row 2, column 3 is not a finite number: 'x'"):
        explorers.parse_kernel([0, 0, 0, 0, 0, "x", 0, 0, 0])
    with pytest.raises(ValueError, match="row 1, column 1 .* nan"):
        explorers.parse_kernel([float("nan")] + [0] * 8)
    with pytest.raises(ValueError, match="needs 9 values"):
        explorers.parse_kernel([1, 2, 3])


def test_explain_pixel_reproduces_the_slides_first_sum():
    kernel = np.array([[1, 0, -1]] * 3, dtype=float)
    explanation = explorers.explain_pixel(SLIDE_IMAGE, kernel, 1, "valid", 0, 0)
    assert explanation.value == 2
    assert explanation.formula(kernel) == (
        "0·1 + 0·0 + 5·(-1) + 3·1 + 4·0 + 1·(-1) + 6·1 + 7·0 + 1·(-1) = 2"
    )
    # every pixel of the map is the sum its explanation writes out
    result = conv2d(SLIDE_IMAGE, kernel, stride=2, padding=1)
    for (row, column), value in np.ndenumerate(result):
        e = explorers.explain_pixel(SLIDE_IMAGE, kernel, 2, 1, row, column)
        assert e.value == value
        assert (e.top, e.left) == (2 * row - 1, 2 * column - 1)


def test_explain_pixel_rejects_a_pixel_outside_the_output():
    kernel = np.ones((3, 3))
    with pytest.raises(ValueError, match=r"pixel \(4, 0\) is outside the 4x4 output"):
        explorers.explain_pixel(SLIDE_IMAGE, kernel, 1, "valid", 4, 0)


def test_explore_convolution_refuses_a_stride_too_large_for_the_image():
    kernel = np.ones((3, 3))
    result = explorers.explore_convolution(SLIDE_IMAGE, kernel, 3, "valid")
    assert result.shape == (2, 2)
    with pytest.raises(ValueError, match="stride 4 is too large for this 6x6 image"):
        explorers.explore_convolution(SLIDE_IMAGE, kernel, 4, "valid")
    with pytest.raises(ValueError, match="stride must be 1 or more"):
        explorers.explore_convolution(SLIDE_IMAGE, kernel, 0, "valid")


def test_display_gray_shrinks_large_arrays_and_stretches_values():
    picture = explorers.display_gray(
        np.arange(600 * 300, dtype=float).reshape(600, 300)
    )
    assert picture.shape == (200, 100, 4) and picture.dtype == np.uint8
    assert picture[..., 0].min() == 0 and picture[..., 0].max() == 255
    assert (picture[..., 3] == 255).all()
    flat = explorers.display_gray(np.full((5, 5), 7.0))
    assert flat.shape == (5, 5, 4) and (flat[..., 0] == 0).all()


def test_image_names_offer_the_photos_and_a_digit():
    names = explorers.image_names()
    assert set(cl.data.sample_image_names()) <= set(names)
    assert explorers.DIGIT in names
    assert explorers.explorer_image("camera", 64).shape == (64, 64)


# --- ConvolutionExplorer -------------------------------------------------------------------


def test_convolution_explorer_starts_with_the_chosen_kernel(explorer):
    assert explorer.error.message == ""
    np.testing.assert_array_equal(explorer.kernel, [[1, 0, -1]] * 3)
    assert [cell.value for cell in explorer.kernel_cells] == [1, 0, -1] * 3
    assert explorer.result.shape == (62, 62)
    np.testing.assert_allclose(
        explorer.result, conv2d(explorer.picture, explorer.kernel), rtol=1e-5
    )
    assert (explorer.row.max, explorer.column.max) == (61, 61)
    assert "input</b> 64x64" in explorer.caption.value
    assert "output</b> 62x62" in explorer.caption.value


def test_choosing_a_preset_fills_the_grid_and_recomputes(explorer):
    before = explorer.result.copy()
    explorer.preset.value = "sharpen"
    assert [cell.value for cell in explorer.kernel_cells] == [0, -1, 0, -1, 5, -1] + [
        0,
        -1,
        0,
    ]
    assert not np.allclose(explorer.result, before)
    np.testing.assert_allclose(
        explorer.result,
        conv2d(explorer.picture, explorers.kernel_preset("sharpen")),
        rtol=1e-5,
    )


def test_editing_a_cell_makes_a_custom_kernel(explorer):
    explorer.kernel_cells[4].value = 2.0
    assert explorer.preset.value == "custom"
    assert explorer.kernel[1, 1] == 2.0
    np.testing.assert_allclose(
        explorer.result, conv2d(explorer.picture, explorer.kernel), rtol=1e-5
    )
    explorer.kernel_cells[4].value = 0.0  # back to the vertical edge
    assert explorer.preset.value == "vertical edge"


def test_stride_and_padding_change_the_output_size(explorer):
    explorer.stride.value = 2
    assert explorer.result.shape == (31, 31)
    explorer.padding.value = "same"
    assert explorer.result.shape == (32, 32)
    explorer.padding.value = 5
    assert explorer.result.shape == (36, 36)
    assert explorer.row.max == 35


def test_picking_a_pixel_explains_it(explorer):
    explorer.padding.value = 1
    explorer.row.value, explorer.column.value = 0, 10
    e = explorer.explanation
    assert (e.row, e.column, e.top, e.left) == (0, 10, -1, 9)
    assert (e.window[0] == 0).all()  # the top row of the window is padding
    np.testing.assert_allclose(e.value, explorer.result[0, 10], rtol=1e-5)
    assert e.formula(explorer.kernel) in explorer.sum_text.value.replace("&#x27;", "'")
    assert explorer.window_box.get_xy() == (8.5, -1.5)


def test_a_stride_too_large_shows_a_message_and_keeps_the_last_result(explorer):
    before = explorer.result.copy()
    explorer.stride.value = 200
    assert "stride 200 is too large for this 64x64 image" in explorer.error.message
    np.testing.assert_array_equal(explorer.result, before)
    explorer.stride.value = 1
    assert explorer.error.message == ""


def test_a_kernel_value_that_is_not_a_number_shows_a_message(explorer):
    explorer.kernel_cells[2].value = float("inf")
    assert "row 1, column 3 is not a finite number" in explorer.error.message
    explorer.kernel_cells[2].value = -1.0
    assert explorer.error.message == ""


def test_the_digit_is_an_image_choice(explorer):
    explorer.image.value = explorers.DIGIT
    assert explorer.picture.shape == (28, 28)
    assert explorer.result.shape == (26, 26)
    assert explorer.row.max == 25


def test_the_figure_is_sent_as_an_image(explorer):
    assert explorer.figure_image.format == "jpeg"
    before = explorer.figure_image.value
    explorer.preset.value = "emboss"
    assert explorer.figure_image.value[:2] == b"\xff\xd8"  # a JPEG
    assert explorer.figure_image.value != before


# --- PoolingExplorer -----------------------------------------------------------------------


def test_pooling_explorer_reproduces_the_slide_and_switches_mode():
    pooling = explorers.PoolingExplorer()
    np.testing.assert_array_equal(pooling.result, [[17, 4], [14, -1]])
    assert "16 numbers become 2x2 = 4" in pooling.caption.value
    assert len(pooling.texts) == 16 + 4  # small maps show their numbers
    pooling.mode.value = "avg"
    np.testing.assert_allclose(pooling.result, [[9.75, -3.0], [11.75, -4.0]])
    pooling.size.value, pooling.stride.value = 3, 1
    assert pooling.result.shape == (2, 2)


def test_pooling_explorer_on_a_photo_feature_map():
    pooling = explorers.PoolingExplorer(feature="camera edges 64x64")
    assert pooling.feature_map.shape == (64, 64) and pooling.feature_map.min() >= 0
    assert pooling.result.shape == (32, 32)
    assert pooling.texts == []  # too many numbers to print
    np.testing.assert_array_equal(pooling.result, cl.conv.pool2d(pooling.feature_map))


def test_pooling_explorer_says_when_the_window_does_not_fit():
    pooling = explorers.PoolingExplorer()
    pooling.size.value = 6
    assert "a 6x6 window does not fit in the 4x4 feature map" in pooling.error.message
    pooling.size.value = 4
    assert pooling.error.message == ""
    assert pooling.result.tolist() == [[17]]


# --- ReceptiveFieldExplorer ----------------------------------------------------------------


def test_parse_layers():
    layers = explorers.parse_layers("conv3, pool2, conv7s2; pool3s1")
    assert [(x.kind, x.size, x.stride) for x in layers] == [
        ("conv", 3, 1),
        ("pool", 2, 2),
        ("conv", 7, 2),
        ("pool", 3, 1),
    ]
    assert [x.name for x in layers] == ["conv3", "pool2", "conv7s2", "pool3s1"]
    for bad in ("", "conv", "dense3", "conv3s0", "conv0"):
        with pytest.raises(ValueError, match="layers:"):
            explorers.parse_layers(bad)


def test_describe_stack_three_3x3_versus_one_7x7():
    three = explorers.describe_stack(explorers.parse_layers("conv3, conv3, conv3"))
    one = explorers.describe_stack(explorers.parse_layers("conv7"))
    assert [row["receptive_field"] for row in three] == [3, 5, 7]
    assert three[-1]["window"] == one[-1]["window"] == (12, 18)
    assert one[0]["weights"] == 9408
    assert [row["weights"] for row in three] == [1728, 36864, 36864]
    same_width = explorers.describe_stack(
        explorers.parse_layers("conv3, conv3, conv3"), in_channels=64
    )
    assert sum(row["weights"] for row in same_width) == 3 * 9 * 64 * 64 < 49 * 64 * 64


def test_describe_stack_sizes_match_a_real_convolution():
    layers = explorers.parse_layers("conv5, pool2, conv5, pool2")
    rows = explorers.describe_stack(layers, 28, 1, 8, padding="valid", bias=True)
    assert [row["output"] for row in rows] == [
        (24, 24, 8),
        (12, 12, 8),
        (8, 8, 8),
        (4, 4, 8),
    ]
    assert rows[0]["weights"] == (25 + 1) * 8
    x = np.zeros((28, 28))
    x = cl.conv.pool2d(conv2d(x, np.zeros((5, 5, 1, 8))), 2)
    assert x.shape == rows[1]["output"]
    assert rows[-1]["receptive_field"] == cl.conv.receptive_field(
        [(5, 1), (2, 2), (5, 1), (2, 2)]
    )


def test_describe_stack_window_is_where_an_impulse_reaches():
    """The drawn window is exactly the input pixels that change the centre output."""
    layers = explorers.parse_layers("conv3s2, conv3")
    row = explorers.describe_stack(layers, 16, 1, 1, padding="same")[-1]
    first, last = row["window"]
    reached = []
    for position in range(16):
        image = np.zeros((16, 16))
        image[8, position] = 1.0
        out = conv2d(image, np.ones((3, 3)), stride=2, padding="same")
        out = conv2d(out, np.ones((3, 3)), padding="same")
        centre = (out.shape[0] - 1) // 2
        if out[centre, centre] != 0:
            reached.append(position)
    assert (reached[0], reached[-1]) == (max(first, 0), min(last, 15))
    assert last - first + 1 == row["receptive_field"] == 7


def test_receptive_field_explorer_follows_presets_and_text():
    rf = explorers.ReceptiveFieldExplorer()
    assert rf.total_weights == 75456
    assert "75,456" in rf.table.value
    rf.preset.value = "one 7x7 conv"
    assert rf.layers.value == "conv7" and rf.total_weights == 9408
    assert len(rf.boxes) == 1
    rf.layers.value = "conv3, conv3"
    assert rf.preset.value == "two 3x3 convs"
    assert [row["receptive_field"] for row in rf.rows] == [3, 5]
    rf.in_channels.value = 64
    assert rf.total_weights == 2 * 9 * 64 * 64
    rf.layers.value = "conv3, conv5s2"
    assert rf.preset.value == "custom" and rf.rows[-1]["output"][0] == 16


def test_receptive_field_explorer_shows_bad_stacks_clearly():
    rf = explorers.ReceptiveFieldExplorer()
    rf.layers.value = "conv3, maxpool"
    assert "cannot read 'maxpool'" in rf.error.message
    rf.padding.value = "valid"
    rf.layers.value = "conv9, conv9, conv9, conv9"
    assert "layer 4 (conv9) gets a 8x8 input" in rf.error.message
    rf.input_size.value = 64
    assert rf.error.message == ""
    assert rf.rows[-1]["output"] == (32, 32, 64)
