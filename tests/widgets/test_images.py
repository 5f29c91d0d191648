"""The general widgets, the dashboard helper and the exercise self-check."""

from __future__ import annotations

import numpy as np
import pytest

import course_lib as cl


@pytest.fixture(scope="module")
def digits():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (50, 28, 28), dtype=np.uint8)
    return images, np.arange(50) % 10


def test_digit_browser_follows_its_controls(digits):
    images, labels = digits
    browser = cl.widgets.DigitBrowser(images, labels)
    first_png = browser.image.value
    assert browser.example.max == 4  # five examples of each digit
    browser.digit.value = 7
    np.testing.assert_array_equal(browser.current, images[labels == 7][0])
    browser.example.value = 3
    np.testing.assert_array_equal(browser.current, images[labels == 7][3])
    assert browser.image.value != first_png
    assert "example 4 of 5" in browser.caption.value
    assert browser.error.message == ""


def test_digit_browser_shows_a_missing_digit_as_an_error(digits):
    images, labels = digits
    browser = cl.widgets.DigitBrowser(images[labels != 3], labels[labels != 3])
    browser.digit.value = 3
    assert browser.error.message == "there is no example of the digit 3"
    browser.digit.value = 4
    assert browser.error.message == ""


def test_digit_browser_rejects_bad_arrays():
    with pytest.raises(ValueError, match="images must be"):
        cl.widgets.DigitBrowser(np.zeros((3, 28)), np.zeros(3))


def test_digit_examples_checks_the_digit(digits):
    with pytest.raises(ValueError, match="digit must be an int from 0 to 9"):
        cl.widgets.digit_examples(*digits, 12)


def test_shows_errors_reports_bugs_with_their_type():
    class Broken:
        error = cl.viz.ErrorBanner()

        @cl.viz.shows_errors
        def redraw(self):
            raise KeyError("oops")

    broken = Broken()
    assert broken.redraw() is None
    assert broken.error.message == "KeyError: 'oops'"
    assert "Traceback" in broken.last_traceback


def test_dashboard_shows_the_widget_or_the_error():
    import ipywidgets as widgets

    page = cl.dashboard.show(lambda: widgets.Label("hello"), "Demo")
    assert isinstance(page.children[1], widgets.Label)

    def fail():
        raise ValueError("no data here")

    page = cl.dashboard.show(fail, "Demo")
    assert "could not start: no data here" in page.children[1].value


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
