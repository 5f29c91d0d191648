"""The widget of lecture 10: ``AugmentationExplorer``, one picture seen through the
Keras 3 augmentation layers.

The compute (``View``, ``augment``, ``random_views``, ``explorer_images``) lives in
``course_lib/augmentation/``; it is NumPy only, so the explorer starts without
TensorFlow, and the tests check that it draws what the Keras layers draw.
"""

from __future__ import annotations

import html

import ipywidgets as widgets
import numpy as np
from matplotlib.gridspec import GridSpec

from course_lib.augmentation import (
    FILL_MODES,
    FLIPS,
    View,
    augment,
    explorer_images,
    random_views,
)
from course_lib.core import (
    Choice,
    Images,
    Instance,
    Int,
    Number,
    Optional,
    Text,
    checked,
    choose,
)
from course_lib.widgets.base import ChoiceDropdown, CourseWidget, new_figure


def _keras_code(view: View, fill_mode: str) -> str:
    """The Keras 3 layers that draw exactly ``view`` (a factor pinned as (a, a))."""
    fill = f', fill_mode="{fill_mode}"'
    lines = []
    if view.flip != "none":
        lines.append(f'RandomFlip("{view.flip}")  # when its coin says flip')
    if view.rotation:
        lines.append(
            f"RandomRotation(({view.rotation:.2f}, {view.rotation:.2f}){fill})"
        )
    if view.zoom:
        lines.append(f"RandomZoom(({view.zoom:.2f}, {view.zoom:.2f}){fill})")
    if view.shift_x or view.shift_y:
        lines.append(
            f"RandomTranslation(({view.shift_y:.2f}, {view.shift_y:.2f}), "
            f"({view.shift_x:.2f}, {view.shift_x:.2f}){fill})"
        )
    if view.contrast != 1:
        lines.append(f"RandomContrast: factor {view.contrast:.2f}")
    return "; ".join(lines) or "no layer: the original"


