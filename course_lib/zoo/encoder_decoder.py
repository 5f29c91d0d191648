"""Encoder-decoder networks: U-Net (Ronneberger et al. 2015), a contracting path, an
expanding path, skips between."""

from __future__ import annotations

import keras
from keras import layers

from course_lib.core import Choice, Int, checked
from course_lib.zoo.building import MAX_CLASSES, _InputShape, _too_small


@checked(
    input_shape=_InputShape("U-Net", smallest=1),
    num_classes=Int(1, MAX_CLASSES),
    base_filters=Int(1, 256),
    depth=Int(1, 6),
    padding=Choice("valid", "same"),
)
def unet(
    input_shape=(572, 572, 1),
    num_classes: int = 2,
    base_filters: int = 64,
    depth: int = 4,
    padding: str = "valid",
) -> keras.Model:
    """U-Net (Ronneberger et al. 2015): a contracting path, an expanding path, skips between.

    The defaults are the paper's: unpadded 3x3 convolutions, so a 572x572 tile gives a
    388x388 map and the skips are cropped to fit. ``padding="same"`` keeps the size
    (the input side must then be divisible by ``2**depth``).
    """
    _too_small("U-Net", input_shape, _unet_smallest_side(depth, padding))

    def double_conv(y, filters, name):
        for part in (1, 2):
            y = layers.Conv2D(
                filters,
                3,
                padding=padding,
                activation="relu",
                name=f"{name}_conv{part}",
            )(y)
        return y

    inputs = keras.Input(input_shape, name="input")
    x, skips = inputs, []
    for level in range(depth):
        x = double_conv(x, base_filters * 2**level, f"down{level + 1}")
        skips.append(x)
        x = layers.MaxPooling2D(2, name=f"down{level + 1}_pool")(x)
    x = double_conv(x, base_filters * 2**depth, "bottom")
    for level in reversed(range(depth)):
        name = f"up{level + 1}"
        filters = base_filters * 2**level
        x = layers.Conv2DTranspose(filters, 2, strides=2, name=f"{name}_upconv")(x)
        skip = skips[level]
        extra = skip.shape[1] - x.shape[1], skip.shape[2] - x.shape[2]
        if extra != (0, 0):
            skip = layers.Cropping2D(
                (
                    (extra[0] // 2, extra[0] - extra[0] // 2),
                    (extra[1] // 2, extra[1] - extra[1] // 2),
                ),
                name=f"{name}_crop",
            )(skip)
        x = layers.Concatenate(name=f"{name}_concat")([skip, x])
        x = double_conv(x, filters, name)
    outputs = layers.Conv2D(num_classes, 1, activation="softmax", name="head_conv1x1")(
        x
    )
    return keras.Model(inputs, outputs, name="unet")


def _unet_output_side(side: int, depth: int, padding: str) -> int:
    """The output side of a U-Net for a ``side`` input, 0 if a layer gets nothing."""
    shrink = 4 if padding == "valid" else 0  # two 3x3 convolutions
    skips = []
    for _ in range(depth):
        side -= shrink
        if side < 2:
            return 0
        skips.append(side)
        side //= 2  # 2x2 max pooling
    side -= shrink
    if side < 1:
        return 0
    for skip in reversed(skips):
        side *= 2  # the 2x2 up-convolution
        if skip < side:  # the skip must be cropped to fit, not grown
            return 0
        side -= shrink
        if side < 1:
            return 0
    return side


def _unet_smallest_side(depth: int, padding: str) -> int:
    return next(
        side for side in range(1, 4097) if _unet_output_side(side, depth, padding) > 0
    )
