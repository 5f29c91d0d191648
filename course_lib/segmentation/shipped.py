"""The shipped U-Net of lecture 15 (``datasets/segmentation_unet.npz``, made by
``datasets/build_segmentation_unet.py``) and the notebook's recipe over 3 seeds."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from course_lib.core import Optional, PathIn, checked, show
from course_lib.data.registry import FILES_DIR
from course_lib.segmentation.unet import build_unet

UNET_FILE = FILES_DIR / "segmentation_unet.npz"
UNET_SHA256 = "0b23a602f99af4075a4f6650c00b1253e7abf7b889ff3c6b3c796870f9be3607"
SEEDS_FILE = UNET_FILE.parent / "segmentation_seeds.json"
"""The notebook's full-mode recipe over 3 seeds (``datasets/build_segmentation_seeds.py``)."""
UNET_SETTINGS = {"filters": 8, "depth": 3}
"""The shipped U-Net: ``build_unet(filters=8, depth=3)`` on 64x64 digit scenes."""


def _as_path(path) -> Path:
    import os

    if not isinstance(path, (str, os.PathLike)) or not str(path).strip():
        raise ValueError(f"path must be a file name (text or a Path), got {show(path)}")
    if Path(path).is_dir():
        raise ValueError(f"path must be a file name, not a folder: {path}")
    return Path(path)


@checked(path=Optional(PathIn()))
def pretrained_unet(path: str | Path | None = None):
    """The small U-Net (``build_unet(**UNET_SETTINGS)``) trained on digit scenes, from
    ``datasets/segmentation_unet.npz`` after its sha256 check (a file of your own at
    ``path`` is loaded without it)."""
    shipped = path is None
    path = UNET_FILE if shipped else _as_path(path)
    rebuild = "rebuild it with: .venv/bin/python datasets/build_segmentation_unet.py"
    if not path.is_file():
        raise FileNotFoundError(f"the U-Net weights {path} are missing; {rebuild}")
    if shipped:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != UNET_SHA256:
            raise ValueError(
                f"{path.name} fails its sha256 check (got {digest[:12]}…, expected "
                f"{UNET_SHA256[:12]}…): the file is corrupt or was changed; {rebuild}"
            )
    model = build_unet(**UNET_SETTINGS)
    try:
        with np.load(path) as stored:
            weights = [stored[key] for key in sorted(stored.files)]
    except (OSError, ValueError, AttributeError, EOFError):
        raise ValueError(
            f"{path} is not a weights file saved by save_unet_weights"
        ) from None
    expected = [w.shape for w in model.get_weights()]
    if [w.shape for w in weights] != expected:
        raise ValueError(
            f"the weights in {path} do not fit build_unet(**UNET_SETTINGS)"
        )
    model.set_weights(weights)
    return model
