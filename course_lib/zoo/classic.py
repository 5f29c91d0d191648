"""The plain stacks: LeNet-5, AlexNet, VGG, and the slides' MNIST convnet (lectures 06, 13).

Convolutions and pooling, then dense layers; every builder returns an untrained
``keras.Model`` whose layers are named ``<block>_<part>`` (the slides' convnet keeps
the layer names of its shipped checkpoint).
"""

from __future__ import annotations

import inspect

import keras
from keras import layers

from course_lib.core import Anything, Choice, Int, Number, checked
from course_lib.zoo.building import MAX_CLASSES, _InputShape

CLASSES = Int(1, MAX_CLASSES)

# ---------------------------------------------------------------------------------------
# LeNet-5 and AlexNet


@checked(input_shape=_InputShape("LeNet-5"), num_classes=CLASSES)
def lenet5(input_shape=(32, 32, 1), num_classes: int = 10) -> keras.Model:
    """LeNet-5 (LeCun et al. 1998), with full C3 connections and plain average pooling.

    It needs inputs of at least 32x32 pixels (pad 28x28 MNIST digits by 2).
    """
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

    The defaults are the paper's k = 2, n = 5, alpha = 1e-4, beta = 0.75. ``bias``
    must be above 0 (a zero bias divides zeros by zero).
    """

    @checked(
        depth_radius=Int(0, 100),
        bias=Number(high=1e6, positive=True),
        alpha=Number(0, 1e6),
        beta=Number(0, 10),
        kwargs=Anything("Keras layer options (name, dtype, trainable)"),
    )
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


# Keras reads the argument names of a layer's __init__ without following the
# declaration's wrapper (inspect.getfullargspec): give the wrapper the real signature.
LocalResponseNormalization.__init__.__signature__ = inspect.signature(
    LocalResponseNormalization.__init__
)


@checked(
    input_shape=_InputShape("AlexNet"),
    num_classes=CLASSES,
    groups=Int(1, 2),
)
def alexnet(
    input_shape=(227, 227, 3), num_classes: int = 1000, groups: int = 1
) -> keras.Model:
    """AlexNet (Krizhevsky et al. 2012): 5 convolutions, LRN, 3 dense layers.

    ``groups=2`` splits conv2, conv4 and conv5 into the paper's two GPU towers (61.0 M
    parameters); ``groups=1`` is the one-tower version most libraries build (62.4 M).
    """
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


@checked(
    config=Choice(*VGG_CONFIGURATIONS),
    input_shape=_InputShape("VGG"),
    num_classes=CLASSES,
)
def vgg(config: str = "D", input_shape=(224, 224, 3), num_classes: int = 1000):
    """VGG configuration ``"A"``, ``"A-LRN"``, ``"B"``, ``"C"``, ``"D"`` (VGG16) or ``"E"`` (VGG19)."""
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
# The slides' MNIST convnet (lecture 06)

MNIST_SHAPE: tuple[int, int, int] = (28, 28, 1)
"""One MNIST digit as the networks take it: height, width, channels (gray)."""

MAX_PARAMETERS = 50_000_000
"""The most parameters ``slides_convnet`` makes (200 MB of float32)."""


@checked(
    filters=Int(1, 1024),
    kernel_size=Int(1, 2048),
    dense_units=Int(1, 65536),
    num_classes=Int(1, 100_000),
    input_shape=_InputShape("the slides' convnet", largest=4096, smallest=1),
)
def slides_convnet(
    filters: int = 32,
    kernel_size: int = 5,
    dense_units: int = 128,
    num_classes: int = 10,
    input_shape: tuple[int, int, int] = MNIST_SHAPE,
):
    """The slides' MNIST convnet in Keras 3 (not compiled).

    Two ``Conv2D(32, 5)`` + ReLU, ``MaxPooling2D(2)``, ``Dropout(0.25)``, ``Flatten``
    (10 x 10 x 32 = 3200), ``Dense(128)`` + ReLU, ``Dropout(0.5)``, ``Dense(10)`` softmax.
    It is the one definition of that network: the recipes, the shipped checkpoint
    (``cl.data.load_mnist_convnet()``) and the NumPy copy follow it.

    Examples
    --------
    >>> model = slides_convnet()
    >>> model.layers[5].kernel.shape   # the dense layer maps 3200 inputs to 128
    (3200, 128)

    Each size must fit: the two convolutions and the pooling must leave at least one
    pixel, and the whole network may hold at most ``MAX_PARAMETERS`` numbers.
    """
    height, width, channels = input_shape
    largest = (min(height, width) + 1) // 2  # two convolutions, then a 2x2 pool
    if kernel_size > largest:
        raise ValueError(
            f"kernel_size {kernel_size} is too large for {height}x{width} inputs: two "
            f"convolutions and a 2x2 pooling must leave a pixel; use 1 to {largest}"
        )
    side = [(n - 2 * (kernel_size - 1)) // 2 for n in (height, width)]
    parameters = (
        (kernel_size**2 * channels + 1) * filters
        + (kernel_size**2 * filters + 1) * filters
        + (side[0] * side[1] * filters + 1) * dense_units
        + (dense_units + 1) * num_classes
    )
    if parameters > MAX_PARAMETERS:
        raise ValueError(
            f"these filters, dense_units and input_shape make {parameters:,} "
            f"parameters, more than the {MAX_PARAMETERS:,} allowed (200 MB): use "
            "smaller inputs or layers"
        )
    return keras.Sequential(
        [
            keras.Input(shape=input_shape),
            layers.Conv2D(filters, kernel_size, activation="relu", name="conv1"),
            layers.Conv2D(filters, kernel_size, activation="relu", name="conv2"),
            layers.MaxPooling2D(2, name="pool"),
            layers.Dropout(0.25, name="dropout1"),
            layers.Flatten(name="flatten"),
            layers.Dense(dense_units, activation="relu", name="dense"),
            layers.Dropout(0.5, name="dropout2"),
            layers.Dense(num_classes, activation="softmax", name="output"),
        ],
        name="slides_convnet",
    )
