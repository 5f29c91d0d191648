"""The declarations lecture 14's functions share: boxes, photos and the face model.

``Boxes`` is specific to detection (corners in order, one box read as a list of one), so
it lives here rather than in ``cl.core``.
"""

from __future__ import annotations

import numpy as np

from course_lib.core import Array, Constraint, Images, Items, Model, show

MAX_COORDINATE = 1e6
"""Box corners further than this from the origin are refused (areas would overflow)."""


class Boxes(Constraint):
    """Boxes (y0, x0, y1, x1) in pixels, rows first: an array (N, 4) of finite numbers
    with y0 <= y1 and x0 <= x1; one box (4,) is read as (1, 4). Returned as float64
    (N, 4). ``empty``: no box at all is allowed (returned as (0, 4)); ``ordered``:
    refuse y1 < y0 or x1 < x0 (off for box offsets)."""

    def __init__(
        self,
        empty: bool = False,
        max_count: int = 100_000,
        ordered: bool = True,
        what: str = "a box (y0, x0, y1, x1) or boxes (N, 4)",
    ):
        self.empty, self.max_count, self.ordered, self.what = (
            empty,
            max_count,
            ordered,
            what,
        )

    def describe(self):
        return self.what + (", each with y0 <= y1 and x0 <= x1" if self.ordered else "")

    def convert(self, value, name):
        if value is None or isinstance(value, (str, bytes, dict, set)):
            self.fail(name, value)
        try:
            array = np.asarray(value)
        except (TypeError, ValueError, OverflowError):
            self.fail(name, value)
        if array.dtype.kind not in "iuf":
            self.fail(name, value, got=f"an array of {array.dtype}")
        if array.size == 0 and array.ndim <= 2:
            if not self.empty:
                self.fail(name, value, got="no boxes")
            return np.zeros((0, 4))
        if array.shape == (4,):
            array = array[None]
        if array.ndim != 2 or array.shape[1] != 4:
            hint = "one box per row" if array.ndim == 2 and array.shape[0] == 4 else ""
            self.fail(name, value, hint, got=f"shape {array.shape}")
        if len(array) > self.max_count:
            self.fail(
                name, value, got=f"{len(array):,} boxes (at most {self.max_count:,})"
            )
        array = array.astype(np.float64)
        if not np.isfinite(array).all():
            self.fail(name, value, got="NaN or infinite values")
        if np.abs(array).max() > MAX_COORDINATE:
            self.fail(
                name,
                value,
                f"corners lie within {MAX_COORDINATE:,.0f} pixels",
                got=f"a corner at {np.abs(array).max():g}",
            )
        if self.ordered:
            wrong = (array[:, 2] < array[:, 0]) | (array[:, 3] < array[:, 1])
            if wrong.any():
                k = int(np.flatnonzero(wrong)[0])
                self.fail(
                    name,
                    value,
                    "corners go (y0, x0, y1, x1), rows first",
                    got=f"box {k} = {show(array[k].tolist())}",
                )
        return array

    def example(self):
        return np.array([[0.0, 0.0, 10.0, 10.0], [2.0, 2.0, 12.0, 12.0]])

    def bad_values(self):
        good = self.example()
        bad = [
            None,
            "text",
            np.full(good.shape, np.nan),
            np.ones((2, 5)),
            good * 1e300,
            np.zeros((self.max_count + 1, 4)),
        ]
        if self.ordered:
            bad.append(good[:, ::-1].copy())
        if not self.empty:
            bad.append(np.zeros((0, 4)))
        return bad


SCORES = Array(shape=(None,), min_size=0)
"""Scores (N,), one per box: finite numbers."""


class Photo(Images):
    """``Images`` with the fixes a photo needs: gray to RGB, RGBA to RGB."""

    def convert(self, value, name):
        shape = np.shape(value) if isinstance(value, (np.ndarray, list)) else ()
        if len(shape) == 3 and shape[-1] == 4:
            self.fail(
                name, value, "drop the alpha channel: x[..., :3]", got=f"shape {shape}"
            )
        if len(shape) == 2 and all(lay.endswith("C") for lay in self.layouts):
            self.fail(
                name,
                value,
                "a gray photo: make it RGB with np.stack([x] * 3, axis=-1)",
                got=f"shape {shape}",
            )
        return super().convert(value, name)


