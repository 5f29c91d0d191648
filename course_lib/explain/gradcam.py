"""Grad-CAM (lecture 12; Selvaraju et al. 2017, "Grad-CAM: Visual Explanations from
Deep Networks via Gradient-based Localization", ICCV, eq. 1-2) and the class scores."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from course_lib.core import Int, Labels, OneOf, Optional, checked, choose
from course_lib.explain.running import (
    IMAGES,
    LAYER,
    MODEL,
    _as_batch,
    feature_layers,
    run_to,
)

CLASSES = OneOf(Int(0, 99_999), Labels(100_000))
"""One class for every image, or one per image (checked against the model's classes
in the body)."""

# --------------------------------------------------------------------------------------
# Grad-CAM
# --------------------------------------------------------------------------------------


@dataclass
class GradCam:
    """Grad-CAM of N images: ``classes`` (N,), ``scores`` (N,) the class scores,
    ``maps`` (N, h, w, K) the feature maps A^k, ``gradients`` (N, h, w, K) of the score,
    ``weights`` (N, K) the channel weights alpha_k, ``cam`` (N, h, w) the ReLU'd
    weighted sum, ``heatmap`` (N, H, W) the cam upsampled to the input and scaled to 0..1
    (an all-zero cam stays zero)."""

    layer: str
    classes: np.ndarray
    scores: np.ndarray
    maps: np.ndarray
    gradients: np.ndarray
    weights: np.ndarray
    cam: np.ndarray
    heatmap: np.ndarray


@checked(model=MODEL, images=IMAGES, layer=Optional(LAYER), classes=Optional(CLASSES))
def grad_cam(model, images, layer: str | None = None, classes=None) -> GradCam:
    """Grad-CAM (Selvaraju et al. 2017) of ``images`` for ``classes``, at ``layer``.

    ``layer`` defaults to the last feature-map layer; ``classes`` (one int, or one per
    image) to the predicted class. Written out:

    1. run the model, keeping the feature maps A (N, h, w, K) and the class scores y;
    2. the gradients dy^c/dA by the tape;
    3. alpha_k = the mean of the gradient over the h x w positions (eq. 1);
    4. cam = ReLU(sum_k alpha_k A^k) (eq. 2);
    5. upsample bilinearly to the input size and scale each to 0..1 for display.
    """
    batch = _as_batch(images, model)
    names = feature_layers(model)
    if not names:
        raise ValueError("the model has no layer with feature maps")
    layer = names[-1] if layer is None else choose(layer, names, "layer")
    if classes is not None:
        classes = _check_classes(classes, len(batch), model.output_shape[-1])
    # In chunks: the tape holds every layer's activations of what it runs, and lecture
    # 12's 1,000 digits in one pass raised the kernel's peak memory by about 0.45 GB.
    # Each chunk's results go straight into arrays for the whole batch (a list of parts
    # joined at the end held every array twice: 0.1 GB more for those 1,000 digits).
    arrays = None
    for start in range(0, max(len(batch), 1), GRAD_CAM_CHUNK):
        part = _grad_cam_chunk(
            model,
            batch[start : start + GRAD_CAM_CHUNK],
            layer,
            None if classes is None else classes[start : start + GRAD_CAM_CHUNK],
        )
        if arrays is None:
            arrays = [np.empty((len(batch), *a.shape[1:]), a.dtype) for a in part]
        for whole, piece in zip(arrays, part, strict=True):
            whole[start : start + len(piece)] = piece
        del part
    return GradCam(layer, *arrays)


GRAD_CAM_CHUNK = 128
"""Images per pass of ``grad_cam``: the peak memory is the chunk's, not the batch's."""


def _grad_cam_chunk(model, batch: np.ndarray, layer: str, classes) -> tuple:
    import tensorflow as tf

    x = tf.constant(batch)
    with tf.GradientTape() as tape:
        (maps,), scores = run_to(model, x, [layer], scores=True)
        chosen = (
            tf.argmax(scores, axis=-1, output_type=tf.int32)
            if classes is None
            else classes
        )
        picked = tf.gather(scores, chosen, axis=1, batch_dims=1)
        total = tf.reduce_sum(picked)  # each image's score depends on its maps only
    gradients = tape.gradient(total, maps)
    weights = tf.reduce_mean(gradients, axis=(1, 2))  # alpha_k: average-pooled
    cam = tf.nn.relu(tf.einsum("nhwk,nk->nhw", maps, weights))
    upsampled = tf.image.resize(cam[..., None], batch.shape[1:3], "bilinear")[..., 0]
    peak = tf.reduce_max(upsampled, axis=(1, 2), keepdims=True)
    heatmap = tf.math.divide_no_nan(upsampled, peak)
    return (
        np.asarray(chosen),
        np.asarray(picked),
        maps.numpy(),
        gradients.numpy(),
        weights.numpy(),
        cam.numpy(),
        heatmap.numpy(),
    )


def _check_classes(classes, count: int, num_classes: int):
    """Declared ``CLASSES`` as one int32 tensor per image, within the model's classes."""
    import tensorflow as tf

    array = np.full(count, classes) if np.ndim(classes) == 0 else np.asarray(classes)
    if len(array) != count:
        raise ValueError(
            f"classes must be one int or one per image ({count} images), got "
            f"{len(array)} classes"
        )
    if array.size and array.max() >= num_classes:
        raise ValueError(
            f"classes must be from 0 to {num_classes - 1} (the model has {num_classes} "
            f"classes), got {int(array.max())}"
        )
    return tf.constant(array.astype(np.int32))


@checked(model=MODEL, images=IMAGES)
def class_scores(model, images) -> np.ndarray:
    """The class scores before the softmax, (N, classes)."""
    import tensorflow as tf

    batch = _as_batch(images, model)
    if not len(batch):
        _, scores = run_to(model, tf.constant(batch), [], scores=True)
        return np.asarray(scores)
    return np.concatenate(
        [
            np.asarray(run_to(model, tf.constant(chunk), [], scores=True)[1])
            for chunk in np.array_split(batch, -(-len(batch) // GRAD_CAM_CHUNK))
        ]
    )
