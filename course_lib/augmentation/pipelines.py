"""Augmentation in Keras 3 (lecture 10): the random layers as a ``keras.Sequential``,
inside a model or in a ``tf.data`` pipeline, and the small convnet they train."""

from __future__ import annotations

import numpy as np

from course_lib.augmentation.views import FILL_MODE, FLIPS, ROTATION
from course_lib.core import (
    SEED,
    Choice,
    Function,
    Images,
    Int,
    Items,
    Labels,
    Number,
    Optional,
    checked,
)

BATCH = Images("NHWC", channels=(1, 3))
"""A batch of gray (N, H, W, 1) or RGB (N, H, W, 3) images, as float32 0..1."""


@checked(
    rotation=Number(0, 1),
    zoom=Number(0, 0.9),
    shift_x=Number(0, 1),
    shift_y=Number(0, 1),
    flip=Choice(*FLIPS),
    contrast=Number(0, 1),
    fill_mode=FILL_MODE,
    fill_value=Number(),
    value_range=Items(Number(), 2, 2),
    seed=Optional(SEED),
)
def augmentation_layers(
    rotation: float = 0.0,
    zoom: float = 0.0,
    shift_x: float = 0.0,
    shift_y: float = 0.0,
    flip: str = "none",
    contrast: float = 0.0,
    fill_mode: str = "reflect",
    fill_value: float = 0.0,
    value_range=(0, 255),
    seed: int | None = None,
):
    """A ``keras.Sequential`` of the random layers whose factor is not zero, in
    ``PIPELINE_ORDER``. Active only when called with ``training=True`` (``fit``
    does that); at inference it passes images through unchanged.

    ``fill_value`` and ``value_range`` (``RandomContrast``'s, (low, high)) are in the
    units of the images the layers will see: (0, 255) for 0-255 pixels, (0, 1) for
    0-1 pixels.

    Example: ``augmentation_layers(rotation=0.05, shift_x=0.1, shift_y=0.1)``.
    """
    import keras

    if not value_range[0] < value_range[1]:
        raise ValueError(
            f"value_range must be (low, high) with low < high, got {value_range}"
        )
    geometry = {"fill_mode": fill_mode, "fill_value": fill_value, "seed": seed}
    layers = []
    if flip != "none":
        layers.append(keras.layers.RandomFlip(flip, seed=seed))
    if rotation:
        layers.append(keras.layers.RandomRotation(rotation, **geometry))
    if zoom:
        layers.append(keras.layers.RandomZoom(zoom, **geometry))
    if shift_x or shift_y:
        layers.append(keras.layers.RandomTranslation(shift_y, shift_x, **geometry))
    if contrast:
        layers.append(
            keras.layers.RandomContrast(contrast, value_range=value_range, seed=seed)
        )
    return keras.Sequential(layers, name="augmentation")


@checked(seed=Optional(SEED))
def slides_pipeline(seed: int | None = None):
    """The slides' ``ImageDataGenerator`` (002) as Keras 3 layers.

    ``ImageDataGenerator(rotation_range=60, zoom_range=0.2, width_shift_range=0.4,
    height_shift_range=0.2, horizontal_flip=True, fill_mode='nearest')`` becomes
    ``RandomFlip("horizontal")``, ``RandomRotation(60 / 360)`` (degrees become a
    fraction of a turn), ``RandomZoom(0.2, 0.2)`` (height and width drawn separately,
    as the generator did) and ``RandomTranslation(0.2, 0.4)``, all with
    ``fill_mode="nearest"``. The slides call these values exaggerated for the picture.
    """
    import keras

    geometry = {"fill_mode": "nearest", "seed": seed}
    return keras.Sequential(
        [
            keras.layers.RandomFlip("horizontal", seed=seed),
            keras.layers.RandomRotation(60 / 360, **geometry),
            keras.layers.RandomZoom(0.2, 0.2, **geometry),
            keras.layers.RandomTranslation(0.2, 0.4, **geometry),
        ],
        name="slides_augmentation",
    )


@checked(seed=Optional(SEED))
def digit_augmentation(seed: int | None = None):
    """The course's augmentation for digits: small turns (±0.04 turn = ±14.4°), zooms
    (±10 %) and shifts (±10 %), filled with black (0); never a flip."""
    return augmentation_layers(
        rotation=0.04,
        zoom=0.1,
        shift_x=0.1,
        shift_y=0.1,
        fill_mode="constant",
        value_range=(0, 1),
        seed=seed,
    )


