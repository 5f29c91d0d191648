"""The widget contract, for every widget in ``cl.widgets``: one generic test, plus the
base class's own rules (error banner, stale picture, strict mode).

A new widget is covered by being listed in ``cl.widgets.WIDGETS``, nothing more.
"""

from __future__ import annotations

import io
import math

import ipywidgets as widgets
import numpy as np
import pytest

import course_lib as cl
from course_lib.widgets.base import (
    CourseWidget,
    control_ends,
    figure_to_png,
    new_figure,
)

COURSE_WIDGETS = [
    name
    for name in cl.widgets.WIDGETS
    if isinstance(getattr(cl.widgets, name), type)
    and issubclass(getattr(cl.widgets, name), CourseWidget)
]
FREE_INPUT_BAD_VALUES = {
    widgets.Text: "???",
    widgets.IntText: -1_000_000,
    widgets.FloatText: math.nan,
}


def test_every_export_is_a_course_widget_or_a_callback():
    import keras

    for name in cl.widgets.WIDGETS:
        obj = getattr(cl.widgets, name)
        assert issubclass(obj, CourseWidget) or issubclass(
            obj, keras.callbacks.Callback
        ), name
    assert len(COURSE_WIDGETS) >= 12


def _wrong_values(control) -> list:
    """Values a student might type that the control cannot take."""
    from ipywidgets.widgets.widget_selection import _Selection

    if isinstance(control, _Selection):
        return ["no such option", None]
    if isinstance(control, widgets.Checkbox | widgets.ToggleButton):
        return ["maybe", None]
    if isinstance(control, widgets.Text):
        return [3, None]
    if hasattr(control, "value") and isinstance(control.value, int | float):
        return [math.nan, "ten", None]
    return []


def _another(value) -> list:
    """A second valid value for a free-input control, next to ``value``."""
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return [value + 1]
    if isinstance(value, float):
        return [value + 0.5]
    if isinstance(value, str):
        return [value + " "]
    return []


@pytest.mark.parametrize("name", COURSE_WIDGETS)
def test_every_control_answers_a_wrong_value_in_the_banner(name, monkeypatch):
    """Issue 33: an unknown option, NaN, text for a number, a non-bool for a checkbox:
    the banner names the control in the student's words and the value stays; a number
    beyond a slider's end is taken as the end. Never a traitlets or numpy message."""
    from clear_errors import unclear_reason

    monkeypatch.setenv("COURSE_STRICT_WIDGETS", "1")
    widget = getattr(cl.widgets, name)()
    problems = []

    def attempt(control_name, control, value, what):
        try:
            control.value = value
        except Exception as error:  # noqa: BLE001 - any escape is the finding
            problems.append(f"{control_name} = {what} raised {error!r:.200}")
            return None
        message = widget.error.message
        if message and unclear_reason(message):
            problems.append(f"{control_name} = {what}: {message}")
        return message

    for control_name, control in list(widget.controls.items()):
        original = control.value
        ends = [v for v in control_ends(control) if v != original]
        for wrong in _wrong_values(control):
            message = attempt(control_name, control, wrong, repr(wrong))
            if message is None:
                continue
            taken = control.value is wrong
            if taken and not message:
                problems.append(f"{control_name} = {wrong!r} taken without a word")
            names = {control_name, getattr(control, "_course_name", control_name)}
            same = str(wrong).casefold() == str(control.value).casefold()  # "None"
            if not taken and not same and not any(n in message for n in names):
                problems.append(f"{control_name} = {wrong!r} refused without naming it")
            # another valid value, then the first, clear the banner
            others = ends[:1] or _another(original)
            if not others or getattr(control, "min", 0) == getattr(control, "max", 1):
                continue  # a control with one possible value: nothing else to set
            for value in [*others, original]:
                attempt(control_name, control, value, f"{value!r} (valid)")
            if widget.error.message:
                problems.append(f"{control_name} back: {widget.error.message}")
        number = isinstance(control.value, int | float) and not isinstance(
            control.value, bool
        )
        if hasattr(control, "max") and number:
            attempt(control_name, control, control.max * 10 + 10**6, "beyond its end")
            attempt(control_name, control, original, f"{original!r} (valid)")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", COURSE_WIDGETS)
