"""cl.widgets ConvolutionExplorer, PoolingExplorer and ReceptiveFieldExplorer (04-05)."""

from __future__ import annotations

import math

import ipywidgets as widgets
import numpy as np
import pytest

import course_lib as cl
from course_lib.conv import DIGIT, conv2d, kernel_preset
from course_lib.widgets.base import STALE_OPACITY


@pytest.fixture
def explorer():
    # 64 pixels keep the tests quick; the benchmark covers 512x512.
    return cl.widgets.ConvolutionExplorer("camera", kernel="vertical edge", size=64)


def _ends(control) -> list:
    """The values the generic widget test tries: each option, both ends, both ways."""
    if isinstance(control, widgets.Checkbox):
        return [not control.value, control.value]
    if hasattr(control, "options"):
        return list(control._options_values)
    if isinstance(control, (widgets.IntText, widgets.FloatText, widgets.Text)):
        return []
    return [control.min, control.max]


def _bad_value(control):
    if isinstance(control, widgets.IntText):
        return -1_000_000
    if isinstance(control, widgets.FloatText):
        return math.nan
    if isinstance(control, widgets.Text):
        return "???"
    return None


def _move_every_control(widget) -> int:
    """Each control to each end from the default state: the banner stays empty.
    Free-input controls get a bad value: a message, gone again once restored.
    Returns how many changes redrew the picture."""
    redrawn = 0
    assert widget.error.message == ""
    for name, control in widget.controls.items():
        default = control.value
        for value in _ends(control):
            before = widget.figure_image.value
            control.value = value
            assert widget.error.message == "", f"{name}={value!r}"
            redrawn += widget.figure_image.value != before
            control.value = default
            assert widget.error.message == "", f"{name} back to {default!r}"
        bad = _bad_value(control)
        if bad is not None:
            control.value = bad
            assert widget.error.message, f"{name}={bad!r} shows no message"
            control.value = default
            assert widget.error.message == "", f"{name} back to {default!r}"
    return redrawn


@pytest.mark.parametrize(
    "name", ["ConvolutionExplorer", "PoolingExplorer", "ReceptiveFieldExplorer"]
)
def test_every_control_end_is_valid(name):
    widget = getattr(cl.widgets, name)()
    assert isinstance(widget, cl.widgets.base.CourseWidget)
    assert _move_every_control(widget) > 0


# --- ConvolutionExplorer -------------------------------------------------------------


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
    assert set(explorer.controls) >= {"photo", "preset", "stride", "padding", "row"}


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
        explorer.result, conv2d(explorer.picture, kernel_preset("sharpen")), rtol=1e-5
    )
    explorer.preset.value = "custom"  # keeps the kernel as it is
    assert explorer.kernel[1, 1] == 5 and explorer.error.message == ""


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


def test_a_pixel_past_the_new_output_moves_to_its_last_row(explorer):
    explorer.row.value = 61
    explorer.stride.value = 2
    assert explorer.row.value == explorer.row.max == 30
    assert explorer.explanation.row == 30 and explorer.error.message == ""


def test_a_stride_too_large_shows_a_message_and_keeps_the_last_result(explorer):
    before = explorer.result.copy()
    explorer.stride.value = 200
    assert "stride 200 is too large for this 64x64 image" in explorer.error.message
    assert explorer.stale
    np.testing.assert_array_equal(explorer.result, before)
    explorer.stride.value = 1
    assert explorer.error.message == ""


def test_a_kernel_value_that_is_not_a_number_shows_a_message(explorer):
    explorer.kernel_cells[2].value = float("inf")
    assert "row 1, column 3 is not a finite number" in explorer.error.message
    explorer.kernel_cells[2].value = -1.0
    assert explorer.error.message == ""


def test_the_digit_is_a_photo_choice(explorer):
    explorer.photo.value = DIGIT
    assert explorer.picture.shape == (28, 28)
    assert explorer.result.shape == (26, 26)
    assert explorer.row.max == 25


