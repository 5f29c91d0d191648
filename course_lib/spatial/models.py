"""The networks of lecture 16: a plain convnet, a fully connected network, the
localisation network, and a classifier that sees a 30×30 view of the canvas chosen
either by the identity θ (the whole canvas) or by a spatial transformer
(:func:`build_stn`); :data:`KINDS` names the four compared."""

from __future__ import annotations

from course_lib.core import SEED, Bool, Choice, Int, Model, Number, checked
from course_lib.segmentation.unet import MODEL_NAME
from course_lib.spatial.sampling import (
    CANVAS,
    IDENTITY,
    affine_grid,
    bilinear_sample,
)

OUTPUT_SIZE = 30
"""Side of the spatial transformer's output, the image the classifier sees."""

CLASSIFIER = Model(
    (None, None, 1), (10,), outputs="probabilities", what="a digit classifier"
)
"""The declaration of a network that reads canvases and ends in a softmax over 10
digits (each of :data:`KINDS`)."""
STN = Model(
    (None, None, 1), (10,), what="a spatial transformer network (cl.spatial.build_stn)"
)


@checked(input_size=Int(18, 512), seed=SEED, name=MODEL_NAME)
def build_cnn(input_size: int = CANVAS, seed: int = 0, name: str = "cnn"):
    """The plain convnet: three 3×3 convolutions (16, 32, 64 filters) with 2×2 max
    pooling after the first two, global max pooling, and a softmax over 10 classes.

    Global max pooling asks "is this feature anywhere?", so the convnet is already
    fairly tolerant of *where* the digit is; turning and resizing it is harder.
    """
    import keras
    from keras import layers

    # input_size from 18: 2 pools and 3 convolutions leave at least one pixel
    init = keras.initializers.GlorotUniform

    return keras.Sequential(
        [
            keras.Input((input_size, input_size, 1)),
            layers.Conv2D(16, 3, activation="relu", kernel_initializer=init(seed)),
            layers.MaxPooling2D(2),
            layers.Conv2D(32, 3, activation="relu", kernel_initializer=init(seed + 1)),
            layers.MaxPooling2D(2),
            layers.Conv2D(64, 3, activation="relu", kernel_initializer=init(seed + 2)),
            layers.GlobalMaxPooling2D(),
            layers.Dense(10, activation="softmax", kernel_initializer=init(seed + 3)),
        ],
        name=name,
    )


@checked(input_size=Int(32, 512), seed=SEED)
def build_localisation(input_size: int = CANVAS, seed: int = 0):
    """The localisation network: 6 numbers (θ) from the image. It halves the image
    (2×2 max pooling), then two 5×5 convolutions with pooling and a dense layer of 32;
    its last dense layer has zero weights and the identity θ as bias, so every image
    gets θ = identity before training."""
    import keras
    from keras import layers

    # input_size from 32: 3 pools and 2 convolutions leave at least one pixel
    init = keras.initializers.GlorotUniform
    return keras.Sequential(
        [
            keras.Input((input_size, input_size, 1)),
            layers.MaxPooling2D(2),
            layers.Conv2D(8, 5, activation="relu", kernel_initializer=init(seed + 10)),
            layers.MaxPooling2D(2),
            layers.Conv2D(16, 5, activation="relu", kernel_initializer=init(seed + 11)),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(32, activation="relu", kernel_initializer=init(seed + 12)),
            layers.Dense(
                6,
                kernel_initializer="zeros",
                bias_initializer=keras.initializers.Constant(IDENTITY.reshape(-1)),
                name="theta",
            ),
        ],
        name="localisation",
    )


@checked(input_size=Int(2, 512), seed=SEED, name=MODEL_NAME)
def build_fc(input_size: int = OUTPUT_SIZE, seed: int = 0, name: str = "fc"):
    """The fully connected baseline (the paper's "FCN"): the image flattened, two dense
    layers of 128 ReLU units and a softmax over 10 classes. It has no notion of
    neighbouring pixels: a digit moved by a few pixels is a new input to it."""
    import keras
    from keras import layers

    init = keras.initializers.GlorotUniform
    return keras.Sequential(
        [
            keras.Input((input_size, input_size, 1)),
            layers.Flatten(),
            layers.Dense(128, activation="relu", kernel_initializer=init(seed + 20)),
            layers.Dense(128, activation="relu", kernel_initializer=init(seed + 21)),
            layers.Dense(10, activation="softmax", kernel_initializer=init(seed + 22)),
        ],
        name=name,
    )


CLASSIFIERS = {"fc": build_fc, "cnn": build_cnn}
"""The two classifiers, by name: ``"fc"`` (:func:`build_fc`), ``"cnn"``
(:func:`build_cnn`)."""


