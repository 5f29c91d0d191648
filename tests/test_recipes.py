"""course_lib.recipes: the three MNIST recipes and the race against the clock."""

from __future__ import annotations

import math

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
    reference = cl.zoo.slides_convnet()
    assert [layer.name for layer in slides.layers] == [
        layer.name for layer in reference.layers
    ]
    assert cl.recipes.get("slides").build_model is cl.recipes.build_slides_model


def test_the_old_helpers_are_gone():
    # One preparation (cl.images.prepare_images), one evaluation (cl.train.evaluate).
    assert not hasattr(cl.recipes, "prepare")
    assert not hasattr(cl.recipes, "accuracy_of")


def test_unknown_recipe_gives_a_clear_message():
    with pytest.raises(
        ValueError, match="name must be one of 'fast', 'course', 'keras_io', 'slides'"
    ):
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
    # The clock's last reading is the trained model's accuracy, measured from outside.
    probabilities = result["model"].predict(
        cl.images.prepare_images(x_test[:500]), verbose=0
    )
    outside = (probabilities.argmax(1) == y_test[:500]).mean()
    assert result["final_accuracy"] == pytest.approx(outside, abs=1e-6)


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


def test_race_clock_measures_finely_until_the_target_then_every_half_second():
    x = np.zeros((4, 28, 28, 1), np.float32)
    model = cl.recipes.build_keras_io_model()
    # An unreachable target: a measurement every eval_every seconds until the budget.
    clock = cl.recipes.RaceClock(
        x, [0, 1, 2, 3], target=1.0, budget=0.5, eval_every=0.05
    )
    clock.start()
    while not clock.check(model):
        pass
    assert clock.time_to_target is None and len(clock.curve) >= 6
    # A target reached at once (any accuracy is >= 0): from then on, every 0.5 s.
    clock = cl.recipes.RaceClock(
        x, [0, 1, 2, 3], target=0.0, budget=1.2, eval_every=0.05
    )
    clock.start()
    while not clock.check(model):
        pass
    seconds = [s for s, _ in clock.curve]
    assert clock.time_to_target == seconds[0] < 0.5
    gaps = np.diff([s for s in seconds if s < clock.budget])
    assert len(gaps) >= 1 and all(
        gap >= cl.recipes.EVAL_EVERY_AFTER_TARGET for gap in gaps
    )


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


