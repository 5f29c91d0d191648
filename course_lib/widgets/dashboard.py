"""The Voila page helper for the dashboards in ``notebooks/dashboards/``.

A dashboard is a short notebook whose one code cell calls ``show(build, title)``: the page
shows a "loading" line at once, then the widget that ``build()`` returns, or one plain
sentence saying why it could not start (the traceback goes to the server's log, not the
page). Under the test suite (``COURSE_STRICT_WIDGETS=1``) a failed build raises, so that a
broken dashboard fails its test.
"""

from __future__ import annotations

import html
import logging
import sys
import time
import traceback
from collections.abc import Callable

import ipywidgets as widgets

from course_lib.core import Function, Text, checked
from course_lib.widgets.base import strict

log = logging.getLogger("course_lib.dashboard")

# For a projector at 1280x720 seen from the back of a lecture hall: text at 18 px, the
# main picture at least half the width of the screen (scaled up, never cropped).
LECTURE_HALL_STYLE = """<style>
.course-dashboard {
  --jp-widgets-font-size: 18px;
  --jp-widgets-inline-height: 34px;
  --jp-widgets-inline-label-width: 130px;
  --jp-ui-font-size1: 18px;
  --jp-content-font-size1: 18px;
  font-size: 18px;
}
.course-dashboard .widget-html-content, .course-dashboard .widget-label,
.course-dashboard select, .course-dashboard input { font-size: 18px; }
.course-dashboard .course-widget > .widget-image { min-width: 50vw; height: auto; }
</style>"""


@checked(build=Function(), title=Text(max_length=200))
def show(build: Callable[[], widgets.Widget], title: str) -> widgets.VBox:
    """Display a dashboard: a loading line first, then ``build()``'s widget or its error."""
    from IPython.display import display

    heading = widgets.HTML(
        f"<h2 class='course-dashboard-title'>{html.escape(title)}</h2>"
    )
    status = widgets.HTML(
        "<p class='course-loading'>Loading… (preparing the widget)</p>"
    )
    style = widgets.HTML(LECTURE_HALL_STYLE)
    page = widgets.VBox([style, heading, status])
    page.add_class("course-dashboard")
    display(page)
    start = time.perf_counter()
    try:
        widget = build()
    except Exception as exc:  # noqa: BLE001 - the page must say what went wrong
        if strict():
            raise
        # The traceback is for the person running the server, not for the lecture hall.
        print(traceback.format_exc(), file=sys.__stderr__)
        reason = str(exc) if isinstance(exc, ValueError) else type(exc).__name__
        status.value = (
            "<div class='course-error' style='color:#b00020;font-size:18px'>"
            f"<b>This dashboard could not start: {html.escape(reason)}</b></div>"
        )
        return page
    seconds = time.perf_counter() - start
    ready = widgets.HTML(
        f"<p class='course-ready' style='color:gray'>ready in {seconds:.1f} s</p>"
    )
    page.children = [style, heading, widget, ready]
    return page
