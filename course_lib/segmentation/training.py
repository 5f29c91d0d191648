"""Training and using the U-Net on digit scenes (lecture 15): per-pixel cross-entropy
with the ink weighted, a warm-up then cosine learning rate, and every pixel's class."""

from __future__ import annotations

import functools

import numpy as np

from course_lib.core import Callbacks, Images, Int, Number, Optional, PathIn, checked
from course_lib.segmentation.metrics import CLASS_IDS
from course_lib.segmentation.scenes import SCENES, DigitScenes
from course_lib.segmentation.unet import UNET, UNET_PROBABILITIES

BATCH_SIZE = 8
LEARNING_RATE = 3e-3
INK_WEIGHT = 5.0
LEARNING_RATES = Number(high=1.0, positive=True)


def _check_size(model, height: int, width: int, what: str) -> None:
    """Refuse images whose size the model's input does not take."""
    want = tuple(model.input_shape[1:3])
    if any(
        w is not None and w != h for w, h in zip(want, (height, width), strict=True)
    ):
        raise ValueError(
            f"{what} are {height}x{width} but the model {model.name!r} takes "
            f"{want[0]}x{want[1]} images"
        )


@checked(
    model=UNET,
    images=Images(("NHW", "NHWC"), channels=1),
    batch_size=Int(1, 4096),
)
def predict_labels(model, images, batch_size: int = 16) -> np.ndarray:
    """The class of every pixel: argmax of ``model``'s scores, (N, H, W) uint8.

    ``images``: scenes (N, H, W) or (N, H, W, 1), uint8 0-255 or float 0-1 (the same
    labels either way)."""
    if images.ndim == 3:
        images = images[..., None]
    _check_size(model, images.shape[1], images.shape[2], "images")
    labels = [
        np.asarray(model(images[start : start + batch_size], training=False))
        .argmax(axis=-1)
        .astype(np.uint8)
        for start in range(0, len(images), batch_size)
    ]
    return np.concatenate(labels)


@checked(semantic=CLASS_IDS, ink_weight=Number(1.0, 100.0))
def ink_weights(semantic, ink_weight: float = INK_WEIGHT) -> np.ndarray:
    """Per-pixel loss weights: ``ink_weight`` on a digit's ink, 1 on the background.

    Over nine pixels in ten are background, so an unweighted loss is lowest early on
    for "all background"; weighting the ink makes the digits count from the start.
    """
    return _ink_weights(semantic, ink_weight)


def _ink_weights(semantic, ink_weight) -> np.ndarray:
    return np.where(semantic > 0, ink_weight, 1.0).astype(np.float32)


@checked(model=UNET_PROBABILITIES, learning_rate=LEARNING_RATES)
def compile_unet(model, learning_rate: float = LEARNING_RATE) -> None:
    """Adam, per-pixel sparse cross-entropy, and pixel accuracy and mean IoU as metrics
    (``keras.metrics.MeanIoU`` over the 11 classes, unweighted)."""
    _compile(model, learning_rate)


def _compile(model, learning_rate) -> None:
    import keras

    num_classes = int(model.output_shape[-1])
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=[
            "accuracy",
            keras.metrics.MeanIoU(
                num_classes, name="mean_iou", sparse_y_true=True, sparse_y_pred=False
            ),
        ],
    )


def _warmup_cosine(learning_rate: float, total_steps: int, warmup_steps: int):
    """Linear warm-up from 0 to ``learning_rate`` over ``warmup_steps``, then a cosine
    decay to 0 at ``total_steps``."""
    import keras

    warmup_steps = max(1, min(warmup_steps, total_steps - 1))
    return keras.optimizers.schedules.CosineDecay(
        0.0,
        decay_steps=max(1, total_steps - warmup_steps),
        warmup_target=learning_rate,
        warmup_steps=warmup_steps,
    )


def _check_scenes(model, scenes: DigitScenes, what: str) -> None:
    """Refuse scenes the model cannot take or whose labels it cannot score."""
    _check_size(model, scenes.images.shape[1], scenes.images.shape[2], what)
    classes = int(model.output_shape[-1])
    if scenes.semantic.size and int(scenes.semantic.max()) >= classes:
        raise ValueError(
            f"{what} hold class {int(scenes.semantic.max())} but the model scores "
            f"{classes} classes (0 to {classes - 1})"
        )


@checked(
    model=UNET_PROBABILITIES,
    scenes=SCENES,
    epochs=Int(1, 200),
    batch_size=Int(1, 1024),
    learning_rate=LEARNING_RATES,
    ink_weight=Number(1.0, 100.0),
    validation=Optional(SCENES),
    callbacks=Callbacks(),
)
def train_unet(
    model,
    scenes: DigitScenes,
    epochs: int = 1,
    batch_size: int = BATCH_SIZE,
    learning_rate: float = LEARNING_RATE,
    ink_weight: float = INK_WEIGHT,
    validation: DigitScenes | None = None,
    callbacks=None,
):
    """Train ``model`` on digit scenes with ``model.fit`` (per-pixel cross-entropy,
    ink weighted by ``ink_weight``); returns the Keras History.

    Adam's learning rate rises linearly from 0 to ``learning_rate`` over the first half
    epoch, then falls along a cosine to 0 at the last step. Without the warm-up and
    the decay, runs that differ only in the seed end far apart (mean IoU 0.68 and 0.86
    for the same network); with them, the mean IoU varies little across seeds
    (``datasets/build_segmentation_seeds.py`` measures it).

    ``callbacks``: None, a Keras callback or a list of them.
    """
    _check_scenes(model, scenes, "scenes")
    if validation is not None:
        _check_scenes(model, validation, "validation scenes")
    steps_per_epoch = -(-len(scenes) // batch_size)
    _compile(
        model,
        _warmup_cosine(learning_rate, steps_per_epoch * epochs, steps_per_epoch // 2),
    )
    validation_data = (
        None
        if validation is None
        else (validation.images[..., None], validation.semantic)
    )
    # Batches cut from the scenes when Keras asks, each with its ink weights: fit on
    # whole arrays would first copy the scenes and a float32 weight per pixel into
    # TensorFlow (lecture 15's 3,000 scenes: about 0.1 GB more at the peak). The order
    # comes from NumPy's seeded generator, so ``cl.set_seed`` fixes it.
    from course_lib.train import array_batches

    batches = array_batches(
        scenes.images[..., None],
        scenes.semantic,
        batch_size,
        seed=int(np.random.randint(2**31 - 1)),
        weight=functools.partial(_ink_weights, ink_weight=ink_weight),
    )
    return model.fit(
        batches,
        epochs=epochs,
        validation_data=validation_data,
        callbacks=callbacks,
        verbose=0,
    )


@checked(model=UNET, path=PathIn())
def save_unet_weights(model, path):
    """Save ``model``'s weights as an ``.npz`` (``w000``, ``w001``, ...), byte for byte
    the same for the same weights."""
    weights = {f"w{i:03d}": w for i, w in enumerate(model.get_weights())}
    with open(path, "wb") as handle:
        np.savez(handle, **weights)
    return path
