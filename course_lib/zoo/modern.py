"""The networks built from blocks: GoogLeNet, ResNet, DenseNet, MobileNetV2 (lecture 13).

Each has its block as a public function (``inception_module``, ``residual_block``,
``dense_block``, ``inverted_residual_block``) that takes a Keras tensor and returns
one, so a student can build a network of their own from them.
"""

from __future__ import annotations

import keras
from keras import layers

from course_lib.core import Bool, Choice, Int, Text, checked
from course_lib.zoo.building import FEATURE_MAPS, MAX_CLASSES, MAX_FILTERS, _InputShape
from course_lib.zoo.classic import LocalResponseNormalization as LRN

CLASSES = Int(1, MAX_CLASSES)
FILTERS = Int(1, MAX_FILTERS)
NAME = Text(max_length=100)

# ---------------------------------------------------------------------------------------
# GoogLeNet


@checked(
    x=FEATURE_MAPS,
    filters_1x1=FILTERS,
    reduce_3x3=FILTERS,
    filters_3x3=FILTERS,
    reduce_5x5=FILTERS,
    filters_5x5=FILTERS,
    pool_projection=FILTERS,
    name=NAME,
)
def inception_module(
    x,
    filters_1x1,
    reduce_3x3,
    filters_3x3,
    reduce_5x5,
    filters_5x5,
    pool_projection,
    name,
):
    """Four branches side by side, concatenated: 1x1 | 1x1 then 3x3 | 1x1 then 5x5 | pool then 1x1.

    The 1x1 "reduce" convolutions shrink the channels before the costly 3x3 and 5x5.
    """

    def conv(y, filters, size, part):
        return layers.Conv2D(
            filters, size, padding="same", activation="relu", name=f"{name}_{part}"
        )(y)

    branch1 = conv(x, filters_1x1, 1, "1x1")
    branch2 = conv(conv(x, reduce_3x3, 1, "3x3reduce"), filters_3x3, 3, "3x3")
    branch3 = conv(conv(x, reduce_5x5, 1, "5x5reduce"), filters_5x5, 5, "5x5")
    pooled = layers.MaxPooling2D(3, strides=1, padding="same", name=f"{name}_pool")(x)
    branch4 = conv(pooled, pool_projection, 1, "poolproj")
    return layers.Concatenate(name=f"{name}_concat")(
        [branch1, branch2, branch3, branch4]
    )


# Table 1 of Szegedy et al. (2015): #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj.
GOOGLENET_MODULES = {
    "inception3a": (64, 96, 128, 16, 32, 32),
    "inception3b": (128, 128, 192, 32, 96, 64),
    "inception4a": (192, 96, 208, 16, 48, 64),
    "inception4b": (160, 112, 224, 24, 64, 64),
    "inception4c": (128, 128, 256, 24, 64, 64),
    "inception4d": (112, 144, 288, 32, 64, 64),
    "inception4e": (256, 160, 320, 32, 128, 128),
    "inception5a": (256, 160, 320, 32, 128, 128),
    "inception5b": (384, 192, 384, 48, 128, 128),
}


