"""``SampleGrid``, the Keras callback of lecture 19: the digits of the same codes after
every epoch of a GAN's training (``cl.gans.train_gan(..., callbacks=[SampleGrid()])``).

Apart from ``gans.py`` (the GAN dashboard's widget) because it imports Keras, which the
dashboard does not need.
"""

from __future__ import annotations

import keras
import numpy as np

from course_lib.core import SEED, Bool, Int, Optional, checked
from course_lib.widgets.base import FigureImage, in_notebook, new_figure


class SampleGrid(keras.callbacks.Callback):
    """A live grid of generated digits, redrawn after every epoch: a Keras callback.

    Give it to ``cl.gans.train_gan(x, callbacks=[SampleGrid()])`` (or to the ``fit`` of
    any model with a ``generator``, or of a generator itself). After each epoch it
    draws the digits of the same ``count`` codes (``cl.gans.latent_codes(count,
    latent_dim, seed)``; with ``seed`` equal to ``train_gan``'s they are the codes of
    ``run.snapshots``). In a notebook it shows itself at the first epoch; elsewhere it
    only keeps ``images``.
    """

    @checked(count=Int(1, 256), columns=Int(1, 64), seed=SEED, show=Optional(Bool()))
    def __init__(self, count: int = 16, columns: int = 8, seed: int = 0, show=None):
        super().__init__()
        self.count, self.columns, self.seed = count, columns, seed
        self.show = in_notebook() if show is None else show
        self.figure = new_figure(6.4, 1.9)
        self.axes = self.figure.subplots()
        self.axes.axis("off")
        self.artist = None
        self.title = self.axes.set_title("", fontsize=10)
        self.images: np.ndarray | None = None
        self.figure_image = FigureImage(self.figure) if self.show else None
        self._displayed = False

    def on_epoch_end(self, epoch, logs=None):
        from course_lib import gans

        logs = logs or {}
        generator = getattr(self.model, "generator", self.model)
        latent_dim = int(generator.inputs[0].shape[-1])
        codes = gans.latent_codes(self.count, latent_dim, self.seed)
        self.images = gans.generate(generator, codes)
        grid = gans.image_grid(self.images, self.columns)
        if self.artist is None:
            self.artist = self.axes.imshow(grid, cmap="gray_r", vmin=0, vmax=1)
        else:
            self.artist.set_data(grid)
        epochs = (self.params or {}).get("epochs")
        of = f"/{epochs}" if epochs else ""
        self.title.set_text(
            f"the same {len(self.images)} codes after epoch {epoch + 1}{of}: "
            f"D(real) {float(logs.get('d_real', float('nan'))):.2f}, "
            f"D(fake) {float(logs.get('d_fake', float('nan'))):.2f}"
        )
        if self.figure_image is not None:
            self.figure_image.refresh()
            if not self._displayed:
                from IPython.display import display

                display(self.figure_image)
                self._displayed = True
