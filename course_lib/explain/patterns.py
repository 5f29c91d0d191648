"""Filter patterns (lecture 12): the input one filter likes, by gradient ascent on the
image (Chollet, *Deep Learning with Python*, ch. 5/9)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from course_lib.core import SEED, Bool, Int, Items, Number, Optional, checked, choose
from course_lib.explain.running import LAYER, MODEL, _low_high, feature_layers, run_to

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


@checked(
    model=MODEL,
    layer=LAYER,
    filter_index=Int(0, 65_535),
    steps=Int(1, 10_000),
    step_size=Number(1e-6, 1e6),
    size=Optional(Items(Int(8, 1024), 2, 2)),
    value_range=Items(Number(), 2, 2),
    seed=SEED,
    centre=Bool(),
)
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

    layer = choose(layer, feature_layers(model), "layer")
    channels = model.get_layer(layer).output.shape[-1]
    if filter_index >= channels:
        raise ValueError(
            f"filter_index must be an int from 0 to {channels - 1} (layer {layer!r} "
            f"has {channels} filters), got {filter_index}"
        )
    shape = tuple(model.input_shape[1:3]) if size is None else size
    if None in shape:
        raise ValueError(
            "size must be given, (height, width): this model takes any size"
        )
    if not all(8 <= side <= 1024 for side in shape):
        raise ValueError(f"size must be from 8 to 1024 pixels a side, got {shape}")
    low, high = _low_high(value_range)
    rng = np.random.default_rng(seed)
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
