"""A trained convnet's forward pass written from scratch with NumPy (lecture 07).

The slides' "components of the network": convolve, maxpool, relu, dense (a matrix
multiplication) and softmax. ``forward(model, x)`` reads the weights of a trained Keras
``Sequential`` model and runs the images through these functions, layer by layer, with
``cl.conv`` doing the convolutions. It agrees with Keras to about 1e-6.

Example::

    model = cl.data.load_mnist_convnet()
    x = cl.images.prepare_images(x_test[:8])
    np.abs(cl.scratch.forward(model, x) - model.predict(x)).max()  # ~1e-7
"""

from __future__ import annotations

import numpy as np

from course_lib import conv
from course_lib.core import (
    Array,
    Choice,
    Images,
    Instance,
    Int,
    Items,
    Model,
    Optional,
    Text,
    checked,
)

__all__ = [
    "convolve",
    "maxpool",
    "relu",
    "dense",
    "softmax",
    "forward",
    "steps",
    "NumpyConvnet",
    "NumpyLayer",
]


NUMBERS = Array()
MAPS = Array(ndim=4, what="a batch of feature maps (N, H, W, C)")
PADDING = Choice("valid", "same")


@checked(x=NUMBERS)
def relu(x: np.ndarray) -> np.ndarray:
    """max(x, 0), element by element."""
    return np.maximum(x, 0)


@checked(x=NUMBERS)
def softmax(x: np.ndarray) -> np.ndarray:
    """exp(x_k) / sum_j exp(x_j) over the last axis (shifted by the max: no overflow)."""
    if x.ndim == 0 or x.shape[-1] == 0:
        raise ValueError(
            f"x must have at least one value on its last axis, got {x.shape}"
        )
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@checked(
    images=MAPS,
    kernel=Array(ndim=4, what="a kernel (kh, kw, C_in, C_out)"),
    bias=Optional(Array(ndim=(0, 1))),
    stride=Int(1, 1000),
    padding=PADDING,
)
def convolve(
    images: np.ndarray,
    kernel: np.ndarray,
    bias: np.ndarray | None = None,
    stride: int = 1,
    padding: str = "valid",
) -> np.ndarray:
    """Convolve every image of a batch (N, H, W, C_in) with a (kh, kw, C_in, C_out) kernel."""
    if len(images) == 0:
        raise ValueError("images is an empty batch")
    if bias is not None:
        if bias.ndim == 1 and bias.shape != kernel.shape[-1:]:
            raise ValueError(
                f"bias must have one value per filter ({kernel.shape[-1]}), got "
                f"shape {bias.shape}"
            )
    out = np.stack(
        [conv.conv2d(image, kernel, stride=stride, padding=padding) for image in images]
    )
    return out if bias is None else out + bias


@checked(images=MAPS, size=Int(1, 1000), stride=Optional(Int(1, 1000)))
def maxpool(images: np.ndarray, size: int = 2, stride: int | None = None) -> np.ndarray:
    """2x2 (or ``size``) max pooling of every image of a batch (N, H, W, C)."""
    if len(images) == 0:
        raise ValueError("images is an empty batch")
    return np.stack(
        [conv.pool2d(image, size=size, stride=stride, mode="max") for image in images]
    )


