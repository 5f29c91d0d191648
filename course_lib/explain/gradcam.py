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


def _grad_cam_numpy(net, images: np.ndarray, layer: str) -> tuple[np.ndarray, ...]:
    """Grad-CAM of every class at once with NumPy alone: (scores (N, C), heatmaps
    (N, C, H, W)) of ``images`` (float 0..1), as ``grad_cam`` computes them per class.

    ``net`` is a ``cl.scratch.NumpyConvnet`` (the shipped convnet without TensorFlow,
    ``cl.models.pretrained_numpy()``) whose layers after ``layer`` are a flatten and
    dense layers, the last one's scores taken before its softmax. The gradient of
    those scores with respect to the maps is then written out: through each ReLU'd
    dense layer it is the weights times the units that are on. The upsampling is
    TensorFlow's bilinear one (half-pixel centres, as ``tf.image.resize``).
    """
    kinds = [item.kind for item in net.layers]
    after = kinds[[item.name for item in net.layers].index(layer) + 1 :]
    if after[:1] != ["flatten"] or set(after[1:]) != {"dense"}:
        raise ValueError(f"{layer!r} must be followed by a flatten and dense layers")
    batch = np.asarray(images, np.float32).reshape(-1, *net.input_shape)
    maps = net.feature_maps(batch, layer)  # (N, h, w, K)
    x = maps.reshape(len(maps), -1)
    denses = [item for item in net.layers if item.kind == "dense"]
    # d score / d x for every class: (N, features, C), built from the last layer back
    on = []
    for item in denses[:-1]:
        x = x @ item.weights[0] + item.weights[1]
        on.append(x > 0)
        x = np.maximum(x, 0)
    kernel, bias = denses[-1].weights
    scores = x @ kernel + bias
    gradient = np.broadcast_to(kernel, (len(maps), *kernel.shape))
    for item, active in zip(denses[-2::-1], on[::-1], strict=True):
        gradient = item.weights[0] @ (active[:, :, None] * gradient)
    n, h, w, k = maps.shape
    alphas = gradient.reshape(n, h * w, k, -1).mean(axis=1)  # (N, K, C)
    cam = np.maximum(maps.reshape(n, h * w, k) @ alphas, 0)  # (N, h*w, C)
    cam = cam.transpose(0, 2, 1).reshape(n, -1, h, w)  # (N, C, h, w)
    rows = _bilinear_matrix(h, batch.shape[1]).astype(np.float32)
    columns = _bilinear_matrix(w, batch.shape[2]).astype(np.float32)
    upsampled = rows @ cam @ columns.T
    peak = upsampled.max(axis=(2, 3), keepdims=True)
    heatmaps = np.divide(upsampled, peak, out=np.zeros_like(upsampled), where=peak > 0)
    return scores.astype(np.float32), heatmaps.astype(np.float32)


def _bilinear_matrix(size_in: int, size_out: int) -> np.ndarray:
    """(size_out, size_in): bilinear resizing along one axis, half-pixel centres."""
    source = (np.arange(size_out) + 0.5) * size_in / size_out - 0.5
    low = np.floor(source)
    frac = source - low
    matrix = np.zeros((size_out, size_in), np.float64)
    rows = np.arange(size_out)
    np.add.at(matrix, (rows, np.clip(low, 0, size_in - 1).astype(int)), 1 - frac)
    np.add.at(matrix, (rows, np.clip(low + 1, 0, size_in - 1).astype(int)), frac)
    return matrix
