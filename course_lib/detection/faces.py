"""A small face detector in R-CNN's manner (lecture 14): a face / non-face convnet on
``skimage.data.lfw_subset()`` scores warped proposals, then non-maximum suppression.

``face_data``, ``build_face_model``, ``train_face_model``, ``hard_negatives``,
``face_shaped``, ``crop_boxes``, ``score_boxes``, ``detect``, ``precision_recall``;
``cascade_faces`` runs scikit-image's LBP face cascade as a baseline.

Images are gray (H, W) or RGB (H, W, 3), uint8 0-255 or float 0-1 (the same photo
scores the same either way); boxes are (y0, x0, y1, x1) in pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from course_lib.core import (
    SEED,
    Callbacks,
    Examples,
    Images,
    Int,
    Items,
    Labels,
    Number,
    checked,
)
from course_lib.detection._checks import (
    FACE_MODEL,
    FACE_SIZE,
    IMAGE,
    SCORES,
    Boxes,
    Photo,
)
from course_lib.detection.boxes import MAX_NMS, iou_matrix, non_max_suppression

__all__ = [
    "FACE_SIZE",
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

FACE_EXAMPLES = Examples(
    Images("NHWC", channels=1, size=(FACE_SIZE, FACE_SIZE)), Labels(2)
)
"""(patches (N, 25, 25, 1), labels (N,) 1 face / 0 non-face), as ``face_data`` gives."""

# photos without faces, for negatives; coffee and chelsea are kept out to test on them
NEGATIVE_PHOTOS = (
    "rocket",
    "coins",
    "horse",
    "hubble_deep_field",
    "brick",
    "grass",
    "gravel",
    "moon",
    "text",
    "page",
    "clock",
    "immunohistochemistry",
    "colorwheel",
)


@checked(extra_negatives=Int(0, 20_000), validation=Int(2, 100), seed=SEED)
def face_data(
    extra_negatives: int = 600, validation: int = 50, seed: int = 0
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Training and validation data of the face detector, gray 25 x 25 in 0..1.

    ``skimage.data.lfw_subset()``: 100 faces (label 1) and 100 non-faces (label 0); a
    seeded ``validation`` of them (half faces) is held out. The training part gets its
    left-right mirror images, and ``extra_negatives`` random crops (heights 16 to 256
    pixels, width / height from 1/2 to 2, warped to 25 x 25 as proposals are) of photos
    without faces (``NEGATIVE_PHOTOS``; never the astronaut, coffee or chelsea, the test
    photos).
    """
    import skimage.data

    extra = extra_negatives
    rng = np.random.default_rng(seed)
    images = skimage.data.lfw_subset().astype(np.float32)
    labels = np.r_[np.ones(100), np.zeros(100)].astype(np.float32)
    held = np.r_[
        rng.permutation(100)[: validation // 2],
        100 + rng.permutation(100)[: validation - validation // 2],
    ]
    train = np.setdiff1d(np.arange(200), held)
    x_train = np.concatenate([images[train], images[train][:, :, ::-1]])
    y_train = np.concatenate([labels[train], labels[train]])
    crops = _random_crops(extra, rng)
    if len(crops):
        x_train = np.concatenate([x_train, crops[..., 0]])
        y_train = np.concatenate([y_train, np.zeros(len(crops), np.float32)])
    order = rng.permutation(len(x_train))
    return (x_train[order, ..., None], y_train[order]), (
        images[held, ..., None],
        labels[held],
    )


@checked()
def build_face_model():
    """A small face / non-face convnet for 25 x 25 gray patches (sigmoid output)."""
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input((FACE_SIZE, FACE_SIZE, 1)),
            layers.Conv2D(8, 3, activation="relu", name="conv1"),
            layers.MaxPooling2D(2, name="pool1"),
            layers.Conv2D(16, 3, activation="relu", name="conv2"),
            layers.MaxPooling2D(2, name="pool2"),
            layers.Flatten(name="flatten"),
            layers.Dense(32, activation="relu", name="dense"),
            layers.Dense(1, activation="sigmoid", name="face"),
        ],
        name="face_detector",
    )


