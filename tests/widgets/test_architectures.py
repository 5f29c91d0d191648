"""cl.widgets.ArchitectureExplorer and cl.widgets.HistoryChart (lecture 13).

The generic contract test (tests/widgets/test_contract.py) builds both with no arguments
and moves every control; these tests check what is special to each.
"""

from __future__ import annotations

import keras
import matplotlib.colors
import pytest

import course_lib as cl
from course_lib import zoo


def _small_networks():
    def broken():
        raise ValueError("this network cannot be built")

    def no_weights():
        inputs = keras.Input((8, 8, 1))
        return keras.Model(inputs, keras.layers.MaxPooling2D(2)(inputs))

    return {
        "LeNet-5": zoo.lenet5,
        "AlexNet": zoo.alexnet,
        "broken": broken,
        "pooling only": no_weights,
    }


@pytest.fixture
def explorer():
    return cl.widgets.ArchitectureExplorer(networks=_small_networks())


def test_explorer_follows_the_dropdown(explorer):
    assert explorer.network.value == "LeNet-5"
    assert explorer.summary.parameters == 61_706
    assert "61,706" in explorer.caption.value
    assert "c5" in explorer.table.value and "c5_conv" not in explorer.table.value
    first_field = explorer.field_line.get_ydata().copy()
    first_png = explorer.figure_image.value
    explorer.detail.value = "layers"
    assert "c5_conv" in explorer.table.value
    explorer.network.value = "AlexNet"
    assert explorer.error.message == ""
    assert explorer.summary.parameters == 62_378_344
    assert "conv5_conv" in explorer.table.value  # still the layer table
    assert list(explorer.field_line.get_ydata()) != list(first_field)
    assert max(explorer.field_line.get_ydata()) == 355
    assert list(explorer.input_line.get_ydata()) == [227, 227]
    assert explorer.figure_image.value != first_png


def _box_heights(explorer) -> list[float]:
    return [path.get_extents().height for path in explorer.diagram.get_paths()]


def test_explorer_updates_artists_made_once(explorer):
    axes = explorer.axes_blocks
    artists = [explorer.field_line, explorer.input_line]
    legend = axes.get_legend()
    explorer.network.value = "AlexNet"
    assert len(_box_heights(explorer)) == len(explorer.summary.blocks)
    explorer.network.value = "LeNet-5"
    blocks = explorer.summary.blocks
    assert _box_heights(explorer) == pytest.approx(
        [height for _, _, height in cl.architectures.block_boxes(blocks)]
    )
    colors = explorer.diagram.get_facecolor()
    assert len(colors) == len(blocks)
    assert tuple(colors[1]) == matplotlib.colors.to_rgba("tab:blue")  # c1: convolution
    explorer.network.value = "AlexNet"
    assert list(axes.collections) == [explorer.diagram] and not axes.patches
    assert explorer.axes_field.get_lines() == artists
    assert axes.get_legend() is legend


def test_explorer_names_at_most_thirty_blocks():
    explorer = cl.widgets.ArchitectureExplorer("densenet-121")
    assert explorer.network.value == "DenseNet-121"
    blocks = explorer.summary.blocks
    assert len(blocks) == 64 and explorer.MAX_NAMES == 30
    labels = [label.get_text() for label in explorer.axes_blocks.get_xticklabels()]
    assert labels[:3] == [blocks[0].name, blocks[3].name, blocks[6].name]
    assert len(labels) == 22
    assert (
        labels[0] == "input" and "one name every" in explorer.axes_blocks.get_xlabel()
    )
    assert len(_box_heights(explorer)) == len(blocks)


def test_explorer_shows_errors_and_refuses_unknown_names(explorer):
    picture = explorer.figure_image.value
    explorer.network.value = "broken"
    assert explorer.error.message.startswith("this network cannot be built")
    assert explorer.stale and explorer.figure_image.value == picture
    assert explorer.summary.name == "LeNet-5"  # the last valid network
    explorer.network.value = "pooling only"
    assert explorer.error.message.startswith("pooling only has no convolution or dense")
    explorer.network.value = "AlexNet"
    assert explorer.error.message == "" and not explorer.stale
    with pytest.raises(ValueError, match="unknown network 'Xception'; known: LeNet-5"):
        cl.widgets.ArchitectureExplorer("Xception", networks=_small_networks())
    with pytest.raises(ValueError, match="with at least one network, got {}"):
        cl.widgets.ArchitectureExplorer(networks={})


def test_history_chart_toggles():
    chart = cl.widgets.HistoryChart()
    assert chart.visible == {
        "depth": True,
        "parameters": True,
        "human": True,
        "external": False,
    }
    assert list(chart.human_line.get_ydata()) == [5.1, 5.1]
    assert "Russakovsky" in chart.caption.value
    png = chart.figure_image.value
    chart.show_depth.value = False
    chart.show_external.value = True
    assert chart.visible["depth"] is False and chart.visible["external"] is True
    assert chart.figure_image.value != png
    greyed = {
        text.get_text(): text.get_alpha() for text in chart.legend_size.get_texts()
    }
    assert greyed == {"depth (layers)": 0.3, "parameters (millions)": 1.0}
    assert "depth" not in chart.caption.value.split(".")[0]
    chart.show_parameters.value = False
    assert not chart.legend_size.get_visible()  # nothing left to explain
    assert chart.axes_size.get_legend() is chart.legend_size  # the same legend
    chart.show_depth.value = True
    assert chart.legend_size.get_visible()
    assert chart.error.message == ""


def test_history_chart_takes_a_table_and_refuses_an_empty_one():
    history = cl.data.load_ilsvrc_history()
    chart = cl.widgets.HistoryChart([r for r in history if r["year"] <= 2014])
    assert chart.axes_error.get_xlim() == (2010.5, 2014.5)
    with pytest.raises(ValueError, match="got no rows"):
        cl.widgets.HistoryChart([])


# -- issue 12: what is not a table of networks or of results gets a clear error --------


@pytest.mark.parametrize(
    ("networks", "message"),
    [
        ([zoo.lenet5], "networks must be a dict of name -> function"),
        ({"LeNet-5": "lenet5"}, r"networks\['LeNet-5'\] must be a function of no"),
    ],
)
def test_explorer_refuses_networks_that_are_not_a_dict_of_functions(networks, message):
    with pytest.raises(ValueError, match=message):
        cl.widgets.ArchitectureExplorer(networks=networks)


def test_explorer_matches_names_without_regard_to_case():
    explorer = cl.widgets.ArchitectureExplorer(" lenet-5", networks=_small_networks())
    assert explorer.network.value == "LeNet-5" and explorer.error.message == ""


@pytest.mark.parametrize(
    ("history", "message"),
    [
        ("abc", r"history must be the rows of cl.data.load_ilsvrc_history\(\)"),
        (5, r"history must be the rows of cl.data.load_ilsvrc_history\(\)"),
        ([{"year": 2012}], "got row 0 without network, place"),
        ([None], "got row 0 without year"),
    ],
)
def test_history_chart_refuses_rows_it_cannot_draw(history, message):
    with pytest.raises(ValueError, match=message):
        cl.widgets.HistoryChart(history)
