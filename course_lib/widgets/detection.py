"""Widget of lecture 14: ``DetectionExplorer``, proposals -> scores -> NMS, live.

The astronaut's selective-search proposals, each scored by the shipped face / non-face
convnet, are loaded from ``course_lib/data/files/astronaut_proposals.json`` (made by
``datasets/build_face_detector.py``): nothing is trained or run through a network here,
so every control only re-runs the threshold and non-maximum suppression
(``cl.detection.detect``) and redraws the boxes.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib.patches import Rectangle

import course_lib as cl
from course_lib.core import checked
from course_lib.widgets.base import CourseWidget, new_figure

MAX_DRAWN = 60  # proposal outlines drawn at most (the rest are counted, not drawn)


class DetectionExplorer(CourseWidget):
    """How many proposals, which score counts as a face, how much overlap is one face?

    Example::

        explorer = cl.widgets.DetectionExplorer()
        explorer.iou_threshold.value = 0.9   # NMS keeps boxes that overlap a lot
        explorer.detections.boxes            # the kept boxes (y0, x0, y1, x1)

    Controls: ``proposals`` (how many of the ranked proposals are scored),
    ``score_threshold`` (a face if the convnet's probability is at least this),
    ``iou_threshold`` (NMS drops a box whose IoU with a kept one is above this).
    State: ``boxes`` and ``scores`` of all proposals, ``truth`` (the hand-drawn face),
    ``detections`` (a ``cl.detection.Detections``), ``precision``, ``recall``.
    """

    @checked()
    def __init__(self):
        super().__init__()
        import skimage.data

        from course_lib import detection

        self._detection = detection
        found = cl.data.load_astronaut_proposals()
        shaped = detection.face_shaped(found["boxes"])
        self.boxes = found["boxes"][shaped]
        self.scores = found["scores"][shaped]
        self.truth = cl.data.load_face_boxes("astronaut")
        self.image = skimage.data.astronaut()
        self.detections = detection.detect(self.boxes[:0], self.scores[:0])
        self.precision, self.recall = 1.0, 0.0
        count = len(self.boxes)
        # all proposals by default: the second box on the face is far down the ranking
        self.proposals = widgets.IntSlider(
            count, 1, count, description="proposals", continuous_update=False
        )
        self.score_threshold = widgets.FloatSlider(
            0.5, min=0.0, max=1.0, step=0.01, description="min score"
        )
        self.iou_threshold = widgets.FloatSlider(
            0.3, min=0.0, max=1.0, step=0.05, description="NMS IoU"
        )
        figure = self.use_figure(new_figure(8.5, 4.4), jpeg=True)
        self.axes = figure.subplots(1, 2)
        # a half-size photo on the left and a crop on the right draw ~4x faster
        y0, x0, y1, x1 = self.truth[0].astype(int)
        top, left = max(y0 - 70, 0), max(x0 - 70, 0)
        bottom, right = min(y1 + 70, 512), min(x1 + 70, 512)
        self._zoom = (top, left, bottom, right)
        self.axes[0].imshow(self.image[::2, ::2], extent=(0, 512, 512, 0))
        self.axes[1].imshow(
            self.image[top:bottom, left:right], extent=(left, right, bottom, top)
        )
        for ax, title in zip(
            self.axes,
            ["proposals (gray) and kept boxes", "zoom on the face"],
            strict=True,
        ):
            ax.set_title(title, fontsize=10)
            ax.axis("off")
        self.axes[0].set_xlim(0, 512)
        self.axes[0].set_ylim(512, 0)
        self.axes[1].set_xlim(left, right)
        self.axes[1].set_ylim(bottom, top)
        self.proposal_patches = [
            self.axes[0].add_patch(
                Rectangle((0, 0), 0, 0, fill=False, ec="0.85", lw=0.6)
            )
            for _ in range(MAX_DRAWN)
        ]
        self.kept_patches = [
            [
                ax.add_patch(Rectangle((0, 0), 0, 0, fill=False, ec="lime", lw=2))
                for ax in self.axes
            ]
            for _ in range(MAX_DRAWN)
        ]
        self.kept_labels = [
            self.axes[1].text(
                0,
                0,
                "",
                color="black",
                fontsize=8,
                backgroundcolor="lime",
                clip_on=True,
            )
            for _ in range(MAX_DRAWN)
        ]
        truth_patches = [
            ax.add_patch(_rectangle(box, ec="red", ls="--", lw=1.5))
            for ax in self.axes
            for box in self.truth
        ]
        # The photos are drawn once; the boxes and scores over a saved picture of them
        # (the hand-drawn face too, to stay on top).
        self.figure_image.animate(
            *self.proposal_patches,
            *(patch for patches in self.kept_patches for patch in patches),
            *truth_patches,
            *self.kept_labels,
        )
        self.watch(
            proposals=self.proposals,
            score_threshold=self.score_threshold,
            iou_threshold=self.iou_threshold,
        )
        self.children = [
            widgets.HBox([self.score_threshold, self.iou_threshold, self.proposals]),
            self.figure_image,
            self.caption,
            self.error,
        ]
        self.update()

    def _render(self):
        count = self.proposals.value
        boxes, scores = self.boxes[:count], self.scores[:count]
        self.detections = self._detection.detect(
            boxes,
            scores,
            score_threshold=self.score_threshold.value,
            iou_threshold=self.iou_threshold.value,
            max_output=MAX_DRAWN,
        )
        self.precision, self.recall, hits = self._detection.precision_recall(
            self.detections.boxes, self.truth
        )
        for n, patch in enumerate(self.proposal_patches):
            _place(patch, boxes[n] if n < count else None)
        for n, (patches, label) in enumerate(
            zip(self.kept_patches, self.kept_labels, strict=True)
        ):
            box = self.detections.boxes[n] if n < len(self.detections.boxes) else None
            for patch in patches:
                _place(patch, box)
            # a score is drawn only near the zoom (text costs most to draw; the others
            # would be clipped away whole)
            label.set_visible(box is not None and self._near_zoom(box))
            if label.get_visible():
                label.set_position((box[1], box[0]))
                label.set_text(f"{self.detections.scores[n]:.3f}")
        kept = len(self.detections.boxes)
        above = int((scores >= self.score_threshold.value).sum())
        self.caption.value = (
            f"{count} face-shaped proposals scored; {above} at or above "
            f"{self.score_threshold.value:.2f}; NMS at IoU {self.iou_threshold.value:.2f} "
            f"keeps <b>{kept}</b>. Against the hand-drawn face (red, dashed): precision "
            f"<b>{self.precision:.2f}</b>, recall <b>{self.recall:.2f}</b> "
            f"({hits} of {len(self.truth)} found)."
        )

    def _near_zoom(self, box) -> bool:
        """Whether a score written at the box's top-left corner may show in the zoom
        (it is at most ~50 pixels wide and ~15 high, written right and up)."""
        top, left, bottom, right = self._zoom
        y0, x0 = float(box[0]), float(box[1])
        return left - 80 <= x0 <= right + 5 and top - 5 <= y0 <= bottom + 40


def _rectangle(box, **style) -> Rectangle:
    y0, x0, y1, x1 = box
    return Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, **style)


def _place(patch: Rectangle, box) -> None:
    """Move a patch made once onto ``box`` (hidden when ``box`` is None)."""
    patch.set_visible(box is not None)
    if box is not None:
        y0, x0, y1, x1 = np.asarray(box, dtype=float)
        patch.set_xy((x0, y0))
        patch.set_width(x1 - x0)
        patch.set_height(y1 - y0)
