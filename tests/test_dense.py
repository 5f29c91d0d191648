"""cl.dense: building and counting dense networks, shuffled pixels, training."""

from __future__ import annotations

import threading
import time

import numpy as np
import psutil
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


def peak_growth_mb(function, interval=0.002):
    """How far this process's resident memory rose above its start during ``function()``.

    The current RSS (psutil), sampled every ``interval`` seconds in a thread: unlike
    ``ru_maxrss``, a high-water mark that an earlier test's peak hides, it sees this
    call's own peak, even one freed before it returns.
    """
    process = psutil.Process()
    start = process.memory_info().rss
    peak = [start]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], process.memory_info().rss)
            time.sleep(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        result = function()
    finally:
        done.set()
        sampler.join()
    peak[0] = max(peak[0], process.memory_info().rss)
    return result, (peak[0] - start) / 2**20


def test_counting_the_huge_network_allocates_nothing():
    rows, grown_mb = peak_growth_mb(
        lambda: dense.dense_parameters_by_layer((1024, 1024, 3))
    )
    assert rows[1] == ("Dense", (3_145_728, 100), 314_572_900)
    assert grown_mb < 100  # its 1.26 GB kernel was never made


def test_the_memory_measure_sees_a_peak_freed_before_the_call_returns():
    """The guard above bites: a 200 MB array, filled and dropped inside the call."""

    def allocate_and_free():
        block = np.ones(200 * 2**20 // 8)  # written, so really resident
        time.sleep(0.05)
        return float(block[-1])

    result, grown_mb = peak_growth_mb(allocate_and_free)
    assert result == 1.0 and grown_mb > 150, grown_mb


def test_build_refuses_empty_layers():
    with pytest.raises(ValueError, match=r"hidden\[0\] must be an int from 1"):
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
    x = rng.uniform(0, 0.2, size=(400, 4, 4)).astype("float32")
    x[:, :2] += 0.8 * y[:, None, None]  # the top half tells the class
    plot = cl.widgets.LivePlot()
    net, history, accuracy = dense.train_dense_classifier(
        x[:300],
        y[:300],
        x[300:],
        y[300:],
        num_epochs=20,
        hidden=(8,),
        callbacks=[plot],
    )
    assert accuracy > 0.85
    outside = (net.predict(x[300:], verbose=0).argmax(1) == y[300:]).mean()
    assert accuracy == pytest.approx(outside, abs=1e-6)  # measured from outside
    assert plot.epochs_seen == 20 and len(plot.history["val_accuracy"]) == 20
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


def test_accuracy_over_seeds_repeats_the_training_once_per_seed():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    x = rng.uniform(0, 0.6, size=(300, 3, 3)).astype("float32")
    x[:, 1, 1] += 0.4 * y  # one pixel tells the class, with some overlap
    seen = []
    accuracies = dense.accuracy_over_seeds(
        x[:200],
        y[:200],
        x[200:],
        y[200:],
        seeds=(0, 1, 2),
        num_epochs=3,
        hidden=(4,),
        report=lambda seed, accuracy: seen.append((seed, accuracy)),
    )
    assert accuracies.shape == (3,) and [s for s, _ in seen] == [0, 1, 2]
    np.testing.assert_allclose(accuracies, [a for _, a in seen])
    # each run is the seeded training itself, not a copy of the first
    _, _, second = dense.train_dense_classifier(
        x[:200], y[:200], x[200:], y[200:], num_epochs=3, hidden=(4,), seed=1
    )
    assert accuracies[1] == pytest.approx(second, abs=1e-6)
    assert accuracies.std() > 0  # different seeds, different starting weights
    with pytest.raises(ValueError, match="at least two different seeds"):
        dense.accuracy_over_seeds(x, y, x, y, seeds=(1, 1))


# --- issue 12: sizes with a maximum, wrong types a clear error ---------------------------


def test_build_refuses_a_network_too_big_to_make_and_points_to_counting():
    start = time.perf_counter()
    with pytest.raises(ValueError, match="count_dense_parameters") as error:
        dense.build_dense_network((1024, 1024, 3))
    assert time.perf_counter() - start < 1
    counted = dense.count_dense_parameters((1024, 1024, 3))  # counted, not made
    assert f"has {counted:,} parameters" in str(error.value)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: dense.build_dense_network(-1), "input_shape must be|each entry"),
        (lambda: dense.build_dense_network((4, 4), hidden=2.5), "hidden must be"),
        (lambda: dense.build_dense_network((4, 4), activation="relux"), "activation"),
        (lambda: dense.dense_parameter_formula([], (3,)), "n_inputs must be an int"),
        (lambda: dense.fixed_permutation(10**9), "n_pixels must be an int from 1"),
        (lambda: dense.fixed_permutation(9, seed=""), "seed must be an int"),
        (lambda: dense.permute_pixels(np.zeros((2, 3, 3)), b"x"), "permutation must"),
        (lambda: dense.permute_pixels(np.zeros(9), np.arange(9)), "images must be"),
        (
            lambda: dense.accuracy_over_seeds(
                *[np.zeros((2, 2, 2), np.uint8), [0, 1]] * 2, seeds=7
            ),
            "seeds must be a list",
        ),
        (
            lambda: dense.accuracy_over_seeds(
                *[np.zeros((2, 2, 2), np.uint8), [0, 1]] * 2, seeds=range(10**9)
            ),
            "seeds must be a list of 2 to 100 values",
        ),
    ],
)
def test_wrong_types_and_huge_sizes_give_a_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_train_dense_classifier_checks_images_and_labels_first():
    x = np.zeros((8, 4, 4), np.float32)
    y = np.arange(8) % 2
    for kwargs, message in [
        ({"y_train": y - 3}, "y_train must be labels .* got labels from -3 to -2"),
        ({"x_test": np.zeros((8, 5, 5))}, "x_train and x_test must hold images of one"),
        ({"num_epochs": 10**6}, "num_epochs must be an int from 1 to 1,000"),
        (
            {"callbacks": [print]},
            "callbacks must be None, a Keras callback or a list of them",
        ),
    ]:
        arguments = {"x_train": x, "y_train": y, "x_test": x, "y_test": y} | kwargs
        with pytest.raises(ValueError, match=message):
            dense.train_dense_classifier(**arguments)
    permutation = dense.fixed_permutation(9).tolist()  # a list, as an array would be
    assert dense.permute_pixels(np.arange(9).reshape(1, 3, 3), permutation).shape == (
        1,
        3,
        3,
    )
