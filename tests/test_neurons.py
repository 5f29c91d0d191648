"""cl.neurons: activations, a neuron, gradient descent, backprop, vanishing gradients."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib import neurons


def test_activations_and_their_slopes():
    z = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_allclose(neurons.activate("relu", z), [0, 0, 3])
    np.testing.assert_allclose(neurons.activate("sigmoid", 0.0), 0.5)
    np.testing.assert_allclose(neurons.activation_slope("sigmoid", 0.0), 0.25)
    np.testing.assert_allclose(neurons.activation_slope("relu", z), [0, 0, 1])
    # each slope is the numerical derivative of its function
    for name in ("sigmoid", "tanh", "leaky_relu", "linear"):
        numeric = (
            neurons.activate(name, 0.7 + 1e-6) - neurons.activate(name, 0.7 - 1e-6)
        ) / 2e-6
        np.testing.assert_allclose(
            neurons.activation_slope(name, 0.7), numeric, rtol=1e-5
        )
    with pytest.raises(
        ValueError, match="name must be one of 'sigmoid', 'tanh', .* got 'swish'"
    ):
        neurons.activate("swish", z)


def test_activations_and_slopes_equal_keras_and_gradient_tape():
    """On both sides of zero, against an outside reference (leaky ReLU: slope 0.1)."""
    import keras
    import tensorflow as tf

    z = np.linspace(-4, 4, 81)
    z = z[np.abs(z) > 1e-9]  # ReLU's slope at exactly 0 is a convention
    reference = {
        "sigmoid": keras.activations.sigmoid,
        "tanh": keras.activations.tanh,
        "relu": keras.activations.relu,
        "leaky_relu": lambda t: keras.activations.leaky_relu(t, negative_slope=0.1),
        "linear": keras.activations.linear,
        "step": lambda t: tf.where(t > 0, tf.ones_like(t), tf.zeros_like(t)),
    }
    assert set(reference) == set(neurons.ACTIVATIONS)
    for name, function in reference.items():
        tensor = tf.constant(z)
        with tf.GradientTape() as tape:
            tape.watch(tensor)
            values = function(tensor)
        slopes = tape.gradient(
            values, tensor, unconnected_gradients=tf.UnconnectedGradients.ZERO
        )
        np.testing.assert_allclose(neurons.activate(name, z), values, 1e-6, 1e-12)
        np.testing.assert_allclose(
            neurons.activation_slope(name, z), slopes, 1e-6, 1e-12, err_msg=name
        )


def test_neuron_is_activation_of_weighted_sum():
    assert neurons.neuron([1.0, 2.0], [0.5, -1.0], 2.0, "linear") == pytest.approx(0.5)
    # sigmoid(0.3 * 2 - 0.4 * 1 + 0.1) = sigmoid(0.3)
    expected = 1 / (1 + np.exp(-0.3))
    assert neurons.neuron([2.0, 1.0], [0.3, -0.4], 0.1, "sigmoid") == pytest.approx(
        expected
    )
    with pytest.raises(ValueError, match="must match"):
        neurons.neuron([1.0, 2.0], [0.5], 0.0)


def test_gradient_descent_on_the_bowl():
    np.testing.assert_allclose(
        neurons.gradient_descent("bowl", 0.1, 2.0, 3), [2.0, 1.6, 1.28, 1.024]
    )
    path = neurons.gradient_descent("bowl", 0.1, 2.0, 200)
    assert abs(path[-1]) < 1e-6 and not neurons.has_diverged("bowl", path)


def test_a_too_big_step_diverges_and_stops_early():
    path = neurons.gradient_descent("bowl", 1.5, 2.0, 1000)
    assert neurons.has_diverged("bowl", path)
    assert len(path) < 20  # stopped as soon as it left the range


@pytest.mark.parametrize(
    ("lr", "steps", "message"),
    [
        (0.0, 5, "lr must be a positive number"),
        (-1.0, 5, "lr must be a positive number"),
        (0.1, -1, "steps"),
    ],
)
def test_gradient_descent_refuses_bad_settings(lr, steps, message):
    with pytest.raises(ValueError, match=message):
        neurons.gradient_descent("bowl", lr, 1.0, steps)
    with pytest.raises(
        ValueError,
        match="loss_name must be one of 'bowl', 'two valleys', 'bumpy', got 'saddle'",
    ):
        neurons.gradient_descent("saddle", 0.1, 1.0, 5)


def test_start_point_decides_the_valley_and_restarts_find_both():
    left = neurons.gradient_descent("two valleys", 0.05, -0.5, 100)[-1]
    right = neurons.gradient_descent("two valleys", 0.05, 0.5, 100)[-1]
    assert left == pytest.approx(-1.30, abs=0.01)
    assert right == pytest.approx(1.13, abs=0.01)
    paths = neurons.random_restarts("two valleys", 0.05, 100, 10, seed=0)
    assert neurons.minima_found("two valleys", paths) == [-1.3, 1.13]


def test_backprop_by_hand_equals_gradient_tape():
    params = neurons.tiny_network_parameters(seed=3)
    x = np.random.default_rng(1).normal(size=(5, 2))
    y = np.array([0.0, 1.0, 1.0, 0.0, 0.5])
    loss, grads = neurons.backpropagate(params, x, y)
    tape_loss, tape_grads = neurons.tape_gradients(params, x, y)
    assert loss == pytest.approx(tape_loss, rel=1e-12)
    for name in params:
        assert grads[name].shape == params[name].shape
        np.testing.assert_allclose(grads[name], tape_grads[name], rtol=1e-9, atol=1e-12)
    # and gradient descent with these gradients lowers the loss
    stepped = {k: params[k] - 0.05 * grads[k] for k in params}
    assert neurons.backpropagate(stepped, x, y)[0] < loss


def test_sigmoid_gradients_vanish_but_relu_gradients_do_not():
    sigmoid = neurons.gradient_norms_by_layer("sigmoid", depth=10, width=16)
    relu = neurons.gradient_norms_by_layer("relu", depth=10, width=16)
    assert sigmoid.shape == relu.shape == (10,)
    assert sigmoid[0] / sigmoid[-1] < 1e-3  # first layer gets far less than the last
    assert relu[0] / relu[-1] > 0.1
    np.testing.assert_allclose(
        neurons.gradient_norms_by_layer("relu", depth=10, width=16), relu
    )  # seeded: the same numbers twice


def test_tanh_with_he_weights_keeps_its_gradient_where_sigmoid_loses_it():
    tanh = neurons.gradient_norms_by_layer("tanh", depth=10, width=16)
    sigmoid = neurons.gradient_norms_by_layer("sigmoid", depth=10, width=16)
    assert tanh[0] / tanh[-1] > 0.1
    assert tanh[0] / tanh[-1] > 1e3 * sigmoid[0] / sigmoid[-1]


def test_relu_needs_he_weights_to_carry_the_error_signal_back():
    """Through ReLU layers the signal dL/dh loses half its mean square per layer
    unless the weights' variance is 2/fan_in (He); Glorot's 1/fan_in here (a square
    layer) leaves sqrt(1/2) per layer: 2**-4.5 after the 9 steps of 10 layers."""
    he = neurons.gradient_norms_by_layer("relu", depth=10, width=32, of="output")
    glorot = neurons.gradient_norms_by_layer(
        "relu", depth=10, width=32, of="output", kernel_initializer="glorot_uniform"
    )
    assert he.shape == glorot.shape == (10,)
    assert he[0] / he[-1] > 0.2
    assert 0.25 < (glorot[0] / glorot[-1]) / 2**-4.5 < 4
    # "output" measures something else than "kernel" on the same weights
    kernel = neurons.gradient_norms_by_layer("relu", depth=10, width=32)
    assert not np.allclose(kernel, he)
    with pytest.raises(
        ValueError, match="of must be one of 'kernel', 'output', got 'bias'"
    ):
        neurons.gradient_norms_by_layer("relu", depth=2, of="bias")


def test_registries_accept_names_in_any_case():
    np.testing.assert_allclose(neurons.activate(" ReLU", [-1.0, 2.0]), [0, 2])
    np.testing.assert_allclose(
        neurons.gradient_descent("Bowl", 0.1, 2.0, 1), [2.0, 1.6]
    )


def test_measuring_gradients_leaves_the_global_random_state_alone():
    import random

    import tensorflow as tf

    np.random.seed(123)
    random.seed(123)
    tf.random.set_seed(123)
    numpy_state, python_state = np.random.get_state(), random.getstate()
    expected_tf = tf.random.uniform((3,), seed=1).numpy()
    tf.random.set_seed(123)
    neurons.gradient_norms_by_layer("relu", depth=3, width=4)
    after = np.random.get_state()
    assert after[0] == numpy_state[0]
    np.testing.assert_array_equal(after[1], numpy_state[1])
    assert after[2:] == numpy_state[2:]
    assert random.getstate() == python_state
    # TensorFlow's global seed still gives the same numbers as before the call
    np.testing.assert_array_equal(tf.random.uniform((3,), seed=1).numpy(), expected_tf)
    # and the student's next draw is the one they would have got without the call
    np.random.seed(123)
    expected = np.random.random(3)
    np.random.set_state(numpy_state)
    np.testing.assert_array_equal(np.random.random(3), expected)


def test_gradient_norms_depend_only_on_their_seed():
    first = neurons.gradient_norms_by_layer("tanh", depth=4, width=8, seed=1)
    np.random.seed(99)  # the global state does not matter
    np.testing.assert_array_equal(
        neurons.gradient_norms_by_layer("tanh", depth=4, width=8, seed=1), first
    )
    other = neurons.gradient_norms_by_layer("tanh", depth=4, width=8, seed=2)
    assert not np.allclose(other, first)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"depth": 0}, "depth must be an int from 1 to 200"),
        ({"width": 2.5}, "width must be an int"),
        ({"seed": -1}, "seed must be an int from 0 to 4,294,967,295"),
    ],
)
def test_gradient_norms_refuse_bad_settings(arguments, message):
    with pytest.raises(ValueError, match=message):
        neurons.gradient_norms_by_layer("relu", **arguments)


# --- issue 12: convert what is convertible, refuse the rest by name --------------------


def test_a_learning_rate_typed_as_text_is_read_as_a_number():
    np.testing.assert_allclose(
        neurons.gradient_descent("bowl", "0.1", "2", 3), [2.0, 1.6, 1.28, 1.024]
    )
    with pytest.raises(ValueError, match="lr must be a positive"):
        neurons.gradient_descent("bowl", "fast", 2.0, 3)
    with pytest.raises(ValueError, match="start must be a finite number"):
        neurons.gradient_descent("bowl", 0.1, None, 3)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: neurons.neuron([1.0, 2.0], [0.5, -1.0], "a"), "bias must be"),
        (
            lambda: neurons.neuron(1j, [1.0], 0.0),
            "x must be an array with 1 or 2 axes of finite numbers, got an array of complex",
        ),
        (
            lambda: neurons.neuron(3.0, [1.0], 0.0),
            r"x must be an array with 1 or 2 axes .* got shape \(\)",
        ),
        (
            lambda: neurons.activate("relu", object()),
            "z must be an array of finite numbers, got an array of object",
        ),
        (lambda: neurons.has_diverged("bowl", []), "path must be a list of"),
        (
            lambda: neurons.minima_found("bowl", 0),
            r"paths must be a list .* \(one value goes in a list",
        ),
        (lambda: neurons.minima_found("bowl", [[1.0]], 99), "decimals must be"),
        (
            lambda: neurons.tiny_network_parameters(-1),
            "seed must be an int from 0 to 4,294,967,295",
        ),
        (lambda: neurons.backpropagate([], [[1, 2]], [1]), "params must be a dict"),
        (
            lambda: neurons.tape_gradients(
                {"W1": 1, "b1": 1, "W2": 1, "b2": 1}, [[0, 1]], [1]
            ),
            "params must be W1",
        ),
        (
            lambda: neurons.gradient_norms_by_layer("relu", batch_size=10**9),
            "batch_size must be an int from 1 to 4,096",
        ),
        (
            lambda: neurons.gradient_norms_by_layer("relu", kernel_initializer=[1]),
            "kernel_initializer must be Keras names",
        ),
    ],
)
def test_wrong_types_give_a_value_error_naming_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_lists_and_extra_keys_are_fine():
    params = neurons.tiny_network_parameters(0)
    x, y = [[0.5, -1.0], [1.0, 2.0]], [1.0, 0.0]
    loss, grads = neurons.backpropagate({**params, "note": "mine"}, x, y)
    tape_loss, tape_grads = neurons.tape_gradients({**params, "note": "mine"}, x, y)
    assert loss == pytest.approx(tape_loss)
    np.testing.assert_allclose(grads["W1"], tape_grads["W1"], rtol=1e-6)
