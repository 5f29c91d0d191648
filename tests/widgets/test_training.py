"""cl.widgets.LivePlot: history, plot data and progress bar, from fit and a custom loop."""

from __future__ import annotations

import numpy as np
import pytest

import course_lib as cl


def _tiny_model():
    import keras

    cl.set_seed(0)
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(8, "relu"), keras.layers.Dense(2)]
    )
    model.compile(
        "adam",
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    return model, x, y


def test_fit_records_the_same_history_as_keras_and_draws_it(capsys):
    model, x, y = _tiny_model()
    plot = cl.widgets.LivePlot()
    keras_history = model.fit(
        x,
        y,
        epochs=3,
        batch_size=16,
        validation_split=0.25,
        callbacks=[plot],
        verbose=0,
    )
    assert capsys.readouterr().out == ""  # no display outside a notebook
    assert plot.show is False and plot.figure_image is None
    assert set(plot.history) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    for key, values in keras_history.history.items():
        np.testing.assert_allclose(plot.history[key], values, rtol=1e-6)
    x_data, y_data = plot.lines["val_loss"].get_data()
    np.testing.assert_array_equal(x_data, [1, 2, 3])
    np.testing.assert_allclose(y_data, plot.history["val_loss"])
    assert plot.epochs == 3 and plot.steps == 3  # 48 training samples / 16
    assert plot.progress.value == plot.progress.max == 9
    assert plot.progress.bar_style == "success"
    assert plot.summary().startswith("epoch 3/3: loss")


def test_a_second_fit_starts_a_fresh_history():
    model, x, y = _tiny_model()
    plot = cl.widgets.LivePlot()
    model.fit(x, y, epochs=2, callbacks=[plot], verbose=0)
    model.fit(x, y, epochs=1, callbacks=[plot], verbose=0)
    assert len(plot.history["loss"]) == 1
    assert len(plot.lines["loss"].get_xdata()) == 1


def test_a_custom_loop_can_drive_it_with_tensors_and_no_params():
    import tensorflow as tf

    plot = cl.widgets.LivePlot(epochs=2)
    plot.on_train_begin()
    for epoch in range(2):
        plot.on_epoch_begin(epoch)
        for step in range(5):
            plot.on_train_batch_end(step, {"loss": tf.constant(1.0 / (step + 1))})
        logs = {"loss": tf.constant(0.5 - epoch * 0.1), "accuracy": np.float32(0.8)}
        if epoch == 1:
            logs["val_loss"] = 0.45  # a key that appears late is padded with NaN
        plot.on_epoch_end(epoch, logs)
    plot.on_train_end()
    assert plot.steps == 5  # learned from the first epoch
    np.testing.assert_allclose(plot.history["loss"], [0.5, 0.4], rtol=1e-6)
    assert np.isnan(plot.history["val_loss"][0]) and plot.history["val_loss"][1] == 0.45
    assert plot.progress.value == plot.progress.max == 10
    assert plot.epochs_seen == 2


def test_show_displays_once_and_refreshes_the_image(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    plot = cl.widgets.LivePlot(show=True, epochs=3, steps=1)
    plot.on_train_begin()
    before = plot.figure_image.value
    plot.on_epoch_end(0, {"loss": 1.0, "accuracy": 0.5})
    after_one = plot.figure_image.value
    plot.on_epoch_end(1, {"loss": 0.5, "accuracy": 0.7})
    plot.on_train_begin()  # a second run reuses the widget on show
    assert shown == [plot.widget]
    assert before != after_one != plot.figure_image.value
    assert plot.figure_image in plot.widget.children


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"metrics": "loss"}, r"one value goes in a list, e\.g\. \['loss'\]"),
        ({"metrics": ()}, "metrics must be a list of 1 to 6 values"),
        ({"epochs": 0}, "epochs must be an int from 1"),
        ({"steps": 2.5}, "steps must be an int from 1"),
    ],
)
def test_bad_arguments_say_what_is_wrong(kwargs, message):
    with pytest.raises(ValueError, match=message):
        cl.widgets.LivePlot(**kwargs)


def test_the_registry_name_is_the_training_module_callback():
    import keras

    from course_lib.widgets import training

    assert cl.widgets.LivePlot is training.LivePlot
    assert issubclass(cl.widgets.LivePlot, keras.callbacks.Callback)


def test_each_epoch_moves_the_lines_made_once_and_clears_nothing():
    plot = cl.widgets.LivePlot(show=False, epochs=4)
    lines = {key: line for key, line in plot.lines.items()}
    artists = {name: list(ax.get_children()) for name, ax in plot.axes.items()}
    legends = {name: ax.get_legend() for name, ax in plot.axes.items()}
    plot.on_train_begin()
    for epoch in range(4):
        plot.on_epoch_end(epoch, {"loss": 1.0 / (epoch + 1), "accuracy": 0.2 * epoch})
    assert plot.lines == lines  # the very same Line2D objects
    for name, ax in plot.axes.items():
        assert ax.lines[:] == [lines[name], lines["val_" + name]]
        assert ax.get_legend() is legends[name]
        assert len(ax.get_children()) == len(artists[name])
    np.testing.assert_array_equal(plot.lines["loss"].get_xdata(), [1, 2, 3, 4])
    assert plot.axes["loss"].get_ylim()[1] >= 1.0  # rescaled to the new data
    assert plot.axes["loss"].get_xlim() == (0.5, 4.5)


def test_cl_train_fit_drives_it_like_model_fit():
    model, x, y = _tiny_model()
    plot = cl.widgets.LivePlot()
    cl.train.fit(
        model,
        (x, y),
        epochs=2,
        batch_size=16,
        validation_data=(x, y),
        callbacks=[plot],
        loss=model.loss,
    )
    assert plot.epochs == 2 and plot.steps == 4
    assert len(plot.history["val_accuracy"]) == 2
    assert plot.progress.value == plot.progress.max == 8


# -- issue 12: every argument checked before anything is drawn -------------------------


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"metrics": [1, 2]}, r"metrics\[0\] must be non-empty text"),
        ({"metrics": ["loss", "loss"]}, "different names"),
        ({"metrics": None}, "metrics must be a list of 1 to 6 values"),
        ({"metrics": [f"m{i}" for i in range(7)]}, "got 7 values"),
        ({"epochs": True}, "epochs must be an int from 1 to 1,000,000, got True"),
        ({"steps": -3}, "steps must be an int from 1"),
        ({"show": "no"}, "show must be True or False, got 'no'"),
        ({"title": 3}, "title must be text, got 3"),
    ],
)
def test_bad_arguments_get_a_value_error_naming_them(kwargs, message):
    with pytest.raises(ValueError, match=message):
        cl.widgets.LivePlot(**kwargs)


def test_numpy_counts_are_taken_as_ints():
    plot = cl.widgets.LivePlot(show=False, epochs=np.int64(3), steps=np.int32(2))
    assert (plot.epochs, plot.steps) == (3, 2) and type(plot.epochs) is int