def test_race_clock_measures_in_pieces_with_the_accuracy_of_all_the_digits():
    # 600 digits: pieces of 250, 250 and 100, weighted by their sizes.
    rng = np.random.default_rng(0)
    x = rng.random((600, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, 600)
    clock = cl.recipes.RaceClock(x, y, eval_every=0.0)
    assert [len(piece) for piece, _ in clock._test_tensors] == [250, 250, 100]
    model = cl.recipes.build_keras_io_model()
    clock.start()
    clock.measure(model, 0.0)
    expected = (model.predict(x, verbose=0).argmax(1) == y).mean()
    assert clock.curve[-1][1] == pytest.approx(expected, abs=1e-6)


def test_the_fast_optimizer_averages_the_weights_and_each_part_can_be_taken_away():
    optimizer = cl.recipes.fast_optimizer(125, 24)
    assert optimizer.use_ema and optimizer.ema_momentum == cl.recipes.FAST_EMA_MOMENTUM
    schedule = optimizer.learning_rate  # read at step 0: the warm-up's start
    assert float(schedule) == pytest.approx(7e-4)
    assert not cl.recipes.fast_optimizer(125, 24, average=False).use_ema
    constant = cl.recipes.fast_optimizer(125, 24, schedule=False)
    assert float(constant.learning_rate) == pytest.approx(1e-3) and constant.use_ema
    with pytest.raises(ValueError, match="average must be True or False"):
        cl.recipes.fast_optimizer(125, 24, average="yes")


def test_race_clock_judges_an_averaging_optimizer_by_its_average():
    (x, y), _ = cl.data.load_mnist()
    x, y = cl.images.prepare_images(x[:256]), y[:256].astype("int64")
    cl.set_seed(0)
    # No batch norm: a few steps at this learning rate leave its moving statistics
    # behind the weights, and both the average and the last step would then be at chance.
    model = cl.recipes.build_keras_io_model()
    model.compile(optimizer=cl.recipes.fast_optimizer(8, 4))
    step = cl.train.TrainStep(model, model.optimizer)
    for start in list(range(0, 256, 32)) * 4:
        step(x[start : start + 32], y[start : start + 32])
    own = [v.numpy() for v in model.trainable_variables]
    clock = cl.recipes.RaceClock(x, y, eval_every=0.0)
    clock.start()
    clock.measure(model, 0.0)
    with cl.train.averaged_weights(model):
        averaged = cl.train.evaluate(model, (x, y))
    last_step = cl.train.evaluate(model, (x, y))
    assert clock.curve[-1][1] == pytest.approx(averaged["accuracy"])
    assert averaged["accuracy"] != pytest.approx(last_step["accuracy"])
    for w, v in zip(own, model.trainable_variables, strict=True):
        np.testing.assert_array_equal(v.numpy(), w)  # given back after measuring


# --------------------------------------------------------------------------------------
# The course recipe's augmentation: what it does to real digits


def _augment(model, images, layers=(0, 1), training=True):
    """Run the course model's augmentation layers (rotation, translation) on images."""
    out = images
    for index in layers:
        out = model.layers[index](out, training=training)
    return np.asarray(out)


def _centres_of_mass(images):
    """(rows, columns) of each image's centre of mass, in pixels."""
    ink = images[..., 0]
    rows, cols = np.indices(ink.shape[1:])
    total = ink.sum(axis=(1, 2))
    return (ink * rows).sum(axis=(1, 2)) / total, (ink * cols).sum(axis=(1, 2)) / total


def _orientations(images):
    """Angle in degrees of each image's principal axis, and how elongated it is."""
    ink = images[..., 0] / images[..., 0].sum(axis=(1, 2), keepdims=True)
    row, col = _centres_of_mass(images)
    rows, cols = np.indices(ink.shape[1:])
    dr, dc = rows - row[:, None, None], cols - col[:, None, None]
    mrr, mcc = (ink * dr * dr).sum(axis=(1, 2)), (ink * dc * dc).sum(axis=(1, 2))
    mrc = (ink * dr * dc).sum(axis=(1, 2))
    angle = 0.5 * np.degrees(np.arctan2(2 * mrc, mcc - mrr))
    spread = np.sqrt((mrr - mcc) ** 2 + 4 * mrc**2)
    elongation = (mrr + mcc + spread) / (mrr + mcc - spread)
    return angle, elongation


def check_shifted(originals, shifted, max_shift=2.0):
    """Every digit moved (by at most ``max_shift`` pixels per axis), ink kept."""
    np.testing.assert_allclose(
        shifted.sum(axis=(1, 2, 3)), originals.sum((1, 2, 3)), 0.02
    )
    before, after = _centres_of_mass(originals), _centres_of_mass(shifted)
    moves = np.stack([after[0] - before[0], after[1] - before[1]])
    assert np.abs(moves).max() <= max_shift + 0.05, np.abs(moves).max()
    assert np.abs(moves).mean() > max_shift / 4  # uniform in +-2: about 1 on average
    changed = np.abs(shifted - originals).max(axis=(1, 2, 3)) > 0.05
    assert changed.mean() >= 0.9, changed.mean()  # a draw near 0 barely moves


def check_rotated(originals, rotated, max_degrees=8.0):
    """Every digit turned about the centre (by at most ``max_degrees``), ink kept."""
    np.testing.assert_allclose(
        rotated.sum(axis=(1, 2, 3)), originals.sum((1, 2, 3)), 0.02
    )
    before, after = _centres_of_mass(originals), _centres_of_mass(rotated)
    assert np.hypot(after[0] - before[0], after[1] - before[1]).max() < 0.5
    angle_before, elongation = _orientations(originals)
    angle_after, _ = _orientations(rotated)
    turned = (angle_after - angle_before + 90) % 180 - 90
    clear = elongation > 2  # an orientation is defined for elongated digits only
    assert clear.sum() >= 10
    assert np.abs(turned[clear]).max() <= max_degrees + 0.5, np.abs(turned[clear])
    assert np.abs(turned[clear]).mean() > max_degrees / 4  # uniform in +-8: about 4
    changed = np.abs(rotated - originals).max(axis=(1, 2, 3)) > 0.05
    assert changed.mean() >= 0.9, changed.mean()  # a draw near 0 barely turns


@pytest.fixture(scope="module")
def digits():
    """64 real digits of the bundled subset, prepared as the race prepares them."""
    with np.load(cl.data.bundle_path("mnist")) as bundle:
        return cl.images.prepare_images(bundle["x"][:64]), bundle["y"][:64]


def test_course_augmentation_shifts_and_turns_digits_and_keeps_them_readable(digits):
    x, y = digits
    model = cl.recipes.build_course_model()
    kinds = [type(layer).__name__ for layer in model.layers[:2]]
    assert kinds == ["RandomRotation", "RandomTranslation"]
    # Only in training: at inference the digits pass unchanged.
    np.testing.assert_array_equal(_augment(model, x, training=False), x)
    check_rotated(x, _augment(model, x, layers=(0,)))
    check_shifted(x, _augment(cl.recipes.build_course_model(), x, layers=(1,)))
    # The label still holds: the shipped convnet reads the augmented digits as before.
    augmented = _augment(cl.recipes.build_course_model(), x)
    reader = cl.data.load_mnist_convnet()
    before = reader.predict(x, verbose=0).argmax(1)
    after = reader.predict(augmented, verbose=0).argmax(1)
    assert (before == y).mean() >= 0.95
    assert (after == before).mean() >= 0.85 and (after == y).mean() >= 0.85


def test_course_augmentation_is_the_same_for_the_same_seed(digits):
    x, _ = digits
    first = _augment(cl.recipes.build_course_model(), x)
    second = _augment(cl.recipes.build_course_model(), x)
    np.testing.assert_array_equal(first, second)  # seeded layers: the same draws
    model = cl.recipes.build_course_model()
    _augment(model, x)
    assert not np.array_equal(_augment(model, x), first)  # the next batch: new draws


def test_the_augmentation_checks_catch_wrong_transformations(digits):
    """The checks above bite: no change, too far, the wrong kind of change."""
    from scipy import ndimage

    x, _ = digits
    with pytest.raises(AssertionError):
        check_shifted(x, x.copy())  # nothing moved
    with pytest.raises(AssertionError):
        check_shifted(x, np.roll(x, 4, axis=2))  # 4 pixels, more than 2
    with pytest.raises(AssertionError):
        check_shifted(x, np.clip(x * 1.5, 0, 1))  # brighter, not moved
    with pytest.raises(AssertionError):
        check_rotated(x, x.copy())  # nothing turned
    turned = ndimage.rotate(x, 20, axes=(1, 2), reshape=False, order=1)
    with pytest.raises(AssertionError):
        check_rotated(x, turned)  # 20 degrees, more than 8
    with pytest.raises(AssertionError):
        check_rotated(x, np.roll(x, 2, axis=1))  # moved, not turned
    check_rotated(x, ndimage.rotate(x, 5, axes=(1, 2), reshape=False, order=1))


# --- issue 12: a race checks its data and its clock before training ---------------------


def _digits(n=8):
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), np.arange(n) % 10


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"train": (_digits()[0], _digits()[1] + 10)},
            r"train\[1\] must be labels .* from 0 to 9, got labels from 10",
        ),
        ({"test": _digits()[0]}, "test must be a pair"),
        ({"budget": 1e9}, "budget must be a positive number <= 3,600"),
        ({"eval_every": 0}, "eval_every must be a positive number"),
        ({"target": 97}, "target must be a finite number from 0.0 to 1.0"),
        ({"epochs": 10**6}, "epochs must be an int from 1 to 1,000"),
        ({"callbacks": print}, "callbacks must be None, a Keras callback or a list"),
    ],
)
def test_race_refuses_bad_settings_before_training(kwargs, message):
    import time

    arguments = {"name": "keras_io", "train": _digits(), "test": _digits()} | kwargs
    start = time.perf_counter()
    with pytest.raises(ValueError, match=message):
        cl.recipes.race(**arguments)
    assert time.perf_counter() - start < 2  # refused, not trained


