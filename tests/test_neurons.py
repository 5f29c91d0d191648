"""cl.gradient: activations, the neuron widget, gradient descent, backprop, vanishing."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib import gradient


def test_activations_and_their_slopes():
    z = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_allclose(gradient.activate("relu", z), [0, 0, 3])
    np.testing.assert_allclose(gradient.activate("sigmoid", 0.0), 0.5)
    np.testing.assert_allclose(gradient.activation_slope("sigmoid", 0.0), 0.25)
    np.testing.assert_allclose(gradient.activation_slope("relu", z), [0, 0, 1])
    # each slope is the numerical derivative of its function
    for name in ("sigmoid", "tanh", "leaky_relu", "linear"):
        numeric = (
            gradient.activate(name, 0.7 + 1e-6) - gradient.activate(name, 0.7 - 1e-6)
        ) / 2e-6
        np.testing.assert_allclose(
            gradient.activation_slope(name, 0.7), numeric, rtol=1e-5
        )
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        gradient.activate("swish", z)


def test_neuron_is_activation_of_weighted_sum():
    assert gradient.neuron([1.0, 2.0], [0.5, -1.0], 2.0, "linear") == pytest.approx(0.5)
    with pytest.raises(ValueError, match="must match"):
        gradient.neuron([1.0, 2.0], [0.5], 0.0)


def test_neuron_explorer_follows_its_controls():
    explorer = gradient.NeuronExplorer()
    assert explorer.y.max() < 1  # a sigmoid
    explorer.activation.value = "relu"
    explorer.bias.value = 1.0
    assert explorer.y[-1] == pytest.approx(7.0)  # relu(1 * 6 + 1)
    explorer.weight.value = -2.0
    assert explorer.slope[0] == pytest.approx(-2.0)  # at x = -6 the relu is active
    assert explorer.y[-1] == 0.0
    assert explorer.error.message == ""


def test_gradient_descent_on_the_bowl():
    np.testing.assert_allclose(
        gradient.gradient_descent("bowl", 0.1, 2.0, 3), [2.0, 1.6, 1.28, 1.024]
    )
    path = gradient.gradient_descent("bowl", 0.1, 2.0, 200)
    assert abs(path[-1]) < 1e-6 and not gradient.has_diverged("bowl", path)


def test_a_too_big_step_diverges_and_stops_early():
    path = gradient.gradient_descent("bowl", 1.5, 2.0, 1000)
    assert gradient.has_diverged("bowl", path)
    assert len(path) < 20  # stopped as soon as it left the range


@pytest.mark.parametrize(
    ("lr", "steps", "message"),
    [(0.0, 5, "learning rate"), (-1.0, 5, "learning rate"), (0.1, -1, "steps")],
)
def test_gradient_descent_refuses_bad_settings(lr, steps, message):
    with pytest.raises(ValueError, match=message):
        gradient.gradient_descent("bowl", lr, 1.0, steps)
    with pytest.raises(ValueError, match="unknown loss"):
        gradient.gradient_descent("saddle", 0.1, 1.0, 5)


def test_start_point_decides_the_valley_and_restarts_find_both():
    left = gradient.gradient_descent("two valleys", 0.05, -0.5, 100)[-1]
    right = gradient.gradient_descent("two valleys", 0.05, 0.5, 100)[-1]
    assert left == pytest.approx(-1.30, abs=0.01)
    assert right == pytest.approx(1.13, abs=0.01)
    paths = gradient.random_restarts("two valleys", 0.05, 100, 10, seed=0)
    assert gradient.minima_found("two valleys", paths) == [-1.3, 1.13]


def test_playground_redraws_and_reports_divergence():
    playground = gradient.GradientDescentPlayground(
        loss="bowl", lr=0.1, start=2.0, steps=10
    )
    assert not playground.diverged and len(playground.path) == 11
    before = playground.image.value
    playground.lr.value = 1.2
    assert playground.diverged
    assert "Diverged" in playground.status.value
    assert playground.image.value != before
    playground.lr.value = 0.1
    playground.loss.value = "two valleys"
    playground.restarts.value = 8
    assert len(playground.restart_paths) == 8
    assert "random restarts ended at" in playground.status.value
    x_data = playground.path_line.get_xdata()
    np.testing.assert_allclose(x_data, playground.path)


def test_playground_shows_bad_values_inside_the_widget():
    playground = gradient.GradientDescentPlayground()
    playground.seed.value = -1
    assert playground.error.message == "the seed must be a non-negative int, got -1"
    playground.seed.value = 0
    assert playground.error.message == ""


def test_backprop_by_hand_equals_gradient_tape():
    params = gradient.tiny_network_parameters(seed=3)
    x = np.random.default_rng(1).normal(size=(5, 2))
    y = np.array([0.0, 1.0, 1.0, 0.0, 0.5])
    loss, grads = gradient.backpropagate(params, x, y)
    tape_loss, tape_grads = gradient.tape_gradients(params, x, y)
    assert loss == pytest.approx(tape_loss, rel=1e-12)
    for name in params:
        assert grads[name].shape == params[name].shape
        np.testing.assert_allclose(grads[name], tape_grads[name], rtol=1e-9, atol=1e-12)
    # and gradient descent with these gradients lowers the loss
    stepped = {k: params[k] - 0.05 * grads[k] for k in params}
    assert gradient.backpropagate(stepped, x, y)[0] < loss


def test_sigmoid_gradients_vanish_but_relu_gradients_do_not():
    sigmoid = gradient.gradient_norms_by_layer("sigmoid", depth=10, width=16)
    relu = gradient.gradient_norms_by_layer("relu", depth=10, width=16)
    assert sigmoid.shape == relu.shape == (10,)
    assert sigmoid[0] / sigmoid[-1] < 1e-3  # first layer gets far less than the last
    assert relu[0] / relu[-1] > 0.1
    np.testing.assert_allclose(
        gradient.gradient_norms_by_layer("relu", depth=10, width=16), relu
    )  # seeded: the same numbers twice
