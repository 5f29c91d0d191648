"""Filter patterns (lecture 12): the input one filter likes, by gradient ascent on the
image (Chollet, *Deep Learning with Python*, ch. 5/9)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from course_lib.core import check_int, check_number, choose, show
from course_lib.explain.running import (
    _check_model,
    _value_range,
    feature_layers,
    run_to,
)

# --------------------------------------------------------------------------------------
# Filter patterns by gradient ascent
# --------------------------------------------------------------------------------------


@dataclass
class FilterPattern:
    """The input that one filter likes: ``image`` (H, W, C), and at each step the
    filter's mean response before its ReLU (``responses``, what the ascent maximises)
    and after it (``activations``); index 0 is the starting noise."""

    layer: str
    filter_index: int
    image: np.ndarray
    responses: list[float] = field(default_factory=list)
    activations: list[float] = field(default_factory=list)


def filter_pattern(
    model,
    layer: str,
    filter_index: int,
    steps: int = 30,
    step_size: float = 1.0,
    size: tuple[int, int] | None = None,
    value_range: tuple[float, float] = (0.0, 1.0),
    seed: int = 0,
    centre: bool = False,
) -> FilterPattern:
    """Gradient ascent on the input to maximise one filter's mean activation.

    Start from gray noise; each step adds ``step_size`` times the gradient of the
    filter's mean response with respect to the image, normalised to unit L2 norm, and
    clips the image to ``value_range``. The model's weights are not touched. The
    response is taken before the ReLU (in a ``Sequential`` model), so that a filter
    silent on the noise still gets a gradient; ``activations`` are after the ReLU.
    ``centre=True`` maximises the response at the centre of the map only (one unit,
    which sees only its receptive field) instead of the mean over the map.
    """
    import tensorflow as tf

    _check_model(model)
    layer = choose(layer, feature_layers(model), "layer")
    channels = model.get_layer(layer).output.shape[-1]
    filter_index = check_int(filter_index, "filter_index", 0, channels - 1)
    steps = check_int(steps, "steps", 1, 10_000)
    step_size = check_number(step_size, "step_size", 1e-6, 1e6)
    shape = model.input_shape[1:3] if size is None else size
    if size is None and None in tuple(shape):
        raise ValueError("this model takes any image size: give size=(height, width)")
    try:
        shape = tuple(check_int(n, "size", 8, 1024) for n in shape)
    except TypeError:
        shape = ()
    if len(shape) != 2:
        raise ValueError(f"size must be (height, width), got {show(size)}")
    low, high = _value_range(value_range)
    rng = np.random.default_rng(check_int(seed, "seed", 0))
    middle, spread = (low + high) / 2, (high - low) / 10
    start = middle + rng.uniform(-spread, spread, (1, *shape, model.input_shape[-1]))
    image = tf.Variable(start.astype(np.float32))
    activation = model.get_layer(layer).activation if "Conv" in type(
        model.get_layer(layer)).__name__ else (lambda x: x)  # fmt: skip
    responses, activations = [], []
    for _ in range(steps + 1):
        with tf.GradientTape() as tape:
            (maps,) = run_to(model, image, [layer], linear=True)
            if centre:
                maps = maps[:, maps.shape[1] // 2, maps.shape[2] // 2][:, None, None]
            loss = tf.reduce_mean(maps[..., filter_index])
        responses.append(float(loss))
        activations.append(float(tf.reduce_mean(activation(maps[..., filter_index]))))
        if len(responses) == steps + 1:
            break
        gradient = tape.gradient(loss, image)
        gradient = gradient / (tf.norm(gradient) + 1e-8)  # a step of fixed length
        image.assign(tf.clip_by_value(image + step_size * gradient, low, high))
    return FilterPattern(layer, filter_index, image.numpy()[0], responses, activations)