def test_one_cycle_and_build_check_their_numbers():
    with pytest.raises(ValueError, match="steps must be an int from 1"):
        cl.recipes.one_cycle(math.inf, 1e-3)
    with pytest.raises(ValueError, match="peak must be a positive number"):
        cl.recipes.one_cycle(100, "fast")
    with pytest.raises(ValueError, match="warmup_fraction must be a finite number"):
        cl.recipes.one_cycle(100, 1e-3, warmup_fraction=2)
    with pytest.raises(ValueError, match="steps_per_epoch must be an int"):
        cl.recipes.build("keras_io", steps_per_epoch=0)
    schedule = cl.recipes.one_cycle(100, "3e-3")  # text that is a number is read
    assert float(schedule(20)) == pytest.approx(3e-3)


def test_the_fast_recipe_is_a_small_bn_convnet_trained_by_the_plain_step():
    from keras import layers

    model = cl.recipes.build_fast_model()
    assert model.count_params() == 24_282
    norms = [
        layer for layer in model.layers if isinstance(layer, layers.BatchNormalization)
    ]
    assert len(norms) == 3 and all(layer.momentum == 0.9 for layer in norms)
    assert not any(isinstance(layer, layers.Flatten) for layer in model.layers)
    recipe = cl.recipes.get("fast")
    assert recipe.trainer == "step" and recipe.batch_size == 32


