"""Widget of lecture 12: ``GradCamViewer``, the Grad-CAM heatmap of a digit for a class.

Pick a test digit and a class: the picture shows the digit, its Grad-CAM heatmap for
that class at the last convolution (``cl.explain.grad_cam``) and the two overlaid.
For a network given, all heatmaps (every digit shown, every class) are computed once
at construction, in batches, so that moving a control only redraws. With its defaults
the widget starts from what ships (``cl.data.precomputed("gradcam", ...)``: every
digit's class scores, and the maps of the first digit and of the misclassified ones)
and computes another digit's maps when it is picked, with the shipped network run by
NumPy (``cl.models.pretrained_numpy()``, some 20 ms a digit): no TensorFlow.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

import course_lib as cl
from course_lib.core import Int, Model, Number, Optional, checked
from course_lib.widgets.base import ChoiceDropdown, CourseWidget, new_figure
from course_lib.widgets.inside import (
    DIGIT_BATCH,
    LABELS,
    _one_label_each,
    _test_digits,
)

CLASSIFIER = Model((28, 28, 1), (10,), what="a Keras digit classifier")
"""The network whose heatmaps are shown: (N, 28, 28, 1) digits in, ten classes out."""

OPACITY = Number(0, 1)

TARGETS = ["predicted", "true label", *[str(digit) for digit in range(10)]]

CHECKS = ("grad_cam", "saliency", "two_random")
"""The mean rank correlations of ``randomization_check``, in the order they ship."""

CHECKED_DIGITS = 64
"""How many of the digits ``GradCamViewer.randomization_check`` runs on."""

LOADING = "<b>Loading the model…</b> (the shipped convnet, once: a moment)"
"""The caption while the network loads (the first digit whose maps did not ship)."""


class GradCamViewer(CourseWidget):
    """Where does the network look when it calls this digit a 3? Grad-CAM, per class.

    Without arguments: the shipped checkpoint (``cl.data.load_mnist_convnet()``)
    on the first 200 bundled test digits. Their class scores, and the maps of the first
    digit and of every misclassified one, ship with the course (``cl.data.precomputed``):
    the widget then starts without TensorFlow, and computes another digit's maps when it
    is picked with the same network run by NumPy (loaded the first time, which the
    caption says).

    Example::

        viewer = cl.widgets.GradCamViewer()
        viewer.index.value = viewer.misclassified[0]   # a digit the network gets wrong
        viewer.target.value = "true label"             # where is the evidence for it?

    Controls: ``index`` (which digit), ``target`` ("predicted", "true label" or a digit
    0-9), ``opacity`` (of the heatmap over the digit). State: ``images``, ``labels``,
    ``predictions``, ``scores`` (N, 10) the class scores, ``misclassified`` (indices),
    ``heatmap`` (28, 28) on show, ``maps_of(index)`` (10, 28, 28) one digit's maps;
    ``heatmaps`` (N, 10, 28, 28) every digit's (computed on first use where they did
    not ship) and ``model`` the Keras network (loaded on first use);
    ``randomization_check()`` the dashboard's sanity check (shipped with the defaults).
    """

    @checked(
        model=Optional(CLASSIFIER),
        images=Optional(DIGIT_BATCH),
        labels=LABELS,
        count=Int(1, 2000),
    )
    def __init__(self, model=None, images=None, labels=None, count: int = 200):
        super().__init__()
        if images is None:
            images, test_labels = _test_digits()
            images = DIGIT_BATCH.check(images, "images")
            labels = test_labels if labels is None else labels
        images = _one_label_each(images, labels)
        self.images = images[:count]
        self.labels = None if labels is None else labels[:count]
        self._model = model
        self._heatmaps: np.ndarray | None = None
        self._maps: dict[int, np.ndarray] = {}  # shipped, or computed by NumPy
        self._numpy_net = None
        self._shipped_check: dict[str, float] | None = None
        # the shipped network's scores and some maps of the default digits ship (no
        # TensorFlow to start: datasets/build_dashboard_outputs.py); others are computed
        shipped = None
        if model is None:
            shipped = cl.data.precomputed("gradcam", self.images)
        if shipped is not None:
            self.layer = str(shipped["layer"].item())
            self.scores = shipped["scores"]
            self._maps = {
                int(i): maps
                for i, maps in zip(shipped["shown"], shipped["heatmaps"], strict=True)
            }
            self._shipped_check = dict(
                zip(CHECKS, (float(v) for v in shipped["sanity"]), strict=True)
            )
        else:
            self._compute()
        self.predictions = self.scores.argmax(axis=1)
        self.misclassified = (
            []
            if self.labels is None
            else [int(i) for i in np.flatnonzero(self.predictions != self.labels)]
        )
        self.heatmap = np.zeros(self.images.shape[1:], np.float32)

        self.index = widgets.IntSlider(
            0, 0, len(self.images) - 1, description="digit", continuous_update=False
        )
        # before the watch: the caption says "loading" at once, not after the load
        self.index.observe(self._say_loading, names="value")
        self.target = ChoiceDropdown(
            self,
            "class",
            options=TARGETS if self.labels is not None else [TARGETS[0], *TARGETS[2:]],
            value="predicted",
            description="class",
        )
        self.opacity = widgets.FloatSlider(
            0.5, min=0.0, max=1.0, step=0.05, description="opacity"
        )
        figure = self.use_figure(new_figure(6.6, 2.4))
        axes = figure.subplots(1, 3)
        blank = np.zeros(self.images.shape[1:])
        self.digit_artist = axes[0].imshow(blank, cmap="gray", vmin=0, vmax=1)
        self.heat_artist = axes[1].imshow(blank, cmap="jet", vmin=0, vmax=1)
        self.under_artist = axes[2].imshow(blank, cmap="gray", vmin=0, vmax=1)
        self.over_artist = axes[2].imshow(blank, cmap="jet", vmin=0, vmax=1, alpha=0.5)
        self.titles = [
            ax.set_title(text, fontsize=9)
            for ax, text in zip(axes, ["digit", "Grad-CAM", "overlay"], strict=True)
        ]
        for ax in axes:
            ax.axis("off")
        self.watch(index=self.index, target=self.target, opacity=self.opacity)
        self.children = [
            widgets.HBox([self.index, self.target, self.opacity]),
            self.figure_image,
            self.caption,
            self.error,
        ]
        self.update()

    @property
    def model(self):
        """The network (the shipped checkpoint unless one was given), loaded on first
        use."""
        if self._model is None:
            self._model = cl.data.load_mnist_convnet()
        return self._model

    @property
    def heatmaps(self) -> np.ndarray:
        """Every digit's maps for every class, (N, 10, 28, 28), computed on first use."""
        if self._heatmaps is None:
            self._heatmaps = np.stack(
                [self.maps_of(index) for index in range(len(self.images))]
            )
        return self._heatmaps

    def maps_of(self, index: int) -> np.ndarray:
        """Digit ``index``'s maps for the ten classes, (10, 28, 28): computed with the
        network given, shipped, or computed now by the shipped network run with NumPy
        (loaded the first time)."""
        if self._heatmaps is not None:
            return self._heatmaps[index]
        if index not in self._maps:
            from course_lib.explain.gradcam import _grad_cam_numpy

            if self._numpy_net is None:
                self._numpy_net = cl.models.pretrained_numpy("mnist_convnet")
            _, maps = _grad_cam_numpy(
                self._numpy_net, self.images[index : index + 1], self.layer
            )
            self._maps[index] = maps[0]
        return self._maps[index]

    def randomization_check(self) -> dict[str, float]:
        """``cl.explain.randomization_check`` of the network on the first
        ``CHECKED_DIGITS`` digits (trained vs random weights: Grad-CAM, saliency, two
        random networks); shipped for the default digits and network."""
        if self._shipped_check is not None:
            return dict(self._shipped_check)
        from course_lib.explain import randomization_check

        return randomization_check(self.model, self.images[:CHECKED_DIGITS], self.layer)

    def _compute(self) -> None:
        """Run Grad-CAM for every digit and class (``scores``, ``heatmaps``, ``layer``)."""
        from course_lib.explain import feature_layers, grad_cam

        layers = feature_layers(self.model)
        if not layers:
            raise ValueError(
                "model has no convolution or pooling layer: give a convnet"
            )
        self.layer = layers[-1]
        maps = [grad_cam(self.model, self.images, self.layer, d) for d in range(10)]
        self._heatmaps = np.stack([m.heatmap for m in maps], axis=1)
        self.scores = np.stack([m.scores for m in maps], axis=1)

    def _say_loading(self, change) -> None:
        """Say in the caption that the network loads, when a digit needs it."""
        if self._heatmaps is None and self._numpy_net is None:
            if change["new"] not in self._maps:
                self.caption.value = LOADING

    def chosen_class(self) -> int:
        """The class whose heatmap is on show."""
        index = self.index.value
        if self.target.value == "predicted":
            return int(self.predictions[index])
        if self.target.value == "true label":
            return int(self.labels[index])
        return int(self.target.value)

    def _render(self):
        index = self.index.value
        digit = self.chosen_class()
        try:
            maps = self.maps_of(index)
        except Exception:
            self.caption.value = (
                f"Digit {index}: its maps could not be computed (the network did not "
                "load; see the message below)."
            )
            raise
        self.heatmap = maps[digit]
        self.digit_artist.set_data(self.images[index])
        self.heat_artist.set_data(self.heatmap)
        self.under_artist.set_data(self.images[index])
        self.over_artist.set_data(self.heatmap)
        self.over_artist.set_alpha(OPACITY.check(self.opacity.value, "opacity"))
        predicted = int(self.predictions[index])
        truth = "" if self.labels is None else f", true label {int(self.labels[index])}"
        self.titles[0].set_text(f"predicted {predicted}{truth}")
        self.titles[1].set_text(f"Grad-CAM for {digit} ({self.layer})")
        empty = not self.heatmap.any()
        wrong = len(self.misclassified)
        self.caption.value = (
            f"Digit {index}: the network says <b>{predicted}</b>{truth}. Heatmap for "
            f"class <b>{digit}</b> (score {self.scores[index, digit]:.2f} before the "
            "softmax)"
            + (": all zero, no region adds evidence for this class" if empty else "")
            + f". {wrong} of the {len(self.images)} digits are misclassified"
            + (f" (e.g. digit {self.misclassified[0]})." if wrong else ".")
        )
