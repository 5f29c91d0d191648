"""Exercises of lecture 13 (famous architectures): counting, receptive fields, VGG's
configurations and the Inception module."""

from __future__ import annotations

import functools

from course_lib import conv
from course_lib.exercises import Wrong, exercise


def _resnet50_biggest_stage() -> int:
    from course_lib import architectures, zoo

    blocks = architectures.summarize(zoo.build("ResNet-50", allocate=False)).blocks
    zoo.release()
    per_stage = {
        stage: sum(
            b.parameters for b in blocks if b.name.startswith(f"conv{stage}block")
        )
        for stage in range(2, 6)
    }
    return max(per_stage, key=per_stage.get)


def _vgg_without_1x1() -> str:
    from course_lib.zoo import VGG_CONFIGURATIONS

    changed = VGG_CONFIGURATIONS["C"].replace("1x", "")
    return next(name for name, spec in VGG_CONFIGURATIONS.items() if spec == changed)


@functools.cache
def _module_parameters(channels_in: int, filters: tuple[int, ...]) -> int:
    """Parameters of an Inception module built by cl.zoo, counted shapes-only."""
    import keras

    from course_lib import zoo

    def build():
        inputs = keras.Input((28, 28, channels_in))
        return keras.Model(inputs, zoo.inception_module(inputs, *filters, name="m"))

    return zoo.count_parameters(build)


def _inception_cases():
    from course_lib.zoo import GOOGLENET_MODULES

    return [
        ("module 3a on 192 channels", 192, GOOGLENET_MODULES["inception3a"]),
        ("module 4a on 480 channels", 480, GOOGLENET_MODULES["inception4a"]),
        ("module 5b on 832 channels", 832, GOOGLENET_MODULES["inception5b"]),
        (
            "a tiny module: 4 channels in, filters (1, 2, 3, 1, 2, 1)",
            4,
            (1, 2, 3, 1, 2, 1),
        ),
    ]


def _check_inception_parameters(function):
    if not callable(function):
        raise Wrong(
            "give a function, e.g. def inception_parameters(c_in, n1x1, n3x3_reduce, "
            "n3x3, n5x5_reduce, n5x5, pool_proj): ..."
        )
    for name, channels_in, filters in _inception_cases():
        expected = _module_parameters(channels_in, filters)
        got = function(channels_in, *filters)
        if got is None:
            raise Wrong(f"for {name} it returned None: return the count")
        if got != expected:
            raise Wrong(
                f"for {name} it returned {got!r}, expected {expected:,} (count six "
                "convolutions, each (k * k * inputs + 1) * filters)"
            )


def _inception_parameters(c_in, n1x1, n3r, n3, n5r, n5, pool_proj):
    p = conv.conv_params
    return (
        p(1, 1, c_in, n1x1)
        + p(1, 1, c_in, n3r)
        + p(3, 3, n3r, n3)
        + p(1, 1, c_in, n5r)
        + p(5, 5, n5r, n5)
        + p(1, 1, c_in, pool_proj)
    )


def _without_biases(c_in, n1x1, n3r, n3, n5r, n5, pool_proj):
    return c_in * (n1x1 + n3r + n5r + pool_proj) + 9 * n3r * n3 + 25 * n5r * n5


def _without_pool_projection(c_in, n1x1, n3r, n3, n5r, n5, pool_proj):
    return _inception_parameters(c_in, n1x1, n3r, n3, n5r, n5, pool_proj) - (
        conv.conv_params(1, 1, c_in, pool_proj)
    )


def _naive_module(c_in, n1x1, n3r, n3, n5r, n5, pool_proj):
    p = conv.conv_params
    return p(1, 1, c_in, n1x1) + p(3, 3, c_in, n3) + p(5, 5, c_in, n5)


exercise(
    "13.1",
    "How many parameters does a 3x3 convolution from 256 to 256 channels have, with "
    "biases?",
    expected=lambda: conv.conv_params(3, 3, 256, 256),
    hints=(
        (conv.conv_params(3, 3, 256, 256, bias=False), "with the 256 biases."),
        (3 * 3 * 256, "that is one filter; the layer has 256."),
        (conv.conv_params(3, 3, 1, 256), "each filter spans all 256 input channels."),
    ),
    hint="(3 x 3 x C_in + 1) x C_out.",
)

exercise(
    "13.2",
    "What is the receptive field of five stacked 3x3 convolutions with stride 1?",
    expected=lambda: conv.receptive_field([(3, 1)] * 5),
    hints=(
        (3 * 5, "each 3x3 layer widens the field by 2 (kernel - 1), not by 3."),
        (3**5, "fields grow by adding, not by multiplying."),
        (2 * 5, "start from the one pixel itself: the field of no layer at all is 1."),
    ),
    hint="r -> r + (3 - 1) for each layer, from r = 1.",
)

exercise(
    "13.3",
    "Which ResNet-50 stage, conv2 to conv5, holds the most parameters?",
    expected=_resnet50_biggest_stage,
    hints=(
        (
            4,
            "conv4 has the most blocks (6), but conv5's blocks are twice as wide: "
            "parameters grow with the channels squared. Show the blocks in the "
            "explorer and add them up.",
        ),
        (2, "conv2 works on the biggest maps, but parameters do not depend on size."),
    ),
    hint='answer with the stage\'s number, the digit after "conv".',
)

exercise(
    "13.4",
    "Replace VGG configuration C's 1x1 convolutions by 3x3 ones: which configuration "
    "do you get?",
    expected=_vgg_without_1x1,
    hints=(
        (
            "C",
            "C is the one with the 1x1 convolutions; after the change it is another.",
        ),
        ("E", "E has four convolutions in each of the last three blocks; C has three."),
        ("B", "B has two convolutions in every block; C has three in the last three."),
    ),
    hint='a letter, e.g. "A".',
)

exercise(
    "13.5",
    "Write inception_parameters(c_in, n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, "
    "pool_proj): the parameters of an Inception module.",
    checker=_check_inception_parameters,
    solution=lambda: _inception_parameters,
    mistakes=(
        _without_biases,
        _without_pool_projection,
        _naive_module,
        lambda *args: None,
        "not a function",
    ),
)
