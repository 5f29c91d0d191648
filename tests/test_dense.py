"""cl.dense: building and counting dense networks, shuffled pixels, training."""

from __future__ import annotations

import resource

import numpy as np
import pytest

from course_lib import dense


@pytest.mark.parametrize(
    ("side", "expected"),
    [(64, 1_234_460), (256, 19_666_460), (1024, 314_578_460)],
)
def test_parameter_explosion_matches_the_slides(side, expected):
    assert dense.count_dense_parameters((side, side, 3)) == expected
    assert dense.dense_parameter_formula(side * side * 3) == expected


def test_deferred_count_equals_a_really_built_model():
    net = dense.build_dense_network((28, 28), hidden=(32, 16), num_classes=10)
    assert net.count_params() == dense.count_dense_parameters((28, 28), (32, 16))
    assert net.count_params() == (784 + 1) * 32 + (32 + 1) * 16 + (16 + 1) * 10


def test_counting_the_huge_network_allocates_nothing():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rows = dense.dense_parameters_by_layer((1024, 1024, 3))
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert rows[1] == ("Dense", (3_145_728, 100), 314_572_900)
    assert grown_mb < 200  # its 1.26 GB kernel was never made


def test_build_refuses_empty_layers():
    with pytest.raises(ValueError, match="at least one unit"):
        dense.build_dense_network((4, 4), hidden=(0,))


def test_permute_pixels_moves_the_same_pixels_in_every_image():
    images = np.arange(2 * 3 * 4).reshape(2, 3, 4)
    order = dense.fixed_permutation(12, seed=1)
    shuffled = dense.permute_pixels(images, order)
    assert shuffled.shape == images.shape
    np.testing.assert_array_equal(shuffled[0].ravel(), images[0].ravel()[order])
    np.testing.assert_array_equal(shuffled[1] - shuffled[0], np.full((3, 4), 12))
    assert not np.array_equal(shuffled, images)
    with pytest.raises(ValueError, match="all 12 pixel positions"):
        dense.permute_pixels(images, np.zeros(12, dtype=int))


def test_train_dense_classifier_learns_and_shows_progress_through_its_callbacks():
    import course_lib as cl

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    x = rng.normal(size=(400, 4, 4)).astype("float32")
    x[:, 0, 0] += 6 * y  # one pixel tells the class
    plot = cl.widgets.LivePlot()
    net, history, accuracy = dense.train_dense_classifier(
        x[:300],
        y[:300],
        x[300:],
        y[300:],
        num_epochs=5,
        hidden=(8,),
        callbacks=[plot],
    )
    assert accuracy > 0.85
    assert plot.epochs_seen == 5 and len(plot.history["val_accuracy"]) == 5
    np.testing.assert_allclose(
        plot.history["val_accuracy"], history.history["val_accuracy"], rtol=1e-6
    )
    assert net.layers[-1].units == 2


def test_train_dense_classifier_runs_quietly_without_callbacks(capsys):
    x = np.zeros((20, 2, 2), np.float32)
    y = np.arange(20) % 2
    _, history, _ = dense.train_dense_classifier(x, y, x, y, num_epochs=2, hidden=(2,))
    assert len(history.epoch) == 2
    assert capsys.readouterr().out == ""  # no progress bar, no log lines
