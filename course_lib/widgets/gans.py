"""Widget of lecture 19: ``GanExplorer``, walk through the code space of a shipped GAN.

Two seeds give two codes z_A and z_B; the row shows eight digits on the path between
them, the large picture the digit at position t, each with the shipped classifier's
label and confidence. Three sliders shift the first three coordinates of the code.
Nothing is trained: the generator ships in ``datasets/`` (``cl.gans.load_generator``).

Without arguments it runs the shipped generator and classifier with NumPy
(``cl.gans.numpy_generator``, ``cl.models.pretrained_numpy``): the dashboard starts
without TensorFlow. ``SampleGrid``, the Keras callback of lecture 19, is in
``gan_samples.py``.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib.patches import Rectangle

import course_lib as cl
from course_lib.core import Int, Number, Optional, checked
from course_lib.gans import CLASSIFIER, GENERATOR
from course_lib.widgets.base import (
    ChoiceDropdown,
    CourseWidget,
    new_figure,
    set_in_range,
)

STEPS = 8
SHIFTED = 3  # how many code coordinates get a slider
GAP = 6  # pixels between the path's digits


class GanExplorer(CourseWidget):
    """Where does a 3 turn into an 8? Interpolate between two codes of a trained GAN.

    Without arguments: the shipped generator (``cl.data.load_gan_generator()``) and the
    shipped MNIST classifier (``cl.data.load_mnist_convnet()``) as the judge, both run
    by NumPy (``NumpyGenerator``, ``cl.models.pretrained_numpy``).

    Example::

        explorer = cl.widgets.GanExplorer()
        explorer.seed_b.value = 7        # another end point
        explorer.t.value = 0.5           # the digit halfway
        explorer.label                   # what the classifier calls it

    Controls: ``seed_a``, ``seed_b`` (0-99, the two codes), ``t`` (0-1, where on the
    path), ``method`` ("spherical" or "linear" interpolation), ``shifts`` (three sliders,
    -3..3, added to z[0], z[1], z[2]). State: ``code`` (the code on show), ``path``
    (8 codes), ``digit`` (28, 28), ``label``, ``confidence``, ``path_labels``.
    """

    @checked(
        generator=Optional(GENERATOR),
        classifier=Optional(CLASSIFIER),
        seed_a=Int(0, 99),
        seed_b=Int(0, 99),
        t=Number(0, 1),
    )
    def __init__(
        self,
        generator=None,
        classifier=None,
        seed_a: int = 3,
        seed_b: int = 11,
        t: float = 0.5,
    ):
        super().__init__()
        from course_lib import gans

        # the shipped networks run by NumPy: the same numbers as cl.data's Keras ones
        # (to float round-off) without importing TensorFlow
        if generator is None:
            from course_lib.gans.numpy_generator import NumpyGenerator

            generator = NumpyGenerator.from_file()
            self.latent_dim = generator.latent_dim
        else:
            self.latent_dim = int(generator.inputs[0].shape[-1])
        if classifier is None:
            classifier = cl.models.pretrained_numpy("mnist_convnet")
        self.generator = generator
        self.classifier = classifier
        self._gans = gans

        self.seed_a = widgets.IntSlider(0, 0, 99, description="seed A")
        self.seed_b = widgets.IntSlider(1, 0, 99, description="seed B")
        self.t = widgets.FloatSlider(
            0.0, min=0.0, max=1.0, step=0.05, description="t (A→B)"
        )
        set_in_range(self.seed_a, seed_a, "seed_a")
        set_in_range(self.seed_b, seed_b, "seed_b")
        set_in_range(self.t, t, "t")
        self.method = ChoiceDropdown(
            self,
            "method",
            options=["spherical", "linear"],
            value="spherical",
            description="path",
        )
        self.shifts = [
            widgets.FloatSlider(
                0.0, min=-3.0, max=3.0, step=0.25, description=f"z[{i}] +"
            )
            for i in range(min(SHIFTED, self.latent_dim))
        ]
        for slider in (self.seed_a, self.seed_b, self.t, *self.shifts):
            slider.continuous_update = False

        figure = self.use_figure(new_figure(8.0, 3.2))
        big_axes, path_axes = figure.subplots(
            1, 2, gridspec_kw={"width_ratios": [1, 2]}
        )
        blank = np.zeros((28, 28))
        self.big_artist = big_axes.imshow(blank, cmap="gray_r", vmin=0, vmax=1)
        self.big_title = big_axes.set_title("", fontsize=11)
        big_axes.axis("off")
        # The eight path digits as one picture (2 rows of 4): one artist, quick to draw.
        self.path_artist = path_axes.imshow(
            self._path_grid(np.zeros((STEPS, 28, 28))), cmap="gray_r", vmin=0, vmax=1
        )
        path_axes.axis("off")
        path_axes.set_title("the path from A to B (classifier's label)", fontsize=10)
        self.path_titles = []
        for index in range(STEPS):
            row, column = divmod(index, 4)
            self.path_titles.append(
                path_axes.text(
                    column * (28 + GAP) + 14,
                    row * (28 + 2 * GAP) + 27,
                    "",
                    ha="center",
                    va="bottom",
                    fontsize=9,
                )
            )
        self.marker = Rectangle(
            (-0.5, -0.5), 28, 28, fill=False, edgecolor="C3", linewidth=2.5
        )
        path_axes.add_patch(self.marker)
        self.code = np.zeros(self.latent_dim, np.float32)
        self.path = np.zeros((STEPS, self.latent_dim), np.float32)
        self.digit = blank
        self.label, self.confidence = 0, 0.0
        self.path_labels: list[int] = []

        controls = {f"shift{i}": slider for i, slider in enumerate(self.shifts)}
        self.watch(
            seed_a=self.seed_a,
            seed_b=self.seed_b,
            t=self.t,
            method=self.method,
            **controls,
        )
        self.children = [
            widgets.HBox([self.seed_a, self.seed_b, self.t, self.method]),
            widgets.HBox(self.shifts),
            self.figure_image,
            self.caption,
            self.error,
        ]
        self.update()

    def codes(self) -> tuple[np.ndarray, np.ndarray]:
        """The 8 path codes and the code at t, each with the shifts added."""
        gans = self._gans
        z_a = gans.latent_code(self.seed_a.value, self.latent_dim)
        z_b = gans.latent_code(self.seed_b.value, self.latent_dim)
        path = gans.interpolate(z_a, z_b, STEPS, self.method.value)
        # t moves in steps of 0.05: the code at t lies on a 101-point path.
        t = Number(0, 1).check(self.t.value, "t")
        code = gans.interpolate(z_a, z_b, 101, self.method.value)[round(t * 100)]
        shift = np.zeros(self.latent_dim, np.float32)
        shift[: len(self.shifts)] = [
            Number(-3, 3).check(slider.value, f"shift{index} (z[{index}] +)")
            for index, slider in enumerate(self.shifts)
        ]
        return path + shift, code + shift

    @staticmethod
    def _path_grid(digits: np.ndarray) -> np.ndarray:
        """Eight digits in 2 rows of 4, GAP pixels apart (2 GAP between rows, for the
        labels)."""
        grid = np.zeros((2 * 28 + 2 * GAP, 4 * 28 + 3 * GAP), np.float32)
        for index, digit in enumerate(digits):
            row, column = divmod(index, 4)
            top, left = row * (28 + 2 * GAP), column * (28 + GAP)
            grid[top : top + 28, left : left + 28] = digit
        return grid

    def _render(self):
        self.path, self.code = self.codes()
        codes = np.concatenate([self.path, self.code[None]]).astype(np.float32)
        digits = np.asarray(self.generator(codes, training=False))
        probabilities = np.asarray(self.classifier(digits, training=False))
        labels = probabilities.argmax(axis=1)
        confidence = probabilities.max(axis=1)
        self.digit = digits[-1, ..., 0]
        self.label, self.confidence = int(labels[-1]), float(confidence[-1])
        self.path_labels = [int(v) for v in labels[:-1]]
        self.big_artist.set_data(self.digit)
        self.big_title.set_text(
            f"t = {self.t.value:.2f}: a {self.label} ({self.confidence:.0%})"
        )
        nearest = round(float(self.t.value) * (STEPS - 1))
        self.path_artist.set_data(self._path_grid(digits[:STEPS, ..., 0]))
        for index in range(STEPS):
            self.path_titles[index].set_text(
                f"{labels[index]} ({confidence[index]:.0%})"
            )
            self.path_titles[index].set_color("C3" if index == nearest else "black")
        row, column = divmod(nearest, 4)
        self.marker.set_xy((column * (28 + GAP) - 0.5, row * (28 + 2 * GAP) - 0.5))
        changes = sum(a != b for a, b in zip(labels[:-2], labels[1:-1], strict=True))
        self.caption.value = (
            f"Codes of seeds {self.seed_a.value} and {self.seed_b.value} "
            f"({self.method.value} path, {self.latent_dim}-d). The classifier calls the "
            f"digit at t = {self.t.value:.2f} a <b>{self.label}</b> with "
            f"{self.confidence:.0%} confidence; along the path its label changes "
            f"{changes} time{'s' if changes != 1 else ''}."
        )
