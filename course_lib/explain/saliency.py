"""Saliency maps and their sanity check (lecture 12): the input gradient of the class
score (Simonyan et al. 2014), a randomised copy of the model and the rank correlation
of two maps (Adebayo et al. 2018)."""

from __future__ import annotations

import numpy as np

from course_lib.core import SEED, Array, Bool, Optional, checked
from course_lib.explain.gradcam import (
    CLASSES,
    GRAD_CAM_CHUNK,
    _check_classes,
    class_scores,
    grad_cam,
)
from course_lib.explain.running import IMAGES, LAYER, MODEL, _as_batch, run_to

MAPS = Array(ndim=(4, 3, 2), what="maps (N, H, W)")
"""Saliency maps or heatmaps, finite numbers, one per image."""


@checked(model=MODEL, images=IMAGES, classes=Optional(CLASSES), absolute=Bool())
def saliency_map(model, images, classes=None, absolute: bool = True) -> np.ndarray:
    """The plain saliency map (Simonyan, Vedaldi and Zisserman 2014): the gradient of
    the class score (before the softmax) with respect to each input pixel, (N, H, W).

    ``classes`` defaults to the predicted class. ``absolute=True`` takes the largest
    absolute value over the colour channels (the paper's map); ``absolute=False`` keeps
    the sign (summed over channels): positive where more brightness raises the score.
    """
    import tensorflow as tf

    batch = _as_batch(images, model)
    if classes is not None:
        classes = _check_classes(classes, len(batch), model.output_shape[-1])
    parts = []
    for start in range(0, len(batch), GRAD_CAM_CHUNK):
        x = tf.constant(batch[start : start + GRAD_CAM_CHUNK])
        with tf.GradientTape() as tape:
            tape.watch(x)
            _, scores = run_to(model, x, [], scores=True)
            chosen = (
                tf.argmax(scores, axis=-1, output_type=tf.int32)
                if classes is None
                else classes[start : start + GRAD_CAM_CHUNK]
            )
            total = tf.reduce_sum(tf.gather(scores, chosen, axis=1, batch_dims=1))
        gradient = tape.gradient(total, x).numpy()
        parts.append(
            np.abs(gradient).max(axis=-1) if absolute else gradient.sum(axis=-1)
        )
    if not parts:
        return np.zeros(batch.shape[:3], np.float32)
    return np.concatenate(parts).astype(np.float32)


@checked(model=MODEL, seed=SEED)
def randomized_copy(model, seed: int = 0):
    """A copy of ``model`` with the same layers and fresh random weights, drawn by each
    layer's own initializer from ``seed``: the model-randomisation test of Adebayo et al.
    2018 ("Sanity Checks for Saliency Maps"). ``model`` itself is not changed."""
    import keras

    from course_lib.core import set_seed

    set_seed(seed)
    copy = keras.models.clone_model(model)
    copy.build(model.input_shape)
    return copy


@checked(maps_a=MAPS, maps_b=MAPS)
def rank_correlation(maps_a, maps_b) -> np.ndarray:
    """Spearman's rank correlation between each pair of maps (N, H, W) (ties get their
    mean rank), one value per pair in -1..1; a constant map correlates 0 with anything.
    Adebayo et al. 2018 compare saliency maps this way."""
    from scipy.stats import rankdata

    if maps_a.shape != maps_b.shape:
        raise ValueError(
            f"maps_a and maps_b must have the same shape, got {maps_a.shape} and "
            f"{maps_b.shape}"
        )
    a, b = (maps.reshape(len(maps), -1) for maps in (maps_a, maps_b))
    ra = rankdata(a, axis=1) - (a.shape[1] + 1) / 2
    rb = rankdata(b, axis=1) - (b.shape[1] + 1) / 2
    norm = np.sqrt((ra**2).sum(1) * (rb**2).sum(1))
    return np.where(norm > 0, (ra * rb).sum(1) / np.where(norm > 0, norm, 1), 0.0)


@checked(model=MODEL, images=IMAGES, layer=Optional(LAYER))
def randomization_check(model, images, layer: str | None = None) -> dict[str, float]:
    """The model-randomisation test of Adebayo et al. 2018 on ``images``, as three mean
    rank correlations (``rank_correlation``), each map for the predicted class:

    - ``"grad_cam"``: Grad-CAM at ``layer`` (default: the last feature map) of the
      trained model vs of a random copy (``randomized_copy(model, seed=1)``);
    - ``"saliency"``: the plain saliency map (the gradient's size) of the trained model vs the
      same random copy;
    - ``"two_random"``: the saliency maps of two random copies (seeds 1 and 2).

    An explanation that shows what the network learned changes when the weights are
    random (a low first number); one that shows the architecture and the ink does not.
    """
    classes = class_scores(model, images).argmax(axis=1)
    random_model = randomized_copy(model, seed=1)
    other_random = randomized_copy(model, seed=2)
    cam = rank_correlation(
        grad_cam(model, images, layer, classes).heatmap,
        grad_cam(random_model, images, layer, classes).heatmap,
    )
    trained = saliency_map(model, images, classes)
    random = saliency_map(random_model, images, classes)
    randoms = rank_correlation(random, saliency_map(other_random, images, classes))
    return {
        "grad_cam": float(np.mean(cam)),
        "saliency": float(np.mean(rank_correlation(trained, random))),
        "two_random": float(np.mean(randoms)),
    }