def test_the_figure_is_sent_as_a_jpeg(explorer):
    assert explorer.figure_image.format == "jpeg"
    before = explorer.figure_image.value
    explorer.preset.value = "emboss"
    assert explorer.figure_image.value[:2] == b"\xff\xd8"  # a JPEG
    assert explorer.figure_image.value != before


# The banner describes the whole state: a change elsewhere never hides an error.


def test_a_bad_stride_stays_reported_when_another_photo_is_chosen():
    explorer = cl.widgets.ConvolutionExplorer("camera", size=64)
    explorer.stride.value = 100
    assert "stride 100 is too large for this 64x64" in explorer.error.message
    explorer.photo.value = "coins"  # 50x64: still too large
    assert "stride 100 is too large for this 50x64" in explorer.error.message
    explorer.photo.value = DIGIT
    assert "stride 100 is too large for this 28x28" in explorer.error.message
    explorer.stride.value = 2
    assert explorer.error.message == "" and explorer.result.shape == (13, 13)


def test_a_stride_valid_for_one_photo_is_reported_on_a_smaller_one():
    explorer = cl.widgets.ConvolutionExplorer("camera", size=128)
    explorer.stride.value = 100
    assert explorer.error.message == "" and explorer.result.shape == (2, 2)
    explorer.photo.value = DIGIT
    assert "stride 100 is too large for this 28x28" in explorer.error.message
    explorer.padding.value = "same"  # still too large for 28 pixels
    assert "stride 100 is too large" in explorer.error.message
    explorer.photo.value = "camera"
    assert explorer.error.message == ""


def test_a_zero_stride_typed_in_shows_the_error():
    with pytest.raises(
        ValueError, match="stride must be an int from 1 to 1,024, got 0"
    ):
        cl.widgets.ConvolutionExplorer("camera", stride=0, size=64)
    explorer = cl.widgets.ConvolutionExplorer("camera", size=64)
    explorer.stride.value = 0
    assert "stride must be an int from 1" in explorer.error.message
    explorer.stride.value = 1
    assert explorer.error.message == "" and explorer.result.shape == (62, 62)


def test_a_bad_kernel_cell_stays_reported_while_the_pixel_moves(explorer):
    explorer.kernel_cells[0].value = float("nan")
    message = explorer.error.message
    assert "row 1, column 1 is not a finite number" in message
    explorer.row.value = 10
    assert explorer.error.message == message
    explorer.column.value = 20
    explorer.padding.value = "same"
    explorer.photo.value = "coins"
    assert explorer.error.message == message
    explorer.kernel_cells[0].value = 1.0
    assert explorer.error.message == ""
    assert explorer.explanation.row == 10 and explorer.explanation.column == 20


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"photo": "cat"}, "unknown photo 'cat'; known: "),
        ({"kernel": "gauss"}, "kernel must be one of 'identity', .* got 'gauss'"),
        ({"padding": 3}, "padding must be one of 'valid', 'same', 1, 2, 5, got 3"),
        ({"padding": "full"}, "padding must be one of .* got 'full'"),
        ({"stride": "2"}, "stride must be an int from 1 to 1,024, got '2'"),
        ({"size": 2048}, "size must be an int from 8 to 1,024, got 2048"),
        ({"size": 4}, "size must be an int from 8 to 1,024, got 4"),
        ({"size": 64.5}, "size must be an int from 8 to 1,024, got 64.5"),
    ],
)
def test_convolution_explorer_rejects_bad_arguments_clearly(kwargs, message):
    with pytest.raises(ValueError, match=message):
        cl.widgets.ConvolutionExplorer(**kwargs)


def test_choices_are_matched_without_regard_to_case():
    explorer = cl.widgets.ConvolutionExplorer(
        "Camera", kernel="Sobel", padding="SAME", size=32
    )
    assert (explorer.photo.value, explorer.preset.value) == ("camera", "sobel")
    assert explorer.padding.value == "same" and explorer.result.shape == (32, 32)


