"""The shape of lecture 15's shipped U-Net (made by ``datasets/build_segmentation_unet.py``;
``cl.data.load_segmentation_unet()`` loads it)."""

from __future__ import annotations

from pathlib import Path

from course_lib.core import show

UNET_SETTINGS = {"filters": 8, "depth": 3}
"""The shipped U-Net: ``build_unet(filters=8, depth=3)`` on 64x64 digit scenes."""


def _as_path(path) -> Path:
    import os

    if not isinstance(path, (str, os.PathLike)) or not str(path).strip():
        raise ValueError(f"path must be a file name (text or a Path), got {show(path)}")
    if Path(path).is_dir():
        raise ValueError(f"path must be a file name, not a folder: {path}")
    return Path(path)
