"""The Voila page helper: a broken dashboard fails the tests and shows one sentence."""

from __future__ import annotations

import os
from pathlib import Path

import ipywidgets as widgets
import nbformat
import pytest
from fresh_python import imported

import course_lib as cl

DASHBOARDS = Path(__file__).resolve().parents[2] / "notebooks" / "dashboards"


def test_a_broken_dashboard_fails_under_the_tests_and_shows_a_sentence_otherwise(
    monkeypatch,
):
    def build():
        raise KeyError("weights")

    monkeypatch.setenv("COURSE_STRICT_WIDGETS", "1")
    with pytest.raises(KeyError):
        cl.widgets.dashboard.show(build, "broken")
    monkeypatch.delenv("COURSE_STRICT_WIDGETS")
    page = cl.widgets.dashboard.show(build, "broken")
    text = page.children[-1].value
    assert "could not start: KeyError" in text
    assert "Traceback" not in text and ".py" not in text


def test_a_dashboard_shows_the_message_of_a_value_error(monkeypatch):
    def build():
        raise ValueError("the checkpoint is missing")

    monkeypatch.delenv("COURSE_STRICT_WIDGETS", raising=False)
    page = cl.widgets.dashboard.show(build, "broken")
    assert "the checkpoint is missing" in page.children[-1].value


def test_dashboard_shows_the_widget_or_the_error(monkeypatch):
    page = cl.widgets.dashboard.show(lambda: widgets.Label("hello"), "Demo")
    assert isinstance(page.children[2], widgets.Label)

    def fail():
        raise ValueError("no data here")

    monkeypatch.setenv("COURSE_STRICT_WIDGETS", "0")
    page = cl.widgets.dashboard.show(fail, "Demo")
    assert "could not start: no data here" in page.children[-1].value


def test_the_traceback_goes_to_the_server_log_not_the_page(monkeypatch, capfd):
    """Issue 12, item 13: the page says what failed; the log keeps where."""

    def build():
        raise KeyError("weights")

    monkeypatch.setenv("COURSE_STRICT_WIDGETS", "0")
    page = cl.widgets.dashboard.show(build, "broken")
    logged = capfd.readouterr().err
    assert "Traceback" in logged and "KeyError: 'weights'" in logged
    assert "test_dashboard.py" in logged  # the file and line, for whoever runs it
    shown = page.children[-1].value
    assert "could not start: KeyError" in shown and "test_dashboard.py" not in shown


SHIPPED_FIRST_VIEW = ["12_grad_cam", "15_segmentation", "16_spatial_transformers",
                      "19_gan_explorer", "20_attention_viewer"]  # fmt: skip
"""Dashboards whose first view comes from shipped results, without TensorFlow."""


@pytest.mark.parametrize("name", SHIPPED_FIRST_VIEW)
def test_the_first_view_of_a_dashboard_imports_no_tensorflow(name):
    """The dashboard's cells, run as Voila runs them, build its first view (picture,
    caption and the lines under it) without importing TensorFlow or Keras."""
    notebook = nbformat.read(DASHBOARDS / f"{name}.ipynb", as_version=4)
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    environment = {**os.environ, "COURSE_STRICT_WIDGETS": "1", "MPLBACKEND": "Agg"}
    assert imported(code, cwd=DASHBOARDS, env=environment) == [False, False]
