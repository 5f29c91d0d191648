"""course_lib.architecture (layer tables, receptive fields, the explorer) and course_lib.ilsvrc."""

from __future__ import annotations

import functools

import keras
import numpy as np
import pytest
from keras import layers

import course_lib as cl
from course_lib import architecture, ilsvrc, zoo


@functools.cache
def summary(name: str) -> architecture.Architecture:
    """Each network summarized once per test run (shapes only, then released)."""
    return architecture.summarize(name)


def _one_layer_rows(layer, input_shape):
    inputs = keras.Input(input_shape)
    with zoo.shapes_only():
        model = keras.Model(inputs, layer(inputs))
    rows = architecture.analyse(model)
    del model
    return rows[-1]


def test_multiply_adds_of_single_layers():
    # 24*24 positions, 6 filters, each 5*5*3 products: the slides' Conv2D(6, 5) on 28x28x3.
    conv = _one_layer_rows(layers.Conv2D(6, 5), (28, 28, 3))
    assert (conv.output_shape, conv.parameters) == ((24, 24, 6), 456)
    assert conv.multiply_adds == 24 * 24 * 6 * 5 * 5 * 3
    assert _one_layer_rows(layers.Dense(10), (100,)).multiply_adds == 1000
    depthwise = _one_layer_rows(layers.DepthwiseConv2D(3, padding="same"), (8, 8, 4))
    assert depthwise.multiply_adds == 8 * 8 * 4 * 9
    grouped = _one_layer_rows(layers.Conv2D(8, 1, groups=2), (5, 5, 4))
    assert grouped.multiply_adds == 5 * 5 * 8 * 2
    transposed = _one_layer_rows(layers.Conv2DTranspose(3, 2, strides=2), (4, 4, 5))
    assert transposed.output_shape == (8, 8, 3)
    assert transposed.multiply_adds == 4 * 4 * 5 * 2 * 2 * 3
    assert _one_layer_rows(layers.MaxPooling2D(2), (8, 8, 4)).multiply_adds == 0
    zoo.release()


def test_three_stacked_3x3_see_what_one_7x7_sees():
    inputs = keras.Input((32, 32, 3))
    x = inputs
    with zoo.shapes_only():
        for i in range(3):
            x = layers.Conv2D(64, 3, name=f"stack_conv{i}")(x)
        stacked = keras.Model(inputs, x)
        single = keras.Model(inputs, layers.Conv2D(64, 7, use_bias=False)(inputs))
    fields = [r.receptive_field for r in architecture.analyse(stacked)]
    assert fields == [1, 3, 5, 7]
    assert architecture.analyse(single)[-1].receptive_field == 7
    assert single.count_params() == 9408  # slide 004: 7*7*3*64
    del stacked, single
    zoo.release()


def test_strides_make_the_field_grow_faster():
    inputs = keras.Input((32, 32, 3))
    with zoo.shapes_only():
        x = layers.Conv2D(4, 3, strides=2)(inputs)
        x = layers.Conv2D(4, 3)(x)
        model = keras.Model(inputs, x)
    assert [r.receptive_field for r in architecture.analyse(model)] == [1, 3, 7]
    del model
    zoo.release()


@pytest.mark.parametrize(
    "name, depth",
    [
        ("LeNet-5", 5),
        ("AlexNet", 8),
        ("VGG-D", 16),
        ("VGG-E", 19),
        ("GoogLeNet", 22),
        ("ResNet-152", 152),
        ("DenseNet-121", 121),
        ("MobileNetV2", 53),
        ("U-Net", 23),
    ],
)
def test_depth_is_the_number_in_the_name(name, depth):
    assert summary(name).depth == depth


def test_known_receptive_fields_and_multiply_adds():
    vgg16 = summary("VGG-D")
    by_name = {r.name: r for r in vgg16.rows}
    assert by_name["block5_conv3"].receptive_field == 196
    assert by_name["block5_pool"].receptive_field == 212
    alexnet = {r.name: r for r in summary("AlexNet").rows}
    assert alexnet["conv5_pool"].receptive_field == 195
    assert round(vgg16.multiply_adds / 1e9, 1) == 15.5  # the usual 15.5 G for VGG16
    assert round(summary("ResNet-152").multiply_adds / 1e9, 1) == 11.3  # He et al.
    assert (
        round(summary("MobileNetV2").multiply_adds / 1e6, -1) == 300
    )  # Sandler et al.


def test_blocks_add_up_to_the_layers():
    resnet = summary("ResNet-152")
    assert sum(b.parameters for b in resnet.blocks) == resnet.parameters == 60_419_944
    assert sum(b.layers for b in resnet.blocks) == len(resnet.rows)
    assert sum(b.multiply_adds for b in resnet.blocks) == resnet.multiply_adds
    kinds = {b.name: b.kind for b in resnet.blocks}
    assert kinds["conv3block2"] == "residual" and kinds["head"] == "dense"
    googlenet = {b.name: b.kind for b in summary("GoogLeNet").blocks}
    assert googlenet["inception4a"] == "concatenation"