@checked(input_shape=_InputShape("GoogLeNet"), num_classes=CLASSES)
def googlenet(input_shape=(224, 224, 3), num_classes: int = 1000) -> keras.Model:
    """GoogLeNet (Szegedy et al. 2015), without the two auxiliary training classifiers."""

    def max_pool(y, name):
        return layers.MaxPooling2D(3, strides=2, padding="same", name=name)(y)

    inputs = keras.Input(input_shape, name="input")
    x = layers.Conv2D(
        64, 7, strides=2, padding="same", activation="relu", name="stem_conv7x7"
    )(inputs)
    x = max_pool(x, "stem_pool1")
    x = LRN(name="stem_lrn1")(x)
    x = layers.Conv2D(64, 1, activation="relu", name="stem_conv1x1")(x)
    x = layers.Conv2D(192, 3, padding="same", activation="relu", name="stem_conv3x3")(x)
    x = LRN(name="stem_lrn2")(x)
    x = max_pool(x, "stem_pool2")
    for name, filters in GOOGLENET_MODULES.items():
        if name in ("inception4a", "inception5a"):
            x = max_pool(x, f"pool{name[-2]}_max")
        x = inception_module(x, *filters, name=name)
    x = layers.GlobalAveragePooling2D(name="head_avgpool")(x)
    x = layers.Dropout(0.4, name="head_dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="head_dense")(x)
    return keras.Model(inputs, outputs, name="googlenet")


# ---------------------------------------------------------------------------------------
# ResNet

# Blocks per stage (He et al. 2016, Table 1); 18 and 34 use the basic block.
RESNET_STAGES = {
    18: (2, 2, 2, 2),
    34: (3, 4, 6, 3),
    50: (3, 4, 6, 3),
    101: (3, 4, 23, 3),
    152: (3, 8, 36, 3),
}


def _conv_bn(x, filters, size, strides, name, relu=True):
    # Keeps a bias before batch normalization, like keras.applications.ResNet50 does.
    x = layers.Conv2D(
        filters, size, strides=strides, padding="same", name=f"{name}_conv"
    )(x)
    x = layers.BatchNormalization(epsilon=1.001e-5, name=f"{name}_bn")(x)
    return layers.Activation("relu", name=f"{name}_relu")(x) if relu else x


@checked(
    x=FEATURE_MAPS, filters=FILTERS, strides=Int(1, 4), bottleneck=Bool(), name=NAME
)
def residual_block(
    x, filters: int, strides: int = 1, bottleneck: bool = True, name="block"
):
    """``relu(F(x) + shortcut(x))``: F is 3x3-3x3 (basic) or 1x1-3x3-1x1 (bottleneck).

    The shortcut is the identity, or a 1x1 convolution where the shape changes.
    """
    out_channels = 4 * filters if bottleneck else filters
    if strides != 1 or x.shape[-1] != out_channels:
        shortcut = _conv_bn(x, out_channels, 1, strides, f"{name}_0", relu=False)
    else:
        shortcut = x
    if bottleneck:
        y = _conv_bn(x, filters, 1, strides, f"{name}_1")
        y = _conv_bn(y, filters, 3, 1, f"{name}_2")
        y = _conv_bn(y, out_channels, 1, 1, f"{name}_3", relu=False)
    else:
        y = _conv_bn(x, filters, 3, strides, f"{name}_1")
        y = _conv_bn(y, filters, 3, 1, f"{name}_2", relu=False)
    y = layers.Add(name=f"{name}_add")([shortcut, y])
    return layers.Activation("relu", name=f"{name}_out")(y)


@checked(
    depth=Choice(*RESNET_STAGES, what="ResNet depth"),
    input_shape=_InputShape("ResNet"),
    num_classes=CLASSES,
)
def resnet(depth: int = 50, input_shape=(224, 224, 3), num_classes: int = 1000):
    """ResNet-18, 34, 50, 101 or 152 (He et al. 2016)."""
    stages = RESNET_STAGES[depth]
    inputs = keras.Input(input_shape, name="input")
    x = _conv_bn(inputs, 64, 7, 2, "conv1")
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="conv1_pool")(x)
    for stage, blocks in enumerate(stages):
        for block in range(blocks):
            strides = 2 if block == 0 and stage > 0 else 1
            x = residual_block(
                x,
                64 * 2**stage,
                strides,
                bottleneck=depth >= 50,
                name=f"conv{stage + 2}block{block + 1}",
            )
    x = layers.GlobalAveragePooling2D(name="head_avgpool")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="head_dense")(x)
    return keras.Model(inputs, outputs, name=f"resnet{depth}")


# ---------------------------------------------------------------------------------------
# DenseNet

DENSENET_BLOCKS = {
    121: (6, 12, 24, 16),
    169: (6, 12, 32, 32),
    201: (6, 12, 48, 32),
    264: (6, 12, 64, 48),
}


def _bn_relu_conv(x, filters, size, name):
    x = layers.BatchNormalization(epsilon=1.001e-5, name=f"{name}_bn")(x)
    x = layers.Activation("relu", name=f"{name}_relu")(x)
    return layers.Conv2D(
        filters, size, padding="same", use_bias=False, name=f"{name}_conv"
    )(x)


@checked(x=FEATURE_MAPS, num_layers=Int(1, 128), growth_rate=Int(1, 1024), name=NAME)
def dense_block(x, num_layers: int, growth_rate: int = 32, name: str = "dense"):
    """Each layer (BN-ReLU-1x1, BN-ReLU-3x3) sees every earlier feature map, concatenated."""
    for i in range(1, num_layers + 1):
        y = _bn_relu_conv(x, 4 * growth_rate, 1, f"{name}layer{i}_1")
        y = _bn_relu_conv(y, growth_rate, 3, f"{name}layer{i}_2")
        x = layers.Concatenate(name=f"{name}layer{i}_concat")([x, y])
    return x


