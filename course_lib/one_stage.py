"""Anchors and a one-stage detector (lecture 14), and how detectors are scored.

- ``match_anchors``: each anchor labelled positive (IoU >= 0.7 with a true box, or the
  best anchor of a true box), negative (IoU < 0.3 with every true box) or ignored, as
  Ren et al. (2015, "Faster R-CNN") train their Region Proposal Network;
- ``encode_boxes`` / ``decode_boxes``: a box as offsets (t_x, t_y, t_w, t_h) from its
  anchor, and back (R-CNN's box regression, used by Faster R-CNN, SSD and YOLOv2 on);
- a one-stage detector on 64x64 digit scenes (``cl.segmentation.digit_scenes``):
  ``digit_anchors``, ``scene_truth``, ``detection_targets``,
  ``build_one_stage_detector`` (a small convnet with an SSD-style head: at each of
  16 x 16 positions, for each anchor, 11 class scores and 4 offsets),
  ``detection_loss`` (softmax focal loss, Lin et al. 2017 "RetinaNet", plus a smooth-L1
  box loss), ``predict_detections`` (the shipped one: ``cl.data.load_one_stage_detector``);
- scoring: ``match_detections`` (greedy, best score first, one detection per true box),
  ``precision_recall_curve``, ``average_precision`` (the area under the precision
  envelope, as PASCAL VOC since 2010) and ``mean_average_precision`` (mAP@0.5);
  ``load_face_benchmark`` gives the photos with hand-drawn face boxes (and composites
  of held-out faces) on which lecture 14's face detector is scored.

Boxes are ``(y0, x0, y1, x1)`` in pixels, rows first, as in ``cl.detection``.
"""

from __future__ import annotations

import numpy as np

from course_lib.core import (
    Anything,
    Images,
    Int,
    Items,
    Model,
    Number,
    checked,
)
from course_lib.detection import anchor_boxes, iou_matrix
from course_lib.detection._checks import (
    FOUND,
    HITS,
    MAX_IMAGES,
    SCENES,
    SCORES,
    TRUTH_BOXES,
    TRUTH_LABELS,
    Boxes,
)

__all__ = [
    "GRID",
    "STRIDE",
    "NUM_CLASSES",
    "ANCHOR_SCALES",
    "ANCHOR_RATIOS",
    "match_anchors",
    "encode_boxes",
    "decode_boxes",
    "digit_anchors",
    "scene_truth",
    "detection_targets",
    "build_one_stage_detector",
    "detection_loss",
    "predict_detections",
    "match_detections",
    "precision_recall_curve",
    "average_precision",
    "mean_average_precision",
]

GRID = 16
"""Positions per side of the detector's output map (64-pixel scenes, stride 4)."""
STRIDE = 4
NUM_CLASSES = 10
"""Digits 0-9; the network scores 11 classes, class 0 being the background."""
ANCHOR_SCALES = (14, 20)
ANCHOR_RATIOS = (1.0, 2.0)
"""Anchor shapes (height / width = ratio, area scale**2): 14x14, 19.8x9.9, 20x20 and
28.3x14.1 pixels, chosen to cover MNIST digits cut to their ink (about 20 pixels high,
4 to 20 wide)."""
MAX_LOG_SCALE = float(np.log(1000 / 16))
"""The largest t_w, t_h that ``decode_boxes`` turns into a size (as Detectron clips)."""
ANCHORS = GRID * GRID * len(ANCHOR_SCALES) * len(ANCHOR_RATIOS)
"""Anchors per scene: 16 x 16 positions x 4 shapes = 1,024."""


# --------------------------------------------------------------------------------------
# Anchors: matching and box offsets
# --------------------------------------------------------------------------------------


