"""cl.exercises: every exercise solved with its reference answer, every hint triggered by
its mistake, and the messages a student sees."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import course_lib as cl
from course_lib import exercises

KEYS = exercises.all_keys()
NOTEBOOKS = sorted(
    p
    for p in (Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9]*.ipynb")
)


@pytest.mark.parametrize("key", KEYS)
def test_the_reference_solution_passes(key, capsys):
    item = exercises.get(key)
    answer = item.solution() if item.is_open else item.expected()
    assert exercises.feedback(key, answer)[0] is True
    exercises.check(key, answer)
    assert capsys.readouterr().out.startswith("Correct!")


@pytest.mark.parametrize("key", KEYS)
def test_every_hint_is_reached_by_its_mistake(key):
    item = exercises.get(key)
    for mistake, hint in item.hints:
        correct, message = exercises.feedback(key, mistake)
        assert correct is False and hint in message, (key, mistake, message)
    for mistake in item.mistakes:  # open exercises: wrong objects the checker refuses
        correct, message = exercises.feedback(key, mistake)
        assert correct is False and message.startswith("Not yet:"), (key, message)
    if item.is_open:
        assert item.mistakes, f"open exercise {key} has no wrong attempt to test"


@pytest.mark.parametrize("key", KEYS)
def test_the_expected_answer_is_never_printed(key, capsys):
    item = exercises.get(key)
    if item.is_open:
        return
    expected = item.expected()
    exercises.check(key, "a wrong answer")
    out = capsys.readouterr().out
    assert "Not quite" in out
    if not isinstance(expected, str):
        assert repr(expected) not in out


def test_an_unanswered_exercise_prints_a_reminder_not_an_error(capsys):
    assert exercises.feedback(KEYS[0], None)[0] is None
    exercises.check(KEYS[0], None)
    assert "not answered yet" in capsys.readouterr().out


def test_unknown_or_malformed_keys_are_clear_errors():
    with pytest.raises(ValueError, match=r'named "NN.k"'):
        exercises.check(11, 3)
    with pytest.raises(ValueError, match="unknown exercise '99.1'"):
        exercises.check("99.1", 3)


def test_comparisons():
    assert exercises.same(784, 28 * 28)
    assert not exercises.same([1, 2], [1, 3])
    assert not exercises.same([1, 2], [[1, 2]])
    assert exercises.same(" D ", "d")
    assert not exercises.same("3", 3)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_lecture_ends_with_three_keyed_exercises_one_open(path):
    cells = json.loads(path.read_text())["cells"]
    source = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    keys = re.findall(r"cl\.exercises\.check\(\s*[\"'](\d\d\.\d+)[\"']", source)
    calls = re.findall(r"cl\.exercises\.check\(", source)
    assert len(keys) == len(calls), 'every check is keyed like check("04.2", answer)'
    lecture = path.stem[:2]
    assert len(set(keys)) >= 3 and all(k.startswith(lecture + ".") for k in keys)
    assert any(exercises.get(k).is_open for k in keys), "no open exercise"
    assert cl.exercises is exercises
