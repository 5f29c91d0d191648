"""The widget of lecture 11: ``FineTuneExplorer``, where transfer stops helping.

Left: the measured crossover. Test accuracy on the digits 5-9 against the labelled images
per class, for a network trained from scratch, the frozen features of a base trained on
the digits 0-4 (plus a new head), and the same base fine-tuned; every run with the same
number of gradient steps; mean ± sd over seeds as a line and a band. Right: what the
slides' network 2 (VGG16 + a dense head) trains with 0-5 of VGG16's blocks unfrozen,
counted on a shapes-only model. The numbers come from
:func:`course_lib.data.load_transfer_results` (the shipped file) or from a run::

    cl.widgets.FineTuneExplorer()
    cl.widgets.FineTuneExplorer(results)
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from course_lib.core import Instance, Int, Optional, checked
from course_lib.data import load_transfer_results
from course_lib.transfer import VGG16_BLOCKS, check_transfer_results, summarize_sweep
from course_lib.widgets.base import ChoiceSlider, CourseWidget, new_figure

COLORS = {"scratch": "tab:red", "frozen": "tab:blue", "fine-tune": "tab:green"}
NAMES = {"scratch": "from scratch", "frozen": "frozen base", "fine-tune": "fine-tuned"}


class FineTuneExplorer(CourseWidget):
    """Few labels or many: the measured accuracy of the three ways, and what VGG16
    trains as more of its blocks are unfrozen.

    ``labels_per_class`` (one of the sweep's counts; default the smallest) and
    ``vgg16_blocks`` are the starting choices. After a change, ``accuracy`` holds the
    mean accuracy of each way at the chosen count, ``advantage`` the better transfer's
    lead over training from scratch (negative: scratch is ahead) and ``trainable`` the
    chosen VGG16 network's trainable parameter count.

    Example::

        cl.widgets.FineTuneExplorer(labels_per_class=2, vgg16_blocks=1)
    """

    @checked(
        results=Optional(
            Instance(dict, "the dict cl.data.load_transfer_results gives")
        ),
        labels_per_class=Optional(Int(1, 100_000)),
        vgg16_blocks=Int(0, VGG16_BLOCKS),
    )
    def __init__(
        self,
        results: dict | None = None,
        labels_per_class: int | None = None,
        vgg16_blocks: int = 1,
    ):
        super().__init__()
        self.results = check_transfer_results(
            load_transfer_results() if results is None else results
        )
        self.vgg16_counts = [int(n) for n in self.results["vgg16_trainable"]]
        sweep = self.results["labels"]
        self.summary = summarize_sweep(sweep)
        self.per_class = [int(n) for n in self.summary["per_class"]]
        self.steps = sweep.get("steps")
        self.seeds = len(next(iter(sweep["accuracy"].values()))[0])

        self.labels = ChoiceSlider(
            self,
            "labels_per_class",
            options=self.per_class,
            value=self.per_class[0],
            description="labels per class",
            continuous_update=False,
            style={"description_width": "initial"},
        )
        if labels_per_class is not None:  # not watched yet: an unknown count raises
            self.labels.value = labels_per_class
        self.vgg16_blocks = widgets.IntSlider(
            vgg16_blocks,
            0,
            len(self.vgg16_counts) - 1,
            description="VGG16 blocks unfrozen",
            continuous_update=False,
            style={"description_width": "initial"},
        )
        self._build_figure()
        self.watch(labels=self.labels, vgg16_blocks=self.vgg16_blocks)
        self.children = [
            widgets.HBox([self.labels, self.vgg16_blocks]),
            self.figure_image,
            self.caption,
            self.error,
        ]
        self.update()

    def _build_figure(self) -> None:
        figure = self.use_figure(new_figure(10.0, 3.6))
        figure.set_layout_engine("none")
        self.axes_accuracy, self.axes_count = figure.subplots(
            1,
            2,
            gridspec_kw=dict(
                left=0.07, right=0.99, bottom=0.15, top=0.9, wspace=0.28,
                width_ratios=(1.5, 1),
            ),
        )  # fmt: skip
        counts = np.array(self.per_class, dtype=float)
        lowest = 1.0
        for mode, mean in self.summary["mean"].items():
            sd = self.summary["sd"][mode]
            self.axes_accuracy.fill_between(
                counts, mean - sd, mean + sd, color=COLORS[mode], alpha=0.18, lw=0
            )
            self.axes_accuracy.plot(
                counts, mean, "o-", color=COLORS[mode], lw=1.8, ms=4, label=NAMES[mode]
            )
            lowest = min(lowest, float((mean - sd).min()))
        self.axes_accuracy.set_xscale("log")
        self.axes_accuracy.set_xticks(counts, [str(n) for n in self.per_class])
        self.axes_accuracy.minorticks_off()
        self.axes_accuracy.set_ylim(max(0.0, lowest - 0.03), 1.0)
        self.axes_accuracy.set_xlabel("labelled images per class of the new task (5-9)")
        self.axes_accuracy.set_ylabel("held-out accuracy, digits 5-9")
        self.axes_accuracy.legend(loc="lower right", fontsize=8)
        self.marker = self.axes_accuracy.axvline(counts[0], color="0.4", ls=":", lw=1)
        self.accuracy_title = self.axes_accuracy.set_title("", fontsize=10)

        positions = np.arange(len(self.vgg16_counts))
        millions = np.array(self.vgg16_counts) / 1e6
        self.count_bars = self.axes_count.bar(positions, millions, color="tab:blue")
        self.axes_count.set_xticks(positions)
        self.axes_count.set_xlabel("top blocks of VGG16 unfrozen (0 = frozen base)")
        self.axes_count.set_ylabel("trainable parameters (millions)")
        self.axes_count.set_ylim(0, millions.max() * 1.12)
        self.count_title = self.axes_count.set_title("", fontsize=10)
        self.count_label = self.axes_count.text(0, 0, "", ha="center", fontsize=8)
        # The marker, the bars, the label and the titles change; the rest is drawn once
        # (the frame of the bars too: it is drawn over them).
        self.figure_image.animate(
            self.marker,
            self.accuracy_title,
            *self.count_bars,
            *self.axes_count.spines.values(),
            self.count_label,
            self.count_title,
        )

    @property
    def trainable(self) -> int:
        """Trainable parameters of network 2 with the chosen VGG16 blocks unfrozen."""
        return self.vgg16_counts[self.vgg16_blocks.value]

    @property
    def accuracy(self) -> dict[str, float]:
        """Mean measured accuracy of each way at the chosen labels per class."""
        index = self.per_class.index(self.labels.value)
        return {mode: float(m[index]) for mode, m in self.summary["mean"].items()}

    @property
    def advantage(self) -> float:
        """The better transfer's mean accuracy minus scratch's, at the chosen count."""
        index = self.per_class.index(self.labels.value)
        return float(self.summary["advantage"][index])

    def _render(self) -> None:
        count = self.labels.value
        index = self.per_class.index(count)
        self.marker.set_xdata([count, count])
        budget = f", {self.steps} steps each" if self.steps else ""
        self.accuracy_title.set_text(f"digits 0-4 → 5-9: {self.seeds} seed(s){budget}")
        chosen = self.vgg16_blocks.value
        for position, bar in enumerate(self.count_bars):
            bar.set_alpha(1.0 if position == chosen else 0.3)
        self.count_label.set_position((chosen, self.trainable / 1e6))
        self.count_label.set_text(f"{self.trainable:,}")
        self.count_title.set_text(f"VGG16 + head, {chosen} block(s) open")
        parts = [
            f"{NAMES[mode]} <b>{mean:.1%}</b> ± {self.summary['sd'][mode][index]:.1%}"
            for mode, mean in self.accuracy.items()
        ]
        lead = self.advantage
        verdict = (
            f"transfer is ahead by {lead:+.1%}"
            if lead > 0
            else f"training from scratch is ahead by {-lead:.1%}"
        )
        self.caption.value = (
            f"With <b>{count}</b> labelled images per class ({5 * count} in all): "
            + ", ".join(parts)
            + f"; {verdict}. VGG16 with its top {chosen} block(s) unfrozen trains "
            f"<b>{self.trainable:,}</b> parameters."
        )
