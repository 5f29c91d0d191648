"""The shape of lecture 15's shipped U-Net (made by ``datasets/build_segmentation_unet.py``;
``cl.data.load_segmentation_unet()`` loads it)."""

from __future__ import annotations

UNET_SETTINGS = {"filters": 8, "depth": 3}
"""The shipped U-Net: ``build_unet(filters=8, depth=3)`` on 64x64 digit scenes."""