def _sampler_layer_class():
    import keras

    class AffineSampler(keras.layers.Layer):
        """Grid generator + bilinear sampler as a layer: ``[images, theta] -> images``;
        given the images alone it uses the identity θ (the whole image, resampled)."""

        def __init__(self, size: int, **kwargs):
            super().__init__(**kwargs)
            self.size = size

        def call(self, inputs):
            if isinstance(inputs, list | tuple):
                images, theta = inputs
                theta = keras.ops.reshape(theta, (-1, 2, 3))
            else:
                images = inputs
                identity = keras.ops.convert_to_tensor(IDENTITY[None])
                theta = keras.ops.tile(identity, (keras.ops.shape(images)[0], 1, 1))
            grid = affine_grid(theta, self.size, self.size)
            return bilinear_sample(images, grid)

        def compute_output_shape(self, input_shape):
            if isinstance(input_shape, list | tuple) and isinstance(
                input_shape[0], list | tuple
            ):
                input_shape = input_shape[0]
            return (input_shape[0], self.size, self.size, input_shape[-1])

        def get_config(self):
            return {**super().get_config(), "size": self.size}

    return AffineSampler


@checked(
    input_size=Int(32, 512),
    output_size=Int(18, 512),
    seed=SEED,
    classifier=Choice("cnn", "fc"),
    transformer=Bool(),
)
def build_stn(
    input_size: int = CANVAS,
    output_size: int = OUTPUT_SIZE,
    seed: int = 0,
    classifier: str = "cnn",
    transformer: bool = True,
):
    """A classifier (``"cnn"``: :func:`build_cnn`, ``"fc"``: :func:`build_fc`) that sees an
    ``output_size``×``output_size`` view of the ``input_size`` canvas, made by the grid
    generator and sampler.

    With ``transformer=True`` the view's θ comes from the localisation network (a
    spatial transformer: it learns where to look); with ``transformer=False`` θ is fixed
    at the identity (the whole canvas, resampled). Both see the same number of pixels
    through the same sampler; they differ only in who chooses θ.

    Layers by name: ``localisation`` (with a transformer), ``sampler``, ``classifier``.
    """
    import keras

    inputs = keras.Input((input_size, input_size, 1), name="image")
    sampler = _sampler_layer_class()(output_size, name="sampler")
    if transformer:
        theta = build_localisation(input_size, seed)(inputs)
        view = sampler([inputs, theta])
    else:
        view = sampler(inputs)
    outputs = CLASSIFIERS[classifier](output_size, seed, name="classifier")(view)
    name = f"st_{classifier}" if transformer else classifier
    return keras.Model(inputs, outputs, name=name)


@checked(stn=STN)
def transformer_outputs(stn) -> object:
    """A model from the STN's input to ``[theta (B, 2, 3), resampled image]``."""
    import keras

    names = {layer.name for layer in stn.layers}
    if not {"localisation", "sampler"} <= names:
        raise ValueError(
            "stn must be a network with a spatial transformer, made by "
            "cl.spatial.build_stn (its layers 'localisation' and 'sampler'), got "
            f"{stn.name!r}, without them"
        )
    theta = stn.get_layer("localisation").output
    return keras.Model(
        stn.input,
        [keras.ops.reshape(theta, (-1, 2, 3)), stn.get_layer("sampler").output],
    )


@checked(model=CLASSIFIER, learning_rate=Number(high=10.0, positive=True))
def compile_model(model, learning_rate: float = 1e-3):
    """Adam and sparse categorical cross-entropy with accuracy."""
    return _compile(model, learning_rate)


def _compile(model, learning_rate: float = 1e-3):
    import keras

    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


KINDS = {
    "fc": "FC",
    "st_fc": "ST-FC",
    "cnn": "CNN",
    "st_cnn": "ST-CNN",
}
"""The four networks compared, by name: FC and CNN see the whole 60×60 canvas at 30×30
(the identity θ); ST-FC and ST-CNN see a 30×30 view chosen by a spatial transformer.
Same classifier, same pixels, same sampler: only who chooses θ differs."""


BEHIND = "fc_behind_st"
"""One more network: the FC behind a spatial transformer that was trained elsewhere
(the ST-CNN's localisation network, frozen); only the FC learns."""


@checked(kind=Choice(*KINDS, BEHIND), seed=SEED, compile=Bool())
def build(kind: str, seed: int = 0, compile: bool = True):
    """One of :data:`KINDS`, compiled for training unless ``compile=False``:
    ``"fc"``/``"cnn"`` (:func:`build_stn` with ``transformer=False``), ``"st_fc"``/
    ``"st_cnn"`` (with a transformer); or ``"fc_behind_st"`` (:data:`BEHIND`: the ST-FC
    with its localisation network frozen, to receive a trained one)."""
    if kind == BEHIND:
        model = build_stn(CANVAS, OUTPUT_SIZE, seed, "fc", transformer=True)
        model.get_layer("localisation").trainable = False
    else:
        classifier = kind.removeprefix("st_")
        model = build_stn(
            CANVAS, OUTPUT_SIZE, seed, classifier, transformer=kind.startswith("st_")
        )
    return _compile(model) if compile else model
