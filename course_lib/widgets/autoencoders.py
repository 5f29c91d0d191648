"""Widget of lecture 18: ``LatentExplorer``, a point in a VAE's 2-D latent plane and the
digit decoded from it.

Left: the codes (``z_mean``) of the 1,000 bundled test digits, coloured by class, and a
cross at the point chosen with the sliders ``z1`` and ``z2``. Right: the digit the
decoder draws for that point. The model is the shipped 2-D VAE
(``course_lib/data/files/vae_2d.npy``, made by ``datasets/build_vae.py``), run in NumPy
(``cl.autoencoders.encode_numpy`` / ``decode_numpy``): nothing is trained and TensorFlow
is not started, so the widget builds in a fraction of a second and redraws in a few ms.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

import course_lib as cl
from course_lib.autoencoders import DIGITS, WEIGHTS
from course_lib.core import Int, Labels, Number, Optional, check_int, checked
from course_lib.widgets.base import CourseWidget, new_figure, set_in_range

LIMIT = 3.0
"""The sliders span -3..3: three standard deviations of the prior N(0, 1)."""


def _test_digits():
    from course_lib.data import load_mnist

    (_, _), (images, labels) = load_mnist()
    return images, labels


def _codes_picture(codes: np.ndarray, labels: np.ndarray, pixels: int = 240):
    """The codes as dots coloured by class, each class's name at its median code,
    on the square -LIMIT..LIMIT, as an RGBA array ``(pixels, pixels, 4)``."""
    figure = new_figure(pixels / 80, pixels / 80, dpi=80)
    figure.set_layout_engine("none")
    axes = figure.add_axes((0, 0, 1, 1))
    axes.scatter(
        codes[:, 0],
        codes[:, 1],
        c=labels,
        cmap="tab10",
        vmin=-0.5,
        vmax=9.5,
        s=6,
        alpha=0.6,
        linewidths=0,
    )
    for label in np.unique(labels):
        centre = np.median(codes[labels == label], axis=0)
        if np.all(np.abs(centre) < LIMIT):
            axes.text(
                *centre,
                str(label),
                fontsize=12,
                weight="bold",
                ha="center",
                va="center",
                bbox=dict(boxstyle="round,pad=0.15", fc="white", alpha=0.7),
            )
    axes.set_xlim(-LIMIT, LIMIT)
    axes.set_ylim(-LIMIT, LIMIT)
    axes.axis("off")
    figure.canvas.draw()
    return np.asarray(figure.canvas.buffer_rgba()).copy()


class LatentExplorer(CourseWidget):
    """Slide anywhere in a VAE's 2-D latent plane and see the digit decoded there.

    Without arguments: the shipped 2-D VAE and the bundled test digits.

    Example::

        explorer = cl.widgets.LatentExplorer()
        explorer.z1.value, explorer.z2.value = 1.0, -0.5
        explorer.vote          # the class most of the 10 nearest test codes have

    Controls: ``z1``, ``z2`` (the point, -3..3), ``digit`` (type the index of a test
    digit to jump to its code; -1 for none). State: ``codes`` (N, 2) the test digits'
    ``z_mean``, ``labels``, ``image`` (28, 28) the decoded digit on show,
    ``neighbours`` the labels of the ``k`` test codes nearest the point, ``vote`` the
    most common of them.
    """

    @checked(
        weights=Optional(WEIGHTS),
        images=Optional(DIGITS),
        labels=Optional(Labels(10)),
        z1=Number(-LIMIT, LIMIT),
        z2=Number(-LIMIT, LIMIT),
        k=Int(1, 10_000),
    )
    def __init__(
        self,
        weights=None,
        images=None,
        labels=None,
        z1: float = 0.0,
        z2: float = 0.0,
        k: int = 10,
    ):
        super().__init__()
        from course_lib import autoencoders

        if images is None and labels is not None:
            raise ValueError(
                "labels need their images: pass images=... too (without both, the "
                "bundled test digits and their labels are shown)"
            )
        self.weights = cl.data.load_vae_weights() if weights is None else weights
        if images is None:
            images, labels = _test_digits()
        self.codes, _ = autoencoders.encode_numpy(self.weights, images)
        if self.codes.shape[1] != 2:
            raise ValueError(
                "weights must be a VAE with a 2-D latent space (LatentExplorer shows "
                f"a plane), got {self.codes.shape[1]}-D"
            )
        self.labels = np.zeros(len(self.codes), int) if labels is None else labels
        if self.labels.shape != (len(self.codes),):
            raise ValueError(
                f"labels must be one per image ({len(self.codes)}), got "
                f"{len(self.labels)}"
            )
        if k > len(self.codes):
            raise ValueError(
                f"k must be at most the number of images ({len(self.codes)}), got {k}"
            )
        self.k = k
        self._decode = autoencoders.decode_numpy
        self.image = np.zeros((28, 28), np.float32)
        self.neighbours = np.zeros(self.k, int)
        self.vote = 0

        slider = dict(min=-LIMIT, max=LIMIT, step=0.05, readout_format=".2f")
        self.z1 = widgets.FloatSlider(0.0, description="z1", **slider)
        self.z2 = widgets.FloatSlider(0.0, description="z2", **slider)
        set_in_range(self.z1, z1, "z1")
        set_in_range(self.z2, z2, "z2")
        self.digit = widgets.IntText(
            -1, description="go to digit", style={"description_width": "initial"}
        )
        self.digit.layout.width = "150px"

        figure = self.use_figure(new_figure(7.2, 3.6))
        plane, digit = figure.subplots(1, 2, width_ratios=[1.25, 1])
        # The 1,000 codes and the class names never change: drawn once into a picture
        # that every render shows as one image (redrawing them each time is slower).
        plane.imshow(
            _codes_picture(self.codes, self.labels),
            extent=(-LIMIT, LIMIT, -LIMIT, LIMIT),
            interpolation="antialiased",
        )
        (self.marker,) = plane.plot([0], [0], "k+", ms=18, mew=2.5)
        plane.set_xlim(-LIMIT, LIMIT)
        plane.set_ylim(-LIMIT, LIMIT)
        plane.set_xticks([-3, -2, -1, 0, 1, 2, 3])
        plane.set_yticks([-3, -2, -1, 0, 1, 2, 3])
        plane.set_xlabel("z1")
        plane.set_ylabel("z2")
        plane.set_title("test digits' codes (z_mean), by class", fontsize=10)
        self.digit_artist = digit.imshow(self.image, cmap="gray", vmin=0, vmax=1)
        self.digit_title = digit.set_title("", fontsize=10)
        digit.axis("off")

        self.watch(z1=self.z1, z2=self.z2)
        self.watch(self._go_to_digit, digit=self.digit)
        self.children = [
            widgets.HBox([self.z1, self.z2, self.digit]),
            self.figure_image,
            self.caption,
            self.error,
        ]
        self.update()

    def _go_to_digit(self, change=None) -> None:
        """Move the point to the code of test digit ``digit`` (-1: stay where it is)."""
        index = check_int(self.digit.value, "the digit", -1, len(self.codes) - 1)
        if index >= 0:
            z1, z2 = np.clip(self.codes[index], -LIMIT, LIMIT)
            self.z1.value, self.z2.value = round(float(z1), 2), round(float(z2), 2)

    @property
    def point(self) -> np.ndarray:
        """The chosen point (z1, z2)."""
        within = Number(-LIMIT, LIMIT)
        return np.array(
            [within.check(self.z1.value, "z1"), within.check(self.z2.value, "z2")],
            np.float32,
        )

    def _render(self):
        point = self.point
        self.image = self._decode(self.weights, point[None])[0]
        distances = np.sum((self.codes - point) ** 2, axis=1)
        nearest = np.argsort(distances, kind="stable")[: self.k]
        self.neighbours = self.labels[nearest]
        counts = np.bincount(self.neighbours, minlength=10)
        self.vote = int(counts.argmax())
        self.marker.set_data([point[0]], [point[1]])
        self.digit_artist.set_data(self.image)
        self.digit_title.set_text(f"decoded at ({point[0]:.2f}, {point[1]:.2f})")
        runner_up = int(
            np.argsort(np.where(np.arange(10) == self.vote, -1, counts))[-1]
        )
        self.caption.value = (
            f"z = ({point[0]:.2f}, {point[1]:.2f}): of the {self.k} nearest test "
            f"codes, {counts[self.vote]} are <b>{self.vote}</b>s"
            + (f", {counts[runner_up]} are {runner_up}s" if counts[runner_up] else "")
            + f"; the nearest is at distance {np.sqrt(distances[nearest[0]]):.2f}."
        )
        index = check_int(self.digit.value, "the digit", -1, len(self.codes) - 1)
        if index >= 0:
            z1, z2 = self.codes[index]
            self.caption.value += (
                f" Test digit {index} is a {self.labels[index]}; its code is "
                f"({z1:.2f}, {z2:.2f})."
            )
