"""course_lib.architectures: layer tables, receptive fields, block diagrams, ILSVRC winners.

The widgets built on them are tested in tests/widgets/test_architectures.py.
"""

from __future__ import annotations

import doctest
import functools
import itertools

import keras
import numpy as np
import pytest
from keras import layers
from matplotlib.figure import Figure

import course_lib as cl
from course_lib import architectures, zoo


@functools.cache
def summary(name: str) -> architectures.Architecture:
    """Each network summarized once per test run (shapes only, then released)."""
    return architectures.summarize(name)


def _one_layer_rows(layer, input_shape):
    inputs = keras.Input(input_shape)
    with zoo.shapes_only():
        model = keras.Model(inputs, layer(inputs))
    rows = architectures.analyse(model)
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
    fields = [r.receptive_field for r in architectures.analyse(stacked)]
    assert fields == [1, 3, 5, 7]
    assert architectures.analyse(single)[-1].receptive_field == 7
    assert single.count_params() == 9408  # slide 004: 7*7*3*64
    del stacked, single
    zoo.release()


def test_strides_make_the_field_grow_faster():
    inputs = keras.Input((32, 32, 3))
    with zoo.shapes_only():
        x = layers.Conv2D(4, 3, strides=2)(inputs)
        x = layers.Conv2D(4, 3)(x)
        model = keras.Model(inputs, x)
    assert [r.receptive_field for r in architectures.analyse(model)] == [1, 3, 7]
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
    from_model = architectures.summarize(lenet)
    from_builder = architectures.summarize(zoo.lenet5, name="LeNet")
    assert from_model.parameters == from_builder.parameters == 61_706
    assert from_builder.name == "LeNet" and from_model.name == "lenet5"
    assert lenet(np.zeros((1, 32, 32, 1), "float32")).shape == (1, 10)  # still usable


def test_receptive_field_growth_and_text_table():
    growth = architectures.receptive_field_growth(summary("VGG-D").rows)
    assert growth[:4] == [(1, 3), (2, 5), (3, 10), (4, 14)]
    assert len(growth) == 16
    text = architectures.format_table(summary("LeNet-5").rows)
    assert "c5_conv" in text and "48,120" in text and "1×1×120" in text
    short = architectures.format_table(summary("VGG-D").rows, limit=3)
    assert short.endswith(f"and {len(summary('VGG-D').rows) - 3} more rows")
    assert architectures.format_count(138_357_544) == "138.4 M"
    assert architectures.format_count(15.47e9) == "15.5 G"
    assert architectures.format_count(840) == "840"


def test_block_diagram_draws_one_box_per_block():
    axes = Figure().subplots()
    blocks = summary("VGG-D").blocks
    boxes = architectures.draw_blocks(axes, blocks)
    assert len(boxes) == len(blocks) == len(axes.patches)
    heights = [box.get_height() for box in boxes]
    assert heights[1] > heights[5]  # the maps shrink along VGG
    legend = [text.get_text() for text in axes.get_legend().get_texts()]
    assert legend == ["convolution", "dense", "other"]  # the kinds VGG-D has
    layout = architectures.block_boxes(blocks)
    assert [(b.get_x(), b.get_width(), b.get_height()) for b in boxes] == layout
    gaps = [x2 - (x1 + w1) for (x1, w1, _), (x2, _, _) in itertools.pairwise(layout)]
    assert gaps == pytest.approx([architectures.BLOCK_GAP] * (len(blocks) - 1))
    with pytest.raises(
        ValueError, match="blocks must be a list of LayerRow.*not empty, got 0 values"
    ):
        architectures.block_boxes([])


# ---------------------------------------------------------------------------------------
# Sequential models, bad input, the one receptive-field step


def test_summarize_takes_the_courses_sequential_convnet():
    model = cl.zoo.slides_convnet()
    result = architectures.summarize(model)
    assert result.parameters == model.count_params() == 437_482
    assert result.input_shape == (28, 28, 1) and result.output_shape == (10,)
    assert result.depth == 4  # two convolutions, two dense layers
    fields = {row.name: row.receptive_field for row in result.rows}
    assert fields == {
        "input": 1,
        "conv1": 5,
        "conv2": 9,
        "pool": 10,
        "dropout1": 10,
        "flatten": 28,  # the whole 10x10 map, 2 pixels apart: the whole digit
        "dense": 28,
        "dropout2": 28,
        "output": 28,
    }
    by_name = {row.name: row for row in result.rows}
    assert by_name["dense"].multiply_adds == 3200 * 128
    assert by_name["conv2"].multiply_adds == 20 * 20 * 32 * 5 * 5 * 32


def test_summarize_takes_a_sequential_model_built_without_keras_input():
    model = keras.Sequential(
        [layers.Conv2D(4, 3), layers.MaxPooling2D(2), layers.Flatten(), layers.Dense(3)]
    )
    with pytest.raises(ValueError, match="give it a keras.Input first"):
        architectures.summarize(model)
    model.build((None, 12, 12, 1))
    rows = architectures.analyse(model)
    assert [row.kind for row in rows] == [
        "InputLayer",
        "Conv2D",
        "MaxPooling2D",
        "Flatten",
        "Dense",
    ]
    assert [row.output_shape for row in rows] == [
        (12, 12, 1),
        (10, 10, 4),
        (5, 5, 4),
        (100,),
        (3,),
    ]
    assert [row.receptive_field for row in rows] == [1, 3, 4, 12, 12]
    assert architectures.summarize(model).parameters == 40 + 303


