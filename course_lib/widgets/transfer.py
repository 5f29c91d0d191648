"""The widget of lecture 11: ``FineTuneExplorer``, how many blocks to unfreeze.

Left: the trainable parameters of the slides' network 2 (VGG16 + a dense head) with 0-5
of VGG16's blocks unfrozen, counted on a shapes-only model. Right: the measured test
accuracy of the course's digit base, transferred from 0-4 to 5-9 with 50 labels per
class, with 0-3 of its blocks unfrozen (mean ± sd over seeds), beside training from
scratch. The numbers come from :func:`course_lib.transfer.load_transfer_results` (the
shipped file) or from the notebook's own run::

    cl.widgets.FineTuneExplorer()
    cl.widgets.FineTuneExplorer(results)
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib.collections import LineCollection

from course_lib.transfer import check_transfer_results, load_transfer_results
from course_lib.widgets.base import CourseWidget, new_figure, set_in_range


class FineTuneExplorer(CourseWidget):
    """Unfreeze more or fewer blocks: trainable parameters (VGG16) and measured accuracy
    (the digit base).

    ``vgg16_blocks`` and ``digit_blocks`` are the starting choices. After a change,
    ``trainable`` is the chosen VGG16 network's trainable parameter count and
    ``accuracy`` the chosen digit transfer's mean accuracy.

    Example::

        cl.widgets.FineTuneExplorer(vgg16_blocks=1, digit_blocks=0)
    """

    def __init__(
        self, results: dict | None = None, vgg16_blocks: int = 1, digit_blocks: int = 0
    ):
        super().__init__()
        self.results = check_transfer_results(
            load_transfer_results() if results is None else results
        )
        self.vgg16_counts = [int(n) for n in self.results["vgg16_trainable"]]
        digits = self.results["digits"]
        self.runs = np.asarray(digits["accuracy"], dtype=float)
        self.digit_trainable = [int(n) for n in digits["trainable"]]
        scratch = self.results.get("scratch", {}).get("accuracy")
        self.scratch = float(np.mean(scratch)) if scratch else None

        self.vgg16_blocks = widgets.IntSlider(
            0,
            0,
            len(self.vgg16_counts) - 1,
            description="VGG16 blocks unfrozen",
            continuous_update=False,
            style={"description_width": "initial"},
        )
        self.digit_blocks = widgets.IntSlider(
            0,
            0,
            len(self.runs) - 1,
            description="digit-base blocks unfrozen",
            continuous_update=False,
            style={"description_width": "initial"},
        )
        set_in_range(self.vgg16_blocks, vgg16_blocks, "vgg16_blocks")
        set_in_range(self.digit_blocks, digit_blocks, "digit_blocks")
        self._build_figure()
        self.watch(vgg16_blocks=self.vgg16_blocks, digit_blocks=self.digit_blocks)
        self.children = [
            widgets.HBox([self.vgg16_blocks, self.digit_blocks]),
            self.figure_image,
            self.caption,
            self.error,
        ]
        self.update()

    def _build_figure(self) -> None:
        figure = self.use_figure(new_figure(9.0, 3.4))
        figure.set_layout_engine("none")
        self.axes_count, self.axes_accuracy = figure.subplots(
            1,
            2,
            gridspec_kw=dict(left=0.09, right=0.99, bottom=0.16, top=0.88, wspace=0.3),
        )
        positions = np.arange(len(self.vgg16_counts))
        millions = np.array(self.vgg16_counts) / 1e6
        self.count_bars = self.axes_count.bar(positions, millions, color="tab:blue")
        self.axes_count.set_xticks(positions)
        self.axes_count.set_xlabel("top blocks of VGG16 unfrozen (0 = frozen base)")
        self.axes_count.set_ylabel("trainable parameters (millions)")
        self.axes_count.set_ylim(0, millions.max() * 1.12)
        self.count_title = self.axes_count.set_title("", fontsize=10)
        self.count_label = self.axes_count.text(0, 0, "", ha="center", fontsize=8)

        mean = self.runs.mean(axis=1)
        sd = self.runs.std(axis=1, ddof=1) if self.runs.shape[1] > 1 else 0 * mean
        self.digit_mean, self.digit_sd = mean, sd
        positions = np.arange(len(mean))
        self.accuracy_bars = self.axes_accuracy.bar(positions, mean, color="tab:green")
        self.axes_accuracy.add_collection(
            LineCollection(
                [
                    [(p, m - s), (p, m + s)]
                    for p, m, s in zip(positions, mean, sd, strict=True)
                ],
                colors="black",
                linewidths=1.5,
            )
        )
        if self.scratch is not None:
            self.axes_accuracy.axhline(
                self.scratch, color="tab:red", ls="--", lw=1.2, label="from scratch"
            )
            self.axes_accuracy.legend(loc="lower right", fontsize=8)
        low = min(float((mean - sd).min()), self.scratch or 1.0)
        self.axes_accuracy.set_ylim(max(0.0, low - 0.05), 1.0)
        self.axes_accuracy.set_xticks(positions)
        self.axes_accuracy.set_xlabel("top blocks of the digit base unfrozen")
        self.axes_accuracy.set_ylabel("test accuracy, digits 5-9")
        self.accuracy_title = self.axes_accuracy.set_title("", fontsize=10)

    @property
    def trainable(self) -> int:
        """Trainable parameters of network 2 with the chosen VGG16 blocks unfrozen."""
        return self.vgg16_counts[self.vgg16_blocks.value]

    @property
    def accuracy(self) -> float:
        """Mean measured accuracy of the digit transfer with the chosen blocks open."""
        return float(self.digit_mean[self.digit_blocks.value])

    def _render(self) -> None:
        chosen = self.vgg16_blocks.value
        for position, bar in enumerate(self.count_bars):
            bar.set_alpha(1.0 if position == chosen else 0.3)
        height = self.trainable / 1e6
        self.count_label.set_position((chosen, height))
        self.count_label.set_text(f"{self.trainable:,}")
        self.count_title.set_text(f"VGG16 + head, {chosen} block(s) open")
        digit = self.digit_blocks.value
        for position, bar in enumerate(self.accuracy_bars):
            bar.set_alpha(1.0 if position == digit else 0.3)
        self.accuracy_title.set_text(
            f"digits 0-4 → 5-9, {self.runs.shape[1]} seed(s) each"
        )
        scratch = (
            f"; from scratch {self.scratch:.1%}" if self.scratch is not None else ""
        )
        self.caption.value = (
            f"VGG16 with its top {chosen} block(s) unfrozen trains "
            f"<b>{self.trainable:,}</b> parameters. The digit base with {digit} "
            f"block(s) unfrozen ({self.digit_trainable[digit]:,} trainable) reached "
            f"<b>{self.accuracy:.1%}</b> ± {self.digit_sd[digit]:.1%}{scratch}."
        )
