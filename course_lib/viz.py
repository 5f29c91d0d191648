"""Plotting helpers shared by the widgets: a figure shown as a PNG image widget, error banners.

The widgets draw with matplotlib's object API (no pyplot state), update artists in place
(``set_data``), and push the rendered PNG into an ``ipywidgets.Image``. That works the same in
JupyterLab, in Voila, in plain pytest (no browser) and in the browser tests.
"""

from __future__ import annotations

import functools
import html
import io
import traceback

import ipywidgets as widgets
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def new_figure(width: float = 6.0, height: float = 3.0, dpi: int = 80) -> Figure:
    """A matplotlib Figure that is not registered with pyplot (no global state, no leaks)."""
    figure = Figure(figsize=(width, height), dpi=dpi, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def figure_to_png(figure: Figure) -> bytes:
    """Render a figure to PNG bytes."""
    buffer = io.BytesIO()
    figure.canvas.print_png(buffer)
    return buffer.getvalue()


class FigureImage(widgets.Image):
    """An image widget that shows a matplotlib figure; call ``refresh()`` after changing it."""

    def __init__(self, figure: Figure, **kwargs):
        super().__init__(format="png", **kwargs)
        self.figure = figure
        # Show the PNG at its own size (never stretched), shrinking only on narrow screens.
        self.width = str(round(figure.get_figwidth() * figure.dpi))
        self.layout.max_width = "100%"
        self.refresh()

    def refresh(self) -> None:
        self.value = figure_to_png(self.figure)


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


def shows_errors(method):
    """Decorate a widget method so that an exception is shown in ``self.error``, not lost.

    A ValueError is the user's doing: its message is shown as it is. Anything else is a bug:
    its type and message are shown and the traceback is kept in ``self.last_traceback``.
    """

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            result = method(self, *args, **kwargs)
        except ValueError as exc:
            self.error.show(str(exc))
            return None
        except Exception as exc:  # noqa: BLE001 - a widget must never die silently
            self.last_traceback = traceback.format_exc()
            self.error.show(f"{type(exc).__name__}: {exc}")
            return None
        self.error.clear()
        return result

    return wrapper
