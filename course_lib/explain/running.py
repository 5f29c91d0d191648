"""Running a model up to a layer (lecture 12): the feature-map layers, their outputs
and the class scores before the softmax, as every explanation of this package needs."""

from __future__ import annotations

import numpy as np

from course_lib.core import (
    Bool,
    Constraint,
    Images,
    Items,
    Model,
    Text,
    checked,
    choose,
)

MODEL = Model(what="a Keras model")
"""Any built Keras model: the shipped MNIST convnet, an ImageNet network, ..."""

IMAGES = Images(("HW", "HWC", "NHW", "NHWC"), channels=(1, 2, 3, 4))
"""Images for a model: one (H, W) or (H, W, C), or a batch (N, H, W) or (N, H, W, C),
gray or RGB, uint8 0-255 or float 0-1 (0-255 floats are refused, never rescaled)."""

LAYER = Text(200)
"""A layer's name (checked against the model's own layers in the body)."""


class _Inputs(Constraint):
    """A batch for the network (N, H, W, C): a TensorFlow tensor or variable as it is (a
    gradient tape watches it), or an array of finite numbers, as float32."""

    def describe(self):
        return "a batch (N, H, W, C): an array of finite numbers or a TensorFlow tensor"

    def convert(self, value, name):
        import sys

        tf = sys.modules.get("tensorflow")
        if tf is not None and (tf.is_tensor(value) or isinstance(value, tf.Variable)):
            if len(value.shape) != 4:
                self.fail(name, value, got=f"a tensor of shape {tuple(value.shape)}")
            return value
        from course_lib.core import Array

        array = Array(ndim=4, what="a batch (N, H, W, C)").check(value, name)
        return array.astype(np.float32)

    def example(self):
        return np.zeros((1, 28, 28, 1), np.float32)

    def bad_values(self):
        return [None, "text", np.zeros((28, 28)), np.full((1, 4, 4, 1), np.nan)]


def _low_high(value_range) -> tuple[float, float]:
    """A declared ``value_range`` (two numbers) with low below high."""
    low, high = value_range
    if not low < high:
        raise ValueError(
            f"value_range must be (low, high) with low below high, got ({low:g}, {high:g})"
        )
    return low, high


# --------------------------------------------------------------------------------------
# Running a model up to a layer
# --------------------------------------------------------------------------------------


@checked(model=MODEL)
def feature_layers(model) -> list[str]:
    """Names of the convolution and pooling layers (their outputs are feature maps)."""
    names = []
    for layer in model.layers:
        try:
            shape = layer.output.shape
        except (AttributeError, ValueError):
            continue
        kind = type(layer).__name__
        if len(shape) == 4 and ("Conv" in kind or "Pooling" in kind):
            names.append(layer.name)
    return names


def _is_softmax(layer) -> bool:
    import keras

    activation = getattr(layer, "activation", None)
    return activation is keras.activations.softmax or (
        getattr(activation, "__name__", "") == "softmax"
    )


@checked(
    model=MODEL,
    images=_Inputs(),
    layer_names=Items(LAYER, 0, 100),
    scores=Bool(),
    linear=Bool(),
)
def run_to(model, images, layer_names, scores: bool = False, linear: bool = False):
    """Run ``model`` on ``images`` (a tensor, N x H x W x C) and return the outputs of
    ``layer_names`` (a list of tensors), plus the class scores when ``scores=True``.

    The class score is the value *before* the softmax (the "logit" y^c of the Grad-CAM
    paper): for a last ``Dense`` layer with a softmax, its matrix product plus bias.
    A ``Sequential`` model is run layer by layer, so that its convolutions accept images
    of any size (DeepDream's octaves); a functional model through a sub-model.
    ``linear=True`` returns the convolutions' outputs before their activation (ReLU)
    in a ``Sequential`` model (a functional model gives them after it).
    """
    import keras

    images = images if not isinstance(images, np.ndarray) else _constant(images)
    names = list(layer_names)
    for name in names:
        choose(name, [layer.name for layer in model.layers], "layer")
    found: dict[str, object] = {}
    if isinstance(model, keras.Sequential):
        x = images
        last = model.layers[-1]
        for layer in model.layers:
            if not scores and len(found) == len(names):
                break
            if layer is last and scores and _is_softmax(layer):
                x = keras.ops.matmul(x, layer.kernel) + layer.bias
            elif linear and layer.name in names and hasattr(layer, "convolution_op"):
                before = layer.convolution_op(x, layer.kernel)
                before = before + layer.bias if layer.use_bias else before
                found[layer.name] = before
                x = layer.activation(before)
                continue
            else:
                x = layer(x, training=False)
            if layer.name in names:
                found[layer.name] = x
        outputs = [found[name] for name in names]
        return (outputs, x) if scores else outputs
    outputs = [model.get_layer(name).output for name in names]
    if scores:
        outputs.append(model.output)
    results = keras.Model(model.inputs, outputs)(images, training=False)
    results = list(results) if isinstance(results, (list, tuple)) else [results]
    return (results[:-1], results[-1]) if scores else results


def _constant(array: np.ndarray):
    import tensorflow as tf

    return tf.constant(array)


def _as_batch(images: np.ndarray, model, any_size: bool = False) -> np.ndarray:
    """Declared ``IMAGES`` (float32 0..1 in one of its layouts) as (N, H, W, C) for
    ``model``: one image gains a batch axis, gray images a channel axis. Their channels,
    and their size unless ``any_size``, must be the model's."""
    if images.ndim == 2 or (images.ndim == 3 and images.shape[-1] in (1, 2, 3, 4)):
        images = images[None]  # one image: (H, W) or (H, W, C)
    if images.ndim == 3:
        images = images[..., None]  # gray images (N, H, W)
    channels = model.input_shape[-1]
    wanted = "gray (N, H, W)" if channels == 1 else f"(N, H, W, {channels})"
    if images.shape[-1] != channels:
        raise ValueError(
            f"images must be {wanted} for this model ({channels} channel"
            f"{'s' if channels > 1 else ''}), got {images.shape[-1]} channels"
        )
    size = tuple(model.input_shape[1:3])
    if not any_size and None not in size and images.shape[1:3] != size:
        raise ValueError(
            f"images must be {size[0]}x{size[1]} for this model, got "
            f"{images.shape[1]}x{images.shape[2]}"
        )
    return images.astype(np.float32, copy=False)
