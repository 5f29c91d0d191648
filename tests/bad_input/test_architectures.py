"""Bad input to cl.architectures and the lecture 13 widgets that the declarations alone
do not cover (tests/test_declared.py generates the rest)."""

from __future__ import annotations

from clear_errors import refused

import course_lib as cl
from course_lib import architectures


def test_an_unbuilt_model_or_a_builder_of_nothing_is_named():
    import keras

    unbuilt = keras.Sequential([keras.layers.Dense(3)])
    assert "keras.Input" in refused(lambda: architectures.summarize(unbuilt), "network")
    assert "returned int" in refused(
        lambda: architectures.summarize(lambda: 3), "network"
    )
    assert "'LeNet-5'" in refused(
        lambda: architectures.summarize("Xception"), "network"
    )


def test_a_layer_never_used_has_no_shapes_to_count():
    import keras

    message = refused(
        lambda: architectures.multiply_adds(keras.layers.Dense(2)), "layer"
    )
    assert "has not been used on an input" in message


def test_the_explorer_refuses_a_network_it_does_not_have():
    networks = {"LeNet-5": cl.zoo.lenet5}
    refused(
        lambda: cl.widgets.ArchitectureExplorer("VGG-D", networks=networks), "network"
    )
    refused(lambda: cl.widgets.ArchitectureExplorer(networks={"x": len}), "networks")


def test_the_history_chart_refuses_rows_without_a_year():
    row = dict(cl.data.load_ilsvrc_history()[0])
    row["year"] = "2012?"
    refused(lambda: cl.widgets.HistoryChart([row]), "history")


def test_liveplot_refuses_settings_it_cannot_show():
    refused(lambda: cl.widgets.LivePlot(metrics="loss"), "metrics")
    refused(lambda: cl.widgets.LivePlot(metrics=["loss", "loss"]), "metrics")
    refused(lambda: cl.widgets.LivePlot(epochs=0), "epochs")


def test_the_explorers_controls_answer_an_unknown_value_in_the_banner():
    explorer = cl.widgets.ArchitectureExplorer(
        "LeNet-5", networks={"LeNet-5": cl.zoo.lenet5}
    )
    explorer.network.value = "VGG-D"
    assert explorer.network.value == "LeNet-5"
    message = explorer.error.message
    assert "network must be one of 'LeNet-5'" in message
    assert "Invalid selection" not in message
    explorer.detail.value = "everything"
    assert "detail must be one of 'blocks', 'layers'" in explorer.error.message
    explorer.detail.value = "layers"
    assert explorer.error.message == ""