@checked(x=Array(ndim=2), weights=Array(ndim=2), bias=Array(ndim=(0, 1)))
def dense(x: np.ndarray, weights: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """A dense layer is a matrix multiplication plus a bias: (N, in) @ (in, out) + (out,)."""
    if x.shape[1] != weights.shape[0] or (
        bias.ndim and bias.shape[0] != weights.shape[1]
    ):
        raise ValueError(
            f"x {x.shape} @ weights {weights.shape} + bias {bias.shape} do not fit: "
            "x must be (N, in), weights (in, out) and bias (out,)"
        )
    return x @ weights + bias


_ACTIVATIONS = {"linear": lambda x: x, "relu": relu, "softmax": softmax}


def _activation(layer) -> str:
    import keras

    function = getattr(layer, "activation", None)
    if function is None:
        return "linear"
    name = getattr(function, "__name__", str(function))
    if function is keras.activations.linear:
        name = "linear"
    if name not in _ACTIVATIONS:
        raise ValueError(
            f"layer {layer.name!r} uses the activation {name!r}; "
            f"the from-scratch pass knows {', '.join(_ACTIVATIONS)}"
        )
    return name


def _pair(value, what: str, layer) -> int:
    value = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if value[0] != value[1]:
        raise ValueError(f"layer {layer.name!r}: only square {what}s are supported")
    return int(value[0])


def _layer_step(layer, x: np.ndarray) -> tuple[str, np.ndarray]:
    """Run one Keras layer from scratch; return a short description and the output."""
    from keras import layers

    if isinstance(layer, layers.Conv2D) and type(layer) is layers.Conv2D:
        if layer.data_format != "channels_last":
            raise ValueError(f"layer {layer.name!r}: only channels_last is supported")
        if _pair(layer.dilation_rate, "dilation", layer) != 1 or layer.groups != 1:
            raise ValueError(f"layer {layer.name!r}: dilation and groups unsupported")
        kernel = np.asarray(layer.kernel.numpy(), dtype=float)
        bias = np.asarray(layer.bias.numpy(), dtype=float) if layer.use_bias else None
        stride = _pair(layer.strides, "stride", layer)
        out = convolve(x, kernel, bias, stride=stride, padding=layer.padding)
        act = _activation(layer)
        kh, kw, c_in, c_out = kernel.shape
        description = f"convolve {kh}x{kw}x{c_in} -> {c_out} maps, {act}"
        return description, _ACTIVATIONS[act](out)
    if type(layer) is layers.MaxPooling2D:
        if layer.padding != "valid":
            raise ValueError(f"layer {layer.name!r}: only valid pooling is supported")
        size = _pair(layer.pool_size, "pool size", layer)
        stride = _pair(layer.strides, "stride", layer)
        return f"maxpool {size}x{size}", maxpool(x, size=size, stride=stride)
    if type(layer) is layers.Dropout:
        return "dropout: nothing at prediction time", x
    if type(layer) is layers.Flatten:
        return "flatten (row by row, channels last)", x.reshape(len(x), -1)
    if type(layer) is layers.Dense:
        weights = np.asarray(layer.kernel.numpy(), dtype=float)
        bias = (
            np.asarray(layer.bias.numpy(), dtype=float)
            if layer.use_bias
            else np.zeros(weights.shape[1])
        )
        act = _activation(layer)
        description = f"dense {weights.shape[0]} -> {weights.shape[1]}, {act}"
        return description, _ACTIVATIONS[act](dense(x, weights, bias))
    if type(layer) is layers.Activation:
        act = _activation(layer)
        return act, _ACTIVATIONS[act](x)
    if type(layer) is layers.ReLU and layer.max_value is None:
        if layer.negative_slope or layer.threshold:
            raise ValueError(f"layer {layer.name!r}: only a plain ReLU is supported")
        return "relu", relu(x)
    if type(layer) is layers.Softmax:
        return "softmax", softmax(x)
    raise ValueError(
        f"the from-scratch pass does not know the layer {layer.name!r} "
        f"({type(layer).__name__}); it knows Conv2D, MaxPooling2D, Dropout, Flatten, "
        "Dense, Activation, ReLU and Softmax"
    )


SEQUENTIAL = Model(what="a built keras.Sequential convnet")
IMAGES = Images(("NHWC", "HWC", "NHW"), channels=(1, 3))


@checked(model=SEQUENTIAL, x=IMAGES)
def steps(model, x: np.ndarray) -> list[tuple[str, str, np.ndarray]]:
    """The forward pass layer by layer: a list of (layer name, what it did, output).

    ``x``: images as the model takes them, uint8 0-255 or float 0-1 (the network sees
    0-1 either way); one image of the model's input shape is made a batch of one.
    """
    import keras

    if not isinstance(model, keras.Sequential):
        raise ValueError(
            f"model must be a keras.Sequential convnet, got the {type(model).__name__} "
            f"{model.name!r}"
        )
    x = x.astype(float)
    expected = tuple(model.inputs[0].shape[1:])
    if x.shape == expected:
        x = x[np.newaxis]  # one example -> a batch of one
    if expected[-1] == 1 and x.shape[1:] == expected[:-1]:
        x = x[..., np.newaxis]  # (N, H, W) -> (N, H, W, 1)
    if x.ndim < 2 or tuple(x.shape[1:]) != expected:
        raise ValueError(
            f"x must be a batch shaped (N, {', '.join(map(str, expected))}) "
            f"for this model, got {x.shape}"
        )
    result = []
    for layer in model.layers:
        description, x = _layer_step(layer, x)
        result.append((layer.name, description, x))
    return result


@checked(model=SEQUENTIAL, x=IMAGES)
def forward(model, x: np.ndarray) -> np.ndarray:
    """The model's output for a batch ``x``, computed with NumPy only.

    Parameters
    ----------
    model : a trained ``keras.Sequential`` of Conv2D, MaxPooling2D, Dropout, Flatten,
        Dense (and Activation/ReLU/Softmax) layers, channels last.
    x : (N, H, W, C) as the model expects it (an (N, H, W) batch gets its channel axis),
        uint8 0-255 or float 0-1 pixels.

    Returns
    -------
    (N, num_outputs) float64: for the slides' convnet, the ten class probabilities.
    """
    return steps(model, x)[-1][2]


# --------------------------------------------------------------------------------------
# The slides' convnet without Keras: the same weights, run by the functions above
# --------------------------------------------------------------------------------------


class _Output:
    def __init__(self, shape):
        self.shape = shape


class NumpyLayer:
    """One layer of ``NumpyConvnet``: its name, kind, weights and output shape.

    ``kind`` is ``"conv"`` (valid padding, stride 1), ``"maxpool"``, ``"flatten"`` or
    ``"dense"``; ``activation`` is one of ``"linear"``, ``"relu"``, ``"softmax"``;
    ``pool_size`` is the window (and stride) of a ``"maxpool"`` layer.
    """

    @checked(
        name=Text(max_length=200),
        kind=Choice("conv", "maxpool", "flatten", "dense"),
        weights=Items(Array(ndim=(1, 2, 4), what="an array of weights"), 0, 2),
        activation=Choice(*_ACTIVATIONS),
        pool_size=Int(1, 1000),
    )
    def __init__(
        self,
        name: str,
        kind: str,
        weights=(),
        activation: str = "linear",
        pool_size: int = 2,
    ):
        # float32, as the checkpoint stores them: the dashboards' passes stay fast
        weights = [np.asarray(w, np.float32) for w in weights]
        self.name, self.kind, self.weights = name, kind, weights
        self.activation, self.pool_size = activation, pool_size
        self.output = _Output(None)  # set by NumpyConvnet from its input shape

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if self.kind == "conv":
            x = convolve(x, *self.weights)
        elif self.kind == "maxpool":
            x = maxpool(x, self.pool_size)
        elif self.kind == "flatten":
            x = x.reshape(len(x), -1)
        else:
            x = dense(x, *self.weights)
        return _ACTIVATIONS[self.activation](x)


class NumpyConvnet:
    """A trained convnet for inference with NumPy only (dropout is off then).

    It answers like a Keras model where the widgets need it: ``model(x)`` gives the
    output, ``layers`` / ``get_layer(name).output.shape``, and ``feature_maps(x, name)``
    gives a layer's output. Every output shape is found by running a blank input of
    ``input_shape`` through the layers once. Load the shipped weights with
    ``cl.models.pretrained_numpy("mnist_convnet")``.
    """

    @checked(
        layers=Items(
            Instance(NumpyLayer, "a NumpyLayer", lambda: NumpyLayer("flat", "flatten")),
            1,
            1000,
        ),
        input_shape=Items(Int(1, 4096), 1, 3),
    )
    def __init__(self, layers: list[NumpyLayer], input_shape: tuple[int, ...]):
        self.layers = list(layers)
        self.input_shape = tuple(input_shape)
        x = np.zeros((1, *self.input_shape), dtype=np.float32)
        for layer in self.layers:
            try:
                x = layer(x)
            except ValueError as exc:
                raise ValueError(
                    f"layer {layer.name!r} does not fit its input {x.shape[1:]}: {exc}"
                ) from None
            layer.output = _Output((None, *x.shape[1:]))

    @classmethod
    def from_weights_file(cls, path, input_shape: tuple[int, ...]) -> NumpyConvnet:
        """Read a Keras 3 ``.weights.h5`` of ``cl.zoo.slides_convnet()`` or alike.

        The network must be convolutions (valid padding, stride 1, ReLU), at most one
        max pooling, a flatten and dense layers (ReLU, the last one softmax), in that
        order; dropout is left out (it does nothing at prediction time). The layer
        names, kernel sizes, filter and unit counts come from the file; the pooling
        size (the smallest that fits) follows from the first dense layer's input count
        and ``input_shape``.
        """
        import h5py

        try:
            found = _read_weights(h5py, path)
        except (OSError, KeyError, ValueError, TypeError) as error:
            raise ValueError(
                f"{path} is not a Keras weights file of a convnet "
                f"({type(error).__name__}: {str(error)[:120]})"
            ) from None
        unknown = set(found) - {
            "conv2d",
            "max_pooling2d",
            "dropout",
            "flatten",
            "dense",
        }
        if unknown:
            raise ValueError(
                f"{path}: the NumPy convnet does not know the layers "
                f"{', '.join(sorted(unknown))}"
            )
        in_order = {kind: sorted(entries) for kind, entries in found.items()}
        convs, denses = in_order.get("conv2d", []), in_order.get("dense", [])
        pools = in_order.get("max_pooling2d", [])
        if not denses or len(pools) > 1:
            raise ValueError(f"{path}: expected dense layers and at most one pooling")
        layers = [NumpyLayer(name, "conv", w, "relu") for _, name, w in convs]
        if pools:
            pool_size = _pool_size(input_shape, convs, denses[0][2][0].shape[0])
            layers.append(NumpyLayer(pools[0][1], "maxpool", pool_size=pool_size))
        flatten = in_order.get("flatten", [(0, "flatten", [])])[0][1]
        layers.append(NumpyLayer(flatten, "flatten"))
        for index, (_, name, weights) in enumerate(denses):
            last = index == len(denses) - 1
            layers.append(
                NumpyLayer(name, "dense", weights, "softmax" if last else "relu")
            )
        return cls(layers, input_shape)

    def get_layer(self, name: str) -> NumpyLayer:
        for layer in self.layers:
            if layer.name == name:
                return layer
        names = ", ".join(layer.name for layer in self.layers)
        raise ValueError(f"no layer named {name!r}; the layers are {names}")

    def feature_maps(self, x: np.ndarray, layer_name: str) -> np.ndarray:
        """The output of ``layer_name`` for a batch x shaped ``(N, *input_shape)``."""
        self.get_layer(layer_name)
        x = np.asarray(x, dtype=np.float32)
        if x.shape[1:] != self.input_shape:
            raise ValueError(
                f"x must be a batch shaped (N, {', '.join(map(str, self.input_shape))})"
                f", got {x.shape}"
            )
        for layer in self.layers:
            x = layer(x)
            if layer.name == layer_name:
                return x
        raise AssertionError("unreachable")

    def __call__(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        return self.feature_maps(x, self.layers[-1].name)


def _read_weights(h5py, path) -> dict[str, list]:
    """Keras' group name without "_1" -> (number, layer name, weights) in order."""
    found: dict[str, list] = {}
    with h5py.File(path, "r") as f:
        for group_name, group in f["layers"].items():
            kind, _, number = group_name.rpartition("_")
            if not number.isdigit():
                kind, number = group_name, "0"
            weights = [
                np.asarray(value)
                for _, value in sorted(
                    group["vars"].items(), key=lambda item: int(item[0])
                )
            ]
            name = str(group["vars"].attrs.get("name", group_name))
            found.setdefault(kind, []).append((int(number), name, weights))
    return found


def _pool_size(input_shape, convs, flat_count: int) -> int:
    """The smallest pooling window that turns the last convolution's maps into
    ``flat_count`` values."""
    height, width = input_shape[:2]
    for _, _, (kernel, *_) in convs:
        height, width = height - kernel.shape[0] + 1, width - kernel.shape[1] + 1
    channels = convs[-1][2][0].shape[-1] if convs else input_shape[-1]
    for size in range(1, min(height, width) + 1):
        if (height // size) * (width // size) * channels == flat_count:
            return size
    raise ValueError(
        f"no pooling size turns {height}x{width}x{channels} maps into the "
        f"{flat_count} inputs of the first dense layer: is input_shape "
        f"{tuple(input_shape)} right?"
    )