def test_summarize_takes_a_model_or_a_builder():
    cl.set_seed(0)
    lenet = zoo.lenet5()
    from_model = architecture.summarize(lenet)
    from_builder = architecture.summarize(zoo.lenet5, name="LeNet")
    assert from_model.parameters == from_builder.parameters == 61_706
    assert from_builder.name == "LeNet" and from_model.name == "lenet5"
    assert lenet(np.zeros((1, 32, 32, 1), "float32")).shape == (1, 10)  # still usable


def test_receptive_field_growth_and_text_table():
    growth = architecture.receptive_field_growth(summary("VGG-D").rows)
    assert growth[:4] == [(1, 3), (2, 5), (3, 10), (4, 14)]
    assert len(growth) == 16
    text = architecture.format_table(summary("LeNet-5").rows)
    assert "c5_conv" in text and "48,120" in text and "1×1×120" in text
    short = architecture.format_table(summary("VGG-D").rows, limit=3)
    assert short.endswith(f"and {len(summary('VGG-D').rows) - 3} more rows")
    assert architecture.format_count(138_357_544) == "138.4 M"
    assert architecture.format_count(15.47e9) == "15.5 G"
    assert architecture.format_count(840) == "840"


def test_block_diagram_draws_one_box_per_block():
    figure = cl.viz.new_figure()
    axes = figure.subplots()
    blocks = summary("VGG-D").blocks
    boxes = architecture.draw_blocks(axes, blocks)
    assert len(boxes) == len(blocks)
    heights = [box.get_height() for box in boxes]
    assert heights[1] > heights[5]  # the maps shrink along VGG


def _small_networks():
    def broken():
        raise ValueError("this network cannot be built")

    return {"LeNet-5": zoo.lenet5, "AlexNet": zoo.alexnet, "broken": broken}


def test_explorer_follows_the_dropdown():
    explorer = architecture.ArchitectureExplorer(_small_networks())
    assert explorer.summary.parameters == 61_706
    assert "61,706" in explorer.totals.value
    assert "c5" in explorer.table.value and "c5_conv" not in explorer.table.value
    first_field = explorer.field_line.get_ydata().copy()
    explorer.detail.value = "layers"
    assert "c5_conv" in explorer.table.value
    explorer.network.value = "AlexNet"
    assert explorer.error.message == ""
    assert explorer.summary.parameters == 62_378_344
    assert "conv5_conv" in explorer.table.value
    assert list(explorer.field_line.get_ydata()) != list(first_field)
    assert max(explorer.field_line.get_ydata()) == 355


def test_explorer_shows_errors_and_refuses_unknown_names():
    explorer = architecture.ArchitectureExplorer(_small_networks())
    explorer.network.value = "broken"
    assert explorer.error.message == "this network cannot be built"
    explorer.network.value = "LeNet-5"
    assert explorer.error.message == ""
    with pytest.raises(ValueError, match="known: LeNet-5, AlexNet"):
        architecture.ArchitectureExplorer(_small_networks(), value="Xception")


# ---------------------------------------------------------------------------------------
# ILSVRC history


def test_history_holds_the_slides_numbers_with_sources():
    history = ilsvrc.load_history()
    assert all(row["source"] for row in history)
    top = {row["year"]: row for row in ilsvrc.winners(history)}
    errors = {year: row["top5_error_percent"] for year, row in top.items()}
    assert errors == {
        2011: 25.7,
        2012: 16.4,
        2013: 11.7,
        2014: 6.67,
        2015: 3.57,
        2016: 2.99,
        2017: 2.25,
    }
    assert [top[y]["depth"] for y in (2012, 2014, 2015)] == [8, 22, 152]
    vgg = next(r for r in history if r["team"] == "VGG")
    assert (vgg["top5_error_percent"], vgg["depth"]) == (7.32, 19)
    with_extra = ilsvrc.winners(history, external_data=True)
    assert with_extra[1]["top5_error_percent"] == 15.3


def test_history_chart_toggles():
    chart = ilsvrc.HistoryChart()
    assert chart.visible == {
        "depth": True,
        "parameters": True,
        "human": True,
        "external": False,
    }
    assert list(chart.human_line.get_ydata()) == [5.1, 5.1]
    assert "Russakovsky" in chart.caption.value
    png = chart.image.value
    chart.show_depth.value = False
    chart.show_external.value = True
    assert chart.visible["depth"] is False and chart.visible["external"] is True
    assert chart.image.value != png
    chart.show_parameters.value = False
    assert chart.axes_size.get_legend() is None
    assert chart.error.message == ""
    with pytest.raises(ValueError, match="empty"):
        ilsvrc.HistoryChart([])
