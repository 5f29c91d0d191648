"""The widget contract: every course widget is a :class:`CourseWidget`.

A course widget is a box with the same parts under the same names:

- ``figure`` / ``figure_image``: a matplotlib figure (no pyplot state) shown as an image;
- ``caption``: a line of HTML under the picture;
- ``error``: a red banner, empty when all is well;
- ``controls``: the sliders, dropdowns and text boxes, by name (filled by :meth:`watch`).

Every change of a control goes through one wrapper, :meth:`CourseWidget.update`:
it runs the control's own handler (if any, e.g. a preset that fills the kernel cells),
then ``_render()``, which draws the picture from the *whole* current state by updating
artists made once (``set_data``, ``set_text``; no ``cla()``). If either step raises, the
banner shows the message and the picture is dimmed as stale; the banner clears only when a
render of the whole state succeeds. A ``ValueError`` is the student's doing and is shown as
it is; anything else is a bug: its type and message are shown and the traceback is kept in
``last_traceback``. Under the test suite (``COURSE_STRICT_WIDGETS=1``) a bug is raised
instead, so that a broken widget fails the notebook that uses it.

``hold()`` batches the messages to the browser (ipywidgets' ``hold_sync``) and guards
against re-entry: controls set by the widget itself inside a handler do not trigger
another render. The figure is sent as PNG (or JPEG for photos), which works the same in
JupyterLab, in Voila, in plain pytest and in the browser tests.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import html
import io
import math
import numbers
import os
import traceback
from collections.abc import Callable, Hashable, Iterator

import ipywidgets as widgets
import PIL.Image
import traitlets
from ipywidgets.widgets.widget_selection import _Selection
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from course_lib.core import Anything, Bool, Instance, Int, Number, Text, checked

FIGURE = Instance(
    Figure,
    "a matplotlib Figure (make one with new_figure)",
    example=lambda: new_figure(1, 1),
)
CONTROL = Instance(
    widgets.ValueWidget, "an ipywidgets control", example=lambda: widgets.IntSlider()
)

STALE_OPACITY = "0.35"


@checked()
def in_notebook() -> bool:
    """True inside a Jupyter kernel, where widgets can be shown (a script prints)."""
    from IPython import get_ipython

    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


@checked()
def strict() -> bool:
    """True when widget bugs must raise (the test suite sets ``COURSE_STRICT_WIDGETS=1``)."""
    return os.environ.get("COURSE_STRICT_WIDGETS", "").strip() in {"1", "true", "yes"}


@checked(width=Number(0.5, 40), height=Number(0.5, 40), dpi=Int(20, 600))
def new_figure(width: float = 6.0, height: float = 3.0, dpi: int = 80) -> Figure:
    """A matplotlib Figure that is not registered with pyplot (no global state, no leaks)."""
    figure = Figure(figsize=(width, height), dpi=dpi, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


@checked(figure=FIGURE)
def figure_to_png(figure: Figure) -> bytes:
    """Render a figure to PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")  # as saved: with the animated artists too
    return buffer.getvalue()


