"""The famous architectures, built with the Keras 3 functional API (lecture 13).

Every builder returns an untrained ``keras.Model`` (``weights=None``): LeNet-5, AlexNet,
VGG A-E, GoogLeNet, ResNet-18 to 152, DenseNet-121 to 264, MobileNetV2 and U-Net. Layers
are named ``<block>_<part>`` so that a block diagram can group them.

The big ones hold a lot of numbers (VGG19: 143,667,240 parameters, 575 MB in float32).
To count or inspect them without allocating, build them inside :func:`shapes_only`
(next to no memory used), or let :func:`count_parameters` build and release in one call:

>>> import course_lib as cl
>>> with cl.zoo.shapes_only():
...     net = cl.zoo.vgg("E")
>>> net.count_params()
143667240
>>> del net
>>> cl.zoo.release()
>>> cl.zoo.count_parameters("VGG-E")
143667240
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable, Iterator

import keras
from keras import layers

from course_lib.core import check_int, choose, lookup, show

MAX_CLASSES = 10_000
MAX_CHANNELS = 64
MAX_FILTERS = 4096

# ---------------------------------------------------------------------------------------
# Building without allocating


@contextlib.contextmanager
def shapes_only() -> Iterator[None]:
    """Build models whose weights have shapes but no values: counting costs no memory.

    Uses ``keras.StatelessScope(initialize_variables=False)``: variables created inside
    it are never filled. A model built here can be counted and inspected (layer shapes,
    ``count_params()``), not run. Call :func:`release` when done with it.
    """
    with keras.StatelessScope(initialize_variables=False):
        yield


def release() -> None:
    """Forget every model built so far (``clear_session``) and collect the garbage.

    Also drops the shape-only variables that Keras keeps in a global list, so they can
    never be filled later. Models you still hold keep working.
    """
    keras.backend.clear_session(free_memory=True)  # this also runs gc.collect()


# ---------------------------------------------------------------------------------------
# Checking what a builder is given, before Keras sees it

# How each network shrinks its input, layer by layer, as (window, stride, padding);
# a "same" layer never empties a map, so only the rest matter.
_SHRINKING = {
    "LeNet-5": [(5, 1, "valid"), (2, 2, "valid")] * 2 + [(5, 1, "valid")],
    "AlexNet": [(11, 4, "valid"), (3, 2, "valid"), (3, 2, "valid"), (3, 2, "valid")],
    "VGG": [(2, 2, "valid")] * 5,
    "DenseNet": [(7, 2, "same"), (3, 2, "same")] + [(2, 2, "valid")] * 3,
}

LARGEST_SIDE = {"LeNet-5": 128, "AlexNet": 320, "VGG": 256}
"""The largest input side of the networks whose first dense layer grows with the
image (AlexNet at 320: 67 million weights in it, VGG at 256: 134 million); the others
take up to 1024 pixels a side."""


def _side_after(side: int, steps) -> int:
    """What is left of ``side`` pixels after the layers ``steps`` (0: nothing)."""
    for window, stride, padding in steps:
        if padding == "same":
            side = -(-side // stride)
        else:
            side = (side - window) // stride + 1 if side >= window else 0
        if side < 1:
            return 0
    return side


def _smallest_side(network: str, steps=None) -> int:
    """The smallest input side that leaves every layer of ``network`` a pixel."""
    steps = _SHRINKING.get(network, []) if steps is None else steps
    return next(side for side in range(1, 4097) if _side_after(side, steps) > 0)


def _input_shape(input_shape, network: str, smallest: int | None = None) -> tuple:
    """``input_shape`` as (height, width, channels), large enough for ``network``."""
    try:
        values = tuple(input_shape)
    except TypeError:
        values = ()
    if len(values) != 3:
        raise ValueError(
            f"input_shape must be (height, width, channels), e.g. (224, 224, 3); got "
            f"{show(input_shape)}"
        )
    largest = LARGEST_SIDE.get(network, 1024)
    height = check_int(values[0], "the input height", 1, largest)
    width = check_int(values[1], "the input width", 1, largest)
    channels = check_int(values[2], "the input channels", 1, MAX_CHANNELS)
    smallest = _smallest_side(network) if smallest is None else smallest
    if min(height, width) < smallest:
        raise ValueError(
            f"{network} needs inputs of at least {smallest}x{smallest} pixels (its "
            f"layers would shrink a {height}x{width} input to nothing); got "
            f"input_shape={tuple(values)}"
        )
    return height, width, channels


def _classes(num_classes) -> int:
    return check_int(num_classes, "num_classes", 1, MAX_CLASSES)


def _tensor(x) -> None:
    """A block's input must be a Keras tensor of feature maps (batch, H, W, C)."""
    if not isinstance(x, keras.KerasTensor) or len(x.shape) != 4:
        raise ValueError(
            "x must be a Keras tensor of feature maps (batch, height, width, "
            f"channels), such as keras.Input((32, 32, 64)); got {show(x)}"
        )


