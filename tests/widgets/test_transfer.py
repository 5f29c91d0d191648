"""cl.widgets.FineTuneExplorer (course_lib/widgets/transfer.py)."""

from __future__ import annotations

import numpy as np
import pytest

import course_lib as cl


def _results() -> dict:
    """Four digit choices, two seeds: means 0.80, 0.85, 0.90, 0.70; made-up counts."""
    means = [0.80, 0.85, 0.90, 0.70]
    return {
        "digits": {
            "blocks": [0, 1, 2, 3],
            "accuracy": [[m - 0.01, m + 0.01] for m in means],
            "trainable": [100, 200, 300, 400],
        },
        "scratch": {"accuracy": [0.88, 0.90], "trainable": 500},
        "vgg16_trainable": [10, 20, 30, 40, 50, 60],
    }


def test_it_shows_the_shipped_results_by_default():
    explorer = cl.widgets.FineTuneExplorer()
    assert explorer.error.message == ""
    assert explorer.trainable == 7_341_825  # block 5 and the head open
    assert set(explorer.controls) == {"vgg16_blocks", "digit_blocks"}
    assert "7,341,825" in explorer.caption.value


def test_the_sliders_pick_the_count_and_the_accuracy():
    explorer = cl.widgets.FineTuneExplorer(_results(), vgg16_blocks=0, digit_blocks=0)
    assert explorer.trainable == 10 and explorer.accuracy == pytest.approx(0.80)
    explorer.vgg16_blocks.value = 5
    explorer.digit_blocks.value = 2
    assert explorer.trainable == 60 and explorer.accuracy == pytest.approx(0.90)
    assert "90.0%" in explorer.caption.value and "from scratch 89.0%" in (
        explorer.caption.value
    )
    alphas = [bar.get_alpha() for bar in explorer.accuracy_bars]
    assert alphas == [0.3, 0.3, 1.0, 0.3]
    assert np.allclose(explorer.digit_sd, np.std([-0.01, 0.01], ddof=1))


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="vgg16_blocks must be an int from 0 to 5"):
        cl.widgets.FineTuneExplorer(_results(), vgg16_blocks=6)
    with pytest.raises(ValueError, match="must have"):
        cl.widgets.FineTuneExplorer({"digits": {}})
