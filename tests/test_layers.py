"""cl.layers: softmax, BN, LRN and dropout by hand against Keras / TensorFlow (to 1e-5),
rotated digits, and the overfitting experiment on a tiny budget."""

from __future__ import annotations

import json
import math

import keras
import numpy as np
import pytest
import tensorflow as tf

import course_lib as cl
from course_lib import layers as L
from course_lib.layers import remedies as remedy_runs

TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def rng():
    return np.random.default_rng(0)


# -- softmax and sigmoid ----------------------------------------------------------------


def test_softmax_of_the_slides_example():
    np.testing.assert_array_equal(
        L.softmax([1.2, 0.9, 0.4]).round(4), [0.4566, 0.3383, 0.2052]
    )
    assert round(float(L.softmax([1.2, 0.9, 0.4])[2]), 2) == 0.21  # the slide says 0.20


def test_softmax_equals_keras_and_ignores_a_shift(rng):
    z = rng.normal(size=(5, 7)) * 4
    ours = L.softmax(z)
    np.testing.assert_allclose(ours, keras.ops.softmax(z, axis=-1), atol=TOLERANCE)
    np.testing.assert_allclose(ours.sum(axis=1), 1)
    np.testing.assert_allclose(L.softmax(z + 1000), ours, atol=1e-12)
    np.testing.assert_allclose(
        L.softmax(z, axis=0), keras.ops.softmax(z, axis=0), atol=TOLERANCE
    )


def test_sigmoid_equals_keras_without_overflow(rng):
    z = rng.normal(size=50) * 10
    np.testing.assert_allclose(
        L.sigmoid(z), keras.activations.sigmoid(z), atol=TOLERANCE
    )
    with np.errstate(over="raise"):
        assert L.sigmoid([-1000.0, 1000.0]).tolist() == [0.0, 1.0]


@pytest.mark.parametrize("bad", [[], [1.0, np.nan], "abc", [np.inf]])
def test_softmax_refuses_bad_scores(bad):
    with pytest.raises(ValueError, match="z must be"):
        L.softmax(bad)


# -- batch normalization ------------------------------------------------------------------


def _keras_bn(x, gamma, beta, momentum=0.99):
    layer = keras.layers.BatchNormalization(momentum=momentum)
    layer.build(x.shape)
    layer.gamma.assign(gamma)
    layer.beta.assign(beta)
    return layer


@pytest.mark.parametrize("shape", [(16, 6), (4, 5, 5, 3), (2, 3, 3, 8)])
def test_batch_norm_equals_keras_in_training_and_inference(rng, shape):
    x = rng.normal(3, 2, size=shape).astype("float32")
    channels = shape[-1]
    gamma = rng.normal(1, 0.5, size=channels).astype("float32")
    beta = rng.normal(size=channels).astype("float32")
    layer = _keras_bn(x, gamma, beta)
    moving_mean, moving_variance = np.zeros(channels), np.ones(channels)
    for step in range(3):  # three training steps on three batches
        batch = (x + step).astype("float32")
        theirs = layer(batch, training=True).numpy()
        np.testing.assert_allclose(
            L.batch_norm_training(batch, gamma, beta), theirs, atol=TOLERANCE
        )
        mean, variance = L.batch_statistics(batch)
        moving_mean = L.update_moving(moving_mean, mean)
        moving_variance = L.update_moving(moving_variance, variance)
    np.testing.assert_allclose(layer.moving_mean, moving_mean, atol=TOLERANCE)
    np.testing.assert_allclose(layer.moving_variance, moving_variance, atol=TOLERANCE)
    inference = layer(x, training=False).numpy()
    np.testing.assert_allclose(
        L.batch_norm(x, moving_mean, moving_variance, gamma, beta),
        inference,
        atol=TOLERANCE,
    )
    # ... and the two modes differ: the moving statistics are not the batch's
    assert np.abs(inference - layer(x, training=True).numpy()).max() > 0.1


def test_batch_norm_output_has_mean_beta_and_sd_gamma(rng):
    x = rng.normal(5, 3, size=(256, 2))
    y = L.batch_norm_training(x, gamma=[2.0, 0.5], beta=[1.0, -3.0], epsilon=1e-9)
    np.testing.assert_allclose(y.mean(axis=0), [1.0, -3.0], atol=1e-9)
    np.testing.assert_allclose(y.std(axis=0), [2.0, 0.5], atol=1e-6)