def _random_crops(count: int, rng, seed_photos=NEGATIVE_PHOTOS) -> np.ndarray:
    """``count`` random crops of the face-free photos, warped to 25 x 25 gray."""
    import skimage.data
    from skimage.color import rgb2gray
    from skimage.transform import resize
    from skimage.util import img_as_float

    photos = []
    for name in seed_photos:
        photo = img_as_float(getattr(skimage.data, name)())
        photos.append(rgb2gray(photo[..., :3]) if photo.ndim == 3 else photo)
    crops = []
    for _ in range(count):
        photo = photos[rng.integers(len(photos))]
        side = rng.uniform(16, min(256, *photo.shape[:2]))
        ratio = np.exp(rng.uniform(np.log(0.5), np.log(2.0)))
        height = int(min(photo.shape[0], max(8, side / np.sqrt(ratio))))
        width = int(min(photo.shape[1], max(8, side * np.sqrt(ratio))))
        top = int(rng.integers(photo.shape[0] - height + 1))
        left = int(rng.integers(photo.shape[1] - width + 1))
        crop = photo[top : top + height, left : left + width]
        crops.append(resize(crop, (FACE_SIZE, FACE_SIZE), anti_aliasing=True))
    return np.array(crops, np.float32).reshape(-1, FACE_SIZE, FACE_SIZE, 1)


@checked(
    model=FACE_MODEL,
    train=FACE_EXAMPLES,
    validation=FACE_EXAMPLES,
    epochs=Int(1, 1000),
    callbacks=Callbacks(),
)
def train_face_model(model, train, validation, epochs: int = 20, callbacks=None):
    """Train the face model with Adam and binary cross-entropy, batch 32, the faces
    weighted by (non-faces / faces) so that both classes count the same.

    ``train`` and ``validation`` are pairs (patches (N, 25, 25, 1), labels (N,) with 1
    for a face), as ``face_data`` gives them. Returns the Keras history."""
    import keras

    x_train, y_train = train
    faces = float((y_train == 1).sum())
    if faces == 0 or faces == len(y_train):
        raise ValueError("train must hold both faces (1) and non-faces (0)")
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model.fit(
        x_train,
        y_train,
        epochs=epochs,
        batch_size=32,
        validation_data=validation,
        class_weight={0: 1.0, 1: (len(y_train) - faces) / faces},
        callbacks=callbacks,
        verbose=0,
    )


@checked(model=FACE_MODEL, count=Int(1, 100_000), pool=Int(1, 100_000), seed=SEED)
def hard_negatives(model, count: int = 300, pool: int = 4000, seed: int = 1):
    """Hard-negative mining (as R-CNN trains its SVMs): score ``pool`` fresh random
    crops of the face-free photos and return the ``count`` the model most believes
    are faces, (count, 25, 25, 1). ``pool`` must be at least ``count``."""
    if pool < count:
        raise ValueError(f"pool must be at least count ({count:,}), got {pool:,}")
    crops = _random_crops(pool, np.random.default_rng(seed))
    scores = np.asarray(model.predict(crops, batch_size=256, verbose=0)).reshape(-1)
    return crops[np.argsort(-scores, kind="stable")[:count]]


@checked(
    boxes=Boxes(empty=True),
    min_side=Number(0, 100_000),
    ratios=Items(Number(0.01, 100), 2, 2),
)
def face_shaped(boxes, min_side: int = 24, ratios=(0.8, 1.6)) -> np.ndarray:
    """Indices of the boxes shaped like a face: both sides at least ``min_side``
    pixels, height / width from ``ratios[0]`` to ``ratios[1]`` (low, high)."""
    low, high = ratios
    if high < low:
        raise ValueError(f"ratios must be (low, high) with low <= high, got {ratios}")
    height = boxes[:, 2] - boxes[:, 0]
    width = boxes[:, 3] - boxes[:, 1]
    ratio = height / np.maximum(width, 1e-9)
    keep = (np.minimum(height, width) >= min_side) & (ratio >= low) & (ratio <= high)
    return np.flatnonzero(keep)


def _gray(image: np.ndarray) -> np.ndarray:
    """A float 0-1 image (H, W) or (H, W, 3) as gray float32 (H, W)."""
    from skimage.color import rgb2gray

    if image.ndim == 3:
        return rgb2gray(image).astype(np.float32)
    return image.astype(np.float32)


@checked(image=IMAGE, boxes=Boxes(empty=True), size=Int(1, 512))
def crop_boxes(image: np.ndarray, boxes, size: int = FACE_SIZE) -> np.ndarray:
    """Every box of ``image`` (gray (H, W) or RGB (H, W, 3)) cut out and warped to
    size x size gray 0-1 (as R-CNN warps each proposal to the network's input):
    (N, size, size, 1)."""
    import tensorflow as tf

    gray = _gray(image)
    if len(boxes) == 0:
        return np.zeros((0, size, size, 1), np.float32)
    height, width = gray.shape
    # crop_and_resize samples corner to corner: the box's outermost pixel centres
    scale = np.array([height - 1, width - 1] * 2, dtype=np.float64)
    inner = boxes + np.array([0, 0, -1, -1])
    crops = tf.image.crop_and_resize(
        gray[None, ..., None],
        (np.maximum(inner, boxes[:, [0, 1, 0, 1]]) / scale).astype(np.float32),
        tf.zeros(len(boxes), tf.int32),
        (size, size),
        method="bilinear",
    )
    return crops.numpy()