def _name(name) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"name must be a non-empty text, got {show(name)}")
    return name


def _no_arguments(function, what: str) -> None:
    """A function the course calls without arguments (a model builder)."""
    if not callable(function):
        raise ValueError(f"{what} must be a function that returns a model")
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):  # some built-ins have none
        return
    required = [
        p
        for p in signature.parameters.values()
        if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    if required:
        raise ValueError(
            f"{what} must be a function of no arguments that returns a model; "
            f"{getattr(function, '__name__', show(function))} needs "
            f"{', '.join(p.name for p in required)}"
        )


def _model(model, what: str):
    if not (hasattr(model, "layers") and hasattr(model, "count_params")):
        raise ValueError(f"{what} returned {type(model).__name__}, not a Keras model")
    return model


# ---------------------------------------------------------------------------------------
# LeNet-5 and AlexNet


def lenet5(input_shape=(32, 32, 1), num_classes: int = 10) -> keras.Model:
    """LeNet-5 (LeCun et al. 1998), with full C3 connections and plain average pooling.

    It needs inputs of at least 32x32 pixels (pad 28x28 MNIST digits by 2).
    """
    input_shape = _input_shape(input_shape, "LeNet-5")
    num_classes = _classes(num_classes)
    inputs = keras.Input(input_shape, name="input")
    x = layers.Conv2D(6, 5, activation="tanh", name="c1_conv")(inputs)
    x = layers.AveragePooling2D(2, name="s2_pool")(x)
    x = layers.Conv2D(16, 5, activation="tanh", name="c3_conv")(x)
    x = layers.AveragePooling2D(2, name="s4_pool")(x)
    x = layers.Conv2D(120, 5, activation="tanh", name="c5_conv")(x)
    x = layers.Flatten(name="c5_flatten")(x)
    x = layers.Dense(84, activation="tanh", name="f6_dense")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="output_dense")(x)
    return keras.Model(inputs, outputs, name="lenet5")


@keras.saving.register_keras_serializable(package="course_lib")
class LocalResponseNormalization(layers.Layer):
    """AlexNet's LRN: ``a / (bias + alpha * sum of a^2 over 2r+1 channels) ** beta``.

    The defaults are the paper's k = 2, n = 5, alpha = 1e-4, beta = 0.75.
    """

    def __init__(self, depth_radius=2, bias=2.0, alpha=1e-4, beta=0.75, **kwargs):
        super().__init__(**kwargs)
        self.depth_radius, self.bias = depth_radius, bias
        self.alpha, self.beta = alpha, beta

    def call(self, inputs):
        import tensorflow as tf

        return tf.nn.local_response_normalization(
            inputs, self.depth_radius, self.bias, self.alpha, self.beta
        )

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            depth_radius=self.depth_radius,
            bias=self.bias,
            alpha=self.alpha,
            beta=self.beta,
        )
        return config


