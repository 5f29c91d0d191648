"""The U-Net (lecture 15): Ronneberger, Fischer and Brox 2015, "U-Net: Convolutional
Networks for Biomedical Image Segmentation", MICCAI. One recipe runs on Keras layers
(a model) or on shapes only (a :class:`UNetPlan`, e.g. the paper's 572 -> 388 network,
without a single weight)."""

from __future__ import annotations

from dataclasses import dataclass

from course_lib.core import Bool, Choice, Int, Items, Model, Text, checked
from course_lib.segmentation.scenes import NUM_CLASSES, SCENE_SIZE

MAX_PARAMS = 50_000_000
"""The largest U-Net ``build_unet`` creates weights for (the paper's has 31 million);
larger ones can still be traced with ``shapes_only=True``."""


class _ClassCount(Int):
    """How many classes a network tells apart: background and at least one more."""

    def __init__(self):
        super().__init__(2, 1000)

    def describe(self):
        return (
            "an int from 2 to 1,000 (background and at least one class: with one "
            "class the softmax scores every pixel 1.0 and nothing can be learned)"
        )

    def convert(self, value, name):
        try:
            return super().convert(value, name)
        except ValueError:
            self.fail(name, value)


def _shape_text(shape) -> str:
    return "(N, " + ", ".join("?" if s is None else str(s) for s in shape[1:]) + ")"


class _UNetModel(Model):
    """A segmentation network: images (N, H, W, 1) in, one score per class and pixel
    (N, H, W, classes) out, the same H and W, at least 2 classes. ``outputs``:
    "probabilities" (a final softmax) where a loss needs them, None for any."""

    def __init__(self, outputs: str | None = None):
        super().__init__((None, None, 1), (None, None, None), outputs, "a U-Net")

    def describe(self):
        text = (
            "a U-Net: (N, H, W, 1) -> (N, H, W, classes), a score per class and pixel"
        )
        return text + (", softmax at the end" if self.outputs else "")

    def convert(self, value, name):
        model = super().convert(value, name)
        inputs, outputs = model.input_shape, model.output_shape
        if tuple(inputs[1:3]) != tuple(outputs[1:3]) or (outputs[-1] or 2) < 2:
            got = f"{model.name!r} {_shape_text(inputs)} -> {_shape_text(outputs)}"
            self.fail(name, value, got=got)
        return model

    def example(self):
        if self._example is None:
            self._example = build_unet((8, 8, 1), 2, filters=1, depth=1)
        return self._example


UNET = _UNetModel()
"""The declaration of a parameter that takes a U-Net (any final activation)."""
UNET_PROBABILITIES = _UNetModel("probabilities")
"""The same, ending in a softmax (for a loss on probabilities)."""


@dataclass
class LayerShape:
    """One layer of a traced U-Net: name, kind, output (H, W, C), parameters."""

    name: str
    kind: str
    shape: tuple[int, int, int]
    params: int


@dataclass
class UNetPlan:
    """A U-Net traced with arithmetic only (``build_unet(..., shapes_only=True)``)."""

    layers: list[LayerShape]

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return self.layers[0].shape

    @property
    def output_shape(self) -> tuple[int, int, int]:
        return self.layers[-1].shape

    @property
    def convolutions(self) -> int:
        """Convolution layers, the up-convolutions and the final 1x1 included."""
        return sum(layer.kind in {"conv", "up-conv"} for layer in self.layers)

    @property
    def params(self) -> int:
        return sum(layer.params for layer in self.layers)


