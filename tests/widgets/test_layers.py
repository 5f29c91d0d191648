"""cl.widgets.RemedyExplorer (course_lib/widgets/layers.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import course_lib as cl


def _curves(runs: int = 3) -> dict:
    """Three remedies, two epochs: gaps at epoch 2 of 0.12, 0.07 and -0.02 (mean)."""
    remedies = {}
    for k, (name, gap) in enumerate([("none", 0.12), ("dropout", 0.07), ("L2", -0.02)]):
        train = [[0.5, 0.9 + 0.01 * s] for s in range(runs)]
        val = [[0.45 - 0.01 * k, 0.9 + 0.01 * s - gap] for s in range(runs)]
        remedies[name] = {
            "description": name,
            "train_accuracy": train,
            "val_accuracy": val,
            "train_loss": [[1.0, 0.4]] * runs,
            "val_loss": [[1.2, 0.9 - 0.1 * k]] * runs,
        }
    return {"settings": {}, "remedies": remedies}


def test_it_shows_the_shipped_curves_by_default():
    explorer = cl.widgets.RemedyExplorer()
    assert explorer.error.message == ""
    assert explorer.names == list(cl.layers.REMEDIES)
    assert explorer.selected == ["none", "dropout"]
    assert "early stopping" in explorer.names
    assert explorer.epoch.value == explorer.epoch.max == explorer.epochs
    assert "Train − validation accuracy at epoch" in explorer.caption.value
    assert set(explorer.controls) == {"metric", "epoch", *cl.layers.REMEDIES}


def test_gaps_follow_the_epoch_and_the_ticks():
    explorer = cl.widgets.RemedyExplorer(_curves(), remedies=("none", "dropout"))
    assert explorer.gaps["none"][0] == pytest.approx(0.12)
    assert explorer.gaps["L2"][0] == pytest.approx(-0.02)
    assert explorer.gaps["none"][1] == pytest.approx(0.0, abs=1e-12)
    assert explorer.smallest_gap == "dropout"
    picture = explorer.figure_image.value
    explorer.checkboxes["L2"].value = True
    assert explorer.smallest_gap == "L2"
    assert explorer.figure_image.value != picture
    assert "<b>L2</b>" in explorer.caption.value
    explorer.epoch.value = 1
    assert explorer.gaps["none"][0] == pytest.approx(0.05)
    assert explorer.gaps["L2"][0] == pytest.approx(0.07)
    assert explorer.smallest_gap == "none"
    assert explorer.marker.get_xdata()[0] == 1


def test_unticking_everything_is_not_an_error():
    explorer = cl.widgets.RemedyExplorer(_curves(), remedies=("none",))
    explorer.checkboxes["none"].value = False
    assert explorer.error.message == "" and explorer.smallest_gap is None
    assert "tick one or more" in explorer.caption.value
    assert not any(
        line.get_visible() for pair in explorer.lines.values() for line in pair
    )


def test_the_metric_switches_the_curves():
    explorer = cl.widgets.RemedyExplorer(_curves(), remedies=("dropout",))
    train_line, val_line = explorer.lines["dropout"]
    np.testing.assert_allclose(val_line.get_ydata(), [0.44, 0.84])
    explorer.metric.value = "loss"
    np.testing.assert_allclose(val_line.get_ydata(), [1.2, 0.8])
    np.testing.assert_allclose(train_line.get_ydata(), [1.0, 0.4])
    assert explorer.axes_curves.get_ylabel() == "loss"
    assert "Held-out loss at epoch 2" in explorer.caption.value
    assert "dropout 0.800 ± 0.000 (lowest at epoch 2)" in explorer.caption.value
    assert explorer.lowest == {"none": 2, "dropout": 2, "L2": 2}


def test_the_shipped_curves_show_the_plain_loss_turning_up():
    explorer = cl.widgets.RemedyExplorer(remedies=("none", "early stopping"))
    explorer.metric.value = "loss"
    assert explorer.lowest["none"] < explorer.epochs - 5
    assert (
        "none" in explorer.caption.value and "lowest at epoch" in explorer.caption.value
    )


def test_a_single_run_has_no_spread():
    explorer = cl.widgets.RemedyExplorer(_curves(runs=1))
    assert math.isnan(explorer.gaps["none"][1])
    assert "±" not in explorer.caption.value
    assert len(explorer.whiskers.get_segments()) == 0


def test_bad_curves_and_names_are_clear_errors():
    with pytest.raises(ValueError, match="unknown remedy 'dropuot'"):
        cl.widgets.RemedyExplorer(_curves(), remedies=("dropuot",))
    with pytest.raises(ValueError, match='"remedies" entry'):
        cl.widgets.RemedyExplorer({"runs": []})
    broken = _curves()
    broken["remedies"]["L2"]["val_loss"] = [[1.0]] * 3
    with pytest.raises(ValueError, match="different lengths"):
        cl.widgets.RemedyExplorer(broken)


def test_every_control_redraws_the_picture():
    # the latency target (100 ms p95) lives in benchmarks/widget_latency.py
    explorer = cl.widgets.RemedyExplorer()
    for control, value in [
        (explorer.checkboxes["batch norm"], True),
        (explorer.metric, "loss"),
        (explorer.epoch, 5),
        (explorer.checkboxes["batch norm"], False),
        (explorer.metric, "accuracy"),
        (explorer.epoch, explorer.epochs),
    ]:
        before = explorer.figure_image.value
        control.value = value
        assert explorer.error.message == "", control.description
        assert explorer.figure_image.value != before, control.description