def test_batch_norm_refuses_bad_shapes():
    x = np.ones((4, 3))
    with pytest.raises(ValueError, match="gamma must be one number or one per channel"):
        L.batch_norm(x, 0, 1, gamma=[1, 2])
    with pytest.raises(ValueError, match="x must be a batch"):
        L.batch_statistics([1.0, 2.0])
    with pytest.raises(ValueError, match="epsilon"):
        L.batch_norm(x, 0, 1, epsilon=0)
    with pytest.raises(ValueError, match="momentum"):
        L.update_moving(0.0, 1.0, momentum=1.5)


# -- local response normalization --------------------------------------------------------


@pytest.mark.parametrize(
    "radius, bias, alpha, beta",
    [(0, 1.0, 1.0, 0.5), (2, 2.0, 1e-4, 0.75), (5, 1.0, 0.3, 0.5), (9, 0.5, 0.1, 1.0)],
)
def test_lrn_equals_tensorflow(rng, radius, bias, alpha, beta):
    x = rng.normal(size=(2, 4, 4, 12)).astype("float32")
    theirs = tf.nn.local_response_normalization(
        x, depth_radius=radius, bias=bias, alpha=alpha, beta=beta
    ).numpy()
    ours = L.local_response_norm(x, radius, bias, alpha, beta)
    np.testing.assert_allclose(ours, theirs, atol=TOLERANCE, rtol=TOLERANCE)


def test_lrn_caffe_divides_alpha_by_the_window(rng):
    x = rng.normal(size=(3, 7)).astype("float32")
    caffe = L.local_response_norm(x, 2, 2.0, 1e-2, 0.75, convention="Caffe")
    theirs = tf.nn.local_response_normalization(
        x[None, None], depth_radius=2, bias=2.0, alpha=1e-2 / 5, beta=0.75
    ).numpy()[0, 0]
    np.testing.assert_allclose(caffe, theirs, atol=TOLERANCE)
    assert not np.allclose(caffe, L.local_response_norm(x, 2, 2.0, 1e-2, 0.75))


def test_lrn_damps_a_uniformly_large_neighbourhood_more():
    alone = L.local_response_norm([1.0, 1.0, 8.0, 1.0, 1.0], 2, 1.0, 0.1, 0.75)
    crowd = L.local_response_norm([8.0] * 5, 2, 1.0, 0.1, 0.75)
    assert alone[2] > crowd[2]


def test_lrn_refuses_bad_settings():
    with pytest.raises(ValueError, match="depth_radius"):
        L.local_response_norm(np.ones((2, 3)), depth_radius=-1)
    with pytest.raises(
        ValueError,
        match="convention must be one of 'tensorflow', 'caffe', got 'matlab'",
    ):
        L.local_response_norm(np.ones((2, 3)), convention="matlab")


# -- dropout -------------------------------------------------------------------------------


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
def test_dropout_equals_keras_given_its_mask(rng, rate):
    x = rng.uniform(0.5, 2.0, size=(8, 50)).astype("float32")  # no zeros in x
    theirs = keras.layers.Dropout(rate, seed=1)(x, training=True).numpy()
    ours = L.dropout(x, rate, mask=theirs != 0)
    np.testing.assert_allclose(ours, theirs, atol=TOLERANCE)
    kept = theirs[theirs != 0]
    np.testing.assert_allclose(kept, (x / (1 - rate))[theirs != 0], atol=TOLERANCE)


def test_dropout_keeps_the_mean_and_is_off_at_inference():
    x = np.ones(1_000_000)
    for rate in (0.2, 0.5, 0.9):
        y = L.dropout(x, rate, seed=0)
        assert abs(y.mean() - 1) < 0.02
        assert abs((y == 0).mean() - rate) < 0.005
    np.testing.assert_array_equal(L.dropout(x[:10], 0.5, training=False), x[:10])
    np.testing.assert_array_equal(
        keras.layers.Dropout(0.5)(x[:10], training=False), x[:10]
    )
    np.testing.assert_array_equal(
        L.dropout(x[:10], 0.5, seed=3), L.dropout(x[:10], 0.5, seed=3)
    )


@pytest.mark.parametrize("rate", [1, 1.0, -0.1, True, "text"])
def test_dropout_refuses_a_bad_rate(rate):
    with pytest.raises(ValueError, match="rate"):
        L.dropout(np.ones(3), rate)


