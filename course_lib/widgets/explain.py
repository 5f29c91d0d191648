"""Widget of lecture 12: ``GradCamViewer``, the Grad-CAM heatmap of a digit for a class.

Pick a test digit and a class: the picture shows the digit, its Grad-CAM heatmap for
that class at the last convolution (``cl.explain.grad_cam``) and the two overlaid.
All heatmaps (every digit shown, every class) are computed once at construction, in
batches, so that moving a control only redraws.
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


class GradCamViewer(CourseWidget):
    """Where does the network look when it calls this digit a 3? Grad-CAM, per class.

    Without arguments: the shipped checkpoint (``cl.data.load_mnist_convnet()``)
    on the first 200 bundled test digits.

    Example::

        viewer = cl.widgets.GradCamViewer()
        viewer.index.value = viewer.misclassified[0]   # a digit the network gets wrong
        viewer.target.value = "true label"             # where is the evidence for it?

    Controls: ``index`` (which digit), ``target`` ("predicted", "true label" or a digit
    0-9), ``opacity`` (of the heatmap over the digit). State: ``images``, ``labels``,
    ``predictions``, ``heatmaps`` (N, 10, 28, 28), ``scores`` (N, 10) the class scores,
    ``misclassified`` (indices), ``heatmap`` (28, 28) on show.
    """

    @checked(
        model=Optional(CLASSIFIER),
        images=Optional(DIGIT_BATCH),
        labels=LABELS,
        count=Int(1, 2000),
    )
    def __init__(self, model=None, images=None, labels=None, count: int = 200):
        super().__init__()
        from course_lib.explain import feature_layers, grad_cam

        if model is None:
            model = cl.data.load_mnist_convnet()
        if images is None:
            images, test_labels = _test_digits()
            images = DIGIT_BATCH.check(images, "images")
            labels = test_labels if labels is None else labels
        images = _one_label_each(images, labels)
        self.images = images[:count]
        self.labels = None if labels is None else labels[:count]
        self.layer = feature_layers(model)[-1] if feature_layers(model) else None
        if self.layer is None:
            raise ValueError(
                "model has no convolution or pooling layer: give a convnet"
            )
        maps = [grad_cam(model, self.images, self.layer, digit) for digit in range(10)]
        self.heatmaps = np.stack([m.heatmap for m in maps], axis=1)  # (N, 10, 28, 28)
        self.scores = np.stack([m.scores for m in maps], axis=1)
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
        self.heatmap = self.heatmaps[index, digit]
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
