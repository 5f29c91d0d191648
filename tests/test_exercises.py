"""cl.exercises: the self-checks at the end of each notebook."""

from __future__ import annotations

import course_lib as cl


def test_exercise_check_messages(capsys):
    cl.exercises.check(None, 3)
    cl.exercises.check(784, 28 * 28)
    cl.exercises.check([1, 2], [1, 3])
    cl.exercises.check("cat", "cat")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Not answered yet")
    assert lines[1] == "Correct!"
    assert lines[2].startswith("Not quite")
    assert lines[3] == "Correct!"