def alexnet(
    input_shape=(227, 227, 3), num_classes: int = 1000, groups: int = 1
) -> keras.Model:
    """AlexNet (Krizhevsky et al. 2012): 5 convolutions, LRN, 3 dense layers.

    ``groups=2`` splits conv2, conv4 and conv5 into the paper's two GPU towers (61.0 M
    parameters); ``groups=1`` is the one-tower version most libraries build (62.4 M).
    """
    if not any(groups is g or (type(groups) is int and groups == g) for g in (1, 2)):
        raise ValueError(f"groups must be 1 or 2, got {show(groups)}")
    input_shape = _input_shape(input_shape, "AlexNet")
    num_classes = _classes(num_classes)
    inputs = keras.Input(input_shape, name="input")
    x = layers.Conv2D(96, 11, strides=4, activation="relu", name="conv1_conv")(inputs)
    x = LocalResponseNormalization(name="conv1_lrn")(x)
    x = layers.MaxPooling2D(3, strides=2, name="conv1_pool")(x)
    x = layers.Conv2D(
        256, 5, padding="same", groups=groups, activation="relu", name="conv2_conv"
    )(x)
    x = LocalResponseNormalization(name="conv2_lrn")(x)
    x = layers.MaxPooling2D(3, strides=2, name="conv2_pool")(x)
    x = layers.Conv2D(384, 3, padding="same", activation="relu", name="conv3_conv")(x)
    x = layers.Conv2D(
        384, 3, padding="same", groups=groups, activation="relu", name="conv4_conv"
    )(x)
    x = layers.Conv2D(
        256, 3, padding="same", groups=groups, activation="relu", name="conv5_conv"
    )(x)
    x = layers.MaxPooling2D(3, strides=2, name="conv5_pool")(x)
    x = layers.Flatten(name="fc6_flatten")(x)
    x = layers.Dense(4096, activation="relu", name="fc6_dense")(x)
    x = layers.Dropout(0.5, name="fc6_dropout")(x)
    x = layers.Dense(4096, activation="relu", name="fc7_dense")(x)
    x = layers.Dropout(0.5, name="fc7_dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="fc8_dense")(x)
    return keras.Model(inputs, outputs, name="alexnet")


# ---------------------------------------------------------------------------------------
# VGG

# Table 1 of Simonyan & Zisserman (2015): a number is a 3x3 convolution with that many
# filters, "1x<n>" a 1x1 convolution, M a 2x2 max pool, LRN a local response normalization.
VGG_CONFIGURATIONS = {
    "A": "64 M 128 M 256 256 M 512 512 M 512 512 M",
    "A-LRN": "64 LRN M 128 M 256 256 M 512 512 M 512 512 M",
    "B": "64 64 M 128 128 M 256 256 M 512 512 M 512 512 M",
    "C": "64 64 M 128 128 M 256 256 1x256 M 512 512 1x512 M 512 512 1x512 M",
    "D": "64 64 M 128 128 M 256 256 256 M 512 512 512 M 512 512 512 M",
    "E": "64 64 M 128 128 M 256 256 256 256 M 512 512 512 512 M 512 512 512 512 M",
}


def vgg(config: str = "D", input_shape=(224, 224, 3), num_classes: int = 1000):
    """VGG configuration ``"A"``, ``"A-LRN"``, ``"B"``, ``"C"``, ``"D"`` (VGG16) or ``"E"`` (VGG19)."""
    config = choose(config, VGG_CONFIGURATIONS, "VGG configuration")
    input_shape = _input_shape(input_shape, "VGG")
    num_classes = _classes(num_classes)
    inputs = keras.Input(input_shape, name="input")
    x, block, conv = inputs, 1, 0
    for item in VGG_CONFIGURATIONS[config].split():
        if item == "M":
            x = layers.MaxPooling2D(2, name=f"block{block}_pool")(x)
            block, conv = block + 1, 0
        elif item == "LRN":
            x = LocalResponseNormalization(name=f"block{block}_lrn")(x)
        else:
            size, filters = (1, item[2:]) if item.startswith("1x") else (3, item)
            conv += 1
            x = layers.Conv2D(
                int(filters),
                size,
                padding="same",
                activation="relu",
                name=f"block{block}_conv{conv}",
            )(x)
    x = layers.Flatten(name="fc_flatten")(x)
    x = layers.Dense(4096, activation="relu", name="fc1_dense")(x)
    x = layers.Dense(4096, activation="relu", name="fc2_dense")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="predictions_dense")(
        x
    )
    return keras.Model(inputs, outputs, name=f"vgg_{config.replace('-', '_')}")


