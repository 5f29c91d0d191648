"""Explaining what a convnet sees (lecture 12): filter patterns, Grad-CAM, saliency
and DeepDream.

Ways to ask a trained network a question by gradients *with respect to the
input or to a feature map* (the weights never change):

- ``filter_pattern``: gradient ascent on the input image until one filter of one layer
  responds strongly (Chollet, *Deep Learning with Python*, ch. 5/9);
- ``grad_cam``: the class score's gradient with respect to the last convolution's
  feature maps, averaged per channel, weights a ReLU'd sum of the maps (Selvaraju et al.
  2017, "Grad-CAM: Visual Explanations from Deep Networks via Gradient-based
  Localization", ICCV, eq. 1-2);
- ``deep_dream``: gradient ascent on a photo to amplify a layer's activations, over a
  few octaves (Mordvintsev, Olah and Tyka 2015, "Inceptionism", Google Research blog;
  Chollet's Keras example ``deep_dream``);
- ``saliency_map`` and its sanity check (``randomized_copy``, ``rank_correlation``,
  ``randomization_check``), and
  ``occlusion_check``: does erasing the hottest square lower the score?

One idea per module: ``running`` (a model run up to a layer), ``patterns``, ``gradcam``,
``occlusion``, ``saliency`` and ``dream``; every name is here, as ``cl.explain.<name>``.

Each works with the shipped MNIST convnet (``cl.data.load_mnist_convnet()``)
and with ImageNet models from ``keras.applications`` (``imagenet_model``, online only).

Example::

    model = cl.data.load_mnist_convnet()
    (_, _), (x_test, y_test) = cl.data.load_mnist()
    cam = cl.explain.grad_cam(model, x_test[:4], "conv2")
    cam.heatmap.shape   # (4, 28, 28), each scaled to 0..1
"""

from __future__ import annotations

from course_lib.explain.dream import (
    IMAGENET_MODELS,
    MAX_DREAM_SIDE,
    Dream,
    Offline,
    deep_dream,
    imagenet_model,
)
from course_lib.explain.gradcam import GRAD_CAM_CHUNK, GradCam, class_scores, grad_cam
from course_lib.explain.occlusion import (
    band_means,
    occlude,
    occlusion_check,
    window_means,
)
from course_lib.explain.patterns import FilterPattern, filter_pattern
from course_lib.explain.running import feature_layers, run_to
from course_lib.explain.saliency import (
    randomization_check,
    randomized_copy,
    rank_correlation,
    saliency_map,
)

__all__ = [
    "Offline",
    "GradCam",
    "FilterPattern",
    "Dream",
    "feature_layers",
    "run_to",
    "filter_pattern",
    "grad_cam",
    "window_means",
    "occlude",
    "class_scores",
    "occlusion_check",
    "band_means",
    "saliency_map",
    "randomized_copy",
    "rank_correlation",
    "randomization_check",
    "deep_dream",
    "imagenet_model",
    "IMAGENET_MODELS",
    "MAX_DREAM_SIDE",
    "GRAD_CAM_CHUNK",
]
