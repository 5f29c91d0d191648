"""course_lib.recipes: the three MNIST recipes and the race against the clock."""

from __future__ import annotations

import numpy as np
import pytest

import course_lib as cl


def test_the_recipes_build_the_published_architectures():
    from keras import layers

    slides = cl.recipes.build_slides_model()
    # Lecture 06's facts: Flatten gives 3200, the dense kernel is (3200, 128).
    flatten = next(
        layer for layer in slides.layers if isinstance(layer, layers.Flatten)
    )
    assert flatten.output.shape[1:] == (3200,)
    dense = next(layer for layer in slides.layers if isinstance(layer, layers.Dense))
    assert tuple(dense.kernel.shape) == (3200, 128)
    assert slides.count_params() == 437_482
    keras_io = cl.recipes.build_keras_io_model()
    assert keras_io.count_params() == 34_826  # the keras-io example's own summary
    kinds = [type(layer).__name__ for layer in keras_io.layers]
    assert kinds == [
        "Conv2D",
        "MaxPooling2D",
        "Conv2D",
        "MaxPooling2D",
        "Flatten",
        "Dropout",
        "Dense",
    ]
    assert cl.recipes.build_course_model().output_shape == (None, 10)


def test_optimizers_and_batches_follow_the_recipes():
    import keras

    slides = cl.recipes.build("slides", steps_per_epoch=10)
    assert isinstance(slides.optimizer, keras.optimizers.Adadelta)
    assert float(slides.optimizer.learning_rate) == pytest.approx(1.0)
    keras_io = cl.recipes.build("keras_io", steps_per_epoch=10)
    assert isinstance(keras_io.optimizer, keras.optimizers.Adam)
    assert cl.recipes.get("keras_io").batch_size == 128
    assert cl.recipes.get("slides").batch_size == 32


def test_one_cycle_rises_then_decays():
    schedule = cl.recipes.one_cycle(100, peak=3e-3)
    rates = [float(schedule(step)) for step in (0, 10, 20, 60, 99)]
    assert rates[0] == pytest.approx(3e-4)
    assert rates[2] == pytest.approx(3e-3, rel=1e-3)
    assert rates[0] < rates[1] < rates[2] > rates[3] > rates[4]


def test_the_slides_recipe_is_the_one_slides_convnet():
    slides = cl.recipes.build_slides_model()
    reference = cl.models.slides_convnet()
    assert [layer.name for layer in slides.layers] == [
        layer.name for layer in reference.layers
    ]
    assert cl.recipes.get("slides").build_model is cl.recipes.build_slides_model


def test_the_old_helpers_are_gone():
    # One preparation (cl.models.prepare_images), one evaluation (cl.train.evaluate).
    assert not hasattr(cl.recipes, "prepare")
    assert not hasattr(cl.recipes, "accuracy_of")


def test_unknown_recipe_gives_a_clear_message():
    with pytest.raises(ValueError, match="unknown recipe 'fastest'; known: course, "):
        cl.recipes.get("fastest")
    assert cl.recipes.get(" Keras_IO") is cl.recipes.RECIPES["keras_io"]
    recipe = cl.recipes.RECIPES["course"]
    assert cl.recipes.get(recipe) is recipe


def test_race_refuses_pixels_outside_the_convention():
    x = np.full((4, 28, 28), 300.0)  # neither uint8 0..255 nor float 0..1
    with pytest.raises(ValueError, match="images.*0-1"):
        cl.recipes.race("course", (x, [0, 1, 2, 3]), (x, [0, 1, 2, 3]), budget=1.0)


def test_race_learns_and_times_the_held_out_accuracy():
    (x, y), (x_test, y_test) = cl.data.load_mnist()
    result = cl.recipes.race(
        "course",
        (x[:2000], y[:2000]),
        (x_test[:500], y_test[:500]),
        budget=60.0,
        target=0.8,
        eval_every=1.0,
        epochs=2,
    )
    assert result["epochs"] == 2  # the recipe finished before the budget
    seconds = [s for s, _ in result["curve"]]
    assert seconds == sorted(seconds) and seconds[-1] == result["seconds"]
    assert result["final_accuracy"] > 0.8
    assert result["time_to_target"] is not None
    assert result["time_to_target"] <= result["seconds"]
    assert result["best_accuracy"] == max(a for _, a in result["curve"])


def test_race_clock_stops_at_the_budget_and_pauses_for_evaluation():
    import keras

    clock = cl.recipes.RaceClock(
        np.zeros((4, 28, 28, 1), np.float32), [0, 1, 2, 3], budget=0.3, eval_every=0.1
    )
    model = cl.recipes.build_keras_io_model()
    clock.start()
    stopped = False
    while not stopped:
        stopped = clock.check(model)
    assert clock.time_to_target is None  # an untrained model is not 97 % right
    assert 0.3 <= clock.elapsed() < 1.0
    assert len(clock.curve) >= 2
    # Identical images get one prediction: right for one label in four, or for none.
    assert all(accuracy in (0.0, 0.25) for _, accuracy in clock.curve)
    assert isinstance(clock.callback(), keras.callbacks.Callback)


def test_race_clock_measures_with_one_traced_step_per_model():
    x = np.zeros((8, 28, 28, 1), np.float32)
    clock = cl.recipes.RaceClock(x, np.zeros(8, np.int64), eval_every=0.0)
    model = cl.recipes.build_keras_io_model()
    clock.start()
    clock.measure(model, 0.0)
    step = clock._evaluate_step
    clock.measure(model, 0.1)
    assert clock._evaluate_step is step  # the same model: the step is reused
    expected = cl.train.evaluate(model, (x, np.zeros(8, np.int64)))["accuracy"]
    assert clock.curve[-1] == (0.1, pytest.approx(expected))
    clock.measure(cl.recipes.build_keras_io_model(), 0.2)
    assert clock._evaluate_step is not step  # a new model gets its own step
