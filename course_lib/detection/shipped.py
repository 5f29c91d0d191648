"""Lecture 14's shipped files: the astronaut's hand-drawn face boxes, the trained face
model and the scored proposals (made by ``datasets/build_face_detector.py``)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from course_lib.core import Choice, checked, choose
from course_lib.data.registry import FILES_DIR
from course_lib.detection.faces import build_face_model

DATASETS = FILES_DIR

FACE_BOXES = DATASETS / "astronaut_faces.json"
FACE_WEIGHTS = DATASETS / "face_detector.weights.h5"
PROPOSAL_SCORES = DATASETS / "astronaut_proposals.json"
SHA256 = {
    "astronaut_faces.json": (
        "8ddff8acd5a60ba78cf8521f2062acd7c8969d50ad3e9cbeb19b57a68fa72248"
    ),
    "face_detector.weights.h5": (
        "0f7599ae13bdd6853a8142ce1f7b5b88ced9e0825e4da25c760bddd266998b77"
    ),
    "astronaut_proposals.json": (
        "6260aa1c56ec1471bc616ec8c0cbe573b7bf82c49245ebe987942e032d34487c"
    ),
}


def _checked(path: Path) -> Path:
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: rebuild it with datasets/build_face_detector.py"
        )
    expected = SHA256.get(path.name)
    if expected is not None:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != expected:
            raise ValueError(
                f"{path.name} has sha256 {digest}, expected {expected}: rebuild it "
                "with datasets/build_face_detector.py"
            )
    return path


@checked(photo=Choice("astronaut", "coffee", "chelsea"))
def load_face_boxes(photo: str = "astronaut") -> np.ndarray:
    """The hand-drawn face boxes of a photo (``datasets/astronaut_faces.json``): (N, 4)
    as (y0, x0, y1, x1)."""
    data = json.loads(_checked(FACE_BOXES).read_text())
    photos = data["photos"]
    name = choose(photo, sorted(photos), "photo")
    return np.array(photos[name]["faces"], dtype=np.float64).reshape(-1, 4)


@checked()
def load_face_detector():
    """The shipped face / non-face convnet (``datasets/face_detector.weights.h5``, made
    by ``datasets/build_face_detector.py``)."""
    model = build_face_model()
    model.load_weights(_checked(FACE_WEIGHTS))
    return model


@checked()
def load_proposal_scores() -> dict:
    """The astronaut's selective-search proposals, scored by the shipped face model
    (``datasets/astronaut_proposals.json``): ``boxes`` (N, 4), ``scores`` (N,), and the
    settings that made them."""
    data = json.loads(_checked(PROPOSAL_SCORES).read_text())
    data["boxes"] = np.array(data["boxes"], dtype=np.float64).reshape(-1, 4)
    data["scores"] = np.array(data["scores"], dtype=np.float64)
    return data
