"""Write course_lib/data/files/dashboard_outputs.npz: what dashboards' first pictures need.

    .venv/bin/python datasets/build_dashboard_outputs.py [--check]

The lecture 15 and 20 dashboards (``SegmentationViewer()``, ``AttentionViewer()`` with
their defaults) run a shipped network once over fixed test inputs and then only index
the results; the lecture 16 one (``DistortionExplorer()``) runs its pair once for its
first picture; the lecture 12 one (``GradCamViewer()``) ran Grad-CAM for 200 digits and
a randomisation check. Importing TensorFlow and running the network took most of their
4-5 s start (page opened to first picture); this file holds those results, so the
dashboards start without TensorFlow:

- ``segmentation.predictions``: the U-Net's label of every pixel (100, 64, 64) uint8, on
  ``digit_scenes(100, seed=2, split="test")`` (``cl.segmentation.predict_labels``);
- ``attention.read``, ``attention.tokens``, ``attention.weights``: the reader's text, its
  tokens and its attention weights (float32) on ``make_strips(60, 5, split="test",
  seed=20)`` (``cl.widgets.attention.read_strips``);
- ``spatial.plain``, ``spatial.theta``, ``spatial.view``, ``spatial.st``: the shipped CNN
  and ST-CNN's outputs (plain probabilities, θ, the 30×30×1 view, ST-CNN probabilities)
  on the lecture 16 dashboard's first canvas (``DistortionExplorer()``: digit 0 of
  ``load_mnist()``'s test set, undistorted, with its clutter), so ``.model`` holds both
  weights files' sha256, space-separated;
- ``gradcam.layer``, ``gradcam.scores``, ``gradcam.shown``, ``gradcam.heatmaps``,
  ``gradcam.sanity``: the lecture 12 dashboard's (``GradCamViewer()``: the shipped
  ``mnist_convnet`` on the first 200 test digits of ``load_mnist()``) layer name, class
  scores (200, 10) float32, the indices of the first digit and of the misclassified ones,
  their Grad-CAM maps for the ten classes (k, 10, 28, 28) float32, and the line under its
  pictures: ``GradCamViewer.randomization_check()`` (``cl.explain.randomization_check``
  on the first 64 digits: Grad-CAM, saliency, two random networks; float64).

Each section keeps the sha256 of the shipped weights it came from (``.model``) and of its
inputs (``.inputs``, ``cl.data.array_sha256``): ``cl.data.precomputed`` hands the results
out only when both still match (the bundled digits and the shipped network), so with the
full MNIST online, with another network or after a retraining, the widget computes them.
Seconds to run; deterministic (no timestamps in the zip).
"""

from __future__ import annotations

import sys
from pathlib import Path

import _build
import numpy as np


def build(paths: dict[str, Path], args) -> None:
    import course_lib as cl
    from course_lib import attention
    from course_lib.data import registry
    from course_lib.widgets.attention import read_strips

    seg = cl.segmentation
    scenes = seg.digit_scenes(100, seed=2, split="test")
    strips = attention.make_strips(
        60, attention.READER_SETTINGS["max_digits"], split="test", seed=20
    )
    read, tokens, weights = read_strips(cl.data.load_attention_reader(), strips.images)
    arrays = {
        "segmentation.model": np.array(registry.entry("segmentation_unet").sha256),
        "segmentation.inputs": np.array(cl.data.array_sha256(scenes.images)),
        "segmentation.predictions": seg.predict_labels(
            cl.data.load_segmentation_unet(), scenes.images
        ),
        "attention.model": np.array(registry.entry("attention_reader").sha256),
        "attention.inputs": np.array(cl.data.array_sha256(strips.images)),
        "attention.read": np.array(read),
        "attention.tokens": tokens,
        "attention.weights": weights.astype(np.float32),
    }
    # lecture 16: the explorer's first canvas, run live (never answered from the file)
    from course_lib.widgets.spatial import DistortionExplorer

    explorer = DistortionExplorer()
    canvas = explorer.distorted()[None, :, :, None].astype(np.float32)
    plain, theta, view, st = (
        np.asarray(output)[0] for output in explorer.predictor("cnn")(canvas)
    )
    networks = " ".join(
        registry.entry(name).sha256 for name in ("spatial_cnn", "spatial_st_cnn")
    )
    arrays.update(
        {
            "spatial.model": np.array(networks),
            "spatial.inputs": np.array(cl.data.array_sha256(canvas)),
            "spatial.plain": plain,
            "spatial.theta": theta,
            "spatial.view": view,
            "spatial.st": st,
        }
    )
    # lecture 12: the viewer's scores, the maps of its first and misclassified digits
    # and its randomisation check, run live (a model given: never answered from the file)
    from course_lib.widgets.explain import CHECKS, GradCamViewer

    convnet = cl.data.load_mnist_convnet()
    viewer = GradCamViewer(convnet)
    shown = np.array([0, *viewer.misclassified], dtype=np.int64)
    check = viewer.randomization_check()  # the model given: computed here
    arrays.update(
        {
            "gradcam.model": np.array(registry.entry("mnist_convnet").sha256),
            "gradcam.inputs": np.array(cl.data.array_sha256(viewer.images)),
            "gradcam.layer": np.array(viewer.layer),
            "gradcam.scores": viewer.scores.astype(np.float32),
            "gradcam.shown": shown,
            "gradcam.heatmaps": viewer.heatmaps[shown].astype(np.float32),
            "gradcam.sanity": np.array([check[name] for name in CHECKS]),
        }
    )
    paths["dashboard_outputs"].write_bytes(_build.npz_bytes(arrays))


if __name__ == "__main__":
    sys.exit(_build.main(build, ["dashboard_outputs"], __doc__))
