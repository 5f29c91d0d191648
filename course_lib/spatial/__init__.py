"""Spatial transformer networks (lecture 16): distorted MNIST and the three parts of a
spatial transformer, written with ``keras.ops``.

A spatial transformer (Jaderberg, Simonyan, Zisserman and Kavukcuoglu 2015, "Spatial
Transformer Networks", NeurIPS) has three parts:

1. a **localisation network** that looks at the input and outputs the parameters θ of a
   transformation (here affine: a 2×3 matrix). Its last layer starts at the identity θ
   (zero weights, bias ``[1, 0, 0, 0, 1, 0]``), so before training the transformer
   passes the image through unchanged;
2. a **grid generator** (:func:`affine_grid`): for every pixel of the output, in
   normalised coordinates (-1 … 1 across the image), the point of the input to read,
   ``(x_s, y_s) = θ · (x_t, y_t, 1)``;
3. a **bilinear sampler** (:func:`bilinear_sample`): the input's value at those points,
   interpolated from the four nearest pixels (zero outside the image). It is
   differentiable in the image and in the points, hence in θ: the whole network trains
   end to end from class labels alone.

The package, by idea:

- :mod:`.sampling`: θ of a rotation, scale and shift, the grid generator, the sampler
  (in ``keras.ops`` and in NumPy), :func:`transform`, :func:`read_theta`; coordinates:
  x runs along the columns, y along the rows, -1 and +1 are the centres of the first
  and last pixel (the identity θ returns every pixel, a 90° rotation equals
  ``np.rot90``);
- :mod:`.distorted`: :func:`distorted_mnist` places real MNIST digits, rotated (±45°),
  scaled (0.7–1.2) and shifted, on a 60×60 canvas with clutter (8×8 fragments of other
  digits), the paper's "RTS" and cluttered MNIST; :func:`distorted_batches` streams
  fresh ones for training;
- :mod:`.models`: a fully connected network and a convnet (:func:`build_fc`,
  :func:`build_cnn`), each seeing a 30×30 view of the canvas, chosen either by the
  identity θ (the whole canvas) or by a spatial transformer (:func:`build_stn`);
  :data:`KINDS`;
- :mod:`.training`: :func:`train_steps` trains several side by side on the same
  batches; :func:`predict_classes`, :func:`accuracy`, :func:`accuracy_by_angle`,
  :func:`as_inputs`;
- the trained networks and the three-seed comparison (made by
  ``datasets/build_spatial_models.py``): ``cl.data.load_spatial_model(kind)`` and
  ``cl.data.load_spatial_results()``.

Images are uint8 0-255 or float 0-1 (the same answer either way); floats above 1.5,
NaN, and a colour photo where grey images are wanted are refused (``cl.core``).
"""

from __future__ import annotations

from course_lib.spatial.distorted import (
    CLUTTER,
    CLUTTER_SIZE,
    MAX_ANGLE,
    MAX_COUNT,
    SCALES,
    DistortedDigits,
    add_clutter,
    distorted_batches,
    distorted_mnist,
)
from course_lib.spatial.models import (
    BEHIND,
    CLASSIFIERS,
    KINDS,
    OUTPUT_SIZE,
    build,
    build_cnn,
    build_fc,
    build_localisation,
    build_stn,
    compile_model,
    transformer_outputs,
)
from course_lib.spatial.sampling import (
    CANVAS,
    DIGIT,
    IDENTITY,
    affine_grid,
    bilinear_by_hand,
    bilinear_sample,
    placement_theta,
    read_theta,
    regular_grid,
    rotation_theta,
    sample_numpy,
    transform,
)
from course_lib.spatial.training import (
    accuracy,
    accuracy_by_angle,
    as_inputs,
    predict_classes,
    train_steps,
)

__all__ = [
    "CANVAS",
    "DIGIT",
    "OUTPUT_SIZE",
    "MAX_ANGLE",
    "SCALES",
    "CLUTTER",
    "CLUTTER_SIZE",
    "IDENTITY",
    "MAX_COUNT",
    "KINDS",
    "BEHIND",
    "CLASSIFIERS",
    "DistortedDigits",
    "rotation_theta",
    "placement_theta",
    "regular_grid",
    "affine_grid",
    "bilinear_sample",
    "sample_numpy",
    "transform",
    "bilinear_by_hand",
    "read_theta",
    "add_clutter",
    "distorted_mnist",
    "distorted_batches",
    "build_cnn",
    "build_localisation",
    "build_fc",
    "build_stn",
    "transformer_outputs",
    "compile_model",
    "build",
    "train_steps",
    "accuracy",
    "predict_classes",
    "accuracy_by_angle",
    "as_inputs",
]
