"""cl.course: the lecture list and the welcome notebook's table of contents."""

from __future__ import annotations

import course_lib as cl


def test_the_table_links_written_lectures_and_marks_the_rest_as_coming():
    table = cl.course.table_of_contents().splitlines()
    assert len(table) == 2 + len(cl.course.LECTURES)
    for (number, slug, title), row in zip(cl.course.LECTURES, table[2:], strict=True):
        assert row.startswith(f"| {number} |")
        if (cl.course.NOTEBOOK_DIR / f"{slug}.ipynb").exists():
            assert f"]({slug}.ipynb)" in row and row.endswith("ready |")
        else:
            assert title in row and row.endswith("coming |")
    assert "](04_convolution.ipynb)" in "\n".join(table)