# ---------------------------------------------------------------------------------------
# GoogLeNet


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
    _tensor(x)
    name = _name(name)
    filters_1x1, reduce_3x3, filters_3x3, reduce_5x5, filters_5x5, pool_projection = (
        check_int(value, label, 1, MAX_FILTERS)
        for value, label in (
            (filters_1x1, "filters_1x1"),
            (reduce_3x3, "reduce_3x3"),
            (filters_3x3, "filters_3x3"),
            (reduce_5x5, "reduce_5x5"),
            (filters_5x5, "filters_5x5"),
            (pool_projection, "pool_projection"),
        )
    )

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


def googlenet(input_shape=(224, 224, 3), num_classes: int = 1000) -> keras.Model:
    """GoogLeNet (Szegedy et al. 2015), without the two auxiliary training classifiers."""

    def max_pool(y, name):
        return layers.MaxPooling2D(3, strides=2, padding="same", name=name)(y)

    input_shape = _input_shape(input_shape, "GoogLeNet")
    num_classes = _classes(num_classes)
    inputs = keras.Input(input_shape, name="input")
    x = layers.Conv2D(
        64, 7, strides=2, padding="same", activation="relu", name="stem_conv7x7"
    )(inputs)
    x = max_pool(x, "stem_pool1")
    x = LocalResponseNormalization(name="stem_lrn1")(x)
    x = layers.Conv2D(64, 1, activation="relu", name="stem_conv1x1")(x)
    x = layers.Conv2D(192, 3, padding="same", activation="relu", name="stem_conv3x3")(x)
    x = LocalResponseNormalization(name="stem_lrn2")(x)
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


def residual_block(
    x, filters: int, strides: int = 1, bottleneck: bool = True, name="block"
):
    """``relu(F(x) + shortcut(x))``: F is 3x3-3x3 (basic) or 1x1-3x3-1x1 (bottleneck).

    The shortcut is the identity, or a 1x1 convolution where the shape changes.
    """
    _tensor(x)
    name = _name(name)
    filters = check_int(filters, "filters", 1, MAX_FILTERS)
    strides = check_int(strides, "strides", 1, 4)
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


def resnet(depth: int = 50, input_shape=(224, 224, 3), num_classes: int = 1000):
    """ResNet-18, 34, 50, 101 or 152 (He et al. 2016)."""
    stages = lookup(RESNET_STAGES, depth, "ResNet depth")
    input_shape = _input_shape(input_shape, "ResNet")
    num_classes = _classes(num_classes)
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


def dense_block(x, num_layers: int, growth_rate: int = 32, name: str = "dense"):
    """Each layer (BN-ReLU-1x1, BN-ReLU-3x3) sees every earlier feature map, concatenated."""
    _tensor(x)
    name = _name(name)
    num_layers = check_int(num_layers, "num_layers", 1, 128)
    growth_rate = check_int(growth_rate, "growth_rate", 1, 1024)
    for i in range(1, num_layers + 1):
        y = _bn_relu_conv(x, 4 * growth_rate, 1, f"{name}layer{i}_1")
        y = _bn_relu_conv(y, growth_rate, 3, f"{name}layer{i}_2")
        x = layers.Concatenate(name=f"{name}layer{i}_concat")([x, y])
    return x


