"""Helpers for the Voila dashboards in ``notebooks/dashboards/``.

A dashboard is a short notebook whose one code cell calls ``show(build, title)``: the page
shows a "loading" line at once, then the widget that ``build()`` returns, or the error inside
the page if building failed.
"""

from __future__ import annotations

import html
import time
import traceback
from collections.abc import Callable

import ipywidgets as widgets


def show(build: Callable[[], widgets.Widget], title: str) -> widgets.VBox:
    """Display a dashboard: a loading line first, then ``build()``'s widget or its error."""
    from IPython.display import display

    heading = widgets.HTML(
        f"<h2 class='course-dashboard-title'>{html.escape(title)}</h2>"
    )
    status = widgets.HTML(
        "<p class='course-loading'>Loading… (preparing the widget)</p>"
    )
    page = widgets.VBox([heading, status])
    display(page)
    start = time.perf_counter()
    try:
        widget = build()
    except Exception as exc:  # noqa: BLE001 - the page must say what went wrong
        details = html.escape(traceback.format_exc(limit=3))
        status.value = (
            "<div class='course-error' style='color:#b00020'>"
            f"<b>This dashboard could not start: {html.escape(str(exc))}</b>"
            f"<pre style='font-size:smaller'>{details}</pre></div>"
        )
        return page
    seconds = time.perf_counter() - start
    ready = widgets.HTML(
        f"<p class='course-ready' style='color:gray'>ready in {seconds:.1f} s</p>"
    )
    page.children = [heading, widget, ready]
    return page