@checked(figure=FIGURE, quality=Int(1, 100))
def figure_to_jpeg(figure: Figure, quality: int = 90) -> bytes:
    """Render a figure to JPEG bytes (a photo encodes about 10x faster than as PNG)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="jpeg", pil_kwargs={"quality": quality})
    return buffer.getvalue()


class FigureImage(widgets.Image):
    """An image widget that shows a matplotlib figure; call ``refresh()`` after changing it.

    ``jpeg=True`` sends JPEG instead of PNG: use it for figures that are mostly photos.

    Artists passed to :meth:`animate` are drawn over a saved picture of the rest of the
    figure (matplotlib's blitting): a change of those artists only redraws them, while a
    change of anything else (a title, the axes limits) makes the figure stale and redraws
    the whole picture once, saving it again. Text is what costs most to draw, so a
    widget whose controls move lines, bars, patches or an image under fixed axes is
    redrawn several times faster.
    """

    KEPT = 32  # pictures kept by key (see refresh)

    @checked(figure=FIGURE, jpeg=Bool(), kwargs=Anything("ipywidgets Image options"))
    def __init__(self, figure: Figure, jpeg: bool = False, **kwargs):
        super().__init__(format="jpeg" if jpeg else "png", **kwargs)
        self.figure = figure
        self.jpeg = jpeg
        self.animated: list[Artist] = []
        self._parts: list[Artist] = []  # the animated artists and all their parts
        self._background = None  # (renderer, saved region) of the figure without them
        self.key: Hashable | None = None
        self._pictures: dict[Hashable, bytes] = {}
        # Show the picture at its own size (never stretched), shrinking on narrow screens.
        self.width = str(round(figure.get_figwidth() * figure.dpi))
        self.layout.max_width = "100%"
        self.refresh()

    def animate(self, *artists: Artist) -> None:
        """Draw ``artists`` over a saved picture of the rest of the figure (see above)."""
        for artist in artists:
            # its parts too (a legend's texts): a change of theirs must not reach the axes
            for part in artist.findobj():
                part.set_animated(True)
                self._parts.append(part)
            self.animated.append(artist)
        self._background = None
        self.figure.stale = True

    def refresh(self) -> None:
        """Send the figure as it is now (nothing to do when no artist changed).

        When the widget has set ``key`` (a hashable value that decides the whole
        picture, e.g. the network shown), the picture drawn for that key is kept and
        sent again, without drawing, when the key comes back (the last ``KEPT`` keys).
        """
        moving = any(part.stale for part in self._parts)
        if self.value and not self.figure.stale and not moving:
            return
        if self.key is not None and self.key in self._pictures:
            self.value = self._pictures[self.key]
            return  # the figure stays stale: the next new key draws it whole
        self._draw()
        self.value = _encode(self.figure, self.jpeg)
        if self.key is not None:
            if len(self._pictures) >= self.KEPT:
                del self._pictures[next(iter(self._pictures))]
            self._pictures[self.key] = self.value

    def _draw(self) -> None:
        canvas = self.figure.canvas
        if not self.animated:
            canvas.draw()
            return
        renderer = canvas.get_renderer()
        saved = self._background
        if saved is None or saved[0] is not renderer or self.figure.stale:
            canvas.draw()  # everything but the animated artists
            saved = self._background = (
                renderer,
                canvas.copy_from_bbox(self.figure.bbox),
            )
        else:
            canvas.restore_region(saved[1])
        for artist in sorted(self.animated, key=lambda a: a.get_zorder()):
            if artist.get_visible():
                self.figure.draw_artist(artist)
        for part in self._parts:  # drawn (or hidden): up to date
            part.stale = False  # an animated artist tells nobody (the figure stays)


def _encode(figure: Figure, jpeg: bool) -> bytes:
    """The figure's canvas as drawn now, as JPEG or PNG bytes (opaque: RGB)."""
    canvas = figure.canvas
    width, height = canvas.get_width_height(physical=True)
    image = PIL.Image.frombuffer(
        "RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1
    ).convert("RGB")
    buffer = io.BytesIO()
    if jpeg:
        image.save(buffer, "jpeg", quality=90)
    else:  # level 3: about twice as fast to write as the default 6, 5 % larger
        image.save(buffer, "png", compress_level=3)
    return buffer.getvalue()


class ErrorBanner(widgets.HTML):
    """A red message line inside a widget; empty when all is well."""

    def show(self, message: str) -> None:
        self.value = (
            '<div class="course-error" style="color:#b00020;font-weight:bold">'
            f"{html.escape(message)}</div>"
        )

    def clear(self) -> None:
        self.value = ""

    @property
    def message(self) -> str:
        """The text shown, without markup ("" when there is no error)."""
        if not self.value:
            return ""
        return html.unescape(self.value.split(">", 1)[1].rsplit("</div>", 1)[0])


@checked(control=CONTROL)
def control_ends(control: widgets.ValueWidget) -> list:
    """The values at a control's ends: every option of a choice, a slider's min and max,
    both states of a checkbox; [] for free input (text boxes). The generic widget test
    and the latency benchmark move each control through these."""
    if isinstance(control, widgets.Checkbox | widgets.ToggleButton):
        return [not control.value, control.value]
    if isinstance(control, widgets.FloatLogSlider):  # min and max are exponents
        return [control.base**control.min, control.base**control.max]
    if hasattr(control, "options"):
        return [o[1] if isinstance(o, tuple) else o for o in control.options]
    if hasattr(control, "min") and hasattr(control, "max"):
        return [control.min, control.max]
    return []


@checked(
    control=CONTROL,
    value=Anything("the slider's starting value; checked against its range below"),
    what=Text(max_length=200),
)
def set_in_range(control: widgets.ValueWidget, value, what: str) -> None:
    """Give a slider its starting ``value``, refusing values outside its range.

    A slider silently clamps a value out of range (``window=50`` would become 12); a
    constructor argument must instead raise ``ValueError`` naming the range.
    """
    low, high = control.min, control.max
    if isinstance(control, widgets.FloatLogSlider):
        low, high = control.base**low, control.base**high
    integer = isinstance(control.value, int)
    kind = numbers.Integral if integer else numbers.Real
    ok = isinstance(value, kind) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or not low <= value <= high:
        number = "an int" if integer else "a number"
        raise ValueError(
            f"{what} must be {number} from {low:g} to {high:g}, got {value!r}"
        )
    control.value = value


class CourseWidget(widgets.VBox):
    """Base class of every course widget (see the module docstring for the contract).

    A subclass, in ``__init__``: calls ``super().__init__()``, makes its controls, calls
    ``self.use_figure(new_figure(...))`` and creates its artists once, wires its controls
    with ``self.watch(name=control, ...)``, sets ``self.children`` and finally calls
    ``self.update()``. It implements ``_render()``.

    Example::

        class Squares(CourseWidget):
            def __init__(self, n=3):
                super().__init__()
                self.n = widgets.IntSlider(n, 1, 9, continuous_update=False)
                self.use_figure(new_figure(3, 3))
                self.axes = self.figure.subplots()
                (self.line,) = self.axes.plot([], [])
                self.watch(n=self.n)
                self.children = [self.n, self.figure_image, self.caption, self.error]
                self.update()

            def _render(self):
                xs = range(self.n.value + 1)
                self.line.set_data(xs, [x * x for x in xs])
                self.axes.relim()
                self.axes.autoscale_view()
                self.caption.value = f"{self.n.value + 1} squares"
    """

    @checked(kwargs=Anything("ipywidgets layout options"))
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.add_class("course-widget")
        self.error = ErrorBanner()
        self.caption = widgets.HTML()
        self.figure: Figure | None = None
        self.figure_image: FigureImage | None = None
        self.controls: dict[str, widgets.ValueWidget] = {}
        self.stale = False
        self.last_traceback: str | None = None
        self._busy = False

    def _repr_mimebundle_(self, **kwargs):
        """The widget view, plus a still PNG of its picture where one is wanted.

        The course website shows each widget as it opens: the executed notebooks it is
        built from are run with ``COURSE_WIDGET_PICTURES=1``. In JupyterLab and Voila the
        variable is unset and the bundle is ipywidgets' own."""
        bundle = super()._repr_mimebundle_(**kwargs)
        wanted = os.environ.get("COURSE_WIDGET_PICTURES", "").strip() == "1"
        if wanted and bundle is not None and self.figure is not None:
            import base64

            bundle = dict(bundle)
            bundle["image/png"] = base64.b64encode(figure_to_png(self.figure)).decode()
        return bundle

    # -- building ----------------------------------------------------------------------

    def use_figure(self, figure: Figure, jpeg: bool = False) -> Figure:
        """Make ``figure`` this widget's picture (``self.figure``, ``self.figure_image``)."""
        self.figure = figure
        self.figure_image = FigureImage(figure, jpeg=jpeg)
        return figure

    def watch(self, handler: Callable | None = None, **controls) -> None:
        """Re-render when any of ``controls`` changes; run ``handler(change)`` first.

        The controls are recorded in ``self.controls`` under their names (the generic
        widget test and the latency benchmark move each of them).
        """
        for name, control in controls.items():
            self.controls[name] = control
            _answer_in_banner(control, self, name)
            control.observe(functools.partial(self.update, handler), names="value")

    # -- the one wrapper ---------------------------------------------------------------

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """Batch widget messages and ignore changes the widget makes to itself meanwhile."""
        if self._busy:
            yield
            return
        self._busy = True
        try:
            with contextlib.ExitStack() as stack:
                for part in (self.figure_image, self.caption, self.error):
                    if part is not None:
                        stack.enter_context(part.hold_sync())
                yield
        finally:
            self._busy = False

    def update(self, handler: Callable | None = None, change=None) -> bool:
        """Run ``handler(change)`` (if given), then render the whole current state.

        Returns True when the picture is up to date, False when the banner shows an error.
        Changes made while a render is running (by the widget itself) are ignored.
        """
        if self._busy:
            return not self.stale
        with self.hold():
            try:
                if handler is not None:
                    handler(change)
                self._render()
            except ValueError as exc:
                self._fail(str(exc))
                return False
            except Exception as exc:  # noqa: BLE001 - a widget must never die silently
                if strict():
                    raise
                self.last_traceback = traceback.format_exc()
                self._fail(f"{type(exc).__name__}: {exc}")
                return False
            if self.figure_image is not None:
                self.figure_image.refresh()
                self.figure_image.layout.opacity = None
                # Lay the figure out once, at its first picture: a layout engine left on
                # moves the axes a little on every draw (slower, and the same state
                # would not give the same picture).
                if self.figure.get_layout_engine() is not None:
                    self.figure.set_layout_engine("none")
            self.stale = False
            self.error.clear()
            return True

    def _fail(self, message: str) -> None:
        self.stale = True
        if self.figure_image is not None:
            self.figure_image.layout.opacity = STALE_OPACITY
            message += " (the picture still shows the last valid settings)"
        self.error.show(message)

    def _render(self) -> None:  # pragma: no cover - every subclass implements it
        raise NotImplementedError(f"{type(self).__name__} must implement _render()")


# -- controls that answer a wrong value in the banner ------------------------------------

_ANSWERED = (
    widgets.IntSlider,
    widgets.FloatSlider,
    widgets.FloatLogSlider,
    widgets.IntText,
    widgets.FloatText,
    widgets.BoundedIntText,
    widgets.BoundedFloatText,
    widgets.Checkbox,
    widgets.ToggleButton,
    widgets.Text,
)
"""Controls whose value trait refuses a wrong type with traitlets' own TraitError ("The
'value' trait of an IntSlider instance expected an int, not the float nan")."""


def _allowed(control) -> str:
    if isinstance(control, widgets.Checkbox | widgets.ToggleButton):
        return "True or False"
    if isinstance(control, widgets.Text):
        return "text"
    kind = "an int" if isinstance(control.value, int) else "a number"
    if isinstance(control, widgets.FloatLogSlider):
        return f"{kind} from {control.base**control.min:g} to {control.base**control.max:g}"
    if hasattr(control, "min") and hasattr(control, "max"):
        return f"{kind} from {control.min:g} to {control.max:g}"
    return kind


@functools.cache
def _answering(trait_type: type) -> type:
    """``trait_type`` that answers a wrong value in its widget's banner (the value stays
    what it was) instead of raising traitlets' TraitError at the student's line."""

    class Answering(trait_type):
        def validate(self, obj, value):
            try:
                return super().validate(obj, value)
            except traitlets.TraitError:
                owner = getattr(obj, "_course_owner", None)
                name = getattr(obj, "_course_name", "the value")
                message = f"{name} must be {_allowed(obj)}, got {value!r:.40}"
                if owner is None:
                    raise ValueError(message) from None
                owner._fail(message)
                return obj.value

    Answering.__name__ = f"Answering{trait_type.__name__}"
    return Answering


@functools.cache
def _answering_class(cls: type) -> type:
    """A subclass of the control class ``cls`` whose value trait answers in the banner
    (a choice's value may not be None either: its validator then answers it)."""
    trait = copy.copy(cls.class_traits()["value"])
    if issubclass(cls, _Selection):
        trait.allow_none = False
    else:
        trait.__class__ = _answering(type(trait))
    return type(cls.__name__, (cls,), {"value": trait, "__module__": cls.__module__})


def _answer_in_banner(control, owner: CourseWidget, name: str) -> None:
    """Let ``control`` answer a value of the wrong type in ``owner``'s banner."""
    choice = isinstance(control, _Selection)
    if type(control) in _ANSWERED or choice:
        control.__class__ = _answering_class(type(control))
    if choice and not isinstance(control, _AnswersInBanner):
        # its "Invalid selection" validator, registered when it was made, is replaced
        control._register_validator(_AnswersInBanner._validate_value, ["value"])
    if isinstance(control, _ANSWERED) or choice:
        control._course_owner = getattr(control, "_course_owner", owner)
        control._course_name = getattr(control, "_course_name", name)


CHOICE = {
    "owner": Instance(
        CourseWidget, "a CourseWidget (its banner shows the error)", CourseWidget
    ),
    "name": Text(max_length=100),
    "kwargs": Anything("ipywidgets options of the control"),
}
"""The declaration of the choice controls below."""


def _answer_choice(control, value):
    """The option of ``control`` that ``value`` names (text matched ignoring case and
    spaces at its ends, a number matched to its text), or the current value after the
    owner's banner says what was wrong; a ValueError before the owner watches the
    control (a constructor argument)."""
    options = list(control._options_values)
    for option in options:
        try:
            if value == option and not isinstance(value, bool):
                return option
        except (TypeError, ValueError):  # an array compares element by element
            break
        if str(value).strip().casefold() == str(option).strip().casefold():
            return option
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:39] + "…"
    message = (
        f"{control._course_name} must be one of {', '.join(map(repr, options))}, "
        f"got {shown}"
    )
    owner = getattr(control, "_course_owner", None)
    watched = owner is not None and any(c is control for c in owner.controls.values())
    if not watched or not options:  # in the constructor: the error is raised
        raise ValueError(message)
    owner._fail(message)
    return control.value


class _AnswersInBanner:
    """A choice control whose unknown value is answered in its widget's banner, in the
    student's words with the options, instead of traitlets' "Invalid selection"; the
    value stays what it was. ``owner``: the CourseWidget; ``name``: the control's name."""

    @checked(**CHOICE)
    def __init__(self, owner: CourseWidget, name: str, **kwargs):
        self._course_owner, self._course_name = owner, name
        super().__init__(**kwargs)

    @traitlets.validate("value")
    def _validate_value(self, proposal):
        return _answer_choice(self, proposal.value)


class ChoiceDropdown(_AnswersInBanner, widgets.Dropdown):
    """A dropdown that answers an unknown value in its widget's banner."""


class ChoiceSlider(_AnswersInBanner, widgets.SelectionSlider):
    """A selection slider that answers an unknown value in its widget's banner."""


class ChoiceToggleButtons(_AnswersInBanner, widgets.ToggleButtons):
    """Toggle buttons that answer an unknown value in its widget's banner."""