class AugmentationExplorer(CourseWidget):
    """Turn, zoom, shift, flip and re-contrast a photo or a digit, as the Keras layers do.

    Left: the original. Middle: the view with exactly the values of the sliders (the
    caption gives the Keras layers that draw it). Right: four random views that layers
    with those values as their *factors* could draw, from ``seed`` (change the seed for
    four others; the same seed gives the same four).

    Controls: ``image``, ``rotation`` (a fraction of a full turn, as
    ``keras.layers.RandomRotation`` takes it), ``zoom``, ``shift_x``, ``shift_y``,
    ``flip``, ``contrast``, ``fill_mode`` and ``seed``. State: ``picture`` (the original,
    float 0..1), ``view`` (a ``cl.augmentation.View``), ``augmented`` (the middle
    picture) and ``random`` (the four random views).

    Example::

        explorer = cl.widgets.AugmentationExplorer("digit 6")
        explorer.rotation.value = 0.5      # half a turn: the 6 becomes a 9
    """

    RANDOM_VIEWS = 4
    PICTURE = Images(("HW", "HWC"), channels=3, min_side=2)
    """A picture the explorer shows: gray (H, W) or RGB (H, W, 3)."""

    @checked(
        image=Text(max_length=200),
        images=Optional(Instance(dict, "a dict {name: picture}")),
        rotation=Number(-0.5, 0.5),
        zoom=Number(-0.5, 0.5),
        shift_x=Number(-0.5, 0.5),
        shift_y=Number(-0.5, 0.5),
        flip=Choice(*FLIPS),
        contrast=Number(0, 2),
        fill_mode=Choice(*FILL_MODES),
        seed=Int(0, 99),
        size=Int(8, 1024),
    )
    def __init__(
        self,
        image: str = "digit 6",
        images: dict | None = None,
        rotation: float = 0.0,
        zoom: float = 0.0,
        shift_x: float = 0.0,
        shift_y: float = 0.0,
        flip: str = "none",
        contrast: float = 1.0,
        fill_mode: str = "reflect",
        seed: int = 0,
        size: int = 96,
    ):
        super().__init__()
        raw = explorer_images(size) if images is None else dict(images)
        if not raw:
            raise ValueError("images must hold at least one picture, got {}")
        self.images = {
            str(name): self.PICTURE.check(picture, f"image {name!r}")
            for name, picture in raw.items()
        }
        image = choose(image, list(self.images), "image")
        self.image = ChoiceDropdown(
            self, "image", options=list(self.images), value=image, description="image"
        )

        def slider(low, high, step, description):
            return widgets.FloatSlider(
                0.0,
                min=low,
                max=high,
                step=step,
                description=description,
                continuous_update=False,
                readout_format=".2f",
            )

        self.rotation = slider(-0.5, 0.5, 0.01, "rotation")
        self.zoom = slider(-0.5, 0.5, 0.05, "zoom")
        self.shift_x = slider(-0.5, 0.5, 0.05, "shift x")
        self.shift_y = slider(-0.5, 0.5, 0.05, "shift y")
        self.contrast = slider(0.0, 2.0, 0.1, "contrast")
        for control, value in (
            (self.rotation, rotation),
            (self.zoom, zoom),
            (self.shift_x, shift_x),
            (self.shift_y, shift_y),
            (self.contrast, contrast),
        ):
            control.value = value  # in range: declared above
        self.flip = ChoiceDropdown(
            self, "flip", options=FLIPS, value=flip, description="flip"
        )
        self.fill_mode = ChoiceDropdown(
            self,
            "fill_mode",
            options=FILL_MODES,
            value=fill_mode,
            description="fill mode",
        )
        self.seed = widgets.IntSlider(
            seed, 0, 99, description="seed", continuous_update=False
        )
        self.picture = self.images[image]
        self.view = View()
        self.augmented = self.picture
        self.random: list[View] = []
        self._build_figure()
        self.watch(
            image=self.image,
            rotation=self.rotation,
            zoom=self.zoom,
            shift_x=self.shift_x,
            shift_y=self.shift_y,
            flip=self.flip,
            contrast=self.contrast,
            fill_mode=self.fill_mode,
            seed=self.seed,
        )
        self.children = [
            widgets.HBox([self.image, self.flip, self.fill_mode]),
            widgets.HBox([self.rotation, self.zoom, self.contrast]),
            widgets.HBox([self.shift_x, self.shift_y, self.seed]),
            self.figure_image,
            self.caption,
            self.error,
        ]
        self.update()

    def _build_figure(self) -> None:
        figure = self.use_figure(new_figure(9.6, 3.2), jpeg=True)
        figure.set_layout_engine("none")  # fixed: nothing in it changes size
        grid = GridSpec(
            2,
            4,
            figure=figure,
            width_ratios=[2, 2, 1, 1],
            left=0.01,
            right=0.99,
            bottom=0.02,
            top=0.99,
            wspace=0.05,
            hspace=0.08,
        )
        self.axes_original = figure.add_subplot(grid[:, 0])
        self.axes_view = figure.add_subplot(grid[:, 1])
        self.axes_random = [
            figure.add_subplot(grid[r, 2 + c]) for r in (0, 1) for c in (0, 1)
        ]
        blank = np.zeros((2, 2, 3), np.uint8)
        self.artists = {}
        for name, axes in (
            ("original", self.axes_original),
            ("view", self.axes_view),
            *((f"random {i}", a) for i, a in enumerate(self.axes_random)),
        ):
            self.artists[name] = axes.imshow(blank, interpolation="nearest")
            axes.set_axis_off()

    def _show(self, name: str, picture: np.ndarray) -> None:
        """Show a 0..1 picture as 8-bit RGB (no colour map to apply at draw time)."""
        artist = self.artists[name]
        pixels = np.round(np.clip(picture, 0, 1) * 255).astype(np.uint8)
        if pixels.ndim == 2:
            pixels = np.repeat(pixels[:, :, np.newaxis], 3, axis=2)
        height, width = pixels.shape[:2]
        if artist.get_array().shape[:2] != (height, width):
            artist.set_extent((-0.5, width - 0.5, height - 0.5, -0.5))
            artist.axes.set_xlim(-0.5, width - 0.5)
            artist.axes.set_ylim(height - 0.5, -0.5)
        artist.set_data(pixels)

    def _render(self) -> None:
        self.picture = self.images[self.image.value]
        fill = self.fill_mode.value
        self.view = View(
            flip=self.flip.value,
            rotation=self.rotation.value,
            zoom=self.zoom.value,
            shift_x=self.shift_x.value,
            shift_y=self.shift_y.value,
            contrast=self.contrast.value,
        )
        self.augmented = augment(self.picture, self.view, fill)
        self.random = random_views(
            self.RANDOM_VIEWS,
            seed=self.seed.value,
            rotation=self.rotation.value,
            zoom=self.zoom.value,
            shift_x=self.shift_x.value,
            shift_y=self.shift_y.value,
            flip=self.flip.value,
            contrast=abs(self.contrast.value - 1),
        )
        self._show("original", self.picture)
        self._show("view", self.augmented)
        for i, view in enumerate(self.random):
            self._show(f"random {i}", augment(self.picture, view, fill))
        first = self.random[0]
        self.caption.value = (
            "Left: the original; middle: this view; right: four random views.<br>"
            f"<b>This view</b>: {html.escape(self.view.describe())}. Keras 3: "
            f"<code>{html.escape(_keras_code(self.view, fill))}</code>.<br>"
            f"<b>Random views</b> from layers with these factors "
            f"(rotation ±{abs(self.rotation.value):.2f} turn, zoom "
            f"±{abs(self.zoom.value):.2f}, shift ±{abs(self.shift_x.value):.2f} × "
            f"±{abs(self.shift_y.value):.2f}, flip {self.flip.value}, contrast "
            f"1 ± {abs(self.contrast.value - 1):.1f}), seed {self.seed.value}; the "
            f"top-left one is {html.escape(first.describe())}."
        )
