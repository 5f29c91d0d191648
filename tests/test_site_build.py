"""The website's page maker (site/build.py), without building the site: widgets become
their still picture with a note, stderr chatter goes, an error output stops the build,
every lecture gets launch links, and the exercises page shows no answer."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("site_build", ROOT / "site" / "build.py")
build = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build)


def _notebook(outputs):
    return {
        "metadata": {"widgets": {"state": {}}},
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "# 04 · Title"},
            {"cell_type": "code", "metadata": {}, "source": "w", "outputs": outputs},
        ],
    }


WIDGET = {
    "output_type": "display_data",
    "metadata": {},
    "data": {
        "text/plain": "ConvolutionExplorer(...)",
        build.WIDGET_VIEW: {"model_id": "abc"},
        "image/png": "iVBORw0KGgo=",
    },
}


def test_a_widget_becomes_its_picture_with_a_note_and_stderr_goes():
    stderr = {"output_type": "stream", "name": "stderr", "text": "Epoch 1/3 ━━━"}
    stdout = {"output_type": "stream", "name": "stdout", "text": "accuracy 0.98\n"}
    page = build.page_of(_notebook([WIDGET, stderr, stdout]), "04", "04_convolution")
    assert "widgets" not in page["metadata"]
    launch = page["cells"][1]["source"]
    assert "lab/tree/notebooks/04_convolution.ipynb" in launch
    assert "voila/render/notebooks/dashboards/04_convolution_explorer.ipynb" in launch
    outputs = page["cells"][2]["outputs"]
    assert outputs[0]["data"] == {"image/png": "iVBORw0KGgo="}
    assert outputs[1]["data"]["text/markdown"] == build.WIDGET_NOTE
    assert outputs[2] == stdout
    assert len(outputs) == 3


def test_a_widget_without_a_picture_says_where_to_use_it():
    bare = {**WIDGET, "data": {build.WIDGET_VIEW: {"model_id": "abc"}}}
    outputs = build.page_of(_notebook([bare]), "05", "05_x")["cells"][2]["outputs"]
    assert outputs == [build._note(build.WIDGET_WITHOUT_PICTURE)]


def test_an_error_output_stops_the_build():
    error = {
        "output_type": "error",
        "ename": "ValueError",
        "evalue": "",
        "traceback": [],
    }
    with pytest.raises(SystemExit, match="an executed cell has an error"):
        build.page_of(_notebook([error]), "04", "04_convolution")


def test_a_missing_copy_or_one_that_ran_other_code_is_stale(tmp_path, monkeypatch):
    import json

    monkeypatch.setattr(build, "EXECUTED", tmp_path)
    assert build.stale(["04_convolution"]) == ["04_convolution"]
    source = json.loads((ROOT / "notebooks" / "04_convolution.ipynb").read_text())
    copy = tmp_path / "04_convolution.ipynb"
    reworded = json.loads(json.dumps(source))
    reworded["cells"][0]["source"] = "# 04 · a title reworded after the run"
    copy.write_text(json.dumps(reworded))
    assert build.stale(["04_convolution"]) == []  # prose may change after the run
    page = build.with_current_prose(reworded, source)
    assert page["cells"][0]["source"] == source["cells"][0]["source"]
    code = next(c for c in reworded["cells"] if c["cell_type"] == "code")
    code["source"] = "print('other code')"
    copy.write_text(json.dumps(reworded))
    assert build.stale(["04_convolution"]) == ["04_convolution"]


def test_the_exercises_page_has_every_question_and_no_answer():
    from course_lib import exercises

    page = build.exercises_page(build.lectures())
    for key in exercises.all_keys():
        assert f"**{key}**" in page
    assert "03.2" in page and "3146234510" not in page  # 03.2's expected answer


def test_links_to_notebooks_in_printed_tables_point_to_pages():
    table = "| 01 | [What computers see](01_what_computers_see.ipynb) | ready |"
    assert build._to_pages(table) == (
        "| 01 | [What computers see](01_what_computers_see.html) | ready |"
    )
    assert build._to_pages('<a href="04_convolution.ipynb">') == (
        '<a href="04_convolution.html">'
    )
