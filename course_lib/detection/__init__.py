"""Object detection (lecture 14): from sliding windows to Faster R-CNN, by hand.

- :mod:`~course_lib.detection.windows`: ``window_count``, ``sliding_window_count``
  (how many windows a sliding-window detector must classify);
- :mod:`~course_lib.detection.proposals`: ``selective_search`` (Uijlings et al. 2013),
  from ``initial_regions`` (Felzenszwalb) and ``group_regions``;
- :mod:`~course_lib.detection.boxes`: ``iou``, ``iou_matrix``, ``non_max_suppression``,
  ``roi_pool`` / ``roi_pool_tf`` / ``roi_max_pool`` (Fast R-CNN) and ``anchor_shapes``
  / ``anchor_boxes`` (Faster R-CNN);
- :mod:`~course_lib.detection.faces`: a small face / non-face convnet on
  ``skimage.data.lfw_subset()`` (``face_data``, ``build_face_model``,
  ``train_face_model``, ``hard_negatives``, ``score_boxes``, ``detect``,
  ``precision_recall``) and scikit-image's LBP cascade (``cascade_faces``);
- the shipped face boxes, detector and scored proposals: ``cl.data.load_face_boxes``,
  ``cl.data.load_face_detector``, ``cl.data.load_astronaut_proposals``.

Boxes are ``(y0, x0, y1, x1)`` in pixels, rows first, as TensorFlow writes them
(``tf.image.non_max_suppression``): ``y`` is the row, ``x`` the column, the box covers
``y0 <= row < y1`` and ``x0 <= col < x1`` and its area is ``(y1 - y0) * (x1 - x0)``.
Photos are uint8 0-255 or float 0-1 (the same photo gives the same answer either way;
a float photo above 1.5 is refused).

Example::

    iou([0, 0, 10, 10], [5, 5, 15, 15])   # 25 / 175 = 0.142857...
"""

from course_lib.detection.boxes import (
    MAX_ANCHORS,
    anchor_boxes,
    anchor_shapes,
    iou,
    iou_matrix,
    non_max_suppression,
    roi_max_pool,
    roi_pool,
    roi_pool_tf,
)
from course_lib.detection.faces import (
    FACE_SIZE,
    NEGATIVE_PHOTOS,
    Detections,
    build_face_model,
    cascade_faces,
    crop_boxes,
    detect,
    face_data,
    face_shaped,
    hard_negatives,
    precision_recall,
    score_boxes,
    train_face_model,
)
from course_lib.detection.proposals import (
    COLOUR_SPACES,
    MAX_REGIONS,
    SIMILARITIES,
    Grouping,
    Region,
    group_regions,
    initial_regions,
    selective_search,
)
from course_lib.detection.windows import sliding_window_count, window_count

__all__ = [
    "window_count",
    "sliding_window_count",
    "COLOUR_SPACES",
    "SIMILARITIES",
    "MAX_REGIONS",
    "Region",
    "Grouping",
    "initial_regions",
    "group_regions",
    "selective_search",
    "iou",
    "iou_matrix",
    "non_max_suppression",
    "roi_pool",
    "roi_pool_tf",
    "roi_max_pool",
    "MAX_ANCHORS",
    "anchor_shapes",
    "anchor_boxes",
    "FACE_SIZE",
    "NEGATIVE_PHOTOS",
    "face_data",
    "build_face_model",
    "train_face_model",
    "hard_negatives",
    "face_shaped",
    "crop_boxes",
    "score_boxes",
    "Detections",
    "detect",
    "precision_recall",
    "cascade_faces",
]
