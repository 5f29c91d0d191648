"""DeepDream (lecture 12; Mordvintsev, Olah and Tyka 2015, "Inceptionism", Google
Research blog; Chollet's Keras example ``deep_dream``) and the ImageNet models it and
Grad-CAM use online."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from course_lib.core import (
    Anything,
    Array,
    Choice,
    Images,
    Instance,
    Int,
    Items,
    Number,
    checked,
    choose,
)
from course_lib.explain.running import (
    MODEL,
    _as_batch,
    _low_high,
    feature_layers,
    run_to,
)

ONE_IMAGE = Images(("HW", "HWC"), channels=(1, 3))
"""One gray or RGB image, uint8 0-255 or float 0-1."""


class Offline(RuntimeError):
    """ImageNet weights are neither cached nor downloadable, or do not load."""


# --------------------------------------------------------------------------------------
# DeepDream
# --------------------------------------------------------------------------------------


@dataclass
class Dream:
    """The dreamed ``image`` and the loss before and after the steps of each octave
    (``losses[i] = (first, last)``), with the octave sizes."""

    image: np.ndarray
    losses: list[tuple[float, float]]
    sizes: list[tuple[int, int]]


def _dream_loss(model, image, layers: dict[str, float]):
    import tensorflow as tf

    outputs = run_to(model, image, list(layers))
    loss = 0.0
    for weight, maps in zip(layers.values(), outputs, strict=True):
        border = 2 if min(maps.shape[1:3]) > 8 else 0  # as Chollet: skip the edges
        inner = maps[
            :, border : maps.shape[1] - border, border : maps.shape[2] - border
        ]
        loss = loss + weight * tf.reduce_mean(tf.square(inner))
    return loss


MAX_DREAM_SIDE = 512
"""The largest image side ``deep_dream`` takes (its feature maps grow with the image)."""


@checked(
    model=MODEL,
    image=Array(ndim=(3, 2), dtype="number", what="an image (H, W) or (H, W, C)"),
    layers=Instance(
        dict, "a dict {layer name: weight}", example=lambda: {"conv2": 1.0}
    ),
    steps=Int(1, 10_000),
    step_size=Number(1e-6, 1e3),
    octaves=Int(1, 10),
    octave_scale=Number(1.01, 4.0),
    value_range=Items(Number(), 2, 2),
)
def deep_dream(
    model,
    image,
    layers: dict[str, float],
    steps: int = 20,
    step_size: float = 0.01,
    octaves: int = 3,
    octave_scale: float = 1.4,
    value_range: tuple[float, float] = (0.0, 1.0),
) -> Dream:
    """DeepDream: gradient ascent on ``image`` to amplify ``layers``' activations.

    The loss is the weighted mean square of each layer's activations. The image is
    processed at ``octaves`` sizes, smallest first, each ``octave_scale`` times larger;
    after each octave the detail lost by shrinking is put back (as in Chollet's
    example). Each step adds ``step_size`` times the L2-normalised gradient.
    """
    import tensorflow as tf

    named = feature_layers(model)
    if not layers:
        raise ValueError("layers must name at least one layer, e.g. {'conv2': 1.0}")
    layers = {
        choose(name, named, "layer"): Number().check(w, f"the weight of {name!r}")
        for name, w in layers.items()
    }
    low, high = _low_high(value_range)
    if (low, high) == (0.0, 1.0):  # pixels: the course's convention
        original = _as_batch(ONE_IMAGE.check(image, "image"), model, any_size=True)
    else:  # a network that wants other pixel values, e.g. InceptionV3's -1..1
        if image.min() < low or image.max() > high:
            raise ValueError(
                f"image values must lie within value_range {low:g}..{high:g}, got "
                f"{image.min():g}..{image.max():g}"
            )
        unit = ((image - low) / (high - low)).astype(np.float32)
        original = (
            _as_batch(ONE_IMAGE.check(unit, "image"), model, any_size=True)
            * (high - low)
            + low
        )
    height, width = original.shape[1:3]
    if max(height, width) > MAX_DREAM_SIDE:
        raise ValueError(
            f"the image is {height}x{width}; DeepDream takes sides of at most "
            f"{MAX_DREAM_SIDE} pixels (resize it first)"
        )
    sizes = [
        (round(height / octave_scale**i), round(width / octave_scale**i))
        for i in reversed(range(octaves))
    ]
    if min(sizes[0]) < 16:
        raise ValueError(
            f"the smallest octave {sizes[0]} is too small; use a larger image or fewer "
            "octaves"
        )
    shrunk = tf.image.resize(original, sizes[0])
    current = tf.Variable(shrunk)
    losses = []
    for size in sizes:
        current = tf.Variable(tf.image.resize(current, size))
        first = None
        for _ in range(steps):
            with tf.GradientTape() as tape:
                loss = _dream_loss(model, current, layers)
            first = float(loss) if first is None else first
            gradient = tf.math.l2_normalize(tape.gradient(loss, current))
            current.assign(tf.clip_by_value(current + step_size * gradient, low, high))
        losses.append((first, float(_dream_loss(model, current, layers))))
        lost_detail = tf.image.resize(original, size) - tf.image.resize(shrunk, size)
        current.assign(tf.clip_by_value(current + lost_detail, low, high))
        shrunk = tf.image.resize(original, size)
    return Dream(current.numpy()[0], losses, sizes)


# --------------------------------------------------------------------------------------
# ImageNet models (online)
# --------------------------------------------------------------------------------------

IMAGENET_MODELS = {
    "vgg16": ("VGG16", "vgg16_imagenet"),
    "inception_v3": ("InceptionV3", "inception_v3_notop_imagenet"),
}
"""Model name -> (``keras.applications`` builder, ``cl.data`` registry entry of its weights)."""


@checked(
    name=Choice(*IMAGENET_MODELS),
    kwargs=Anything("options for the keras.applications builder, passed on"),
)
def imagenet_model(name: str = "vgg16", **kwargs):
    """A ``keras.applications`` model with ImageNet weights (cached or downloaded).

    ``vgg16`` comes with its classifier and ``classifier_activation=None`` (class scores
    before the softmax, for Grad-CAM); ``inception_v3`` without its top (DeepDream). The
    weight file comes through ``cl.data.fetch`` (Keras' own URL and md5, checked, cached,
    never left half-written); raises ``Offline`` with one plain reason when it cannot be
    had (no network, a bad download) or does not load.
    """
    import keras

    from course_lib import data

    name = choose(name, list(IMAGENET_MODELS), "ImageNet model")
    builder, entry = IMAGENET_MODELS[name]
    try:
        weights = data.fetch(entry)
    except data.DownloadError as error:
        raise Offline(f"no ImageNet weights for {name}: {error}") from None
    options = (
        {"classifier_activation": None} if name == "vgg16" else {"include_top": False}
    )
    options.update(kwargs)
    try:
        return getattr(keras.applications, builder)(weights=str(weights), **options)
    except Exception as error:  # noqa: BLE001 - any failure: the file does not load
        raise Offline(
            f"the {name} weights in {weights} could not be loaded "
            f"({type(error).__name__}: {str(error).splitlines()[0][:200]})"
        ) from None