@checked(seed=Optional(SEED))
def face_augmentation(seed: int | None = None):
    """The course's augmentation for faces vs non-faces: left-right flips only."""
    return augmentation_layers(flip="horizontal", seed=seed)


@checked(
    x=BATCH,
    y=Labels(1000),
    augmentation=Optional(Function()),
    batch_size=Int(1, 100_000),
    repeats=Int(1, 10_000),
    seed=SEED,
)
def augmented_dataset(
    x, y, augmentation=None, batch_size: int = 16, repeats: int = 1, seed: int = 0
):
    """A ``tf.data`` pipeline of the images ``x`` (float32 0..1) and their labels ``y``:
    shuffle, repeat ``repeats`` times, batch, and (when given) run ``augmentation`` on
    every batch with ``training=True``, then prefetch.

    With augmentation, each repetition of an image is a different view of it.
    """
    import tensorflow as tf

    if len(y) != len(x):
        raise ValueError(f"give one label per image: {len(x)} images, {len(y)} labels")
    dataset = tf.data.Dataset.from_tensor_slices((x, y))
    dataset = dataset.shuffle(len(x), seed=seed).repeat(repeats).batch(batch_size)
    if augmentation is not None:

        def augment_batch(images, labels):
            return augmentation(images, training=True), labels

        dataset = dataset.map(augment_batch, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)


@checked(
    input_shape=Items(Int(1, 4096), 3, 3),
    num_classes=Int(2, 100_000),
    augmentation=Optional(Function()),
    filters=Items(Int(1, 1024), 1, 8),
    dropout=Number(0, 1),
    learning_rate=Number(high=10, positive=True),
)
def small_convnet(
    input_shape,
    num_classes: int,
    augmentation=None,
    filters=(16, 32),
    dropout: float = 0.3,
    learning_rate: float = 1e-3,
):
    """A small compiled convnet: [augmentation], (Conv2D 3x3 + ReLU, MaxPool) per entry
    of ``filters``, Flatten, Dropout, and a softmax (or, for 2 classes, a sigmoid).

    ``input_shape`` is (height, width, channels); ``dropout`` is from 0 to below 1. The
    augmentation layers sit inside the model, so they run in ``fit`` and are skipped
    by ``evaluate`` and ``predict``.
    """
    import keras

    if dropout >= 1:
        raise ValueError(f"dropout must be below 1 (1 drops everything), got {dropout}")
    height, width = input_shape[:2]
    for _ in filters:  # each 3x3 convolution loses 2 pixels, each pool halves
        height, width = (height - 2) // 2, (width - 2) // 2
    if min(height, width) < 1:
        raise ValueError(
            f"input_shape {input_shape} is too small for {len(filters)} convolution(s) "
            "and pooling(s)"
        )
    dense = height * width * filters[-1] * (1 if num_classes == 2 else num_classes)
    if dense > 10**8:
        raise ValueError(
            f"the output layer would have {dense:,} weights (at most 100,000,000): "
            "give a smaller input_shape or fewer classes"
        )
    layers = [keras.Input(input_shape)]
    if augmentation is not None:
        layers.append(augmentation)
    for count in filters:
        layers += [
            keras.layers.Conv2D(count, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
        ]
    layers += [keras.layers.Flatten(), keras.layers.Dropout(dropout)]
    binary = num_classes == 2
    layers.append(
        keras.layers.Dense(1, activation="sigmoid")
        if binary
        else keras.layers.Dense(num_classes, activation="softmax")
    )
    model = keras.Sequential(layers)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="binary_crossentropy" if binary else "sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


@checked(images=BATCH, turns=ROTATION, fill_mode=FILL_MODE)
def rotate_batch(images, turns: float, fill_mode: str = "constant") -> np.ndarray:
    """Every image of a batch (float32 0..1 out) turned by the same ``turns`` (a
    fraction of a full turn), with ``keras.layers.RandomRotation((turns, turns))``."""
    import keras

    layer = keras.layers.RandomRotation((turns, turns), fill_mode=fill_mode)
    return np.asarray(layer(images, training=True))