def test_the_fast_recipe_learns_through_cl_train_fit(monkeypatch):
    import course_lib.train

    calls = []
    original = course_lib.train.fit
    monkeypatch.setattr(
        course_lib.train, "fit", lambda *a, **k: calls.append(1) or original(*a, **k)
    )
    (x, y), (x_test, y_test) = cl.data.load_mnist()
    result = cl.recipes.race(
        "fast", (x, y), (x_test[:500], y_test[:500]), budget=120.0, epochs=2
    )
    assert calls == [1]  # trained by the plain step, not model.fit
    assert result["epochs"] == 2
    assert result["final_accuracy"] > 0.9, result["final_accuracy"]


def test_race_clock_reaches_the_target_at_exactly_the_target():
    # 970 of 1,000 right, the 30 wrong ones spread over the four pieces: the pieces'
    # float32 accuracies times their sizes must add up to 970, not a hair under it.
    rng = np.random.default_rng(0)
    x = rng.random((1000, 28, 28, 1), dtype=np.float32)
    model = cl.recipes.build_keras_io_model()
    predicted = model.predict(x, verbose=0).argmax(1)
    wrong = np.concatenate(
        [start + np.arange(n) for start, n in ((0, 7), (250, 9), (500, 5), (750, 9))]
    )
    y = predicted.copy()
    y[wrong] = (y[wrong] + 1) % 10
    clock = cl.recipes.RaceClock(x, y, eval_every=0.0, target=0.97)
    clock.start()
    clock.measure(model, 0.5)
    assert clock.curve[-1][1] == 0.97
    assert clock.time_to_target == 0.5