def test_dropout_refuses_a_mask_of_another_shape():
    with pytest.raises(ValueError, match="mask must have the shape"):
        L.dropout(np.ones((2, 3)), 0.5, mask=np.ones(3, bool))


# -- rotated digits -------------------------------------------------------------------------


def test_rotate_digits_turns_counter_clockwise_by_the_returned_angles():
    image = np.zeros((1, 29, 29), dtype=np.uint8)
    image[0, 14, 20] = 255  # a dot right of the centre
    rotated, angles = L.rotate_digits(image, max_angle=90, seed=0)
    assert rotated.shape == (1, 29, 29, 1) and rotated.dtype == np.float32
    assert -90 <= angles[0] <= 90
    row, column = np.unravel_index(rotated[0, :, :, 0].argmax(), (29, 29))
    theta = math.radians(angles[0])  # counter-clockwise: the dot moves up for theta > 0
    assert abs(row - (14 - 6 * math.sin(theta))) <= 1
    assert abs(column - (14 + 6 * math.cos(theta))) <= 1


def test_rotate_digits_is_seeded_and_keeps_zero_angles():
    digits = np.random.default_rng(0).integers(0, 256, (20, 28, 28), dtype=np.uint8)
    a, angles_a = L.rotate_digits(digits, seed=4)
    b, angles_b = L.rotate_digits(digits, seed=4)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(angles_a, angles_b)
    assert np.all(np.abs(angles_a) <= 45) and angles_a.std() > 10
    same, zero = L.rotate_digits(digits, max_angle=0)
    np.testing.assert_allclose(same[..., 0], digits / 255, atol=1e-6)
    assert not zero.any()
    with pytest.raises(ValueError, match="max_angle"):
        L.rotate_digits(digits, max_angle=200)


# -- the overfitting experiment ------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_digits():
    (x_train, y_train), (x_test, y_test) = cl.data.load_mnist()
    return (x_train[:200], y_train[:200]), (x_test[:100], y_test[:100])


def _count(model, kind) -> int:
    return sum(isinstance(layer, kind) for layer in model.layers)


def test_each_remedy_changes_only_its_part_of_the_model():
    plain = L.build_remedy_model("none")
    assert (
        _count(plain, keras.layers.Conv2D) == 2
        and _count(plain, keras.layers.Dense) == 2
    )
    assert _count(L.build_remedy_model("dropout"), keras.layers.Dropout) == 1
    norm = L.build_remedy_model("Batch Norm")
    assert _count(norm, keras.layers.BatchNormalization) == 3
    assert all(
        layer.momentum == L.BN_MOMENTUM
        for layer in norm.layers
        if isinstance(layer, keras.layers.BatchNormalization)
    )
    penalized = L.build_remedy_model("L2")
    assert all(
        layer.kernel_regularizer is not None
        for layer in penalized.layers
        if isinstance(layer, keras.layers.Conv2D | keras.layers.Dense)
    )
    augmented = L.build_remedy_model("augmentation")
    assert _count(augmented, keras.layers.RandomRotation) == 1
    assert plain.count_params() == L.build_remedy_model("more data").count_params()
    stopping = L.build_remedy_model("early stopping")
    assert L.layer_structure(stopping) == L.layer_structure(plain)
    with pytest.raises(ValueError, match="remedy must be one of .*got 'weight decay'"):
        L.build_remedy_model("weight decay")