@checked(
    anchors=Boxes(),
    truth=Boxes(empty=True),
    positive=Number(0, 1),
    negative=Number(0, 1),
)
def match_anchors(anchors, truth, positive: float = 0.7, negative: float = 0.3):
    """Label each anchor against the true boxes, as Faster R-CNN's RPN is trained.

    Parameters
    ----------
    anchors : (A, 4) boxes.
    truth : (T, 4) true boxes (T may be 0).
    positive, negative : an anchor whose best IoU is >= ``positive`` is positive, one
        whose best IoU is < ``negative`` negative, the rest ignored. Each true box's best
        anchor (any with the highest IoU > 0) is positive too, so no object goes unseen.

    Returns
    -------
    labels : (A,) int, 1 positive, 0 negative, -1 ignored.
    matched : (A,) int, the index of the true box each anchor overlaps most (0 when
        there is none).

    >>> labels, matched = match_anchors([[0, 0, 10, 10], [0, 20, 10, 30]], [[0, 1, 10, 11]])
    >>> labels.tolist(), matched.tolist()
    ([1, 0], [0, 0])
    """
    if positive < negative:
        raise ValueError(
            f"positive must be at least negative ({negative}), got {positive}"
        )
    labels = np.full(len(anchors), -1, dtype=np.int64)
    if len(truth) == 0:
        labels[:] = 0
        return labels, np.zeros(len(anchors), dtype=np.int64)
    overlaps = iou_matrix(anchors, truth)
    matched = overlaps.argmax(axis=1)
    best = overlaps.max(axis=1)
    labels[best < negative] = 0
    labels[best >= positive] = 1
    for t in range(len(truth)):
        top = overlaps[:, t].max()
        if top > 0:
            winners = np.flatnonzero(overlaps[:, t] == top)
            labels[winners] = 1
            matched[winners] = t
    return labels, matched


def _check_truth(truth_boxes, truth_labels) -> None:
    """One array of digits per array of boxes, one digit per box."""
    if len(truth_boxes) != len(truth_labels):
        raise ValueError(
            f"truth_labels must have one array per image ({len(truth_boxes)}), got "
            f"{len(truth_labels)}"
        )
    for n, (boxes, labels) in enumerate(zip(truth_boxes, truth_labels, strict=True)):
        if len(boxes) != len(labels):
            raise ValueError(
                f"truth_labels must have one digit per true box: image {n} has "
                f"{len(boxes)} boxes and {len(labels)} digits"
            )


def _centres(boxes: np.ndarray):
    height = boxes[:, 2] - boxes[:, 0]
    width = boxes[:, 3] - boxes[:, 1]
    return boxes[:, 1] + width / 2, boxes[:, 0] + height / 2, width, height


@checked(boxes=Boxes(), anchors=Boxes())
def encode_boxes(boxes, anchors) -> np.ndarray:
    """Each box as offsets from its anchor: (N, 4) of (t_x, t_y, t_w, t_h).

    t_x = (x - x_a) / w_a, t_y = (y - y_a) / h_a, t_w = log(w / w_a),
    t_h = log(h / h_a), with (x, y) a box's centre and (w, h) its width and height
    (Girshick et al. 2014, appendix C; Ren et al. 2015, eq. 2). Boxes and anchors need
    a positive width and height.

    >>> encode_boxes([[0, 0, 20, 10]], [[0, 0, 10, 10]]).round(3).tolist()
    [[0.0, 0.5, 0.0, 0.693]]
    """
    if boxes.shape != anchors.shape:
        raise ValueError(
            f"boxes and anchors must pair up one to one, got {len(boxes)} boxes and "
            f"{len(anchors)} anchors"
        )
    x, y, w, h = _centres(boxes)
    xa, ya, wa, ha = _centres(anchors)
    if (w <= 0).any() or (h <= 0).any() or (wa <= 0).any() or (ha <= 0).any():
        raise ValueError("boxes and anchors need a positive width and height")
    return np.stack(
        [(x - xa) / wa, (y - ya) / ha, np.log(w / wa), np.log(h / ha)], axis=1
    )


