"""Exercises of lecture 06 (the MNIST convnet): the slides' network with padding="same"."""

from __future__ import annotations

import numpy as np

from course_lib.exercises import Wrong, exercise


def _same_padding_convnet(padding: str = "same", softmax: bool = True):
    """The slides' convnet with both convolutions padded (the reference solution)."""
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(32, 5, padding=padding, activation="relu"),
            layers.Conv2D(32, 5, padding=padding, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Dropout(0.25),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax" if softmax else None),
        ]
    )


def _flatten_size() -> int:
    model = _same_padding_convnet()
    flatten = next(layer for layer in model.layers if type(layer).__name__ == "Flatten")
    return int(flatten.output.shape[-1])


def _dense_parameters() -> int:
    model = _same_padding_convnet()
    return int(model.layers[-3].count_params())  # Dense(128) after Flatten


def _check_model_builder(function):
    import keras

    if not callable(function):
        raise Wrong("give a function that returns a model, e.g. def build(): ...")
    model = function()
    if not isinstance(model, keras.Model):
        raise Wrong(f"it returned {type(model).__name__}, not a Keras model")
    if tuple(model.input_shape) != (None, 28, 28, 1):
        raise Wrong(f"its input is {model.input_shape}, expected (None, 28, 28, 1)")
    if tuple(model.output_shape) != (None, 10):
        raise Wrong(f"its output is {model.output_shape}, expected (None, 10)")
    kinds = [type(layer).__name__ for layer in model.layers]
    if kinds.count("Conv2D") != 2 or "Flatten" not in kinds:
        raise Wrong(f"expected two Conv2D layers and a Flatten, got {kinds}")
    for layer in (layer for layer in model.layers if type(layer).__name__ == "Conv2D"):
        if layer.padding != "same":
            raise Wrong(f'convolution {layer.name} has padding "{layer.padding}"')
        if tuple(layer.kernel_size) != (5, 5) or layer.filters != 32:
            raise Wrong(
                f"convolution {layer.name} has {layer.filters} filters of "
                f"{layer.kernel_size}, expected 32 of (5, 5) as in the slides"
            )
    flatten = model.layers[kinds.index("Flatten")]
    if int(flatten.output.shape[-1]) != _flatten_size():
        raise Wrong(
            f"Flatten gives {flatten.output.shape[-1]} values: is the pooling there?"
        )
    reference = _same_padding_convnet().count_params()
    if model.count_params() != reference:
        raise Wrong(
            f"it has {model.count_params():,} parameters; the slides' layers with "
            f'padding="same" have {reference:,}'
        )
    probabilities = np.asarray(model(np.zeros((2, 28, 28, 1), "float32")))
    if not np.allclose(probabilities.sum(axis=1), 1, atol=1e-4):
        raise Wrong("its outputs do not sum to 1: the last layer needs a softmax")


exercise(
    "06.1",
    'With padding="same" in both convolutions, how many values does Flatten give?',
    expected=_flatten_size,
    hints=(
        (28 * 28 * 32, "the 2x2 max pooling still halves the 28x28 maps."),
        (10 * 10 * 32, 'that is the slides\' network, padding="valid".'),
        (14 * 14, "and each position has 32 channels."),
    ),
    hint="'same' keeps 28x28 through both convolutions; then pooling; times channels.",
)

exercise(
    "06.2",
    "And how many parameters (weights and biases) does the Dense(128) after it have?",
    expected=_dense_parameters,
    hints=(
        ((28 // 2) * (28 // 2) * 32 * 128, "each of the 128 units has a bias too."),
        (
            10 * 10 * 32 * 128 + 128,
            "that is the dense layer of the slides' network (valid padding), the one "
            "model.summary() showed.",
        ),
        (
            28 * 28 * 32 * 128 + 128,
            "the 2x2 max pooling halves the maps before Flatten.",
        ),
    ),
    hint="inputs x units + units, with the inputs from exercise 1.",
)

exercise(
    "06.3",
    'Write a function that builds the slides\' convnet with padding="same".',
    checker=_check_model_builder,
    solution=lambda: _same_padding_convnet,
    mistakes=(
        lambda: _same_padding_convnet(padding="valid"),
        lambda: _same_padding_convnet(softmax=False),
        lambda: None,
        "not a function",
    ),
)
