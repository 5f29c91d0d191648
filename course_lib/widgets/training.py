"""The live training display of the course: ``LivePlot``, a Keras callback (03, 06, 08).

``LivePlot`` draws train and validation loss and accuracy after every epoch and moves a
progress bar after every batch. In a notebook it shows itself once (a progress bar, a
caption and a :class:`~course_lib.widgets.base.FigureImage`) and updates in place: its
lines are made once and only get new data (``set_data``). In a plain script or a test it
shows nothing and just records ``history``.

It only uses the standard hooks, so ``model.fit``, ``cl.train.fit`` and a hand-written
training loop can all drive it::

    plot = cl.widgets.LivePlot()
    model.fit(x, y, epochs=5, validation_split=0.1, callbacks=[plot], verbose=0)

    plot = cl.widgets.LivePlot(epochs=5, steps=len(dataset))  # a custom loop
    plot.on_train_begin()
    for epoch in range(5):
        for step, batch in enumerate(dataset):
            loss = train_step(batch)
            plot.on_train_batch_end(step, {"loss": loss})
        plot.on_epoch_end(epoch, {"loss": loss, "val_loss": ..., "accuracy": ...})
    plot.on_train_end()

It is a callback, not a :class:`~course_lib.widgets.base.CourseWidget`: it has no
controls, only a picture that follows the training.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import ipywidgets as widgets
import keras
import numpy as np

from course_lib.core import Bool, Int, Items, Optional, Text, checked
from course_lib.widgets.base import FigureImage, in_notebook, new_figure

_COLORS = {"train": "tab:blue", "validation": "tab:orange"}


def _to_float(value) -> float:
    """A Python float from a number, a NumPy scalar or a 0-d tensor."""
    if hasattr(value, "numpy"):
        value = value.numpy()
    return float(np.asarray(value).reshape(()))


class LivePlot(keras.callbacks.Callback):
    """Live plot of loss and accuracy per epoch, with a progress bar over the batches.

    Parameters
    ----------
    metrics : the metrics to plot (at most six), one panel each; ``val_<metric>`` goes in
        the same panel.
    show : draw and display in the notebook. ``None`` (default) means "when running in a
        Jupyter kernel"; in scripts and tests nothing is shown, ``history`` is still kept.
    epochs, steps : the number of epochs and of batches per epoch, for the progress bar.
        ``model.fit`` tells the callback both; a custom loop may pass them here.
    title : a line shown above the plot.

    Attributes
    ----------
    history : dict of lists, one float per epoch for every key in the logs
        (``loss``, ``accuracy``, ``val_loss``, ...), like ``keras.callbacks.History``.
    epochs_seen, batches_seen : counters (``batches_seen`` counts the current epoch).
    figure, figure_image : the matplotlib figure and, when shown, its image widget.
    widget : the ``ipywidgets.VBox`` shown in a notebook (progress bar, caption, plot).
    """

    MAX_METRICS = 6  # panels side by side: more would not fit a notebook's width

    @checked(
        metrics=Items(Text(max_length=60), 1, MAX_METRICS),
        show=Optional(Bool()),
        epochs=Optional(Int(1, 10**6)),
        steps=Optional(Int(1, 10**9)),
        title=Text(max_length=1000, empty=True),
    )
    def __init__(
        self,
        metrics: Sequence[str] = ("loss", "accuracy"),
        show: bool | None = None,
        epochs: int | None = None,
        steps: int | None = None,
        title: str = "",
    ):
        super().__init__()
        if len(set(metrics)) != len(metrics):
            raise ValueError(
                f"metrics must be different names such as ['loss', 'accuracy'], got "
                f"{list(metrics)!r}"
            )
        self.metrics = tuple(metrics)
        self.show = in_notebook() if show is None else bool(show)
        self.epochs = None if epochs is None else int(epochs)
        self.steps = None if steps is None else int(steps)
        self.history: dict[str, list[float]] = {}
        self.epochs_seen = 0
        self.batches_seen = 0
        self._displayed = False
        self._last_bar_update = 0.0
        self._start = time.perf_counter()

        self.progress = widgets.IntProgress(
            value=0, min=0, max=1, description="epoch", bar_style="info"
        )
        self.caption = widgets.HTML(title)
        self.figure = new_figure(3.2 * len(self.metrics), 2.6)
        axes = self.figure.subplots(1, len(self.metrics), squeeze=False)[0]
        self.axes = dict(zip(self.metrics, axes, strict=True))
        self.lines = {}
        for metric, ax in self.axes.items():
            for split, prefix in (("train", ""), ("validation", "val_")):
                (line,) = ax.plot([], [], "o-", ms=3, color=_COLORS[split], label=split)
                self.lines[prefix + metric] = line
            ax.set_xlabel("epoch")
            ax.set_title(metric)
            ax.grid(alpha=0.3)
            ax.legend(loc="best", fontsize="small")
        self.figure_image = FigureImage(self.figure) if self.show else None
        children = [self.progress, self.caption]
        if self.figure_image is not None:
            children.append(self.figure_image)
        self.widget = widgets.VBox(children)

    # -- the Keras hooks ---------------------------------------------------------------

    def on_train_begin(self, logs=None):
        params = self.params or {}
        self.epochs = params.get("epochs") or self.epochs
        self.steps = params.get("steps") or self.steps
        self.history = {}
        self.epochs_seen = 0
        self.batches_seen = 0
        self._start = time.perf_counter()
        for line in self.lines.values():
            line.set_data([], [])
        self._update_bar(force=True)
        if self.show and not self._displayed:
            from IPython.display import display

            display(self.widget)
            self._displayed = True

    def on_epoch_begin(self, epoch, logs=None):
        self.batches_seen = 0
        self._update_bar(force=True)

    def on_train_batch_end(self, batch, logs=None):
        self.batches_seen = int(batch) + 1
        if self.steps is not None and self.batches_seen > self.steps:
            self.steps = None  # the loop ran longer than announced: count instead
        self._update_bar()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.epochs_seen = int(epoch) + 1
        if self.steps is None and self.batches_seen:
            self.steps = self.batches_seen  # learned from the first epoch
        for key, value in logs.items():
            try:
                number = _to_float(value)
            except (TypeError, ValueError):
                continue  # not a scalar (e.g. a learning-rate schedule object)
            self.history.setdefault(key, [])
            # Pad a key that appeared late so that every list lines up with the epochs.
            missing = self.epochs_seen - 1 - len(self.history[key])
            self.history[key].extend([float("nan")] * max(missing, 0))
            self.history[key].append(number)
        self._update_lines()
        self._update_bar(force=True)
        self.caption.value = self.summary()
        if self.figure_image is not None:
            self.figure_image.refresh()

    def on_train_end(self, logs=None):
        self.progress.bar_style = "success"
        self.caption.value = self.summary() + " (done)"

    # -- drawing -------------------------------------------------------------------------

    def _update_lines(self) -> None:
        for key, line in self.lines.items():
            values = self.history.get(key, [])
            line.set_data(np.arange(1, len(values) + 1), values)
        for ax in self.axes.values():
            ax.relim()
            ax.autoscale_view()
            ax.set_xlim(0.5, max(self.epochs or 1, self.epochs_seen, 1) + 0.5)

    def _update_bar(self, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now - self._last_bar_update < 0.2:
            return  # at most five updates a second: a message per batch slows training
        self._last_bar_update = now
        steps = self.steps or max(self.batches_seen, 1)
        total = (self.epochs or max(self.epochs_seen + 1, 1)) * steps
        done = min(self.epochs_seen, self.epochs or self.epochs_seen) * steps
        if self.batches_seen and self.batches_seen < steps:
            done += self.batches_seen
        self.progress.max = max(total, 1)
        self.progress.value = min(done, self.progress.max)
        of = f"/{self.epochs}" if self.epochs else ""
        current = min(self.epochs_seen + 1, self.epochs or self.epochs_seen + 1)
        self.progress.description = f"epoch {current}{of}"

    def summary(self) -> str:
        """One line with the last epoch's numbers, e.g. ``epoch 3/5: loss 0.12 ...``."""
        if not self.history:
            return "no epoch finished yet"
        of = f"/{self.epochs}" if self.epochs else ""
        parts = [f"epoch {self.epochs_seen}{of}"]
        plotted = [p + m for m in self.metrics for p in ("", "val_")]
        keys = [k for k in plotted if k in self.history]
        keys += [k for k in self.history if k not in plotted]
        for key in keys:
            if self.history[key]:
                parts.append(f"{key} {self.history[key][-1]:.4f}")
        seconds = time.perf_counter() - self._start
        return ": ".join([parts[0], " · ".join(parts[1:])]) + f" ({seconds:.0f} s)"

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