class _ShapeOps:
    """The U-Net recipe's operations on shapes: no weights, just arithmetic."""

    def __init__(self, input_shape):
        self.layers = [LayerShape("input", "input", tuple(input_shape), 0)]

    def _add(self, name, kind, shape, params=0):
        if min(shape[:2]) < 1:
            raise ValueError(
                f"the input {self.layers[0].shape[:2]} is too small for this U-Net: "
                f"{name} would be {shape[0]}x{shape[1]}"
            )
        self.layers.append(LayerShape(name, kind, tuple(int(s) for s in shape), params))
        return self.layers[-1].shape

    def input(self):
        return self.layers[0].shape

    def conv(self, x, filters, size, padding, name, activation="relu"):
        shrink = 0 if padding == "same" else size - 1
        shape = (x[0] - shrink, x[1] - shrink, filters)
        return self._add(name, "conv", shape, size * size * x[2] * filters + filters)

    def pool(self, x, name):
        return self._add(name, "pool", (x[0] // 2, x[1] // 2, x[2]))

    def up(self, x, filters, name):
        shape = (x[0] * 2, x[1] * 2, filters)
        return self._add(name, "up-conv", shape, 4 * x[2] * filters + filters)

    def crop(self, skip, like, name):
        if skip[:2] == like[:2]:
            return skip
        return self._add(name, "crop", (like[0], like[1], skip[2]))

    def concat(self, a, b, name):
        return self._add(name, "concat", (a[0], a[1], a[2] + b[2]))

    def result(self, x):
        return UNetPlan(self.layers)


class _KerasOps:
    """The same operations as Keras layers (a functional model)."""

    def __init__(self, input_shape, name):
        import keras

        self.keras = keras
        self.inputs = keras.Input(input_shape, name="image")
        self.name = name

    def input(self):
        return self.inputs

    def conv(self, x, filters, size, padding, name, activation="relu"):
        return self.keras.layers.Conv2D(
            filters, size, padding=padding, activation=activation, name=name
        )(x)

    def pool(self, x, name):
        return self.keras.layers.MaxPooling2D(2, name=name)(x)

    def up(self, x, filters, name):
        return self.keras.layers.Conv2DTranspose(filters, 2, strides=2, name=name)(x)

    def crop(self, skip, like, name):
        dh, dw = skip.shape[1] - like.shape[1], skip.shape[2] - like.shape[2]
        if dh == 0 and dw == 0:
            return skip
        return self.keras.layers.Cropping2D(
            ((dh // 2, dh - dh // 2), (dw // 2, dw - dw // 2)), name=name
        )(skip)

    def concat(self, a, b, name):
        return self.keras.layers.Concatenate(name=name)([a, b])

    def result(self, x):
        return self.keras.Model(self.inputs, x, name=self.name)


def _spatial(x) -> tuple[int, int]:
    return (x[0], x[1]) if isinstance(x, tuple) else (x.shape[1], x.shape[2])


class _KerasName(Text):
    """A name Keras accepts for a model or layer: no "/"."""

    def __init__(self):
        super().__init__(max_length=100)

    def describe(self):
        return 'a name of at most 100 characters, without "/"'

    def convert(self, value, name):
        value = super().convert(value, name)
        if "/" in value:
            self.fail(name, value)
        return value

    def example(self):
        return "unet"

    def bad_values(self):
        return [*super().bad_values(), "a/b"]


MODEL_NAME = _KerasName()
"""The declaration of a name for a Keras model or layer."""


@checked(
    input_shape=Items(Int(1, 4096), 3, 3),
    num_classes=_ClassCount(),
    filters=Int(1, 512),
    depth=Int(0, 6),
    padding=Choice("same", "valid"),
    shapes_only=Bool(),
    name=MODEL_NAME,
)
def build_unet(
    input_shape=(SCENE_SIZE, SCENE_SIZE, 1),
    num_classes: int = NUM_CLASSES,
    filters: int = 8,
    depth: int = 3,
    padding: str = "same",
    shapes_only: bool = False,
    name: str = "unet",
):
    """A U-Net: ``depth`` down steps (two 3x3 convolutions with ReLU, then 2x2 max
    pooling, the filters doubling each step), two convolutions at the bottom, then
    ``depth`` up steps (a 2x2 up-convolution, i.e. ``Conv2DTranspose`` with stride 2,
    halving the filters; the encoder's maps of the same level, centre-cropped when
    ``padding="valid"``, **concatenated** to them; two 3x3 convolutions), and a 1x1
    convolution to ``num_classes`` softmax scores per pixel (at least 2: background
    and one class).

    ``build_unet((572, 572, 1), 2, filters=64, depth=4, padding="valid")`` is the
    network of Ronneberger et al. (2015, Fig. 1). With ``shapes_only=True`` the same
    recipe runs on shapes only and returns a :class:`UNetPlan` (layers, output shape,
    convolution and parameter counts) without creating a single weight.
    """
    shape = tuple(input_shape)
    if padding == "same" and (shape[0] % 2**depth or shape[1] % 2**depth):
        raise ValueError(
            f"with padding='same' the input sides must be multiples of 2**depth = "
            f"{2**depth}, got {shape[0]}x{shape[1]}"
        )
    plan = _ShapeOps(shape)
    _unet_recipe(plan, num_classes, filters, depth, padding)  # refuses too small inputs
    if shapes_only:
        return plan.result(None)
    if plan.result(None).params > MAX_PARAMS:
        raise ValueError(
            f"this U-Net would have {plan.result(None).params:,} weights, more than "
            f"{MAX_PARAMS:,}; trace it with shapes_only=True instead"
        )
    ops = _KerasOps(shape, name)
    return ops.result(_unet_recipe(ops, num_classes, filters, depth, padding))


def _unet_recipe(ops, num_classes, filters, depth, padding):
    x = ops.input()
    skips = []
    for level in range(depth):
        width = filters * 2**level
        x = ops.conv(x, width, 3, padding, f"down{level + 1}_conv1")
        x = ops.conv(x, width, 3, padding, f"down{level + 1}_conv2")
        skips.append(x)
        if padding == "valid" and any(s % 2 for s in _spatial(x)):
            raise ValueError(
                f"down{level + 1}'s maps are {_spatial(x)}: odd sides cannot be pooled "
                "2x2 and mirrored back (the paper picks 572 for this)"
            )
        x = ops.pool(x, f"down{level + 1}_pool")
    width = filters * 2**depth
    x = ops.conv(x, width, 3, padding, "bottom_conv1")
    x = ops.conv(x, width, 3, padding, "bottom_conv2")
    for level in reversed(range(depth)):
        width = filters * 2**level
        x = ops.up(x, width, f"up{level + 1}_upconv")
        skip = ops.crop(skips[level], x, f"up{level + 1}_crop")
        x = ops.concat(skip, x, f"up{level + 1}_concat")
        x = ops.conv(x, width, 3, padding, f"up{level + 1}_conv1")
        x = ops.conv(x, width, 3, padding, f"up{level + 1}_conv2")
    return ops.conv(x, num_classes, 1, padding, "classes", activation="softmax")
