"""course_lib.train: the GradientTape step in three modes, the fit loop, tf.distribute."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import course_lib as cl


def _toy_data(n=256, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8)).astype("float32")
    y = (x @ rng.normal(size=8) > 0).astype("int64")
    return x, y


def _toy_model():
    import keras

    return keras.Sequential(
        [keras.Input((8,)), keras.layers.Dense(2, activation="softmax")]
    )


class Recorder:
    """A keras Callback that records which hooks ran, with their logs."""

    def __new__(cls):
        import keras

        class _Recorder(keras.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.calls = []

            def on_train_begin(self, logs=None):
                self.calls.append(("train_begin", None))

            def on_epoch_begin(self, epoch, logs=None):
                self.calls.append(("epoch_begin", epoch))

            def on_train_batch_end(self, batch, logs=None):
                self.calls.append(("batch_end", dict(logs)))

            def on_epoch_end(self, epoch, logs=None):
                self.calls.append(("epoch_end", (epoch, dict(logs))))

            def on_train_end(self, logs=None):
                self.calls.append(("train_end", None))

        return _Recorder()


@pytest.mark.parametrize("mode", cl.train.MODES)
def test_every_mode_gives_the_same_first_steps(mode):
    import keras

    x, y = _toy_data(64)
    losses = {}
    for m in ("eager", mode):
        cl.set_seed(0)
        step = cl.train.TrainStep(_toy_model(), keras.optimizers.SGD(0.5), mode=m)
        losses[m] = [float(step(x, y)["loss"]) for _ in range(3)]
    np.testing.assert_allclose(losses[mode], losses["eager"], rtol=1e-5)
    assert losses[mode][2] < losses[mode][0]  # it learns


def test_step_matches_keras_train_on_batch():
    import keras

    x, y = _toy_data(64)
    cl.set_seed(0)
    ours = _toy_model()
    theirs = keras.models.clone_model(ours)
    theirs.set_weights(ours.get_weights())
    theirs.compile(keras.optimizers.SGD(0.5), "sparse_categorical_crossentropy")
    step = cl.train.TrainStep(ours, keras.optimizers.SGD(0.5))
    for _ in range(3):
        step(x, y)
        theirs.train_on_batch(x, y)
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_tf_function_traces_once_and_eager_runs_python_every_time():
    import keras

    x, y = _toy_data(32)
    step = cl.train.TrainStep(_toy_model(), keras.optimizers.SGD(0.1))
    for _ in range(4):
        step(x, y)
    assert step.traces == 1
    step(x[:16], y[:16])  # a new batch shape: one more trace
    assert step.traces == 2
    eager = cl.train.TrainStep(_toy_model(), keras.optimizers.SGD(0.1), mode="eager")
    for _ in range(3):
        eager(x, y)
    assert eager.traces == 3


def test_fit_calls_the_keras_hooks_with_metrics():
    import keras

    cl.set_seed(0)
    x, y = _toy_data()
    recorder = Recorder()
    model = _toy_model()
    history = cl.train.fit(
        model,
        (x, y),
        epochs=3,
        batch_size=64,
        optimizer=keras.optimizers.SGD(0.5),
        validation_data=(x, y),
        callbacks=[recorder],
    )
    kinds = [kind for kind, _ in recorder.calls]
    assert kinds[0] == "train_begin" and kinds[-1] == "train_end"
    assert kinds.count("epoch_begin") == 3 and kinds.count("batch_end") == 12
    epoch, logs = [v for k, v in recorder.calls if k == "epoch_end"][-1]
    assert epoch == 2
    assert set(logs) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    # The last epoch's validation numbers are the trained model's, as Keras measures them.
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    keras_loss, keras_accuracy = model.evaluate(x, y, verbose=0)
    assert logs["val_accuracy"] == pytest.approx(keras_accuracy, abs=1e-6)
    assert logs["val_loss"] == pytest.approx(keras_loss, rel=1e-5)
    batch_logs = [v for k, v in recorder.calls if k == "batch_end"]
    assert all(0 <= b["accuracy"] <= 1 and b["loss"] > 0 for b in batch_logs)
    assert history.history["accuracy"][-1] > history.history["accuracy"][0]
    assert history.history["val_accuracy"][-1] > 0.9
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_fit_stops_when_a_callback_says_so():
    import keras

    x, y = _toy_data()
    history = cl.train.fit(
        _toy_model(),
        (x, y),
        epochs=50,
        batch_size=64,
        optimizer=keras.optimizers.SGD(0.5),
        callbacks=[keras.callbacks.EarlyStopping("loss", min_delta=10.0, patience=0)],
    )
    assert len(history.history["loss"]) == 2


def test_fit_learns_mnist_digits_with_a_convnet():
    import keras

    cl.set_seed(0)
    (x, y), (x_test, y_test) = cl.data.load_mnist()
    x, x_test = cl.images.prepare_images(x), cl.images.prepare_images(x_test)
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(8, 3, strides=2, activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    history = cl.train.fit(
        model,
        (x[:2000], y[:2000]),
        epochs=2,
        batch_size=32,
        optimizer=keras.optimizers.Adam(3e-3),
        validation_data=(x_test, y_test),
    )
    assert history.history["val_accuracy"][-1] > 0.85
    scores = cl.train.evaluate(model, (x_test, y_test))
    assert scores["accuracy"] == pytest.approx(history.history["val_accuracy"][-1])


def test_evaluate_reuses_one_traced_step_for_repeated_calls():
    x, y = _toy_data(100)
    model = _toy_model()
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    step = cl.train.EvaluateStep(model)
    first = cl.train.evaluate(step, (x, y), batch_size=100)
    traces = step._step.experimental_get_tracing_count()
    model.layers[-1].kernel.assign(-model.layers[-1].kernel)  # the model changes ...
    second = cl.train.evaluate(step, (x, y), batch_size=100)
    assert step._step.experimental_get_tracing_count() == traces == 1  # ... no retrace
    assert second["accuracy"] == pytest.approx(1 - first["accuracy"], abs=1e-6)
    keras_loss, keras_accuracy = model.evaluate(x, y, verbose=0)
    assert second["accuracy"] == pytest.approx(keras_accuracy, abs=1e-6)
    assert second["loss"] == pytest.approx(keras_loss, rel=1e-5)
    assert cl.train.evaluate(model, (x, y)) == pytest.approx(second)


def test_bad_arguments_give_clear_messages():
    import keras

    x, y = _toy_data(16)
    with pytest.raises(ValueError, match="mode must be one of"):
        cl.train.TrainStep(_toy_model(), keras.optimizers.SGD(), mode="fast")
    with pytest.raises(ValueError, match="give it a keras.Input first"):
        cl.train.TrainStep(
            keras.Sequential([keras.layers.Dense(2)]), keras.optimizers.SGD()
        )
    with pytest.raises(ValueError, match="got x of 16 examples, y of 8"):
        cl.train.fit(_toy_model(), (x, y[:8]))
    with pytest.raises(ValueError, match="epochs must be"):
        cl.train.fit(_toy_model(), (x, y), epochs=0)
    with pytest.raises(ValueError, match="loss must be"):
        cl.train.per_example_loss(3)


def _stopwatch_seconds_per_step(mode, batch_size=16, rounds=5, calls=5):
    """Seconds per training step by a plain stopwatch: the best of a few rounds."""
    import time

    import keras
    import tensorflow as tf

    rng = np.random.default_rng(0)
    x = tf.constant(rng.random((batch_size, 28, 28, 1), dtype=np.float32))
    y = tf.constant(rng.integers(0, 10, batch_size))
    model, optimizer = _toy_model_for_images(), keras.optimizers.SGD(0.01)
    step = cl.train.TrainStep(model, optimizer, mode=mode)
    for _ in range(2):
        step(x, y)["loss"].numpy()  # tracing and compiling, outside the timing
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            step(x, y)["loss"].numpy()
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def check_step_seconds(results, stopwatch):
    """Benchmark results are seconds per step: finite, plausible, and ordered."""
    assert list(results) == list(cl.train.MODES)
    for mode, seconds in results.items():
        assert np.isfinite(seconds) and 1e-6 < seconds < 1.0, (mode, seconds)
    # A traced graph skips the Python work eager mode does for every operation.
    assert results["eager"] > results["tf_function"], results
    # The best of several rounds, per step: near what a plain stopwatch sees (not
    # milliseconds, not a whole round of 20 calls). A factor 8 leaves room for a busy CPU.
    for mode, seconds in stopwatch.items():
        assert seconds / 8 < results[mode] < 8 * seconds, (mode, results, stopwatch)


def test_benchmark_train_step_reports_seconds_per_step_in_every_mode():
    results = cl.train.benchmark_train_step(
        lambda: _toy_model_for_images(), batch_size=16, repeat=3, min_seconds=0.02
    )
    stopwatch = {m: _stopwatch_seconds_per_step(m) for m in ("eager", "tf_function")}
    check_step_seconds(results, stopwatch)
    # The check bites: results in the wrong unit, per round, or with modes swapped.
    wrong = [
        {mode: seconds * 1000 for mode, seconds in results.items()},
        {mode: seconds * 20 for mode, seconds in results.items()},
        {**results, "eager": results["tf_function"], "tf_function": results["eager"]},
        {**results, "xla": float("nan")},
    ]
    for bad in wrong:
        with pytest.raises(AssertionError):
            check_step_seconds(bad, stopwatch)


def _toy_model_for_images():
    import keras

    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


# tf.distribute over two logical CPU devices. The split must be configured before
# TensorFlow initializes its devices, so it runs in a fresh Python process.
MIRRORED_SCRIPT = textwrap.dedent(
    """
    import contextlib, json
    import numpy as np
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2
    )
    import keras
    import course_lib as cl

    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 8)).astype("float32")
    y = (x @ rng.normal(size=8) > 0).astype("int64")
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(64)

    # Each replica sees half of every batch.
    shares = strategy.run(
        lambda x, y: tf.shape(x)[0],
        args=next(iter(strategy.experimental_distribute_dataset(dataset))),
    )
    split = [int(v) for v in strategy.experimental_local_results(shares)]

    def train(strategy, mode):
        cl.set_seed(0)
        with strategy.scope() if strategy else contextlib.nullcontext():
            model = keras.Sequential(
                [keras.Input((8,)), keras.layers.Dense(2, activation="softmax")]
            )
            optimizer = keras.optimizers.SGD(0.5)
        history = cl.train.fit(
            model, dataset, epochs=4, optimizer=optimizer,
            validation_data=(x, y), strategy=strategy, mode=mode,
        )
        return history.history, model.get_weights()[0]

    out = {"replicas": strategy.num_replicas_in_sync, "split": split}
    single, weights = train(None, "tf_function")
    mirrored, mirrored_weights = train(strategy, "tf_function")
    out["max_weight_difference"] = float(np.abs(weights - mirrored_weights).max())
    out["val_accuracy"] = mirrored["val_accuracy"]
    out["single_val_accuracy"] = single["val_accuracy"]
    try:
        train(strategy, "xla")
    except ValueError as error:
        out["xla_error"] = str(error)
    print("RESULT " + json.dumps(out))
    """
)


def test_fit_under_mirrored_strategy_matches_one_device():
    run = subprocess.run(
        [sys.executable, "-c", MIRRORED_SCRIPT],
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = [line for line in run.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, f"the strategy script failed:\n{run.stderr[-3000:]}"
    out = json.loads(lines[-1][len("RESULT ") :])
    assert out["replicas"] == 2
    assert out["split"] == [32, 32]
    # Gradients averaged over the global batch: the same training as on one device.
    assert out["max_weight_difference"] < 1e-4
    np.testing.assert_allclose(
        out["val_accuracy"], out["single_val_accuracy"], atol=1e-6
    )
    assert out["val_accuracy"][-1] > 0.9
    # Logical CPU devices share one XLA device: a clear message, not a crash.
    assert "XLA cannot compile for several logical CPU devices" in out["xla_error"]


@pytest.mark.parametrize("labels", ["sparse", "one-hot"])
def test_evaluate_accuracy_equals_an_outside_reference(labels):
    """Accuracy checked against predict + argmax and keras.metrics, not against itself."""
    import keras

    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 12)).astype("float32")
    y = rng.integers(0, 5, 300)
    model = keras.Sequential([keras.Input((12,)), keras.layers.Dense(5, "softmax")])
    probabilities = model.predict(x, verbose=0)
    reference = float((probabilities.argmax(1) == y).mean())
    assert 0.05 < reference < 0.6  # an untrained model: some right, many wrong
    if labels == "sparse":
        target, loss = y, "sparse_categorical_crossentropy"
        metric = keras.metrics.SparseCategoricalAccuracy()
    else:
        target, loss = np.eye(5, dtype="float32")[y], "categorical_crossentropy"
        metric = keras.metrics.CategoricalAccuracy()
    metric.update_state(target, probabilities)
    result = cl.train.evaluate(model, (x, target), loss=loss, batch_size=64)
    assert result["accuracy"] == pytest.approx(reference, abs=1e-6)
    assert result["accuracy"] == pytest.approx(float(metric.result()), abs=1e-6)


# --- issue 12: inputs checked before TensorFlow sees them --------------------------------


def _ten_classes():
    import keras

    return keras.Sequential(
        [keras.Input((8,)), keras.layers.Dense(10, activation="softmax")]
    )


def test_fit_says_in_one_line_that_a_label_is_out_of_range():
    x, _ = _toy_data(16)
    y = np.arange(16) % 11  # 0 to 10 on a model with ten outputs
    for call in (
        lambda: cl.train.fit(_ten_classes(), (x, y)),
        lambda: cl.train.evaluate(_ten_classes(), (x, y)),
        lambda: cl.train.fit(_ten_classes(), (x, y % 10), validation_data=(x, y)),
    ):
        with pytest.raises(ValueError) as error:
            call()
        assert str(error.value).startswith("the y of ")
        assert str(error.value).endswith(
            "must be labels (N,) of whole numbers from 0 to 9, got labels from 0 to 10"
        )
    with pytest.raises(ValueError, match="got labels from -1 to -1"):
        cl.train.fit(_ten_classes(), (x, -np.ones(16, int)))
    with pytest.raises(ValueError, match="the y of data must be one-hot, shaped"):
        cl.train.fit(_ten_classes(), (x, y % 10), loss="categorical_crossentropy")


def test_fit_checks_the_shape_of_x_against_the_model():
    with pytest.raises(
        ValueError, match=r"the x of data must be shaped \(N, 8\) for this model"
    ):
        cl.train.fit(_ten_classes(), (np.zeros((4, 28, 28)), np.zeros(4, int)))
    with pytest.raises(ValueError, match="got x with NaN"):
        cl.train.fit(_ten_classes(), (np.full((4, 8), np.nan), np.zeros(4, int)))


def test_fit_converts_what_it_can_and_refuses_the_rest_by_name():
    x, y = _toy_data(16)
    model = _toy_model()
    history = cl.train.fit(
        model, (x.tolist(), list(y)), optimizer="sgd", mode="EAGER", batch_size=8
    )
    assert len(history.history["loss"]) == 1
    for kwargs, match in [
        ({"epochs": 10**9}, "epochs must be an int from 1 to 10,000"),
        ({"batch_size": 0}, "batch_size must be an int from 1"),
        ({"verbose": 5}, "verbose must be an int from 0 to 2"),
        ({"mode": "fast"}, "mode must be one of"),
        ({"optimizer": "fastest"}, "optimizer must be one of 'adam'"),
        ({"loss": "sparse"}, "loss must be one of 'sparse_categorical_crossentropy'"),
        ({"callbacks": [print]}, "callbacks must be None, a Keras callback or a list"),
    ]:
        with pytest.raises(ValueError, match=match):
            cl.train.fit(_toy_model(), (x, y), **kwargs)
    with pytest.raises(ValueError, match="model must be a built Keras model"):
        cl.train.fit("model", (x, y))
    with pytest.raises(ValueError, match="got x of float32 and y of <U1"):
        cl.train.as_dataset((x, ["a"] * 16))


def test_benchmark_train_step_checks_before_timing():
    with pytest.raises(ValueError, match="build_model must be a function of no"):
        cl.train.benchmark_train_step(len)
    with pytest.raises(ValueError, match="min_seconds must be"):
        cl.train.benchmark_train_step(_toy_model, min_seconds=1e9)
    with pytest.raises(ValueError, match="must be a model for 28x28x1 digits"):
        cl.train.benchmark_train_step(_toy_model, repeat=1)  # it times 28x28 digits


def _averaging_step(ema: bool):
    """Three SGD steps of the toy model by a TrainStep (no fit: nothing finalized)."""
    import keras

    cl.set_seed(0)
    model = _toy_model()
    optimizer = keras.optimizers.SGD(0.5, use_ema=ema, ema_momentum=0.5)
    step = cl.train.TrainStep(model, optimizer)
    x, y = _toy_data(64)
    for _ in range(3):
        step(x, y)
    return model, optimizer


def test_averaged_weights_lends_the_average_and_gives_the_weights_back():
    model, optimizer = _averaging_step(ema=True)
    own = [v.numpy() for v in model.trainable_variables]
    # Momentum 0.5 over three steps: the average lags behind the weights.
    average = [a.numpy() for a in optimizer._model_variables_moving_average]
    with cl.train.averaged_weights(model, optimizer):
        lent = [v.numpy() for v in model.trainable_variables]
    for w, a, inside in zip(own, average, lent, strict=True):
        np.testing.assert_array_equal(inside, a)
        assert not np.allclose(w, a)
    for w, after in zip(own, model.trainable_variables, strict=True):
        np.testing.assert_array_equal(after.numpy(), w)


def test_averaged_weights_leaves_a_model_without_an_average_as_it_is():
    model, optimizer = _averaging_step(ema=False)
    own = [v.numpy() for v in model.trainable_variables]
    with cl.train.averaged_weights(model, optimizer):
        inside = [v.numpy() for v in model.trainable_variables]
    for w, i in zip(own, inside, strict=True):
        np.testing.assert_array_equal(i, w)
    with pytest.raises(ValueError, match="optimizer must be a Keras optimizer"):
        cl.train.averaged_weights(model, "adam")


def test_fit_ends_with_the_averaged_weights_as_model_fit_does():
    import keras

    x, y = _toy_data(64)
    cl.set_seed(0)
    model = _toy_model()
    optimizer = keras.optimizers.SGD(0.5, use_ema=True, ema_momentum=0.5)
    cl.train.fit(model, (x, y), epochs=2, optimizer=optimizer, batch_size=16)
    for v, a in zip(
        model.trainable_variables,
        optimizer._model_variables_moving_average,
        strict=True,
    ):
        np.testing.assert_array_equal(v.numpy(), a.numpy())


def test_array_batches_cover_every_example_once_per_epoch_in_a_seeded_order():
    x = np.arange(10, dtype=np.uint8)[:, None] * np.ones((1, 3), np.uint8)
    y = np.arange(10)
    batches = cl.train.array_batches(x, y, batch_size=4, seed=1)
    assert len(batches) == 3  # 4 + 4 + 2
    epoch = [batches[i] for i in range(len(batches))]
    assert [len(b[1]) for b in epoch] == [4, 4, 2]
    seen = np.concatenate([b[1] for b in epoch])
    assert sorted(seen.tolist()) == list(range(10))
    for bx, by in epoch:
        assert bx.dtype == np.uint8 and np.array_equal(bx[:, 0], by)  # rows stay paired
    again = cl.train.array_batches(x, y, batch_size=4, seed=1)
    assert np.array_equal(np.concatenate([again[i][1] for i in range(3)]), seen)
    batches.on_epoch_end()
    reshuffled = np.concatenate([batches[i][1] for i in range(3)])
    assert sorted(reshuffled.tolist()) == list(range(10))
    in_order = cl.train.array_batches(x, y, batch_size=4, shuffle=False)
    assert np.concatenate([in_order[i][1] for i in range(3)]).tolist() == list(
        range(10)
    )


def test_array_batches_give_weights_and_train_a_model_like_arrays():
    x, y = _toy_data()
    batches = cl.train.array_batches(x, y, 32, weight=lambda labels: labels + 1.0)
    bx, by, bw = batches[0]
    assert np.array_equal(bw, by + 1.0)
    model = _toy_model()
    cl.train.compile_for_classification(model, "adam")
    history = model.fit(cl.train.array_batches(x, y, 32), epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    with pytest.raises(ValueError, match="same number of examples"):
        cl.train.array_batches(x, y[:-1])


def test_array_batches_take_several_inputs_row_weights_and_byte_pixels():
    images = np.arange(6, dtype=np.uint8)[:, None, None] * np.ones((1, 2, 2), np.uint8)
    tokens = np.repeat(np.arange(6, dtype=np.int32)[:, None], 3, axis=1)
    y, weights = np.arange(6), np.arange(6) / 10
    batches = cl.train.array_batches(
        (images, tokens), y, 4, seed=2, weight=weights, pixels=True
    )
    (bx, bt), by, bw = batches[0]
    assert bx.dtype == np.float32 and np.allclose(bx[:, 0, 0], by / 255)
    assert bt.dtype == np.int32 and np.array_equal(bt[:, 0], by)  # rows stay paired
    assert np.array_equal(bw, by / 10)
    floats = cl.train.array_batches(images / np.float32(255), y, 4, seed=2, pixels=True)
    assert np.array_equal(floats[0][0], bx)  # floats pass as they are
    # an array of two or three examples is one input, never split into its rows;
    # two inputs of one shape stay two inputs, never stacked into one array
    two = cl.train.array_batches(images[:2], y[:2], 2)
    assert two[0][0].shape == (2, 2, 2)
    pair = cl.train.array_batches((images, images), y, 6, shuffle=False)
    (first, second), _ = pair[0]
    assert first.shape == second.shape == (6, 2, 2)
    for bad, match in [
        (dict(x=(images, tokens[:-1]), y=y), "same number of examples"),
        (dict(x=images, y=y, weight=weights[:-1]), "same number of examples"),
        (dict(x=(images, "text"), y=y), "x must be"),
    ]:
        with pytest.raises(ValueError, match=match):
            cl.train.array_batches(**bad)


def test_array_checks_copy_no_large_array_to_look_at_it():
    """array_batches' checks keep each array in its own dtype and read it where it
    lies: 8 MB of bytes (or of float32) is not copied into 64 MB of float64 to see
    that it is finite."""
    import tracemalloc

    for array in (np.zeros((1000, 8000), np.uint8), np.zeros((1000, 2000), np.float32)):
        tracemalloc.start()
        cl.train.array_batches(array, np.zeros(len(array), np.uint8), 32)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert peak < 12_000_000, (array.dtype, peak)