def test_convolution_explorer_draws_on_artists_made_once(explorer):
    axes = explorer.figure.axes
    counts = [(len(a.texts), len(a.patches), len(a.lines), len(a.images)) for a in axes]
    explorer.preset.value = "blur"
    explorer.stride.value = 3
    explorer.row.value = 5
    assert [
        (len(a.texts), len(a.patches), len(a.lines), len(a.images)) for a in axes
    ] == counts


# --- PoolingExplorer -------------------------------------------------------------------


def test_pooling_explorer_reproduces_the_slide_and_switches_mode():
    pooling = cl.widgets.PoolingExplorer()
    np.testing.assert_array_equal(pooling.result, [[17, 4], [14, -1]])
    assert "16 numbers become 2x2 = 4" in pooling.caption.value
    assert len(pooling.texts) == 16 + 4  # small maps show their numbers
    assert [t.get_text() for t in pooling.output_texts[:2]] == ["17", "4"]
    pooling.mode.value = "avg"
    np.testing.assert_allclose(pooling.result, [[9.75, -3.0], [11.75, -4.0]])
    pooling.size.value, pooling.stride.value = 3, 1
    assert pooling.result.shape == (2, 2)


def test_pooling_explorer_on_a_photo_feature_map():
    pooling = cl.widgets.PoolingExplorer(feature="camera edges 64x64")
    assert pooling.feature_map.shape == (64, 64) and pooling.feature_map.min() >= 0
    assert pooling.result.shape == (32, 32)
    assert pooling.texts == []  # too many numbers to print
    np.testing.assert_array_equal(pooling.result, cl.conv.pool2d(pooling.feature_map))
    assert pooling.size.max == pooling.stride.max == 64


def test_pooling_sliders_end_where_the_window_still_fits():
    pooling = cl.widgets.PoolingExplorer()
    assert pooling.size.max == pooling.stride.max == 4
    pooling.size.value = 6  # past the end: the slider stops at 4
    assert pooling.size.value == 4
    assert pooling.error.message == ""
    assert pooling.result.tolist() == [[17]]


def test_the_small_map_after_a_large_window_shows_its_own_result():
    pooling = cl.widgets.PoolingExplorer("camera edges 64x64")
    pooling.size.value, pooling.stride.value = 8, 8
    assert pooling.result.shape == (8, 8)
    pooling.feature.value = "slide map 4x4"
    assert (pooling.size.value, pooling.stride.value) == (4, 4)
    assert pooling.error.message == ""
    assert pooling.result.tolist() == [[17]]
    assert len(pooling.texts) == 16 + 1
    assert "4x4 = 16 numbers become 1x1" in pooling.caption.value


def test_pooling_explorer_draws_on_artists_made_once():
    pooling = cl.widgets.PoolingExplorer()
    axes = pooling.figure.axes
    counts = [len(a.texts) for a in axes]
    pooling.feature.value = "coins edges 50x64"
    pooling.feature.value = "slide map 4x4"
    pooling.mode.value = "avg"
    assert [len(a.texts) for a in axes] == counts
    assert [len(a.patches) for a in axes] == [1, 0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"feature": "cat edges"},
            "feature must be one of 'slide map 4x4', .* got 'cat edges'",
        ),
        ({"mode": "min"}, "mode must be one of 'max', 'avg', got 'min'"),
    ],
)
def test_pooling_explorer_rejects_bad_arguments_clearly(kwargs, message):
    with pytest.raises(ValueError, match=message):
        cl.widgets.PoolingExplorer(**kwargs)
    assert cl.widgets.PoolingExplorer(mode="AVG").mode.value == "avg"


# --- ReceptiveFieldExplorer ------------------------------------------------------------


def test_receptive_field_explorer_follows_presets_and_text():
    rf = cl.widgets.ReceptiveFieldExplorer()
    assert rf.total_parameters == 75456
    assert "75,456" in rf.table.value
    rf.preset.value = "one 7x7 conv"
    assert rf.layers.value == "conv7" and rf.total_parameters == 9408
    assert sum(box.get_visible() for box in rf.boxes) == 1
    rf.layers.value = "conv3,conv3"
    assert rf.preset.value == "two 3x3 convs"
    assert [step.receptive_field for step in rf.trace] == [3, 5]
    rf.in_channels.value = 64
    assert rf.total_parameters == 2 * 9 * 64 * 64
    rf.layers.value = "conv3, conv5s2"
    assert rf.preset.value == "custom" and rf.trace[-1].output[0] == 16
    rf.bias.value = True
    assert rf.total_parameters == 2 * 9 * 64 * 64 + 25 * 64 * 64 - 9 * 64 * 64 + 128