@checked(
    depth=Choice(*DENSENET_BLOCKS, what="DenseNet depth"),
    input_shape=_InputShape("DenseNet"),
    num_classes=CLASSES,
)
def densenet(depth: int = 121, input_shape=(224, 224, 3), num_classes: int = 1000):
    """DenseNet-121, 169, 201 or 264 (Huang et al. 2017), growth rate 32, compression 0.5."""
    blocks = DENSENET_BLOCKS[depth]
    inputs = keras.Input(input_shape, name="input")
    x = layers.Conv2D(
        64, 7, strides=2, padding="same", use_bias=False, name="conv1_conv"
    )(inputs)
    x = layers.BatchNormalization(epsilon=1.001e-5, name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="conv1_pool")(x)
    for i, num_layers in enumerate(blocks, start=1):
        x = dense_block(x, num_layers, name=f"dense{i}")
        if i < len(blocks):  # transition: halve the channels and the map
            x = _bn_relu_conv(x, x.shape[-1] // 2, 1, f"transition{i}")
            x = layers.AveragePooling2D(2, name=f"transition{i}_pool")(x)
    x = layers.BatchNormalization(epsilon=1.001e-5, name="head_bn")(x)
    x = layers.Activation("relu", name="head_relu")(x)
    x = layers.GlobalAveragePooling2D(name="head_avgpool")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="head_dense")(x)
    return keras.Model(inputs, outputs, name=f"densenet{depth}")


# ---------------------------------------------------------------------------------------
# MobileNetV2


@checked(
    x=FEATURE_MAPS,
    expansion=Int(1, 16),
    filters=FILTERS,
    strides=Int(1, 4),
    name=NAME,
)
def inverted_residual_block(x, expansion: int, filters: int, strides: int, name: str):
    """Expand (1x1), filter each channel (3x3 depthwise), project back down (1x1, linear).

    The opposite of a bottleneck: thin at the ends, wide in the middle; the shortcut
    joins the thin ends when the shape allows.
    """

    def bn(y, part, relu6=True):
        y = layers.BatchNormalization(
            epsilon=1e-3, momentum=0.999, name=f"{name}_{part}_bn"
        )(y)
        return layers.ReLU(6.0, name=f"{name}_{part}_relu")(y) if relu6 else y

    y = x
    if expansion != 1:
        y = layers.Conv2D(
            expansion * x.shape[-1], 1, use_bias=False, name=f"{name}_expand"
        )(y)
        y = bn(y, "expand")
    y = layers.DepthwiseConv2D(
        3, strides, padding="same", use_bias=False, name=f"{name}_depthwise"
    )(y)
    y = bn(y, "depthwise")
    y = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_project")(y)
    y = bn(y, "project", relu6=False)
    if strides == 1 and x.shape[-1] == filters:
        y = layers.Add(name=f"{name}_add")([x, y])
    return y


# Table 2 of Sandler et al. (2018): expansion t, channels c, repeats n, first stride s.
MOBILENET_V2_STAGES = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)


@checked(input_shape=_InputShape("MobileNetV2"), num_classes=CLASSES)
def mobilenet_v2(input_shape=(224, 224, 3), num_classes: int = 1000) -> keras.Model:
    """MobileNetV2 (Sandler et al. 2018), width multiplier 1.0."""
    inputs = keras.Input(input_shape, name="input")
    x = layers.Conv2D(
        32, 3, strides=2, padding="same", use_bias=False, name="stem_conv"
    )(inputs)
    x = layers.BatchNormalization(epsilon=1e-3, momentum=0.999, name="stem_bn")(x)
    x = layers.ReLU(6.0, name="stem_relu")(x)
    block = 0
    for expansion, filters, repeats, first_stride in MOBILENET_V2_STAGES:
        for i in range(repeats):
            block += 1
            strides = first_stride if i == 0 else 1
            x = inverted_residual_block(x, expansion, filters, strides, f"block{block}")
    x = layers.Conv2D(1280, 1, use_bias=False, name="head_conv")(x)
    x = layers.BatchNormalization(epsilon=1e-3, momentum=0.999, name="head_bn")(x)
    x = layers.ReLU(6.0, name="head_relu")(x)
    x = layers.GlobalAveragePooling2D(name="head_avgpool")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="head_dense")(x)
    return keras.Model(inputs, outputs, name="mobilenet_v2")
