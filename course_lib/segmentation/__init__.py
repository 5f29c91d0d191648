"""Segmentation (lecture 15): label every pixel, classically and with a U-Net.

- ``watershed_coins`` (:mod:`.watershed`): the classic pipeline on scikit-image's
  ``coins`` photo (an elevation map, markers, the watershed, holes filled), giving a
  *semantic* mask (coin or not) and *instances* (which coin);
- ``digit_scenes`` (:mod:`.scenes`): a seeded generator of "digit scenes", 2-4 real
  MNIST digits on a 64x64 canvas with per-pixel class labels (semantic: 0 = background,
  digit + 1 for a digit's ink) and per-digit ids (instance: 0 = background, 1, 2, ...
  per digit); ``touching_digit_scenes``: two digits of the same class whose ink touches;
- ``convolution_matrix`` / ``transposed_convolution`` (:mod:`.transposed`): a
  convolution written as a matrix C, and the transposed convolution as C transposed
  (equal to ``tf.nn.conv2d_transpose`` and ``keras.layers.Conv2DTranspose``);
- ``build_unet`` (:mod:`.unet`): a U-Net (Ronneberger, Fischer and Brox 2015, "U-Net:
  Convolutional Networks for Biomedical Image Segmentation", MICCAI) whose skips
  *concatenate* encoder maps to decoder maps; ``shapes_only=True`` traces the same
  recipe with arithmetic only (no weights), e.g. the paper's 572 -> 388 network;
- metrics (:mod:`.metrics`): ``confusion_matrix``, ``pixel_accuracy``,
  ``per_class_iou``, ``mean_iou``, ``background_baseline``, ``confused_pairs`` (which
  digits the network mixes up), ``instances_from_semantic`` / ``instance_recall``
  (instances read off a semantic map as connected regions, and the share of true
  instances found at IoU >= 0.5);
- ``train_unet``, ``predict_labels`` (:mod:`.training`);
- ``UNET_SETTINGS`` (:mod:`.shipped`): the shape of the small U-Net trained on digit
  scenes that ships with the course (made by ``datasets/build_segmentation_unet.py``;
  ``cl.data.load_segmentation_unet()`` loads it).

Images are uint8 0-255 or float 0-1 (the same answer either way); floats above 1.5,
NaN and a colour photo are refused (``cl.core``'s conventions).

Example::

    scenes = cl.segmentation.digit_scenes(100, seed=0)
    scenes.images.shape, scenes.semantic.shape     # (100, 64, 64), (100, 64, 64)
    model = cl.segmentation.build_unet()            # 64x64x1 -> 64x64x11
"""

from __future__ import annotations

from course_lib.segmentation.metrics import (
    background_baseline,
    confused_pairs,
    confusion_matrix,
    instance_recall,
    instances_from_semantic,
    mean_iou,
    per_class_iou,
    pixel_accuracy,
    segmentation_report,
)
from course_lib.segmentation.scenes import (
    CLASS_NAMES,
    INK,
    MAX_SCENES,
    NUM_CLASSES,
    SCENE_SIZE,
    DigitScenes,
    digit_scenes,
    touching_digit_scenes,
)
from course_lib.segmentation.shipped import (
    UNET_SETTINGS,
)
from course_lib.segmentation.training import (
    BATCH_SIZE,
    INK_WEIGHT,
    LEARNING_RATE,
    compile_unet,
    ink_weights,
    predict_labels,
    save_unet_weights,
    train_unet,
)
from course_lib.segmentation.transposed import (
    convolution,
    convolution_matrix,
    transposed_convolution,
)
from course_lib.segmentation.unet import MAX_PARAMS, LayerShape, UNetPlan, build_unet
from course_lib.segmentation.watershed import Coins, watershed_coins

__all__ = [
    "NUM_CLASSES",
    "CLASS_NAMES",
    "SCENE_SIZE",
    "INK",
    "MAX_SCENES",
    "MAX_PARAMS",
    "BATCH_SIZE",
    "LEARNING_RATE",
    "INK_WEIGHT",
    "Coins",
    "DigitScenes",
    "LayerShape",
    "UNetPlan",
    "watershed_coins",
    "digit_scenes",
    "touching_digit_scenes",
    "instances_from_semantic",
    "instance_recall",
    "convolution_matrix",
    "convolution",
    "transposed_convolution",
    "build_unet",
    "confusion_matrix",
    "pixel_accuracy",
    "per_class_iou",
    "mean_iou",
    "background_baseline",
    "segmentation_report",
    "confused_pairs",
    "predict_labels",
    "ink_weights",
    "compile_unet",
    "train_unet",
    "save_unet_weights",
    "UNET_SETTINGS",
]