def test_a_run_learns_and_feeds_keras_callbacks(tiny_digits):
    train, validation = tiny_digits

    class Record(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.logs = []

        def on_epoch_end(self, epoch, logs=None):
            self.logs.append(dict(logs))

    record = Record()
    history = L.train_with_remedy(
        "none", train, validation, epochs=3, num_train=100, seed=0, callbacks=[record]
    )
    assert set(history) == set(L.METRICS)
    assert all(len(values) == 3 for values in history.values())
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert history["train_accuracy"][-1] > 0.3  # chance is 0.1
    assert record.logs[-1]["val_accuracy"] == history["val_accuracy"][-1]
    assert record.logs[-1]["accuracy"] == history["train_accuracy"][-1]


def test_a_run_is_reproducible_with_its_seed(tiny_digits):
    train, validation = tiny_digits
    runs = [
        L.train_with_remedy(
            "dropout", train, validation, epochs=1, num_train=40, seed=s
        )
        for s in (5, 5, 6)
    ]
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_layer_structure_tells_where_each_remedy_goes():
    plain = L.layer_structure(L.build_remedy_model("none"))
    assert plain[0] == "Conv2D(16, 3)" and plain[-1] == "Dense(10, softmax)"
    dropout = L.layer_structure(L.build_remedy_model("dropout"))
    assert dropout == plain[:-1] + ["Dropout(rate 0.5)", plain[-1]]
    norm = L.layer_structure(L.build_remedy_model("batch norm"))
    assert norm[:3] == [
        "Conv2D(16, 3, no bias)",
        "BatchNormalization(momentum 0.9)",
        "ReLU",
    ]
    penalized = L.layer_structure(L.build_remedy_model("L2"))
    assert sum("L2 0.01" in line for line in penalized) == 4
    augmented = L.layer_structure(L.build_remedy_model("augmentation"))
    assert augmented[0] == "RandomRotation(factor 0.0278)"
    with pytest.raises(ValueError, match="must be a Keras model"):
        L.layer_structure("none")


def test_early_stopping_keeps_the_best_weights(tiny_digits, monkeypatch):
    train, validation = tiny_digits
    monkeypatch.setattr(remedy_runs, "EARLY_STOPPING_PATIENCE", 1)
    history = L.train_with_remedy(
        "early stopping", train, validation, epochs=10, num_train=20, seed=0
    )
    assert all(len(values) == 10 for values in history.values())
    losses = history["val_loss"]
    # the kept network is the one of an earlier epoch: its numbers come back at the end
    earlier = [
        epoch
        for epoch in range(9)
        if all(
            history[m][epoch] == pytest.approx(history[m][-1], abs=1e-6)
            for m in L.METRICS
        )
    ]
    assert earlier, f"the last epoch repeats no earlier one: {losses}"
    with pytest.raises(ValueError, match="'early stopping' needs 246 training digits"):
        L.train_with_remedy("early stopping", train, validation, num_train=41)


def test_more_data_needs_enough_digits(tiny_digits):
    train, validation = tiny_digits
    with pytest.raises(ValueError, match="'more data' needs 800 training digits"):
        L.train_with_remedy("more data", train, validation, epochs=1, num_train=200)
    with pytest.raises(ValueError, match="epochs must be an int from 1 to 1,000"):
        L.train_with_remedy("none", train, validation, epochs=0)


def test_compare_remedies_reuses_runs_and_reports(tiny_digits, monkeypatch):
    train, validation = tiny_digits
    calls = []
    real = L.train_with_remedy

    def counting(remedy, *args, **kwargs):
        calls.append((remedy, kwargs["seed"]))
        return real(remedy, *args, **kwargs)

    monkeypatch.setattr(remedy_runs, "train_with_remedy", counting)
    done = real("none", train, validation, epochs=1, num_train=20, seed=0)
    lines = []
    curves = L.compare_remedies(
        train,
        validation,
        remedies=("none", "L2"),
        seeds=(0, 1),
        epochs=1,
        num_train=20,
        report=lines.append,
        reuse={("none", 0): done},
    )
    assert calls == [("none", 1), ("L2", 0), ("L2", 1)]
    assert len(lines) == 4 and "reused" in lines[0] and lines[3].startswith("run 4/4")
    assert list(curves["remedies"]) == ["none", "L2"]
    assert L.remedy_curve(curves, "L2", "val_loss").shape == (2, 1)
    assert curves["settings"]["seeds"] == [0, 1]
    with pytest.raises(ValueError, match="must hold 2 epochs"):
        L.compare_remedies(
            train,
            validation,
            remedies=("none",),
            seeds=(0,),
            epochs=2,
            num_train=20,
            reuse={("none", 0): done},
        )


# -- summaries and files ---------------------------------------------------------------------


def _synthetic(runs: int = 3) -> dict:
    remedies = {}
    for k, name in enumerate(["none", "dropout"]):
        train = [[0.5, 0.9 + 0.01 * s] for s in range(runs)]
        val = [[0.4, 0.8 + 0.05 * k - 0.01 * s] for s in range(runs)]
        remedies[name] = {
            "description": name,
            "train_accuracy": train,
            "val_accuracy": val,
            "train_loss": [[1.0, 0.5]] * runs,
            "val_loss": [[1.1, 0.7]] * runs,
        }
    return {"settings": {}, "remedies": remedies}


def test_summaries_are_means_and_sds_over_seeds():
    rows = L.summarize_remedies(_synthetic(), last=1)
    none, dropout = rows
    assert none["remedy"] == "none" and none["runs"] == 3
    assert none["train"] == pytest.approx(0.91)
    assert none["val"] == pytest.approx(0.79)
    assert none["gap"] == pytest.approx(0.12)
    assert none["gap_sd"] == pytest.approx(np.std([0.1, 0.12, 0.14], ddof=1))
    assert dropout["gap"] == pytest.approx(0.07)
    table = L.format_summary(rows)
    assert "none" in table and "±" in table
    assert none["val_loss"] == pytest.approx(0.7) and none["rise"] == 0
    assert "held-out loss" in table
    single = L.summarize_remedies(_synthetic(runs=1), last=2)
    assert math.isnan(single[0]["gap_sd"]) and "±" not in L.format_summary(single)


def test_remedy_effects_compare_with_the_spread():
    (dropout,) = L.remedy_effects(_synthetic(), "val_accuracy", last=1)
    assert dropout["remedy"] == "dropout"
    assert dropout["difference"] == pytest.approx(0.05)
    assert dropout["sd"] == pytest.approx(0.01)
    assert dropout["beyond"]  # 0.05 > 2 * 0.01
    (dropout,) = L.remedy_effects(_synthetic(), "val_accuracy", last=1, spread=6)
    assert not dropout["beyond"]  # 0.05 < 6 * 0.01
    (same,) = L.remedy_effects(_synthetic(), "val_loss")
    assert same["difference"] == 0 and not same["beyond"]
    with pytest.raises(ValueError, match="one run"):
        L.remedy_effects(_synthetic(runs=1))


def test_curves_survive_a_round_trip_and_bad_files_are_clear(tmp_path):
    path = L.save_remedy_curves(_synthetic(), tmp_path / "curves.json")
    assert cl.data.load_remedy_curves(path) == json.loads(json.dumps(_synthetic()))
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ValueError, match="is not valid JSON"):
        cl.data.load_remedy_curves(tmp_path / "bad.json")
    with pytest.raises(
        ValueError,
        match="missing.json', which does not exist",
    ):
        cl.data.load_remedy_curves(tmp_path / "missing.json")
    broken = _synthetic()
    del broken["remedies"]["none"]["val_loss"]
    with pytest.raises(ValueError, match="has no 'val_loss' curves"):
        L.save_remedy_curves(broken, tmp_path / "x.json")