def densenet(depth: int = 121, input_shape=(224, 224, 3), num_classes: int = 1000):
    """DenseNet-121, 169, 201 or 264 (Huang et al. 2017), growth rate 32, compression 0.5."""
    blocks = lookup(DENSENET_BLOCKS, depth, "DenseNet depth")
    input_shape = _input_shape(input_shape, "DenseNet")
    num_classes = _classes(num_classes)
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


def inverted_residual_block(x, expansion: int, filters: int, strides: int, name: str):
    """Expand (1x1), filter each channel (3x3 depthwise), project back down (1x1, linear).

    The opposite of a bottleneck: thin at the ends, wide in the middle; the shortcut
    joins the thin ends when the shape allows.
    """
    _tensor(x)
    name = _name(name)
    expansion = check_int(expansion, "expansion", 1, 16)
    filters = check_int(filters, "filters", 1, MAX_FILTERS)
    strides = check_int(strides, "strides", 1, 4)

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


def mobilenet_v2(input_shape=(224, 224, 3), num_classes: int = 1000) -> keras.Model:
    """MobileNetV2 (Sandler et al. 2018), width multiplier 1.0."""
    input_shape = _input_shape(input_shape, "MobileNetV2")
    num_classes = _classes(num_classes)
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


# ---------------------------------------------------------------------------------------
# U-Net


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
    if not isinstance(padding, str) or padding not in ("valid", "same"):
        raise ValueError(f"padding must be 'valid' or 'same', got {show(padding)}")
    depth = check_int(depth, "depth", 1, 6)
    base_filters = check_int(base_filters, "base_filters", 1, 256)
    num_classes = _classes(num_classes)
    input_shape = _input_shape(
        input_shape, "U-Net", _unet_smallest_side(depth, padding)
    )

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


# ---------------------------------------------------------------------------------------
# By name

NETWORKS: dict[str, Callable[[], keras.Model]] = {
    "LeNet-5": lenet5,
    "AlexNet": alexnet,
    **{f"VGG-{c}": (lambda c=c: vgg(c)) for c in VGG_CONFIGURATIONS},
    "GoogLeNet": googlenet,
    **{f"ResNet-{d}": (lambda d=d: resnet(d)) for d in RESNET_STAGES},
    **{f"DenseNet-{d}": (lambda d=d: densenet(d)) for d in DENSENET_BLOCKS},
    "MobileNetV2": mobilenet_v2,
    "U-Net": unet,
}
"""Every network here by name, with the paper's input size: ``NETWORKS["VGG-D"]()``."""


def build(name: str, allocate: bool = True) -> keras.Model:
    """Build a network from :data:`NETWORKS`; ``allocate=False`` builds it shapes-only.

    The name is matched case-insensitively (``"vgg-d"`` is ``"VGG-D"``); an unknown
    name raises a ValueError that lists the known ones.
    """
    builder = lookup(NETWORKS, name, "network")
    if not isinstance(allocate, bool):
        raise ValueError(f"allocate must be True or False, got {show(allocate)}")
    if allocate:
        return builder()
    with shapes_only():
        return builder()


def count_parameters(name_or_builder: str | Callable[[], keras.Model]) -> int:
    """Parameters of a network (weights, biases and batch-norm statistics), counted
    without allocating them, then released.

    Takes a name from :data:`NETWORKS` or any function that returns a model.

    >>> count_parameters("VGG-E")
    143667240
    >>> count_parameters(lambda: keras.applications.VGG19(weights=None))
    143667240
    """
    if isinstance(name_or_builder, str):
        model = build(name_or_builder, allocate=False)
    else:
        if not callable(name_or_builder):
            raise ValueError(
                "name_or_builder must be a name from cl.zoo.NETWORKS or a function "
                f"that returns a model, got {show(name_or_builder)}"
            )
        _no_arguments(name_or_builder, "name_or_builder")
        with shapes_only():
            model = name_or_builder()
        try:
            _model(model, "name_or_builder")
        except ValueError:
            release()
            raise
    count = model.count_params()
    del model
    release()
    return count