def test_receptive_field_explorer_draws_each_field_on_the_input():
    rf = cl.widgets.ReceptiveFieldExplorer("conv7s2, pool3s2, conv3", input_size=64)
    assert rf.preset.value == "strided start"
    visible = [box for box in rf.boxes if box.get_visible()]
    for box, step in zip(visible, rf.trace, strict=True):
        first, last = step.window
        assert box.get_xy() == (first - 0.5, first - 0.5)
        assert box.get_width() == last - first + 1 == step.receptive_field
    labels = [label.get_text() for label in rf.labels if label.get_visible()]
    assert labels == ["after conv7s2: 7px", "after pool3s2: 11px", "after conv3: 19px"]
    assert rf.axes.get_legend() is None  # labels are text artists made once


def test_receptive_field_explorer_shows_bad_stacks_clearly():
    rf = cl.widgets.ReceptiveFieldExplorer()
    rf.layers.value = "conv3, maxpool"
    assert "cannot read 'maxpool'" in rf.error.message
    rf.layers.value = "conv3s00"
    assert "'conv3s00' has stride 0; the stride must be 1 or more" in rf.error.message
    rf.padding.value = "valid"  # another change keeps the message
    assert "has stride 0" in rf.error.message
    rf.layers.value = "conv9, conv9, conv9, conv9"
    assert "layer 4 (conv9) gets a 8x8 input" in rf.error.message
    rf.input_size.value = 64
    assert rf.error.message == ""
    assert rf.trace[-1].output == (32, 32, 64)


def test_long_stacks_draw_the_last_boxes_on_artists_made_once():
    rf = cl.widgets.ReceptiveFieldExplorer()
    patches, texts = len(rf.axes.patches), len(rf.axes.texts)
    rf.layers.value = ", ".join(["conv3"] * 12)
    assert rf.error.message == ""
    assert sum(box.get_visible() for box in rf.boxes) == rf.MAX_BOXES
    assert rf.boxes[-1].get_width() == rf.trace[-1].receptive_field == 25
    assert f"boxes for the last {rf.MAX_BOXES}" in rf.caption.value
    assert (len(rf.axes.patches), len(rf.axes.texts)) == (patches, texts)


def test_receptive_field_explorer_rejects_bad_arguments_clearly():
    with pytest.raises(ValueError, match="input_size must be an int from 8 to 128"):
        cl.widgets.ReceptiveFieldExplorer(input_size=500)
    with pytest.raises(ValueError, match="layers must be non-empty text"):
        cl.widgets.ReceptiveFieldExplorer(["conv3"])


def test_the_caption_of_an_old_output_is_marked_stale_until_the_state_is_valid():
    """Issue 12, item 1: the error stays and the picture says it is stale; the caption
    is rewritten only by a render of the whole state."""
    explorer = cl.widgets.ConvolutionExplorer("camera", size=128)
    explorer.stride.value = 100
    assert "output</b> 2x2" in explorer.caption.value
    explorer.photo.value = DIGIT
    assert explorer.stale and explorer.figure_image.layout.opacity == STALE_OPACITY
    assert "picture still shows the last valid settings" in explorer.error.message
    explorer.stride.value = 2
    assert not explorer.stale and explorer.figure_image.layout.opacity is None
    assert "input</b> 28x28 &rarr; <b>output</b> 13x13" in explorer.caption.value


def test_receptive_field_explorer_takes_a_preset_name_in_any_case():
    rf = cl.widgets.ReceptiveFieldExplorer("vgg Block")
    assert rf.preset.value == "VGG block" and rf.layers.value == "conv3, conv3, pool2"
    assert rf.error.message == ""
