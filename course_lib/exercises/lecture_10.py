"""Exercises of lecture 10 (data augmentation): a rotation factor, a 6 turned into a 9,
227x227 crops, and an augmentation pipeline for digits."""

from __future__ import annotations

import numpy as np

from course_lib.augmentation import distinct_crops
from course_lib.exercises import Wrong, exercise

DIGIT_MAX_TURN = 15 / 360
"""The largest rotation a digit pipeline may use in exercise 10.4 (15 degrees)."""


def _layers_of(pipeline) -> list:
    """Every layer inside ``pipeline``, looking into nested Sequential models."""
    import keras

    found = []
    for layer in getattr(pipeline, "layers", [pipeline]):
        if isinstance(layer, keras.Sequential):
            found.extend(_layers_of(layer))
        else:
            found.append(layer)
    return found


def _check_digit_pipeline(function) -> None:
    import keras

    if not callable(function):
        raise Wrong(
            "give a function, e.g. def digit_pipeline(): return keras.Sequential(...)"
        )
    pipeline = function()
    if not callable(pipeline):
        raise Wrong(
            f"digit_pipeline() returned {pipeline!r}, not a Keras layer or model"
        )
    layers = _layers_of(pipeline)
    for layer in layers:
        if isinstance(layer, keras.layers.RandomFlip):
            raise Wrong(
                "it contains a RandomFlip: a flipped digit is not a digit "
                "(a mirrored 2 or 7 means nothing, a 6 turned upside down is a 9)"
            )
        if isinstance(layer, keras.layers.RandomRotation):
            largest = max(abs(f) for f in layer.factor)
            if largest > DIGIT_MAX_TURN + 1e-9:
                raise Wrong(
                    f"its RandomRotation turns by up to {largest * 360:.0f}°; keep it "
                    "at 15° or less (the factor is a fraction of a full turn: 15/360)"
                )
    rng = np.random.default_rng(0)
    digits = np.zeros((8, 28, 28, 1), np.float32)
    digits[:, 6:22, 12:16] = rng.uniform(0.5, 1, (8, 16, 4, 1))  # eight strokes
    trained = np.asarray(pipeline(digits, training=True))
    if trained.shape != digits.shape:
        raise Wrong(f"it changes the shape {digits.shape} into {trained.shape}")
    if np.allclose(trained, digits, atol=1e-3):
        raise Wrong("in training it leaves the digits unchanged: it augments nothing")
    inferred = np.asarray(pipeline(digits, training=False))
    if not np.allclose(inferred, digits, atol=1e-5):
        raise Wrong(
            "at inference (training=False) it changes the digits; the test set must "
            "be seen as it is"
        )


def _digit_pipeline_solution():
    import keras

    def digit_pipeline():
        return keras.Sequential(
            [
                keras.layers.RandomRotation(10 / 360, fill_mode="constant"),
                keras.layers.RandomTranslation(0.1, 0.1, fill_mode="constant"),
            ]
        )

    return digit_pipeline


def _with_a_flip():
    import keras

    return keras.Sequential(
        [keras.layers.RandomFlip("horizontal"), keras.layers.RandomZoom(0.1)]
    )


def _half_a_turn():
    import keras

    return keras.Sequential([keras.layers.RandomRotation(0.5)])


def _no_change():
    import keras

    return keras.Sequential([keras.layers.Rescaling(1.0)])


def _smaller_crops():
    import keras

    return keras.Sequential([keras.layers.RandomCrop(20, 20)])


exercise(
    "10.1",
    "Chollet's cats-vs-dogs generator uses ImageDataGenerator(rotation_range=40) "
    "(degrees). What factor do you give keras.layers.RandomRotation for the same range?",
    expected=lambda: 40 / 360,
    tolerance=1e-3,
    hints=(
        (40, "RandomRotation's factor is a fraction of a full turn, not degrees."),
        (
            40 * np.pi / 180,
            "that is 40° in radians; the factor is a fraction of a full turn (360°).",
        ),
        (40 / 180, "a full turn is 360°, not 180°."),
    ),
    hint="divide the angle by a full turn.",
)

exercise(
    "10.2",
    "Using the explorer: by how many degrees (between 0 and 360) must a 6 be turned to "
    "look like a 9?",
    expected=lambda: 180.0,
    tolerance=10.0,
    hints=(
        (90, "a quarter turn lays the 6 on its side; keep turning."),
        (270, "three quarters of a turn lays the 6 on its other side."),
        (0.5, "that is the fraction of a turn; the question asks for degrees."),
    ),
    hint="try the rotation slider of the explorer on the digit 6.",
)

exercise(
    "10.3",
    "Most AlexNet code takes 227x227 crops. How many different 227x227 crops, with "
    "their mirror images, does a 256x256 image have?",
    expected=lambda: distinct_crops(256, 227, flips=True),
    hints=(
        (
            (256 - 227) ** 2 * 2,
            "that is the paper's way of counting; a crop can start at row 0, 1, ..., "
            "29: how many positions is that?",
        ),
        (30 * 30, "add the mirror image of every crop."),
        (29 * 29, "count the start positions 0 to 29, and add the mirror images."),
        (distinct_crops(256, 224), "that is for 224x224 crops; these are 227 wide."),
    ),
    hint="count the positions a crop can start at along one side, square it, double it.",
)

exercise(
    "10.4",
    "Write digit_pipeline(): Keras 3 preprocessing layers that augment digits: they keep "
    "the shape, change digits in training, leave them alone at inference, never flip, and "
    "turn by at most 15 degrees.",
    checker=_check_digit_pipeline,
    solution=_digit_pipeline_solution,
    mistakes=(_with_a_flip, _half_a_turn, _no_change, _smaller_crops, "not a function"),
)
