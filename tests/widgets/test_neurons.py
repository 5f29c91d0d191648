"""cl.widgets NeuronExplorer and GradientDescentPlayground (course_lib/widgets/neurons.py)."""

from __future__ import annotations

import numpy as np
import pytest

import course_lib as cl


def test_neuron_explorer_follows_its_controls():
    explorer = cl.widgets.NeuronExplorer()
    assert explorer.y.max() < 1  # a sigmoid
    before = explorer.figure_image.value
    explorer.activation.value = "relu"
    explorer.bias.value = 1.0
    assert explorer.y[-1] == pytest.approx(7.0)  # relu(1 * 6 + 1)
    explorer.weight.value = -2.0
    assert explorer.slope[0] == pytest.approx(-2.0)  # at x = -6 the relu is active
    assert explorer.y[-1] == 0.0
    assert explorer.error.message == ""
    assert explorer.figure_image.value != before
    assert explorer.title.get_text() == "y = relu(-2·x + 1)"
    assert "at x = 0 the output is 1.000" in explorer.caption.value
    np.testing.assert_allclose(explorer.output_line.get_ydata(), explorer.y)


def test_neuron_explorer_takes_its_settings_or_a_clear_error():
    explorer = cl.widgets.NeuronExplorer("TANH", weight=2.0, bias=-1.0)
    assert explorer.activation.value == "tanh"
    assert (explorer.weight.value, explorer.bias.value) == (2.0, -1.0)
    with pytest.raises(
        ValueError, match="activation must be one of 'sigmoid', .* got 'swish'"
    ):
        cl.widgets.NeuronExplorer("swish")
    with pytest.raises(ValueError, match="weight must be a number from -5 to 5, got 9"):
        cl.widgets.NeuronExplorer(weight=9)
    with pytest.raises(ValueError, match="bias must be a (finite )?number"):
        cl.widgets.NeuronExplorer(bias=float("nan"))


def test_playground_redraws_and_reports_divergence():
    playground = cl.widgets.GradientDescentPlayground(
        loss="bowl", lr=0.1, start=2.0, steps=10
    )
    assert not playground.diverged and len(playground.path) == 11
    before = playground.figure_image.value
    playground.lr.value = 1.2
    assert playground.diverged
    assert "Diverged" in playground.caption.value
    assert playground.figure_image.value != before
    assert playground.error.message == ""  # diverging is a lesson, not an error
    playground.lr.value = 0.1
    playground.loss.value = "two valleys"
    playground.restarts.value = 8
    assert len(playground.restart_paths) == 8
    assert "random restarts ended at" in playground.caption.value
    x_data = playground.path_line.get_xdata()
    np.testing.assert_allclose(x_data, playground.path)


def test_playground_start_slider_follows_the_loss():
    playground = cl.widgets.GradientDescentPlayground(loss="bumpy", start=4.5)
    assert (playground.start.min, playground.start.max) == (-5.0, 5.0)
    playground.loss.value = "two valleys"
    assert (playground.start.min, playground.start.max) == (-2.2, 2.2)
    assert playground.start.value == 2.2  # clamped into the new range
    assert playground.path[0] == 2.2
    playground.loss.value = "bumpy"
    assert playground.start.max == 5.0
    assert playground.error.message == ""


def test_playground_shows_bad_values_inside_the_widget():
    playground = cl.widgets.GradientDescentPlayground()
    playground.seed.value = -1
    assert playground.error.message.startswith(
        "seed must be an int from 0 to 4,294,967,295, got -1"
    )
    assert playground.stale
    playground.seed.value = 0
    assert playground.error.message == ""
    assert not playground.stale


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"lr": 0}, r"learning rate lr must be a number from 0.001 to 3.16228, got 0"),
        ({"steps": 10**6}, "steps must be an int from 0 to 200, got 1000000"),
        ({"steps": 2.5}, "steps must be an int from 0 to 200"),
        ({"restarts": 21}, "restarts must be an int from 0 to 20"),
        ({"start": 4.0}, r"start \(for the two valleys loss\) must be .* -2.2 to 2.2"),
        ({"seed": -3}, "seed must be an int from 0 to 4,294,967,295, got -3"),
        (
            {"loss": "saddle"},
            "loss must be one of 'bowl', 'two valleys', 'bumpy', got 'saddle'",
        ),
    ],
)
def test_playground_refuses_settings_out_of_range_instead_of_clamping(
    arguments, message
):
    with pytest.raises(ValueError, match=message):
        cl.widgets.GradientDescentPlayground(**arguments)


# -- issue 12: names matched without regard to case, wrong ones named clearly ----------


@pytest.mark.parametrize(
    ("build", "control", "expected"),
    [
        (lambda: cl.widgets.NeuronExplorer("ReLU"), "activation", "relu"),
        (lambda: cl.widgets.NeuronExplorer(" Leaky_ReLU "), "activation", "leaky_relu"),
        (lambda: cl.widgets.GradientDescentPlayground("Bowl"), "loss", "bowl"),
        (
            lambda: cl.widgets.GradientDescentPlayground("TWO VALLEYS"),
            "loss",
            "two valleys",
        ),
    ],
)
def test_names_are_matched_without_regard_to_case(build, control, expected):
    widget = build()
    assert widget.controls[control].value == expected
    assert widget.error.message == ""


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: cl.widgets.NeuronExplorer(3),
            "activation must be one of 'sigmoid', .* got 3",
        ),
        (
            lambda: cl.widgets.NeuronExplorer(None),
            "activation must be one of .* got None",
        ),
        (
            lambda: cl.widgets.NeuronExplorer(weight="one"),
            "weight must be a finite number",
        ),
        (
            lambda: cl.widgets.GradientDescentPlayground(lr="fast"),
            "lr must be a finite number, got 'fast'",
        ),
        (
            lambda: cl.widgets.GradientDescentPlayground(seed=1.5),
            "seed must be an int from 0 to 4,294,967,295, got 1.5",
        ),
    ],
)
def test_wrong_arguments_get_a_value_error_naming_what_is_allowed(build, message):
    with pytest.raises(ValueError, match=message):
        build()
