"""Running a model up to a layer (lecture 12): the feature-map layers, their outputs
and the class scores before the softmax, as every explanation of this package needs."""

from __future__ import annotations

import numpy as np

from course_lib.core import check_number, choose, show
from course_lib.images import to_unit_float

# --------------------------------------------------------------------------------------
# Running a model up to a layer
# --------------------------------------------------------------------------------------


def _check_model(model) -> None:
    import keras

    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a Keras model, got {show(model)}")


def feature_layers(model) -> list[str]:
    """Names of the convolution and pooling layers (their outputs are feature maps)."""
    _check_model(model)
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


def _value_range(value_range) -> tuple[float, float]:
    """``value_range`` as two finite numbers (low, high) with low < high."""
    try:
        low, high = (check_number(v, "value_range") for v in value_range)
    except (TypeError, ValueError):
        raise ValueError(
            f"value_range must be two numbers (low, high), got {show(value_range)}"
        ) from None
    if not low < high:
        raise ValueError(f"value_range must have low < high, got {show(value_range)}")
    return low, high


def _is_softmax(layer) -> bool:
    import keras

    activation = getattr(layer, "activation", None)
    return activation is keras.activations.softmax or (
        getattr(activation, "__name__", "") == "softmax"
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
    import tensorflow as tf

    _check_model(model)
    if isinstance(layer_names, (str, bytes)) or not isinstance(
        layer_names, (list, tuple)
    ):
        raise ValueError(
            f"layer_names must be a list of names, got {show(layer_names)}"
        )
    if not (tf.is_tensor(images) or isinstance(images, tf.Variable)):
        array = np.asarray(images) if isinstance(images, np.ndarray) else None
        if array is None or array.dtype.kind not in "uif" or array.ndim != 4:
            raise ValueError(
                f"images must be an array or tensor (N, H, W, C), got {show(images)}"
            )
        images = tf.constant(array.astype(np.float32))
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


def _as_batch(images, model, any_size: bool = False) -> np.ndarray:
    """Images as float32 (N, H, W, C) in 0..1 for ``model`` (digits gain a channel);
    their size must be the model's unless ``any_size``."""
    images = np.asarray(images)
    channels = model.input_shape[-1]
    if images.ndim == 2 or (images.ndim == 3 and images.shape[-1] == channels):
        images = images[None]  # one image: (H, W) or (H, W, C)
    if images.ndim == 3 and channels == 1:
        images = images[..., None]  # gray images (N, H, W)
    if images.ndim != 4 or images.shape[-1] != channels:
        raise ValueError(
            f"images must be shaped (N, H, W{', ' + str(channels) if channels > 1 else ''})"
            f" for this model, got {np.shape(images)}"
        )
    size = tuple(model.input_shape[1:3])
    if not any_size and None not in size and images.shape[1:3] != size:
        raise ValueError(
            f"images must be shaped (N, {size[0]}, {size[1]}) for this model, got "
            f"{np.shape(images)}"
        )
    return to_unit_float(images, "images").astype(np.float32)
