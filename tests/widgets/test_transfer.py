"""cl.widgets.FineTuneExplorer (course_lib/widgets/transfer.py)."""

from __future__ import annotations

import numpy as np
import pytest

import course_lib as cl


def _results() -> dict:
    """Three label counts, two seeds: transfer ahead at 2, scratch ahead at 100."""
    means = {"scratch": [0.50, 0.80, 0.96], "frozen": [0.70, 0.85, 0.93]}
    means["fine-tune"] = [0.68, 0.86, 0.94]
    return {
        "labels": {
            "per_class": [2, 10, 100],
            "steps": 40,
            "accuracy": {
                mode: [[m - 0.01, m + 0.01] for m in values]
                for mode, values in means.items()
            },
        },
        "vgg16_trainable": [10, 20, 30, 40, 50, 60],
    }


def test_it_shows_the_shipped_results_by_default():
    explorer = cl.widgets.FineTuneExplorer()
    assert explorer.error.message == ""
    assert explorer.trainable == 7_341_825  # block 5 and the head open
    assert set(explorer.controls) == {"labels", "vgg16_blocks"}
    assert "7,341,825" in explorer.caption.value
    assert explorer.labels.value == min(explorer.per_class)


def test_the_sliders_pick_the_count_and_the_accuracy():
    explorer = cl.widgets.FineTuneExplorer(_results(), vgg16_blocks=0)
    assert explorer.trainable == 10
    assert explorer.accuracy["frozen"] == pytest.approx(0.70)
    assert explorer.advantage == pytest.approx(0.20)
    assert "transfer is ahead by +20.0%" in explorer.caption.value
    explorer.vgg16_blocks.value = 5
    explorer.labels.value = 100
    assert explorer.trainable == 60
    assert explorer.advantage == pytest.approx(-0.02)
    assert "from scratch is ahead by 2.0%" in explorer.caption.value
    assert "500 in all" in explorer.caption.value
    assert list(explorer.marker.get_xdata()) == [100, 100]
    sd = explorer.summary["sd"]["scratch"]
    assert np.allclose(sd, np.std([-0.01, 0.01], ddof=1))


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="vgg16_blocks must be an int from 0 to 5"):
        cl.widgets.FineTuneExplorer(_results(), vgg16_blocks=6)
    with pytest.raises(ValueError, match="labels_per_class must be one of"):
        cl.widgets.FineTuneExplorer(_results(), labels_per_class=3)
    with pytest.raises(ValueError, match="must have"):
        cl.widgets.FineTuneExplorer({"digits": {}})