@checked(
    offsets=Boxes(ordered=False, what="an array (N, 4) of (t_x, t_y, t_w, t_h)"),
    anchors=Boxes(),
)
def decode_boxes(offsets, anchors) -> np.ndarray:
    """The boxes that ``offsets`` (N, 4) of (t_x, t_y, t_w, t_h) describe around
    ``anchors`` (N, 4): the inverse of ``encode_boxes``.

    >>> decode_boxes([[0.0, 0.5, 0.0, 0.693147]], [[0, 0, 10, 10]]).round(3).tolist()
    [[0.0, 0.0, 20.0, 10.0]]
    """
    if offsets.shape != anchors.shape:
        raise ValueError(
            f"offsets must be shaped like anchors {anchors.shape}, got {offsets.shape}"
        )
    xa, ya, wa, ha = _centres(anchors)
    x = xa + offsets[:, 0] * wa
    y = ya + offsets[:, 1] * ha
    w = wa * np.exp(np.minimum(offsets[:, 2], MAX_LOG_SCALE))
    h = ha * np.exp(np.minimum(offsets[:, 3], MAX_LOG_SCALE))
    return np.stack([y - h / 2, x - w / 2, y + h / 2, x + w / 2], axis=1)


# --------------------------------------------------------------------------------------
# A one-stage detector on digit scenes
# --------------------------------------------------------------------------------------


@checked()
def digit_anchors() -> np.ndarray:
    """The detector's anchors: 16 x 16 positions (stride 4) x 4 shapes = (1024, 4),
    in the order of the network's outputs (row, column, shape)."""
    return anchor_boxes((GRID, GRID), STRIDE, ANCHOR_SCALES, ANCHOR_RATIOS)


@checked(scenes=SCENES)
def scene_truth(scenes) -> tuple[list, list]:
    """The true boxes (y0, x0, y1, x1) and digits of each scene of
    ``cl.segmentation.digit_scenes``: two lists, (n, 4) floats and (n,) ints."""
    placed, digits = scenes.boxes, scenes.digits
    boxes = [
        np.array([(t, x, t + h, x + w) for t, x, h, w in scene], float).reshape(-1, 4)
        for scene in placed
    ]
    return boxes, [np.array(d, dtype=np.int64) for d in digits]


@checked(
    anchors=Boxes(),
    truth_boxes=TRUTH_BOXES,
    truth_labels=TRUTH_LABELS,
    positive=Number(0, 1),
    negative=Number(0, 1),
)
def detection_targets(
    anchors, truth_boxes, truth_labels, positive: float = 0.7, negative: float = 0.3
) -> np.ndarray:
    """Training targets for every anchor of every image: (N, A, 5) float32.

    Column 0 is the class: 1 + the digit for a positive anchor, 0 for a negative one,
    -1 for an ignored one (``match_anchors``); columns 1-4 the offsets (t_x, t_y, t_w,
    t_h) of the matched true box (``encode_boxes``; 0 where the anchor is not
    positive).
    """
    _check_truth(truth_boxes, truth_labels)
    if positive < negative:
        raise ValueError(
            f"positive must be at least negative ({negative}), got {positive}"
        )
    if len(truth_boxes) * len(anchors) > 10_000_000:
        raise ValueError(
            f"anchors: {len(anchors):,} anchors for {len(truth_boxes):,} images make "
            "more than 10,000,000 targets: give fewer images at a time"
        )
    targets = np.zeros((len(truth_boxes), len(anchors), 5), np.float32)
    for n, (boxes, labels) in enumerate(zip(truth_boxes, truth_labels, strict=True)):
        kind, matched = match_anchors(anchors, boxes, positive, negative)
        targets[n, :, 0] = kind
        hit = kind == 1
        if hit.any():
            targets[n, hit, 0] = labels[matched[hit]].astype(int) + 1
            targets[n, hit, 1:] = encode_boxes(boxes[matched[hit]], anchors[hit])
    return targets


