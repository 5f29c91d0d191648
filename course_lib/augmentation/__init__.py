"""Lecture 10: data augmentation with Keras 3 preprocessing layers, measured.

Three parts, one file each:

- **Views in NumPy** (:mod:`~course_lib.augmentation.views`): :func:`augment` applies one
  :class:`View` (a flip, a rotation, a zoom, a shift, a contrast factor) to an image the
  way Keras 3's random layers do; :func:`keras_view` computes the same view with the
  layers; :func:`random_views` draws views from a seed. The explorer widget
  (``cl.widgets.AugmentationExplorer``) uses only this part and never starts TensorFlow.
- **Pipelines in Keras 3** (:mod:`~course_lib.augmentation.pipelines`):
  :func:`augmentation_layers` builds the layers as a ``keras.Sequential`` (inside a
  model or in a ``tf.data`` pipeline, see :func:`augmented_dataset`);
  :func:`slides_pipeline` is the slides' ``ImageDataGenerator`` written with them.
- **The measured effect** (:mod:`~course_lib.augmentation.experiment`, on the data of
  :mod:`~course_lib.augmentation.small_data`): :func:`train_small` trains a small convnet
  on a small data set (500 MNIST digits, or faces vs non-faces from
  ``skimage.data.lfw_subset()``) with or without augmentation; :func:`compare` repeats
  it over seeds.

A rotation factor is a fraction of a full turn (``RandomRotation(0.25)`` turns by up to
90 degrees either way); a zoom factor of +0.2 zooms *out* by 20 %; a shift of +0.1 moves
the content down (rows) or right (columns) by a tenth of the image. Images are uint8
0-255 or float 0-1 (``cl.core``'s convention); every view comes back as float32 0-1.
"""

from __future__ import annotations

from course_lib.augmentation.experiment import (
    TASKS,
    TrainingResult,
    check_augmentation_results,
    compare,
    format_spread,
    mean_and_sd,
    predict_over_views,
    train_small,
)
from course_lib.augmentation.pipelines import (
    augmentation_layers,
    augmented_dataset,
    digit_augmentation,
    face_augmentation,
    rotate_batch,
    slides_pipeline,
    small_convnet,
)
from course_lib.augmentation.small_data import (
    explorer_images,
    export_image_folders,
    face_data,
    small_digit_set,
)
from course_lib.augmentation.views import (
    FILL_MODES,
    FLIPS,
    PIPELINE_ORDER,
    View,
    adjust_contrast,
    alexnet_crop_factor,
    augment,
    distinct_crops,
    flip,
    keras_view,
    random_views,
    rotation_in_degrees,
    rotation_matrix,
    translation_matrix,
    warp,
    zoom_matrix,
)

__all__ = [
    "FILL_MODES",
    "FLIPS",
    "PIPELINE_ORDER",
    "TASKS",
    "View",
    "rotation_in_degrees",
    "alexnet_crop_factor",
    "distinct_crops",
    "rotation_matrix",
    "zoom_matrix",
    "translation_matrix",
    "warp",
    "flip",
    "adjust_contrast",
    "augment",
    "random_views",
    "keras_view",
    "explorer_images",
    "augmentation_layers",
    "slides_pipeline",
    "digit_augmentation",
    "face_augmentation",
    "small_digit_set",
    "face_data",
    "export_image_folders",
    "augmented_dataset",
    "small_convnet",
    "rotate_batch",
    "TrainingResult",
    "train_small",
    "compare",
    "predict_over_views",
    "check_augmentation_results",
    "mean_and_sd",
    "format_spread",
]