def test_the_shipped_curves_show_overfitting_and_every_remedy():
    curves = cl.data.load_remedy_curves()
    assert list(curves["remedies"]) == list(L.REMEDIES)
    settings = curves["settings"]
    assert len(settings["seeds"]) >= 3 and settings["num_train"] == 500
    rows = {row["remedy"]: row for row in L.summarize_remedies(curves)}
    for remedy in L.REMEDIES:
        runs = L.remedy_curve(curves, remedy, "val_accuracy")
        assert runs.shape == (len(settings["seeds"]), settings["epochs"])
        assert 0.8 < rows[remedy]["val"] <= 1  # every run learned
    assert rows["none"]["train"] > 0.97 and rows["none"]["gap"] > 0.03  # it overfits
    # the plain network's held-out loss turns up: in every run, the last epoch lies
    # above the lowest one, which comes well before the end
    loss = L.remedy_curve(curves, "none", "val_loss")
    assert (loss[:, -1] - loss.min(axis=1) > 0.02).all()
    assert (loss.argmin(axis=1) < settings["epochs"] - 5).all()
    # early stopping keeps (nearly) the minimum, far below the plain net's last loss
    kept = L.remedy_curve(curves, "early stopping", "val_loss")[:, -1]
    assert (kept < loss.min(axis=1) + 0.03).all()
    assert kept.mean() < loss[:, -1].mean() - 0.02


def test_exercise_9_5_has_no_remedy_near_its_threshold():
    """The accepted answer must not hang on noise: every remedy's effect on the
    held-out loss lies well below or well above 3 sd."""
    from course_lib.exercises import lecture_09

    curves = cl.data.load_remedy_curves()
    base = L.remedy_curve(curves, "none", "val_loss")[:, -1].std(ddof=1)
    for row in L.remedy_effects(curves, "val_loss", last=1):
        ratio = abs(row["difference"]) / max(row["sd"], base)
        assert not 2.5 <= ratio <= 4.5, (row["remedy"], ratio)
    assert lecture_09.SPREAD == 3.0