@checked(filters=Int(2, 256))
def build_one_stage_detector(filters: int = 32):
    """A small convnet with an SSD-style head (Liu et al. 2016).

    64x64x1 -> conv 3x3 (filters/2) -> max pool -> conv 3x3 (filters) -> max pool ->
    three conv 3x3 (2 * filters) at 16 x 16 (receptive field 34 pixels, enough for a
    digit) -> one 1x1 conv that gives, for each of the 4 anchors at each position, 11
    class scores (background + 10 digits) and 4 box offsets. Output: (batch, 1024, 15),
    rows in the order of ``digit_anchors()``.
    """
    import keras

    anchors_here = len(ANCHOR_SCALES) * len(ANCHOR_RATIOS)
    layers = keras.layers
    inputs = keras.Input((64, 64, 1))
    x = layers.Conv2D(filters // 2, 3, padding="same", activation="relu")(inputs)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    for _ in range(3):
        x = layers.Conv2D(2 * filters, 3, padding="same", activation="relu")(x)
    x = layers.Conv2D(
        anchors_here * (NUM_CLASSES + 5), 1, name="head", bias_initializer=_prior
    )(x)
    outputs = layers.Reshape((GRID * GRID * anchors_here, NUM_CLASSES + 5))(x)
    return keras.Model(inputs, outputs, name="one_stage")


def _prior(shape, dtype=None):
    """The head's starting bias: background logit log(990), so that every anchor starts
    at p(background) = 0.99 (RetinaNet's prior, Lin et al. 2017, section 4.1); without
    it the first steps are swamped by the background anchors' loss."""
    import keras

    bias = np.zeros(shape, np.float32).reshape(-1, NUM_CLASSES + 5)
    bias[:, 0] = np.log(0.99 * NUM_CLASSES / 0.01)
    return keras.ops.convert_to_tensor(bias.reshape(shape), dtype=dtype)


@checked(
    targets=Anything("tensors inside Keras' training loop: their shapes are checked"),
    outputs=Anything("tensors inside Keras' training loop: their shapes are checked"),
    gamma=Number(0, 10),
)
def detection_loss(targets, outputs, gamma: float = 2.0):
    """The one-stage detector's loss, per image: classification + box regression.

    Classification: softmax focal loss -(1 - p)^gamma log p of the true class, summed
    over the anchors that are not ignored (Lin et al. 2017, "RetinaNet"; gamma = 0 is
    plain cross-entropy); the focal factor shrinks the loss of the hundreds of easy
    background anchors. Box: smooth L1 (Huber, delta 1) on the 4 offsets, summed over
    positive anchors. Both divided by the number of positive anchors (at least 1).

    ``targets`` (N, A, 5) as from ``detection_targets``; ``outputs`` (N, A, 15) from the
    network. Returns a (N,) tensor.
    """
    import tensorflow as tf

    try:
        targets = tf.cast(tf.convert_to_tensor(targets), tf.float32)
        outputs = tf.cast(tf.convert_to_tensor(outputs), tf.float32)
    except (TypeError, ValueError, tf.errors.OpError):
        raise ValueError("targets and outputs must be arrays of numbers") from None
    if targets.shape.rank != 3 or targets.shape[-1] != 5:
        raise ValueError(f"targets must be shaped (N, A, 5), got {targets.shape}")
    if outputs.shape.rank != 3 or outputs.shape[-1] != NUM_CLASSES + 5:
        raise ValueError(f"outputs must be shaped (N, A, 15), got {outputs.shape}")
    if not targets.shape[1:2].is_compatible_with(outputs.shape[1:2]):
        raise ValueError("targets and outputs must have the same number of anchors")
    if not targets.shape[0:1].is_compatible_with(outputs.shape[0:1]):
        raise ValueError("targets and outputs must have the same number of images")
    kind = tf.clip_by_value(tf.round(targets[..., 0]), -1, NUM_CLASSES)
    valid = tf.cast(kind >= 0, tf.float32)
    positive = tf.cast(kind > 0, tf.float32)
    classes = tf.cast(tf.maximum(kind, 0), tf.int32)
    log_p = tf.nn.log_softmax(outputs[..., : NUM_CLASSES + 1])
    log_p_true = tf.gather(log_p, classes, batch_dims=2)
    focal = -((1 - tf.exp(log_p_true)) ** gamma) * log_p_true
    error = tf.abs(targets[..., 1:] - outputs[..., NUM_CLASSES + 1 :])
    box = tf.reduce_sum(tf.where(error < 1, 0.5 * error**2, error - 0.5), axis=-1)
    count = tf.maximum(tf.reduce_sum(positive, axis=1), 1.0)
    return (
        tf.reduce_sum(focal * valid, axis=1) + tf.reduce_sum(box * positive, axis=1)
    ) / count


@checked(
    model=Model(
        (64, 64, 1), (ANCHORS, NUM_CLASSES + 5), "logits", "a one-stage detector"
    ),
    images=Images(("NHW", "NHWC"), channels=1, size=(64, 64), max_count=10_000),
    score_threshold=Number(0, 1),
    iou_threshold=Number(0, 1),
    max_per_image=Int(1, 1000),
)
def predict_detections(
    model,
    images,
    score_threshold: float = 0.05,
    iou_threshold: float = 0.5,
    max_per_image: int = 20,
) -> list:
    """Run the detector: for each image, a dict of ``boxes`` (n, 4), ``scores`` (n,)
    and ``labels`` (n,) digits, best first.

    Each anchor's class is its most likely digit and its score that digit's softmax
    probability; anchors scoring below ``score_threshold`` are dropped, the rest
    decoded (``decode_boxes``) and thinned by non-maximum suppression per digit.
    """
    import tensorflow as tf

    if images.ndim == 3:
        images = images[..., None]
    threshold, nms, most = score_threshold, iou_threshold, max_per_image
    anchors = digit_anchors()
    found = []
    for out in _outputs(model, images):
        probs = tf.nn.softmax(out[:, : NUM_CLASSES + 1]).numpy()[:, 1:]
        labels = probs.argmax(axis=1)
        scores = probs.max(axis=1)
        keep = np.flatnonzero(scores >= threshold)
        if not len(keep):  # nothing scores above the threshold: no detections
            found.append(
                {
                    "boxes": np.zeros((0, 4), np.float32),
                    "scores": np.zeros(0, np.float32),
                    "labels": np.zeros(0, np.int64),
                }
            )
            continue
        boxes = decode_boxes(out[keep, NUM_CLASSES + 1 :], anchors[keep])
        kept = []
        for digit in np.unique(labels[keep]):
            mine = np.flatnonzero(labels[keep] == digit)
            chosen = tf.image.non_max_suppression(
                boxes[mine].astype(np.float32), scores[keep][mine], most, nms
            ).numpy()
            kept.extend(mine[chosen].tolist())
        kept = sorted(kept, key=lambda k: -scores[keep][k])[:most]
        found.append(
            {
                "boxes": boxes[kept].reshape(-1, 4),
                "scores": scores[keep][kept],
                "labels": labels[keep][kept],
            }
        )
    return found


def _outputs(model, images, batch_size: int = 16):
    """The detector's outputs, one image at a time, run 16 images per call. (Not
    ``model.predict``: it first copies all the images into TensorFlow and traces a
    function for each model, 0.06 GB more at the peak of lecture 14.)"""
    for start in range(0, len(images), batch_size):
        batch = images[start : start + batch_size].astype(np.float32)
        yield from np.asarray(model(batch, training=False))


# --------------------------------------------------------------------------------------
# Scoring a detector: precision-recall and average precision
# --------------------------------------------------------------------------------------


@checked(
    boxes=Boxes(empty=True),
    scores=SCORES,
    truth=Boxes(empty=True),
    iou_threshold=Number(0, 1),
)
def match_detections(boxes, scores, truth, iou_threshold: float = 0.5) -> np.ndarray:
    """Which detections are true positives: (n,) bool, in the order given.

    Best score first, a detection is a hit when its IoU with a true box not yet taken is
    >= ``iou_threshold`` (the best such box is taken); a second detection of the same
    object is a false positive (PASCAL VOC's rule).
    """
    if len(scores) != len(boxes):
        raise ValueError(
            f"scores must have one value per box ({len(boxes)}), got {len(scores)}"
        )
    threshold = iou_threshold
    hits = np.zeros(len(boxes), bool)
    if len(boxes) == 0 or len(truth) == 0:
        return hits
    overlaps = iou_matrix(boxes, truth)
    taken = np.zeros(len(truth), bool)
    for i in np.argsort(-scores, kind="stable"):
        free = np.where(taken, -1.0, overlaps[i])
        best = int(free.argmax())
        if free[best] >= threshold and free[best] > 0:
            hits[i] = taken[best] = True
    return hits


@checked(scores=SCORES, hits=HITS, num_truth=Int(0, 10**9))
def precision_recall_curve(scores, hits, num_truth: int):
    """Precision and recall after each detection, best score first: two (n,) arrays.

    ``hits`` says which detections are true positives (``match_detections``, pooled
    over images); ``num_truth`` is the number of true objects (recall's denominator).
    """
    if hits.shape != scores.shape:
        raise ValueError(
            f"hits must be one True/False per score ({len(scores)}), got {len(hits)}"
        )
    order = np.argsort(-scores, kind="stable")
    true_positives = np.cumsum(hits[order].astype(float))
    precision = true_positives / np.arange(1, len(order) + 1)
    recall = true_positives / max(num_truth, 1)
    return precision, recall


@checked(scores=SCORES, hits=HITS, num_truth=Int(0, 10**9))
def average_precision(scores, hits, num_truth: int) -> float:
    """The area under the precision-recall curve, with precision at each recall
    replaced by the best precision at that recall or beyond (PASCAL VOC 2010 on;
    COCO samples the same envelope at 101 recalls). 0 when nothing is found.

    >>> average_precision([0.9, 0.8, 0.7], [True, False, True], 2)   # 1*0.5 + 2/3*0.5
    0.8333333333333333
    """
    precision, recall = precision_recall_curve.__wrapped__(scores, hits, num_truth)
    if len(precision) == 0 or num_truth == 0:
        return 0.0
    envelope = np.maximum.accumulate(precision[::-1])[::-1]
    steps = np.diff(np.concatenate([[0.0], recall]))
    return float(np.sum(steps * envelope))


@checked(
    detections=Items(FOUND, max_length=MAX_IMAGES),
    truth_boxes=TRUTH_BOXES,
    truth_labels=TRUTH_LABELS,
    iou_threshold=Number(0, 1),
)
def mean_average_precision(
    detections, truth_boxes, truth_labels, iou_threshold: float = 0.5
) -> tuple[float, np.ndarray]:
    """mAP: the mean over classes of each class's average precision, pooled over
    images (mAP@0.5 for ``iou_threshold`` 0.5, PASCAL VOC's measure).

    ``detections`` as from ``predict_detections``; ``truth_boxes`` / ``truth_labels``
    as from ``scene_truth``. Returns (mAP, the AP of each digit 0-9); a digit that
    never occurs is left out of the mean (its AP is NaN).
    """
    _check_truth(truth_boxes, truth_labels)
    if len(detections) != len(truth_boxes):
        raise ValueError(
            f"detections must have one entry per image ({len(truth_boxes)}), got "
            f"{len(detections)}"
        )
    per_class = np.full(NUM_CLASSES, np.nan)
    for digit in range(NUM_CLASSES):
        scores, hits, count = [], [], 0
        for found, boxes, labels in zip(
            detections, truth_boxes, truth_labels, strict=True
        ):
            mine = found["labels"] == digit
            boxes_found, scores_found = found["boxes"][mine], found["scores"][mine]
            real = boxes[labels == digit]
            count += len(real)
            scores.append(scores_found)
            hits.append(
                match_detections.__wrapped__(
                    boxes_found, scores_found, real, iou_threshold
                )
            )
        if count:
            per_class[digit] = average_precision(
                np.concatenate(scores), np.concatenate(hits), count
            )
    if np.isnan(per_class).all():
        raise ValueError("truth_boxes must hold at least one true box, got none")
    return float(np.nanmean(per_class)), per_class


# --------------------------------------------------------------------------------------
# Shipped files
# --------------------------------------------------------------------------------------