def test_summarize_refuses_what_is_not_a_network():
    with pytest.raises(ValueError, match="network must be one of 'LeNet-5', 'AlexNet'"):
        architectures.summarize("Xception")
    with pytest.raises(ValueError, match="must be a name from cl.zoo.NETWORKS"):
        architectures.summarize(42)
    with pytest.raises(ValueError, match="returned int, not a model"):
        architectures.summarize(lambda: 42)
    assert architectures.summarize("lenet-5").name == "LeNet-5"


def test_the_receptive_field_grows_through_cl_conv(monkeypatch):
    steps = []

    def spy(field, jump, kernel, stride):
        steps.append((kernel, stride))
        return cl.conv.grow_receptive_field(field, jump, kernel, stride)

    monkeypatch.setattr(architectures, "grow_receptive_field", spy)
    inputs = keras.Input((16, 16, 3))
    with zoo.shapes_only():
        x = layers.Conv2D(4, 3, strides=2)(inputs)
        x = layers.MaxPooling2D(2)(x)
        x = layers.Conv2DTranspose(4, 2, strides=2)(x)
        x = layers.UpSampling2D(2)(x)
        x = layers.Conv2D(4, 3, dilation_rate=2)(x)
        model = keras.Model(inputs, x)
    rows = architectures.analyse(model)
    del model
    zoo.release()
    assert steps == [(3, 2), (2, 2), (1, 0.5), (1, 0.5), (5, 1)]
    assert [row.jump for row in rows] == [1, 2, 4, 2, 1, 1]
    assert [row.receptive_field for row in rows] == [1, 3, 5, 5, 5, 9]


def test_the_docstring_examples_run():
    runner = doctest.DocTestRunner()
    modules = [architectures, architectures.diagram, architectures.history]
    finder = doctest.DocTestFinder()
    tests = [t for m in modules for t in finder.find(m) if t.examples]
    assert {t.name.rsplit(".", 1)[-1] for t in tests} >= {
        "analyse",
        "summarize",
        "block_boxes",
        "winners",
    }
    for test in tests:
        runner.run(test)
    assert runner.failures == 0


# ---------------------------------------------------------------------------------------
# ILSVRC winners, on the table of cl.data.load_ilsvrc_history() (its only tests so far)


def test_history_holds_the_slides_numbers_with_sources():
    history = cl.data.load_ilsvrc_history()
    assert all(row["source"] for row in history)
    top = {row["year"]: row for row in architectures.winners(history)}
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
    with_extra = architectures.winners(history, external_data=True)
    assert with_extra[1]["top5_error_percent"] == 15.3
    below_human = [
        r for r in top.values() if r["top5_error_percent"] < cl.data.HUMAN_TOP5_ERROR
    ]
    assert min(r["year"] for r in below_human) == 2015


def test_winners_keeps_only_first_places_of_the_challenge_data():
    history = [
        {"year": 2020, "place": 2, "top5_error_percent": 1.0, "external_data": "no"},
        {"year": 2020, "place": 1, "top5_error_percent": 3.0, "external_data": "no"},
        {"year": 2020, "place": 1, "top5_error_percent": 2.0, "external_data": "yes"},
        {"year": 2019, "place": 1, "top5_error_percent": 4.0, "external_data": "no"},
    ]
    assert [r["top5_error_percent"] for r in architectures.winners(history)] == [4, 3]
    with_extra = architectures.winners(history, external_data=True)
    assert [r["top5_error_percent"] for r in with_extra] == [4, 2]
    assert architectures.winners([]) == []


# --- issue 12: wrong types give a ValueError naming what is expected -------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: architectures.analyse([]), "model must be a built Keras model"),
        (
            lambda: architectures.block_boxes(100_000),
            "blocks must be a list of LayerRow",
        ),
        (lambda: architectures.group_blocks([1, 2]), r"rows\[0\] must be a LayerRow"),
        (lambda: architectures.receptive_field_growth(np.array(0)), "rows must be"),
        (lambda: architectures.format_table("rows"), "rows must be a list of LayerRow"),
        (lambda: architectures.format_count([]), "number must be a finite number"),
        (lambda: architectures.format_shape(np.array(0)), "shape must be a list"),
        (lambda: architectures.multiply_adds("conv"), "layer must be a Keras layer"),
        (lambda: architectures.summarize(len), "network must be a function of no"),
        (
            lambda: architectures.summarize("LeNet-5", name=3),
            "name must be non-empty text",
        ),
        (
            lambda: architectures.winners([{"place": 1}]),
            "history must be the rows of cl.data.load_ilsvrc_history",
        ),
    ],
)
def test_wrong_types_give_a_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_draw_blocks_and_format_table_check_axes_and_limit():
    blocks = architectures.summarize("LeNet-5").blocks
    with pytest.raises(ValueError, match="axes must be matplotlib axes"):
        architectures.draw_blocks([], blocks)
    with pytest.raises(ValueError, match="limit must be an int from 0"):
        architectures.format_table(blocks, limit=-1)
    assert architectures.format_table(blocks, limit=2.0).count("\n") == 4  # 2 rows + 3