# -- bad input (found by the old bad-input property table) --------------------------------------


@pytest.mark.parametrize("axis", ["text", None, 1.5, 10**5])
def test_layers_refuse_a_bad_axis(axis):
    with pytest.raises(ValueError, match="axis"):
        L.softmax([1.0, 2.0], axis=axis)
    with pytest.raises(ValueError, match="axis"):
        L.batch_statistics(np.ones((4, 3)), axis=axis)
    with pytest.raises(ValueError, match="axis"):
        L.batch_norm(np.ones((4, 3)), np.zeros(3), np.ones(3), axis=axis)


@pytest.mark.parametrize(
    "settings",
    [
        {"depth_radius": 10**12},
        {"bias": "text"},
        {"alpha": None},
        {"beta": [1, 2]},
    ],
)
def test_lrn_refuses_huge_radii_and_settings_that_are_not_numbers(settings):
    with pytest.raises(ValueError, match="|".join(settings)):
        L.local_response_norm(np.ones((2, 3)), **settings)


@pytest.mark.parametrize("shape", [(10**6, 10**6), "text", (-1, 3), None])
def test_dropout_mask_refuses_bad_or_huge_shapes(shape):
    with pytest.raises(ValueError, match="shape"):
        L.dropout_mask(shape, 0.5)


@pytest.mark.parametrize("seed", ["text", -1, 1.5, [None]])
def test_random_layers_refuse_a_bad_seed(seed):
    with pytest.raises(ValueError, match="seed"):
        L.dropout(np.ones((2, 3)), 0.5, seed=seed)
    with pytest.raises(ValueError, match="seed"):
        L.rotate_digits(np.zeros((2, 28, 28)), seed=seed)
    with pytest.raises(ValueError, match="seed"):
        L.build_remedy_model("augmentation", seed=seed)


@pytest.mark.parametrize(
    "curves",
    [
        {"remedies": {"none": 1}},
        {"remedies": {"none": {metric: [[None]] for metric in L.METRICS}}},
    ],
)
def test_check_remedy_curves_refuses_entries_that_are_not_curves(curves):
    with pytest.raises(ValueError, match="none"):
        L.check_remedy_curves(curves)


@pytest.mark.parametrize("rows", [None, [None], [{"remedy": "none"}], "text"])
def test_format_summary_refuses_rows_it_did_not_make(rows):
    with pytest.raises(ValueError, match=r"rows(\[0\])? must be|each of rows must be"):
        L.format_summary(rows)


def test_saving_and_loading_curves_refuse_folders_and_non_paths(tmp_path):
    for path in (tmp_path, None, 3):
        with pytest.raises(ValueError, match="path must be|no remedy curves"):
            L.save_remedy_curves(_synthetic(), path)
        if path is not None:
            with pytest.raises(ValueError, match="path must be|no remedy curves"):
                cl.data.load_remedy_curves(path)


def test_training_refuses_huge_epochs_and_bad_callbacks_before_it_starts():
    digits = (np.zeros((4, 28, 28), np.uint8), np.arange(4))
    with pytest.raises(ValueError, match="epochs"):
        L.train_with_remedy("none", digits, digits, epochs=10**9, num_train=4)
    with pytest.raises(ValueError, match="callbacks"):
        L.train_with_remedy("none", digits, digits, epochs=1, callbacks=[object()])
    with pytest.raises(ValueError, match="epochs"):
        L.compare_remedies(digits, digits, ("none",), (0,), epochs=10**4)
    with pytest.raises(ValueError, match="seeds"):
        L.compare_remedies(digits, digits, ("none",), range(10**9), epochs=1)
    with pytest.raises(ValueError, match="reuse"):
        L.compare_remedies(digits, digits, ("none",), (0,), epochs=1, reuse=[1])


def test_batch_norm_refuses_a_single_number():
    with pytest.raises(ValueError, match="x must be an array with channels last"):
        L.batch_norm(np.array(0, np.uint8), np.zeros(3), np.ones(3))


def test_lrn_refuses_a_single_number():
    with pytest.raises(ValueError, match="x must be an array with channels last"):
        cl.layers.local_response_norm("3", depth_radius=2, convention="caffe")