PHOTO = Photo("HWC", channels=3, to="uint8", min_side=2)
"""An RGB photo (H, W, 3), uint8 0-255 or float 0-1, given to the body as uint8."""

IMAGE = Photo(("HW", "HWC"), channels=3, to="float", min_side=2)
"""A gray (H, W) or RGB (H, W, 3) image, given to the body as float32 0-1."""

FACE_SIZE = 25
"""lfw_subset's images are 25 x 25."""

FACE_MODEL = Model(
    (FACE_SIZE, FACE_SIZE, 1), (1,), outputs="probabilities", what="a face model"
)
"""A face / non-face model as ``build_face_model`` makes: a 25 x 25 gray patch in,
the probability of a face out."""


# -- lecture 14's one-stage detector (cl.one_stage) ----------------------------------

MAX_IMAGES = 100_000
"""The most images a list of per-image boxes or detections may hold."""


class Scenes(Constraint):
    """What ``cl.segmentation.digit_scenes`` returns (images, boxes and digits)."""

    def describe(self):
        return "scenes from cl.segmentation.digit_scenes"

    def convert(self, value, name):
        if not all(hasattr(value, key) for key in ("images", "boxes", "digits")):
            self.fail(name, value)
        return value

    def example(self):
        from types import SimpleNamespace

        return SimpleNamespace(images=np.zeros((1, 64, 64)), boxes=[[]], digits=[[]])

    def bad_values(self):
        return [None, "text", 3]


HITS = Array(
    shape=(None,),
    dtype="int",
    low=0,
    high=1,
    what="hits (True/False, one per score)",
    min_size=0,
)
"""Which detections are true positives (``match_detections``)."""


class PerImage(Items):
    """A list with one value per image. An array is refused, never read row by row as
    images (one image's (n, 4) boxes are not n images)."""

    def describe(self):
        return f"a list with one value per image, each {self.item.describe()}"

    def convert(self, value, name):
        if isinstance(value, np.ndarray):
            self.fail(
                name,
                value,
                "for one image, put it in a list: [x]",
                got=f"one array of shape {value.shape}",
            )
        return super().convert(value, name)


DIGITS = Array(ndim=1, dtype="int", low=0, high=9, what="digits (n,)", min_size=0)
"""The digits of one scene, one per true box."""
TRUTH_BOXES = PerImage(Boxes(empty=True), max_length=MAX_IMAGES)
"""A list with one array (n, 4) of true boxes per image."""
TRUTH_LABELS = PerImage(DIGITS, max_length=MAX_IMAGES)
"""A list with one array (n,) of digits per image."""


class Found(Constraint):
    """One image's detections: a dict of ``boxes`` (n, 4), ``scores`` (n,) and
    ``labels`` (n,) digits, as ``predict_detections`` gives; returned with arrays."""

    def describe(self):
        return "a dict of boxes (n, 4), scores (n,) and labels (n,) digits"

    def convert(self, value, name):
        if not isinstance(value, dict) or not {"boxes", "scores", "labels"} <= set(
            value
        ):
            self.fail(name, value)
        found = {
            "boxes": Boxes(empty=True).check(value["boxes"], f"{name}['boxes']"),
            "scores": SCORES.check(value["scores"], f"{name}['scores']"),
            "labels": DIGITS.check(value["labels"], f"{name}['labels']"),
        }
        if not len(found["boxes"]) == len(found["scores"]) == len(found["labels"]):
            self.fail(name, value, got="boxes, scores and labels of different lengths")
        return found

    def example(self):
        return {"boxes": np.zeros((0, 4)), "scores": np.zeros(0), "labels": []}

    def bad_values(self):
        return [None, "text", {"boxes": np.zeros((1, 4))}]


SCENES = Scenes()
FOUND = Found()