def test_every_control_works_at_its_ends(name, monkeypatch):
    monkeypatch.setenv("COURSE_STRICT_WIDGETS", "1")
    widget = getattr(cl.widgets, name)()
    assert widget.error.message == "", widget.error.message
    assert widget.controls, f"{name} registers no controls with watch()"
    assert widget.figure_image is not None and widget.figure_image.value
    assert widget.error in _descendants(widget), "the banner is not shown"
    changed = []
    for control_name, control in list(widget.controls.items()):
        original = control.value
        for value in control_ends(control):
            before = widget.figure_image.value
            control.value = value
            assert widget.error.message == "", (
                f"{name}.{control_name} = {value!r}: {widget.error.message}"
            )
            if widget.figure_image.value != before:
                changed.append(control_name)
        bad = next(
            (v for kind, v in FREE_INPUT_BAD_VALUES.items() if type(control) is kind),
            None,
        )
        bad = next(
            (
                v
                for k, v in FREE_INPUT_BAD_VALUES.items()
                if k.__name__ == type(control).__name__
            ),
            bad,
        )
        if bad is not None:
            control.value = bad
            assert widget.error.message, (
                f"{name}.{control_name} = {bad!r} shows no error"
            )
            assert widget.stale
        control.value = original
        assert widget.error.message == "", (
            f"{name}.{control_name} back to {original!r}: {widget.error.message}"
        )
    assert changed, f"no control of {name} changes the picture"


def _descendants(widget) -> list:
    found = []
    for child in getattr(widget, "children", ()):
        found.append(child)
        found.extend(_descendants(child))
    return found


# -- the base class's rules, on a small widget written for the test -----------------------


class Squares(CourseWidget):
    """y = x**power on 0..n; power 3 is "forbidden" (a ValueError), power 4 a bug."""

    def __init__(self):
        super().__init__()
        self.n = widgets.IntSlider(3, 1, 9)
        self.power = widgets.IntSlider(2, 1, 4)
        self.renders = 0
        self.use_figure(new_figure(2, 2))
        self.axes = self.figure.subplots()
        (self.line,) = self.axes.plot([], [])
        self.watch(self._on_n, n=self.n)
        self.watch(power=self.power)
        self.children = [self.n, self.power, self.figure_image, self.error]
        self.update()

    def _on_n(self, change):
        self.power.value = 1  # set by the widget itself: must not render twice

    def _render(self):
        self.renders += 1
        if self.power.value == 3:
            raise ValueError("power 3 is not allowed here")
        if self.power.value == 4:
            raise KeyError("a bug")
        xs = np.arange(self.n.value + 1)
        self.line.set_data(xs, xs**self.power.value)
        self.axes.relim()
        self.axes.autoscale_view()


def test_a_handler_that_sets_a_control_renders_once():
    widget = Squares()
    renders = widget.renders
    widget.n.value = 5
    assert widget.renders == renders + 1 and widget.power.value == 1


def test_the_banner_stays_while_the_state_is_invalid(monkeypatch):
    monkeypatch.delenv("COURSE_STRICT_WIDGETS", raising=False)
    widget = Squares()
    picture = widget.figure_image.value
    widget.power.value = 3
    assert "power 3" in widget.error.message and widget.stale
    assert widget.figure_image.layout.opacity == "0.35"
    assert widget.figure_image.value == picture  # the old picture, marked stale
    widget.n.value = 9  # the handler resets power to 1: the whole state is valid again
    assert widget.error.message == "" and not widget.stale
    assert widget.figure_image.value != picture


def test_a_bug_is_shown_to_a_student_but_raised_under_the_tests(monkeypatch):
    monkeypatch.delenv("COURSE_STRICT_WIDGETS", raising=False)
    widget = Squares()
    widget.power.value = 4
    assert widget.error.message.startswith("KeyError")
    assert "Traceback" in widget.last_traceback
    widget.power.value = 2
    monkeypatch.setenv("COURSE_STRICT_WIDGETS", "1")
    with pytest.raises(KeyError):
        widget.power.value = 4


class Bars(CourseWidget):
    """Three bars whose heights follow a slider, drawn over a saved picture of the
    rest (``FigureImage.animate``); the title is part of that saved picture."""

    def __init__(self):
        super().__init__()
        self.height = widgets.FloatSlider(0.5, min=0.0, max=1.0)
        self.use_figure(new_figure(3, 2))
        self.axes = self.figure.subplots()
        self.axes.set_ylim(0, 1)
        self.bars = self.axes.bar(range(3), [0, 0, 0])
        self.figure_image.animate(*self.bars, *self.axes.spines.values())
        self.watch(height=self.height)
        self.children = [self.height, self.figure_image, self.error]
        self.update()

    def _render(self):
        for n, bar in enumerate(self.bars):
            bar.set_height(self.height.value * (n + 1) / 3)


def _pixels(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def test_animated_artists_are_drawn_over_the_rest_as_in_a_whole_drawing():
    widget = Bars()
    for height in (1.0, 0.2, 0.7):
        widget.height.value = height
        assert np.array_equal(
            _pixels(widget.figure_image.value), _pixels(figure_to_png(widget.figure))
        )
    picture = widget.figure_image.value
    widget.update()  # nothing changed: the same picture, not drawn again
    assert widget.figure_image.value is picture or widget.figure_image.value == picture
    widget.axes.set_title("a title")  # not animated: the saved picture is redrawn
    widget.update()
    assert widget.figure_image.value != picture
    assert np.array_equal(
        _pixels(widget.figure_image.value), _pixels(figure_to_png(widget.figure))
    )
