"""A trained convnet's forward pass written from scratch with NumPy (lecture 07).

The slides' "components of the network": convolve, maxpool, relu, dense (a matrix
multiplication) and softmax. ``forward(model, x)`` reads the weights of a trained Keras
``Sequential`` model and runs the images through these functions, layer by layer, with
``cl.conv`` doing the convolutions. It agrees with Keras to about 1e-6.

Example::

    model = cl.models.pretrained("mnist_convnet")
    x = cl.models.prepare_images(x_test[:8])
    np.abs(cl.scratch.forward(model, x) - model.predict(x)).max()  # ~1e-7
"""

from __future__ import annotations

import numpy as np

from course_lib import conv

__all__ = [
    "convolve",
    "maxpool",
    "relu",
    "dense",
    "softmax",
    "forward",
    "steps",
    "NumpyConvnet",
]


def relu(x: np.ndarray) -> np.ndarray:
    """max(x, 0), element by element."""
    return np.maximum(x, 0)


def softmax(x: np.ndarray) -> np.ndarray:
    """exp(x_k) / sum_j exp(x_j) over the last axis (shifted by the max: no overflow)."""
    x = np.asarray(x, dtype=float)
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def convolve(
    images: np.ndarray,
    kernel: np.ndarray,
    bias: np.ndarray | None = None,
    stride: int = 1,
    padding: str = "valid",
) -> np.ndarray:
    """Convolve every image of a batch (N, H, W, C_in) with a (kh, kw, C_in, C_out) kernel."""
    images = np.asarray(images)
    out = np.stack(
        [conv.conv2d(image, kernel, stride=stride, padding=padding) for image in images]
    )
    return out if bias is None else out + bias


def maxpool(images: np.ndarray, size: int = 2, stride: int | None = None) -> np.ndarray:
    """2x2 (or ``size``) max pooling of every image of a batch (N, H, W, C)."""
    return np.stack(
        [conv.pool2d(image, size=size, stride=stride, mode="max") for image in images]
    )


def dense(x: np.ndarray, weights: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """A dense layer is a matrix multiplication plus a bias: (N, in) @ (in, out) + (out,)."""
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


def steps(model, x: np.ndarray) -> list[tuple[str, str, np.ndarray]]:
    """The forward pass layer by layer: a list of (layer name, what it did, output)."""
    import keras

    if not isinstance(model, keras.Sequential):
        raise ValueError(
            f"forward needs a keras.Sequential model, got {type(model).__name__}"
        )
    x = np.asarray(x, dtype=float)
    if not model.inputs:
        raise ValueError("the model has no input shape yet: build or call it first")
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


def forward(model, x: np.ndarray) -> np.ndarray:
    """The model's output for a batch ``x``, computed with NumPy only.

    Parameters
    ----------
    model : a trained ``keras.Sequential`` of Conv2D, MaxPooling2D, Dropout, Flatten,
        Dense (and Activation/ReLU/Softmax) layers, channels last.
    x : (N, H, W, C) as the model expects it (an (N, H, W) batch gets its channel axis).

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
    """One layer of ``NumpyConvnet``: its name, kind, weights and output shape."""

    def __init__(self, name: str, kind: str, weights=(), output_shape=()):
        self.name, self.kind, self.weights = name, kind, list(weights)
        self.output = _Output((None, *output_shape))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if self.kind == "conv":
            return relu(convolve(x, *self.weights))
        if self.kind == "pool":
            return maxpool(x, 2)
        if self.kind == "flatten":
            return x.reshape(len(x), -1)
        if self.kind == "dense":
            return relu(dense(x, *self.weights))
        return softmax(dense(x, *self.weights))


class NumpyConvnet:
    """The slides' MNIST convnet for inference with NumPy only (dropout is off then).

    It answers like a Keras model where the widgets need it: ``model(x)`` gives the
    probabilities, ``layers`` / ``get_layer(name).output.shape``, and
    ``feature_maps(x, name)`` gives a layer's output. Load the shipped weights with
    ``cl.models.pretrained_numpy("mnist_convnet")``.
    """

    def __init__(self, conv1, conv2, dense_weights, output_weights):
        height = 28 - conv1[0].shape[0] + 1
        height2 = height - conv2[0].shape[0] + 1
        channels = conv2[0].shape[-1]
        self.layers = [
            NumpyLayer("conv1", "conv", conv1, (height, height, conv1[0].shape[-1])),
            NumpyLayer("conv2", "conv", conv2, (height2, height2, channels)),
            NumpyLayer("pool", "pool", (), (height2 // 2, height2 // 2, channels)),
            NumpyLayer("flatten", "flatten", (), ((height2 // 2) ** 2 * channels,)),
            NumpyLayer("dense", "dense", dense_weights, (dense_weights[0].shape[1],)),
            NumpyLayer(
                "output", "output", output_weights, (output_weights[0].shape[1],)
            ),
        ]

    @classmethod
    def from_weights_file(cls, path) -> NumpyConvnet:
        """Read a Keras 3 ``.weights.h5`` of ``cl.models.slides_convnet()``."""
        import h5py

        with h5py.File(path, "r") as f:
            by_name = {
                group["vars"].attrs["name"]: [
                    np.asarray(v)
                    for _, v in sorted(
                        group["vars"].items(), key=lambda item: int(item[0])
                    )
                ]
                for group in f["layers"].values()
            }
        return cls(
            by_name["conv1"], by_name["conv2"], by_name["dense"], by_name["output"]
        )

    def get_layer(self, name: str) -> NumpyLayer:
        for layer in self.layers:
            if layer.name == name:
                return layer
        names = ", ".join(layer.name for layer in self.layers)
        raise ValueError(f"no layer named {name!r}; the layers are {names}")

    def feature_maps(self, x: np.ndarray, layer_name: str) -> np.ndarray:
        """The output of ``layer_name`` for a batch x (N, 28, 28, 1) in 0..1."""
        self.get_layer(layer_name)
        x = np.asarray(x, dtype=np.float32)
        for layer in self.layers:
            x = layer(x)
            if layer.name == layer_name:
                return x
        raise AssertionError("unreachable")

    def __call__(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        return self.feature_maps(x, "output")
