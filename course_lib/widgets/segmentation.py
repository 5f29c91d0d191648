"""Widget of lecture 15: ``SegmentationViewer``, a U-Net's labels for digit scenes.

Pick a test scene: the picture shows the scene, its true labels, the network's labels
(or only its mistakes) and the IoU of every class in this scene. The predictions of all
scenes are computed once at construction (one batch through the shipped U-Net), so a
control only redraws.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib.colors import ListedColormap

import course_lib as cl
from course_lib.core import Array, Int, Optional, checked
from course_lib.segmentation.scenes import SCENES
from course_lib.segmentation.unet import UNET
from course_lib.widgets.base import ChoiceToggleButtons, CourseWidget, new_figure

# black background, then one colour per digit 0-9 (tab10)
CLASS_COLOURS = [
    "#000000",
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
]
MISSED = 11  # in the "mistakes" view: ink the network called background (white)
VIEWS = ["prediction", "mistakes"]
MAX_DIGITS = 4


@checked(
    instances=Array(dtype="int", low=0, what="instance ids per pixel"),
    labels=Array(dtype="int", low=0, high=10, what="class ids 0-10 per pixel"),
    count=Int(0, 255),
)
def majority_digits(instances: np.ndarray, labels: np.ndarray, count: int) -> list:
    """For instance ids 1..count, the most frequent digit (class - 1) under its ink in
    ``labels``; -1 for "background" (the ink was all called background)."""
    if instances.shape != labels.shape:
        raise ValueError(
            f"instances and labels must have the same shape, got {instances.shape} "
            f"and {labels.shape}"
        )
    found = []
    for instance in range(1, count + 1):
        values = labels[instances == instance]
        if values.size == 0:
            found.append(-1)
            continue
        winner = int(np.bincount(values, minlength=11).argmax())
        found.append(winner - 1)
    return found


class SegmentationViewer(CourseWidget):
    """Which digit does the U-Net see at each pixel? Truth, prediction, per-class IoU.

    Without arguments: the shipped U-Net (``cl.data.load_segmentation_unet()``) on the
    first 100 test scenes (``cl.segmentation.digit_scenes(100, seed=2,
    split="test")``, digits the network never saw); its labels of those scenes ship
    with the course (``cl.data.precomputed``), so the widget then starts without
    TensorFlow.

    Example::

        viewer = cl.widgets.SegmentationViewer()
        viewer.index.value = 7            # another scene
        viewer.view.value = "mistakes"    # only the pixels it gets wrong

    Controls: ``index`` (which scene), ``view`` ("prediction" or "mistakes"). State:
    ``scenes``, ``predictions`` (N, 64, 64), ``ious`` (N, 11) per scene and class (NaN
    where a class is absent), ``confusion`` (11, 11) pixel counts over all scenes,
    ``recognised`` (per scene, the digit each instance is mostly labelled as).
    """

    @checked(model=Optional(UNET), scenes=Optional(SCENES), count=Int(1, 1000))
    def __init__(self, model=None, scenes=None, count: int = 100):
        super().__init__()
        from course_lib import segmentation as seg

        if scenes is None:
            scenes = seg.digit_scenes(count, seed=2, split="test")
        self.scenes = seg.DigitScenes(
            scenes.images[:count],
            scenes.semantic[:count],
            scenes.instances[:count],
            scenes.digits[:count],
            scenes.boxes[:count],
        )
        # the shipped U-Net's labels of the default scenes ship too (no TensorFlow to
        # start: datasets/build_dashboard_outputs.py); any other scenes are computed
        shipped = None
        if model is None:
            shipped = cl.data.precomputed("segmentation", self.scenes.images)
        if shipped is not None:
            self.predictions = shipped["predictions"]
        else:
            if model is None:
                model = cl.data.load_segmentation_unet()
            self.predictions = seg.predict_labels(model, self.scenes.images)
        self.ious = np.stack(
            [
                seg.per_class_iou(truth, predicted)
                for truth, predicted in zip(
                    self.scenes.semantic, self.predictions, strict=True
                )
            ]
        )
        self.confusion = seg.confusion_matrix(self.scenes.semantic, self.predictions)
        self.report = seg.segmentation_report(self.scenes.semantic, self.predictions)
        self.recognised = [
            majority_digits(instances, predicted, len(digits))
            for instances, predicted, digits in zip(
                self.scenes.instances,
                self.predictions,
                self.scenes.digits,
                strict=True,
            )
        ]

        self.index = widgets.IntSlider(
            0, 0, len(self.scenes) - 1, description="scene", continuous_update=False
        )
        self.view = ChoiceToggleButtons(self, "view", options=VIEWS, value="prediction")
        self.view.style.button_width = "90px"
        figure = self.use_figure(new_figure(9.6, 2.7, dpi=80))
        axes = figure.subplots(1, 4, width_ratios=[1, 1, 1, 1.5])
        colours = ListedColormap([*CLASS_COLOURS, "#ffffff"])
        blank = np.zeros(self.scenes.images.shape[1:])
        self.image_artist = axes[0].imshow(blank, cmap="gray", vmin=0, vmax=1)
        self.truth_artist = axes[1].imshow(
            blank, cmap=colours, vmin=-0.5, vmax=11.5, interpolation="nearest"
        )
        self.predicted_artist = axes[2].imshow(
            blank, cmap=colours, vmin=-0.5, vmax=11.5, interpolation="nearest"
        )
        self.labels = {
            panel: [
                axes[column].text(
                    0, 0, "", color="white", fontsize=10, fontweight="bold"
                )
                for _ in range(MAX_DIGITS)
            ]
            for panel, column in (("truth", 1), ("predicted", 2))
        }
        self.titles = [
            axes[column].set_title(text, fontsize=10)
            for column, text in enumerate(["scene", "truth", "prediction"])
        ]
        for ax in axes[:3]:
            ax.set_xticks([])
            ax.set_yticks([])
        self.bars = axes[3].bar(
            range(11), np.zeros(11), color=CLASS_COLOURS, edgecolor="black", lw=0.5
        )
        axes[3].set_xticks(range(11), ["bg", *map(str, range(10))], fontsize=9)
        axes[3].set_ylim(0, 1.05)
        axes[3].set_title("IoU per class, this scene", fontsize=10)
        axes[3].tick_params(axis="y", labelsize=8)
        self.watch(index=self.index, view=self.view)
        self.children = [
            widgets.HBox([self.index, self.view]),
            self.figure_image,
            self.caption,
            self.error,
        ]
        self.update()

    def _place_labels(self, panel: str, digits: list, boxes: list) -> None:
        for k, text in enumerate(self.labels[panel]):
            if k < len(digits):
                top, left, _, width = boxes[k]
                if left >= 7:  # left of the digit, else right of it
                    text.set_position((left - 1, top + 4))
                    text.set_horizontalalignment("right")
                else:
                    text.set_position((left + width + 1, top + 4))
                    text.set_horizontalalignment("left")
                text.set_text("bg" if digits[k] < 0 else str(digits[k]))
                text.set_visible(True)
            else:
                text.set_visible(False)

    def _render(self):
        index = self.index.value
        truth = self.scenes.semantic[index]
        predicted = self.predictions[index]
        self.image_artist.set_data(self.scenes.images[index])
        self.truth_artist.set_data(truth)
        if self.view.value == "mistakes":
            shown = np.where(predicted != truth, predicted, 0)
            shown[(predicted == 0) & (truth > 0)] = MISSED
            self.titles[2].set_text("mistakes only")
        else:
            shown = predicted
            self.titles[2].set_text("prediction")
        self.predicted_artist.set_data(shown)
        digits, boxes = self.scenes.digits[index], self.scenes.boxes[index]
        recognised = self.recognised[index]
        self._place_labels("truth", digits, boxes)
        self._place_labels("predicted", recognised, boxes)
        ious = self.ious[index]
        for bar, value in zip(self.bars, ious, strict=True):
            bar.set_height(0.0 if np.isnan(value) else value)
        wrong = int((predicted != truth).sum())
        ink = int((truth > 0).sum())
        self.caption.value = (
            f"Scene {index}: digits <b>{', '.join(map(str, digits))}</b>; the U-Net "
            f"labels them mostly as <b>"
            f"{', '.join('background' if d < 0 else str(d) for d in recognised)}"
            f"</b>. {wrong} of {truth.size} pixels wrong ({ink} pixels of ink); mean "
            f"IoU of this scene {np.nanmean(ious):.2f} (over the classes in its truth or prediction). In "
            '"mistakes", a wrong pixel has the colour of the class it was given, '
            "white for ink called background. Over all "
            f"{len(self.scenes)} scenes: pixel accuracy "
            f"{self.report['pixel_accuracy']:.3f}, mean IoU "
            f"{self.report['mean_iou']:.2f} (all background: "
            f"{self.report['baseline_pixel_accuracy']:.3f} and "
            f"{self.report['baseline_mean_iou']:.2f})."
        )
