"""Transfer learning (lecture 11): reuse a trained convnet's features on a new task.

Two lessons with the same three ways to train:

- **online**, the slides' lesson: cats vs dogs (the 3,000-image "filtered" subset of the
  TensorFlow tutorials, through ``cl.data.fetch("cats_vs_dogs")``) with VGG16's ImageNet
  weights from ``keras.applications``: :func:`run_cats_vs_dogs`
  (:mod:`~course_lib.transfer.online`, with the shipped results);
- **offline**, on data that ships (:mod:`~course_lib.transfer.training`): a base
  convnet trained on the digits 0-4 (:func:`train_digit_base`), reused for the digits
  5-9 with 1 to 400 labels per class (:func:`transfer`, :func:`label_sweep`: where
  transfer stops helping), and for faces vs non-faces, a task it knows nothing about.

The three ways, each with the same budget of gradient steps (:func:`fit_steps`):
``"scratch"`` (a fresh network), ``"frozen"`` (the base's features, frozen, plus a new
head) and ``"fine-tune"`` (the head trained for half the steps, then the top blocks of
the base unfrozen and trained with a small learning rate for the other half).

The networks and their parameter counts (:func:`network1`, :func:`vgg16_base`,
:func:`network2`, :func:`unfreeze_top_blocks`, :mod:`~course_lib.transfer.networks`)
need no download: ``weights=None`` builds the same shapes.
"""

from __future__ import annotations

from course_lib.transfer.networks import (
    DIGIT_BLOCKS,
    MAX_CLASSES,
    MODES,
    VGG16_BLOCKS,
    block_of,
    count_blocks,
    digit_base,
    features_of,
    network1,
    network2,
    trainable_parameters,
    unfreeze_top_blocks,
    vgg16_base,
    vgg16_trainable_by_blocks,
    with_head,
)
from course_lib.transfer.online import (
    CHOLLET_ACCURACIES,
    CHOLLET_SOURCE,
    cats_vs_dogs_folder,
    check_transfer_results,
    online_lesson_available,
    run_cats_vs_dogs,
)
from course_lib.transfer.training import (
    BATCH_SIZE,
    LABELS_PER_CLASS,
    MAX_STEPS,
    check_sweep,
    digit_transfer_data,
    face_transfer_data,
    fit_steps,
    label_sweep,
    split_digits,
    summarize_sweep,
    to_images,
    train_digit_base,
    transfer,
)

__all__ = [
    "BATCH_SIZE",
    "CHOLLET_ACCURACIES",
    "CHOLLET_SOURCE",
    "DIGIT_BLOCKS",
    "LABELS_PER_CLASS",
    "MAX_CLASSES",
    "MAX_STEPS",
    "MODES",
    "VGG16_BLOCKS",
    "block_of",
    "cats_vs_dogs_folder",
    "check_sweep",
    "check_transfer_results",
    "count_blocks",
    "digit_base",
    "digit_transfer_data",
    "face_transfer_data",
    "features_of",
    "fit_steps",
    "label_sweep",
    "network1",
    "network2",
    "online_lesson_available",
    "run_cats_vs_dogs",
    "split_digits",
    "summarize_sweep",
    "to_images",
    "train_digit_base",
    "trainable_parameters",
    "transfer",
    "unfreeze_top_blocks",
    "vgg16_base",
    "vgg16_trainable_by_blocks",
    "with_head",
]
