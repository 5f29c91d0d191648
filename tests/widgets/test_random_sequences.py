"""Random sequences of control changes, for every widget in ``cl.widgets.WIDGETS``.

After each sequence (seeded: ends, values between and, for free input, bad values) the
widget must show what a fresh widget shows when it is given the same control values:

- the banner is empty exactly when the fresh widget's is (the same message otherwise);
- when it is empty, the pictures and the lines of text are the same, pixel for pixel,
  and every control offers the same choices (options, ends);
- when it is not, the picture is marked stale.

So neither the banner nor the picture depends on the way the state was reached.
"""

from __future__ import annotations

import io
import math
import zlib

import ipywidgets as widgets
import numpy as np
import pytest
from PIL import Image

import course_lib as cl
from course_lib import zoo
from course_lib.widgets.base import (
    STALE_OPACITY,
    CourseWidget,
    FigureImage,
    control_ends,
    figure_to_png,
)

COURSE_WIDGETS = [
    name
    for name in cl.widgets.WIDGETS
    if isinstance(getattr(cl.widgets, name), type)
    and issubclass(getattr(cl.widgets, name), CourseWidget)
]
SEQUENCES = 3  # per widget, seeded by their number and the widget's name
STEPS = 8  # control changes per sequence, checked after 4 and after 8
CHECK_AFTER = (4, 8)
FREE_INPUT = (widgets.Text, widgets.IntText, widgets.FloatText)
BAD_VALUES = {
    widgets.Text: ["???", "", "conv3,,"],
    widgets.IntText: [-1_000_000, 10**9, 0],
    widgets.FloatText: [math.nan, math.inf, -1_000_000.0, 1e9],
}


def _small_networks() -> dict:
    import keras

    def broken():
        raise ValueError("this network cannot be built")

    def pooling_only():
        inputs = keras.Input((8, 8, 1))
        return keras.Model(inputs, keras.layers.MaxPooling2D(2)(inputs))

    def tiny():
        return keras.Sequential(
            [keras.Input((12, 12, 1)), keras.layers.Conv2D(2, 3), keras.layers.Dense(3)]
        )

    return {
        "LeNet-5": zoo.lenet5,
        "tiny": tiny,
        "broken": broken,
        "pooling only": pooling_only,
    }


def _digits_without_threes() -> tuple[np.ndarray, np.ndarray]:
    """40 random digits scaled to 0..1, no 3 among them: choosing 3 is an error."""
    rng = np.random.default_rng(0)
    labels = np.array([d for d in range(10) if d != 3] * 5)[:40]
    return rng.random((40, 28, 28)), labels


SMALL_NETWORKS = _small_networks()  # the same functions for every explorer: built once


def _arguments(name: str) -> dict:
    """Constructor arguments that keep a render quick and make some states invalid
    (the same arguments for the widget and for the fresh one)."""
    if name == "ConvolutionExplorer":
        return {"size": 64}
    if name == "ArchitectureExplorer":  # two of the four networks cannot be shown
        return {"networks": SMALL_NETWORKS}
    if name == "DigitBrowser":
        return dict(zip(("images", "labels"), _digits_without_threes(), strict=True))
    return {}


def _build(name: str) -> CourseWidget:
    return getattr(cl.widgets, name)(**_arguments(name))


# -- random values for a control ------------------------------------------------------


def _between(control, rng) -> object:
    """A random valid value of a control with ends: an option, or one inside the range."""
    if isinstance(control, widgets.Checkbox | widgets.ToggleButton):
        return bool(rng.integers(2))
    if hasattr(control, "options"):
        ends = control_ends(control)
        return ends[rng.integers(len(ends))]
    if isinstance(control, widgets.FloatLogSlider):
        steps = int(round((control.max - control.min) / control.step))
        return float(
            control.base ** (control.min + control.step * rng.integers(steps + 1))
        )
    if isinstance(control.value, float):
        steps = int(round((control.max - control.min) / control.step))
        return round(control.min + control.step * rng.integers(steps + 1), 6)
    return int(rng.integers(control.min, control.max + 1))


def _free_value(control, rng) -> object:
    """A plausible value for a text box: near the current one, or (one time in two)
    a bad one."""
    if rng.random() < 1 / 2:
        bad = BAD_VALUES[next(t for t in BAD_VALUES if isinstance(control, t))]
        return bad[rng.integers(len(bad))]
    if isinstance(control, widgets.FloatText):
        return round(float(rng.uniform(-2, 2)), 1)
    if isinstance(control, widgets.IntText):
        current = control.value if abs(control.value) < 100 else 1
        return int(max(current, 0) + rng.integers(-2, 4))
    tokens = [t.strip() for t in str(control.value).split(",") if t.strip()] or [""]
    picked = rng.choice(tokens, size=rng.integers(1, len(tokens) + 2))
    return ", ".join(str(t) for t in picked)


def _pick_control(widget: CourseWidget, rng) -> str:
    """A control's name; a text box four times in ten (where a bad value can go)."""
    names = list(widget.controls)
    free = [n for n in names if isinstance(widget.controls[n], FREE_INPUT)]
    if free and rng.random() < 0.4:
        return free[rng.integers(len(free))]
    return names[rng.integers(len(names))]


def _random_value(control, rng) -> object:
    if isinstance(control, FREE_INPUT):
        return _free_value(control, rng)
    ends = control_ends(control)
    if rng.random() < 0.5 and ends:
        return ends[rng.integers(len(ends))]
    return _between(control, rng)


