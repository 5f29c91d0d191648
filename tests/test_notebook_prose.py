"""What a student reads: no test or build talk, no answer above its exercise, a lecturer
prompt on every dashboard. The finders live in ``tests/notebook_text.py``; the last tests
here plant a leftover and a leaked answer to show that the finders find them."""

from __future__ import annotations

import copy
import json
from functools import cache

import notebook_text as text
import pytest

from course_lib import exercises

NOTEBOOKS = text.lecture_notebooks()
LECTURES = [p for p in NOTEBOOKS if p.parent == text.NOTEBOOKS]
DASHBOARDS = [p for p in NOTEBOOKS if p.parent.name == "dashboards"]


@cache
def expected_answers(lecture: str) -> dict[str, object]:
    """The expected answer of every closed exercise of lecture ``lecture`` ("06")."""
    answers = {}
    for key in exercises.all_keys():
        item = exercises.get(key)
        if key.startswith(lecture + ".") and not item.is_open:
            answers[key] = item.expected()
    return answers


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_no_cell_starts_with_a_test_marker(path):
    for index, cell in enumerate(text.load(path)["cells"]):
        first = text.source(cell).lstrip().split("\n", 1)[0]
        assert not first.upper().startswith("# NBVAL"), (
            f"{path.name} cell {index} starts with {first!r}: use the cell tag "
            "(nbval-check-output, nbval-ignore-output) instead"
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_no_test_or_build_talk(path):
    findings = text.test_talk(path)
    assert not findings, "\n".join(map(str, findings))


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_no_answer_above_its_exercise(path):
    findings = text.leaked_answers(path, expected_answers(path.name[:2]))
    findings += text.revealed_answers(path)
    assert not findings, "\n".join(map(str, findings))


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_dashboard_opens_with_a_lecturer_prompt(path):
    first = text.load(path)["cells"][0]
    assert first["cell_type"] == "markdown", f"{path.name}: no markdown first"
    words = text.source(first)
    assert "**Show:**" in words and "**Ask the room:**" in words, (
        f"{path.name}: the first cell needs '**Show:** ...' and '**Ask the room:** ...'"
    )


def test_fast_mode_is_explained_once_in_the_welcome_notebook():
    welcome = text.load(text.NOTEBOOKS / "00_welcome.ipynb")
    explained = [
        index
        for index, cell in enumerate(welcome["cells"])
        if cell["cell_type"] == "markdown" and "COURSE_FAST=1" in text.source(cell)
    ]
    assert len(explained) == 1, explained
    for path in LECTURES[1:]:
        for cell in text.load(path)["cells"]:
            if cell["cell_type"] == "markdown":
                assert "COURSE_FAST" not in text.source(cell), path.name


# ---------------------------------------------------------------------------------------
# Tests of the finders: a planted leftover and a planted answer are found.


def _planted(tmp_path, name: str, cells: list[tuple[int, dict]]):
    source = text.NOTEBOOKS / name
    doc = copy.deepcopy(text.load(source))
    for at, cell in sorted(cells, key=lambda pair: pair[0]):
        doc["cells"].insert(at, cell)
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def _markdown(words: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": words}


def _checked(code: str, printed: str) -> dict:
    return {
        "cell_type": "code",
        "metadata": {"tags": [text.CHECKED]},
        "source": code,
        "outputs": [{"output_type": "stream", "name": "stdout", "text": printed}],
        "execution_count": 1,
    }


@pytest.mark.parametrize(
    "leftover",
    [
        "The unit tests check it on many more cases.",
        "This cell is checked by nbval.",
        "Run `make measure` to time it.",
        "The file's sha256 is recorded.",
        "Property tests with Hypothesis draw more.",
    ],
)
def test_the_prose_finder_finds_a_planted_leftover(tmp_path, leftover):
    path = _planted(tmp_path, "04_convolution.ipynb", [(3, _markdown(leftover))])
    assert any(f.cell == 3 for f in text.test_talk(path))


def test_the_prose_finder_finds_test_talk_in_a_checked_output_and_a_private_call(
    tmp_path,
):
    path = _planted(
        tmp_path,
        "04_convolution.ipynb",
        [(3, _checked("print(cl.conv._pad(x))", "seeded, as the tests want: True\n"))],
    )
    found = {f.what for f in text.test_talk(path) if f.cell == 3}
    assert "a private call" in found
    assert "the tests (output)" in found


def test_the_prose_finder_leaves_ordinary_words_alone(tmp_path):
    path = _planted(
        tmp_path,
        "04_convolution.ipynb",
        [
            (
                3,
                _markdown(
                    "On the test set the network scores 98 %; the test images differ."
                ),
            )
        ],
    )
    assert not [f for f in text.test_talk(path) if f.cell == 3]


def test_the_leak_finder_finds_a_planted_answer_in_markdown_and_in_output(tmp_path):
    answers = expected_answers("06")
    path = _planted(
        tmp_path,
        "06_mnist_convnet.ipynb",
        [
            (2, _markdown(f"The first dense layer has {answers['06.2']:,} weights.")),
            (3, _checked("print(n)", f"{answers['06.1']}\n")),
        ],
    )
    found = {(f.cell, f.what.split("'")[0]) for f in text.leaked_answers(path, answers)}
    assert (2, "06.2") in found and (3, "06.1") in found


def test_the_leak_finder_finds_a_short_answer_printed_as_a_result(tmp_path):
    path = _planted(
        tmp_path,
        "17_recurrent_networks.ipynb",
        [(2, _checked("print(states)", "state vectors per step = 2\n"))],
    )
    found = text.leaked_answers(path, {"17.4": 2})
    assert [f.cell for f in found] == [2]


def test_the_leak_finder_finds_a_word_answer_printed_above(tmp_path):
    path = _planted(
        tmp_path,
        "01_what_computers_see.ipynb",
        [(2, _checked("print(kind)", "this task is reinforcement learning\n"))],
    )
    found = text.leaked_answers(path, {"01.3": "reinforcement"})
    assert [f.cell for f in found] == [2]


def test_the_leak_finder_finds_a_declared_reveal(tmp_path):
    path = _planted(
        tmp_path,
        "12_what_convnets_see.ipynb",
        [(2, _markdown("One position of conv2 sees a 9×9 patch of the digit."))],
    )
    found = text.revealed_answers(path, {"12.1": (r"\b9\s*[×x]\s*9\b",)})
    assert 2 in [f.cell for f in found]


def test_a_number_that_only_looks_like_the_answer_is_not_a_leak(tmp_path):
    path = _planted(
        tmp_path,
        "06_mnist_convnet.ipynb",
        [(2, _markdown("Lecture 6272b and version 6272.5 are not the answer."))],
    )
    assert not text.leaked_answers(path, {"06.1": 6272})
