"""One home for the course's model builders, built with Keras 3 (lectures 06 and 13).

Every builder returns an untrained ``keras.Model`` (``weights=None``): the slides'
MNIST convnet (``slides_convnet``, lecture 06), LeNet-5, AlexNet, VGG A-E, GoogLeNet,
ResNet-18 to 152, DenseNet-121 to 264, MobileNetV2 and U-Net. Layers are named
``<block>_<part>`` so that a block diagram (``cl.architectures``) can group them.
By family: :mod:`~course_lib.zoo.classic` (plain stacks), :mod:`~course_lib.zoo.modern`
(networks of blocks), :mod:`~course_lib.zoo.encoder_decoder` (U-Net); building without allocating in
:mod:`~course_lib.zoo.building`.

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

from collections.abc import Callable

import keras

from course_lib.core import Bool, Choice, OneOf, checked
from course_lib.zoo.building import (
    BUILDER,
    FEATURE_MAPS,
    LARGEST_SIDE,
    MAX_CHANNELS,
    MAX_CLASSES,
    MAX_FILTERS,
    _returned_model,
    release,
    shapes_only,
)
from course_lib.zoo.classic import (
    MAX_PARAMETERS,
    MNIST_SHAPE,
    VGG_CONFIGURATIONS,
    LocalResponseNormalization,
    alexnet,
    lenet5,
    slides_convnet,
    vgg,
)
from course_lib.zoo.encoder_decoder import unet
from course_lib.zoo.modern import (
    DENSENET_BLOCKS,
    GOOGLENET_MODULES,
    MOBILENET_V2_STAGES,
    RESNET_STAGES,
    dense_block,
    densenet,
    googlenet,
    inception_module,
    inverted_residual_block,
    mobilenet_v2,
    residual_block,
    resnet,
)

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
"""Every famous network here by name, with the paper's input size:
``NETWORKS["VGG-D"]()``."""

NETWORK = Choice(*NETWORKS, what="network")
"""The declaration of a network's name (one of ``NETWORKS``, any case)."""


@checked(name=NETWORK, allocate=Bool())
def build(name: str, allocate: bool = True) -> keras.Model:
    """Build a network from :data:`NETWORKS`; ``allocate=False`` builds it shapes-only.

    The name is matched case-insensitively (``"vgg-d"`` is ``"VGG-D"``); an unknown
    name raises a ValueError that lists the known ones.
    """
    if allocate:
        return NETWORKS[name]()
    with shapes_only():
        return NETWORKS[name]()


class _NameOrBuilder(OneOf):
    def describe(self):
        return "a name from cl.zoo.NETWORKS or a function of no arguments that returns a model"


@checked(name_or_builder=_NameOrBuilder(NETWORK, BUILDER))
def count_parameters(name_or_builder: str | Callable[[], keras.Model]) -> int:
    """Parameters of a network (weights, biases and batch-norm statistics), counted
    without allocating them, then released.

    Takes a name from :data:`NETWORKS` or any function of no arguments that returns a
    model.

    >>> count_parameters("VGG-E")
    143667240
    >>> count_parameters(lambda: keras.applications.VGG19(weights=None))
    143667240
    """
    if isinstance(name_or_builder, str):
        model = build(name_or_builder, allocate=False)
    else:
        with shapes_only():
            model = name_or_builder()
        try:
            _returned_model(model, "name_or_builder")
        except ValueError:
            release()
            raise
    count = model.count_params()
    del model
    release()
    return count


__all__ = [
    "BUILDER",
    "DENSENET_BLOCKS",
    "FEATURE_MAPS",
    "GOOGLENET_MODULES",
    "LARGEST_SIDE",
    "MAX_CHANNELS",
    "MAX_CLASSES",
    "MAX_FILTERS",
    "MAX_PARAMETERS",
    "MNIST_SHAPE",
    "MOBILENET_V2_STAGES",
    "NETWORK",
    "NETWORKS",
    "RESNET_STAGES",
    "VGG_CONFIGURATIONS",
    "LocalResponseNormalization",
    "alexnet",
    "build",
    "count_parameters",
    "dense_block",
    "densenet",
    "googlenet",
    "inception_module",
    "inverted_residual_block",
    "lenet5",
    "mobilenet_v2",
    "release",
    "residual_block",
    "resnet",
    "shapes_only",
    "slides_convnet",
    "unet",
    "vgg",
]