# -- replaying a state on a fresh widget ------------------------------------------------


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    return type(a) is type(b) and a == b if isinstance(a, bool) else a == b


def _replay(widget: CourseWidget, state: dict) -> None:
    """Set the controls of ``widget`` to ``state``: in the order they were registered
    (a control that sets others, such as a preset, comes first), text boxes last (a bad
    value there must not stop the sliders after it from taking their values); again
    until nothing changes, as a handler may have moved a control set before."""
    names = list(widget.controls)
    order = [n for n in names if not isinstance(widget.controls[n], FREE_INPUT)]
    order += [n for n in names if isinstance(widget.controls[n], FREE_INPUT)]
    for _ in range(3):
        changed = False
        for name in order:
            control = widget.controls[name]
            if not _same(control.value, state[name]):
                control.value = state[name]
                changed = True
        if not changed:
            return
    wrong = {
        n: (c.value, state[n])
        for n, c in widget.controls.items()
        if not _same(c.value, state[n])
    }
    raise AssertionError(f"a fresh widget cannot reach the state: {wrong}")


# -- what a person sees ------------------------------------------------------------------


def _descendants(widget) -> list:
    found = []
    for child in getattr(widget, "children", ()):
        found.append(child)
        found.extend(_descendants(child))
    return found


def _close(widget: CourseWidget) -> None:
    """Close a widget and all its parts: ipywidgets keeps every open widget alive."""
    parts = [widget, *_descendants(widget), *widget.controls.values()]
    for part in dict.fromkeys(parts):
        for piece in (
            part,
            getattr(part, "layout", None),
            getattr(part, "style", None),
        ):
            if isinstance(piece, widgets.Widget):
                piece.close()


def _pixels(image: FigureImage) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(image.value)).convert("RGB"), dtype=int)


def _pictures(widget: CourseWidget) -> list[np.ndarray]:
    images = [widget.figure_image] + [
        part for part in _descendants(widget) if isinstance(part, FigureImage)
    ]
    return [_pixels(image) for image in dict.fromkeys(images)]


def _texts(widget: CourseWidget) -> list[str]:
    """Every line of HTML shown (captions, tables, sums), the own banner left out."""
    return [
        part.value
        for part in [widget.caption, *_descendants(widget)]
        if isinstance(part, widgets.HTML) and part is not widget.error
    ]


def _ranges(widget: CourseWidget) -> dict:
    """What each control offers: its options, or its ends, and whether it is enabled."""
    return {
        name: (
            control_ends(control) if not isinstance(control, FREE_INPUT) else None,
            control.disabled,
        )
        for name, control in widget.controls.items()
    }


def _check_drawing_again(name: str, widget: CourseWidget) -> None:
    """The same state drawn again gives the same picture. A figure laid out on every
    draw (matplotlib's constrained layout) moves a little each time: lay it out once,
    then ``figure.set_layout_engine("none")``."""
    figure = widget.figure
    drawn = [figure_to_png(figure) for _ in range(2)]
    pixels = [np.asarray(Image.open(io.BytesIO(png)).convert("RGB")) for png in drawn]
    assert np.array_equal(*pixels), (
        f"{name}: each draw moves the picture (layout engine "
        f"{type(figure.get_layout_engine()).__name__})"
    )


def _check_against_a_fresh_widget(name: str, widget: CourseWidget, history) -> None:
    state = {n: c.value for n, c in widget.controls.items()}
    fresh = _build(name)
    _replay(fresh, state)
    where = f"{name} after {history}"
    try:
        _compare(widget, fresh, where)
    finally:
        _close(fresh)


def _compare(widget: CourseWidget, fresh: CourseWidget, where: str) -> None:
    assert widget.error.message == fresh.error.message, where
    if fresh.error.message:
        assert widget.stale, where
        assert widget.figure_image.layout.opacity == STALE_OPACITY, where
        return
    assert not widget.stale and widget.figure_image.layout.opacity is None, where
    assert _texts(widget) == _texts(fresh), where
    assert _ranges(widget) == _ranges(fresh), where
    for mine, theirs in zip(_pictures(widget), _pictures(fresh), strict=True):
        assert mine.shape == theirs.shape, where
        differ = np.abs(mine - theirs).max(axis=-1) > 8  # JPEG: tiny differences
        assert differ.mean() < 1e-4, f"{where}: {differ.sum()} pixels differ"


@pytest.mark.parametrize("name", COURSE_WIDGETS)
def test_a_random_sequence_of_changes_shows_what_a_fresh_widget_shows(
    name, monkeypatch
):
    monkeypatch.setenv("COURSE_STRICT_WIDGETS", "1")  # a bug raises, never hides
    for seed in range(SEQUENCES):
        rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
        widget = _build(name)
        if seed == 0:
            _check_drawing_again(name, widget)
        history = []
        for step in range(1, STEPS + 1):
            control_name = _pick_control(widget, rng)
            value = _random_value(widget.controls[control_name], rng)
            history.append((control_name, value))
            widget.controls[control_name].value = value
            if step in CHECK_AFTER:
                _check_against_a_fresh_widget(name, widget, history)
        _close(widget)


def test_the_check_sees_a_stale_picture_beside_an_empty_banner():
    """The comparison itself can fail: a widget that forgets a change is caught."""
    widget = _build("NeuronExplorer")
    widget.error.clear()
    widget._render = lambda: None  # a render that draws nothing new
    widget.weight.value = 3.0
    with pytest.raises(AssertionError, match="NeuronExplorer after"):
        _check_against_a_fresh_widget("NeuronExplorer", widget, [("weight", 3.0)])