@checked(
    model=FACE_MODEL, image=IMAGE, boxes=Boxes(empty=True), batch_size=Int(1, 100_000)
)
def score_boxes(model, image: np.ndarray, boxes, batch_size: int = 256) -> np.ndarray:
    """The face model's probability for each box of ``image`` (gray (H, W) or RGB
    (H, W, 3), uint8 0-255 or float 0-1): (N,)."""
    if len(boxes) == 0:
        return np.zeros(0)
    crops = crop_boxes.__wrapped__(image, boxes, FACE_SIZE)
    return np.asarray(model.predict(crops, batch_size=batch_size, verbose=0)).reshape(
        -1
    )


@dataclass
class Detections:
    """Kept boxes (K, 4) and their scores (K,), best first; ``indices`` into the
    proposals."""

    boxes: np.ndarray
    scores: np.ndarray
    indices: np.ndarray


@checked(
    boxes=Boxes(empty=True, max_count=MAX_NMS),
    scores=SCORES,
    score_threshold=Number(0, 1),
    iou_threshold=Number(0, 1),
    max_output=Int(0, 100_000),
)
def detect(
    boxes,
    scores,
    score_threshold: float = 0.5,
    iou_threshold: float = 0.3,
    max_output: int = 100,
) -> Detections:
    """R-CNN's last step: keep the scored proposals above ``score_threshold``, then
    non-maximum suppression at ``iou_threshold``."""
    kept = non_max_suppression(
        boxes, scores, iou_threshold, max_output, score_threshold=score_threshold
    )
    return Detections(boxes[kept], scores[kept], kept)


@checked(
    detections=Boxes(empty=True), truth=Boxes(empty=True), iou_threshold=Number(0, 1)
)
def precision_recall(
    detections, truth, iou_threshold: float = 0.5
) -> tuple[float, float, int]:
    """(precision, recall, true positives) of detected boxes against true boxes.

    Detections, best first, are matched greedily: one is a true positive when its IoU
    with a true box not matched yet is at least ``iou_threshold`` (PASCAL VOC's rule).
    Precision is 1 with no detection, recall is 1 with no true box.
    """
    found, threshold = detections, iou_threshold
    overlaps = iou_matrix(found, truth) if len(found) and len(truth) else None
    matched = set()
    hits = 0
    for n in range(len(found)):
        if overlaps is None:
            break
        free = [k for k in range(len(truth)) if k not in matched]
        if not free:
            break
        best = max(free, key=lambda k: overlaps[n, k])
        if overlaps[n, best] >= threshold:
            matched.add(best)
            hits += 1
    precision = hits / len(found) if len(found) else 1.0
    recall = hits / len(truth) if len(truth) else 1.0
    return precision, recall, hits


@checked(
    image=Photo(("HW", "HWC"), channels=3, to="float", min_side=2, max_side=2048),
    min_size=Int(8, 2048),
    max_size=Int(8, 2048),
    scale_factor=Number(1.01, 3),
)
def cascade_faces(
    image: np.ndarray, min_size: int = 60, max_size: int = 123, scale_factor=1.2
) -> np.ndarray:
    """scikit-image's bundled LBP frontal-face cascade (a Viola-Jones style detector)
    run over the image: boxes (N, 4). The defaults are those of scikit-image's own
    face-detection example (scale factor 1.2, step ratio 1, windows 60 to 123 px)."""
    import skimage.data
    from skimage.feature import Cascade

    if max_size < min_size:
        raise ValueError(
            f"max_size must be at least min_size ({min_size}), got {max_size}"
        )
    detector = Cascade(skimage.data.lbp_frontal_face_cascade_filename())
    found = detector.detect_multi_scale(
        img=image,
        scale_factor=scale_factor,
        step_ratio=1,
        min_size=(min_size, min_size),
        max_size=(max_size, max_size),
    )
    return np.array(
        [[f["r"], f["c"], f["r"] + f["height"], f["c"] + f["width"]] for f in found],
        dtype=np.float64,
    ).reshape(-1, 4)
