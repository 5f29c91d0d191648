"""cl.spatial: the grid generator and bilinear sampler against hand computation, SciPy and
np.rot90; the distorted-MNIST generator; the localisation net's identity start; the
shipped models; bad input."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy.ndimage import map_coordinates

import course_lib as cl
from course_lib import spatial


@pytest.fixture(scope="module")
def digits():
    (x_train, y_train), _ = cl.data.load_mnist()
    return x_train[:300], y_train[:300]


def test_the_identity_theta_returns_the_input():
    image = np.random.default_rng(0).random((7, 9))
    assert np.allclose(spatial.transform(image, spatial.IDENTITY), image, atol=1e-6)
    batch = np.random.default_rng(1).random((2, 6, 6, 3)).astype("float32")
    grid = spatial.affine_grid(np.stack([spatial.IDENTITY] * 2), 6, 6)
    out = keras.ops.convert_to_numpy(spatial.bilinear_sample(batch, grid))
    assert np.allclose(out, batch, atol=1e-6)


@pytest.mark.parametrize("turns", [1, 2, 3])
def test_a_rotation_by_90_degrees_is_rot90(turns):
    image = np.random.default_rng(turns).random((11, 11))
    rotated = spatial.transform(image, spatial.rotation_theta(90 * turns))
    assert np.allclose(rotated, np.rot90(image, turns), atol=1e-5)


def test_the_grid_is_theta_times_the_regular_grid():
    theta = np.array([[0.8, 0.3, 0.1], [-0.2, 1.1, -0.3]], np.float32)
    grid = keras.ops.convert_to_numpy(spatial.affine_grid(theta, 3, 4))[0]
    assert grid.shape == (3, 4, 2)
    # the top-left output pixel is (-1, -1): it reads theta @ (-1, -1, 1)
    assert np.allclose(grid[0, 0], [-0.8 - 0.3 + 0.1, 0.2 - 1.1 - 0.3], atol=1e-6)
    assert np.allclose(grid[2, 3], [0.8 + 0.3 + 0.1, -0.2 + 1.1 - 0.3], atol=1e-6)


def test_the_sampler_equals_hand_computation_and_scipy():
    rng = np.random.default_rng(2)
    image = rng.random((7, 9))
    theta = np.array([[0.8, 0.3, 0.1], [-0.2, 1.1, -0.3]], np.float32)
    out = spatial.transform(image, theta, (5, 6))
    points = spatial.regular_grid(5, 6) @ theta.T
    xs = (points[..., 0] + 1) * (9 - 1) / 2
    ys = (points[..., 1] + 1) * (7 - 1) / 2
    by_hand = np.vectorize(lambda x, y: spatial.bilinear_by_hand(image, x, y))(xs, ys)
    assert np.allclose(out, by_hand, atol=1e-5)
    scipy = map_coordinates(image, [ys, xs], order=1, mode="grid-constant", cval=0)
    assert np.allclose(out, scipy, atol=1e-5)


def test_bilinear_by_hand_on_a_small_example():
    image = np.array([[0.0, 10.0], [20.0, 30.0]])
    assert spatial.bilinear_by_hand(image, 0.25, 0.5) == pytest.approx(12.5)
    assert spatial.bilinear_by_hand(image, -1.0, 0.0) == 0.0  # outside reads zero


def test_keras_and_numpy_samplers_agree():
    rng = np.random.default_rng(3)
    images = rng.random((3, 10, 12, 2)).astype("float32")
    thetas = (rng.normal(size=(3, 2, 3)) * 0.7).astype("float32")
    by_keras = spatial.bilinear_sample(images, spatial.affine_grid(thetas, 8, 9))
    assert np.allclose(
        keras.ops.convert_to_numpy(by_keras),
        spatial.transform(images, thetas, (8, 9)),
        atol=1e-5,
    )


def test_the_sampler_has_a_gradient_with_respect_to_theta():
    rng = np.random.default_rng(4)
    image = rng.random((1, 12, 12, 1)).astype("float32")
    weights = rng.random((1, 10, 10, 1)).astype("float32")
    start = np.array([[[0.9, 0.1, 0.05], [-0.1, 0.8, 0.02]]], np.float32)

    def loss(theta):
        grid = spatial.affine_grid(theta, 10, 10)
        return tf.reduce_sum(spatial.bilinear_sample(image, grid) * weights)

    theta = tf.Variable(start)
    with tf.GradientTape() as tape:
        value = loss(theta)
    gradient = tape.gradient(value, theta).numpy()
    assert np.abs(gradient).max() > 0
    step = 2e-4  # small: the sampler is linear between pixel centres, kinked at them
    for i, j in [(0, 0), (0, 2), (1, 1)]:
        plus, minus = start.copy(), start.copy()
        plus[0, i, j] += step
        minus[0, i, j] -= step
        numeric = (float(loss(plus)) - float(loss(minus))) / (2 * step)
        assert numeric == pytest.approx(gradient[0, i, j], rel=0.05, abs=0.05)


def test_placement_theta_puts_the_digit_where_asked():
    digit = np.zeros((28, 28))
    digit[13:15, 13:15] = 1.0  # a dot at the centre
    canvas = spatial.transform(digit, spatial.placement_theta(0, 1.0, (10, -5)), 60)
    rows, columns = np.nonzero(canvas > 0.5)
    assert np.allclose([columns.mean(), rows.mean()], [29.5 + 10, 29.5 - 5], atol=0.6)
    # scale 2 makes a 2-pixel bar about 4 pixels long
    digit[13:15, 5:23] = 1.0
    wide = spatial.transform(digit, spatial.placement_theta(0, 2.0, (0, 0)), 60)
    assert (wide[29] > 0.5).sum() == pytest.approx(36, abs=3)
    # 90 degrees turns the horizontal bar vertical
    turned = spatial.transform(digit, spatial.placement_theta(90, 1.0, (0, 0)), 60)
    assert (turned[:, 29] > 0.5).sum() == pytest.approx(18, abs=2)


def test_distorted_mnist_is_seeded_and_within_its_ranges(digits):
    x, y = digits
    first = spatial.distorted_mnist(x, y, 50, seed=3)
    again = spatial.distorted_mnist(x, y, 50, seed=3)
    other = spatial.distorted_mnist(x, y, 50, seed=4)
    assert np.array_equal(first.images, again.images)
    assert not np.array_equal(first.images, other.images)
    assert first.images.shape == (50, 60, 60) and first.images.dtype == np.float32
    assert 0 <= first.images.min() and first.images.max() <= 1
    assert np.array_equal(first.labels, y[first.sources])
    assert np.abs(first.angles).max() <= 45
    assert 0.7 <= first.scales.min() and first.scales.max() <= 1.2
    clean = spatial.distorted_mnist(x, y, 50, seed=3, clutter=0)
    assert (first.images >= clean.images - 1e-6).all()  # clutter only adds ink
    assert first.images.sum() > clean.images.sum()
    # undoing the placement with the inverse transform gives the digit back
    index = 0
    theta = np.vstack([clean.thetas[index], [0, 0, 1]])
    back = np.linalg.inv(theta)[:2]
    # back maps digit points to canvas points: sample the canvas with it
    restored = spatial.transform(clean.images[index], back, 28)
    original = x[clean.sources[index]] / 255.0
    assert np.abs(restored - original).mean() < 0.05


def test_the_localisation_net_starts_at_the_identity():
    stn = spatial.build_stn(seed=0)
    images = np.random.default_rng(5).random((4, 60, 60, 1)).astype("float32")
    theta, resampled = spatial.transformer_outputs(stn)(images)
    assert np.allclose(np.asarray(theta), np.broadcast_to(spatial.IDENTITY, (4, 2, 3)))
    expected = spatial.transform(images, spatial.IDENTITY, spatial.OUTPUT_SIZE)
    assert np.allclose(np.asarray(resampled), expected, atol=1e-5)


@pytest.mark.parametrize("classifier", ["fc", "cnn"])
def test_a_network_and_its_transformer_twin_differ_only_in_who_chooses_theta(
    classifier,
):
    plain = spatial.build(classifier, seed=0, compile=False)
    twin = spatial.build(f"st_{classifier}", seed=0, compile=False)
    layers = [plain.get_layer("classifier"), twin.get_layer("classifier")]
    kinds = [[type(layer).__name__ for layer in model.layers] for model in layers]
    assert kinds[0] == kinds[1]
    for model in layers:
        assert model.input_shape[1:3] == (spatial.OUTPUT_SIZE, spatial.OUTPUT_SIZE)
    # the same seed gives the same classifier weights
    for a, b in zip(layers[0].get_weights(), layers[1].get_weights(), strict=True):
        assert np.array_equal(a, b)
    assert {layer.name for layer in plain.layers} == {"image", "sampler", "classifier"}
    # the plain network's view is the whole canvas through the identity θ, which is
    # also the untrained transformer's view
    canvases = np.random.default_rng(6).random((3, 60, 60, 1)).astype("float32")
    view = keras.ops.convert_to_numpy(plain.get_layer("sampler")(canvases))
    expected = spatial.transform(canvases, spatial.IDENTITY, spatial.OUTPUT_SIZE)
    assert np.allclose(view, expected, atol=1e-5)
    _, first_view = spatial.transformer_outputs(twin)(canvases)
    assert np.allclose(np.asarray(first_view), view, atol=1e-5)
    assert np.allclose(
        plain.predict(canvases, verbose=0), twin.predict(canvases, verbose=0), atol=1e-5
    )


def test_a_short_seeded_training_learns(digits):
    x, y = digits
    cl.set_seed(0)
    data = spatial.distorted_mnist(x, y, 600, seed=1, clutter=0, max_angle=0)
    model = spatial.build("cnn", seed=0)
    before = model.evaluate(spatial.as_inputs(data.images), data.labels, verbose=0)
    model.fit(
        spatial.as_inputs(data.images), data.labels, epochs=4, batch_size=32, verbose=0
    )
    after = model.evaluate(spatial.as_inputs(data.images), data.labels, verbose=0)
    assert after[0] < before[0] * 0.9  # the training loss falls


def test_the_shipped_models_score_what_the_shipped_results_say():
    """Seed 0's weights, on the shipped test canvases, give the accuracy recorded in
    the results file (the same run wrote both)."""
    results = cl.data.load_spatial_results()
    settings = results["settings"]
    (x, y), (x_test, y_test) = cl.data.load_mnist()
    if len(x) != settings["train_digits"]:
        pytest.skip("the shipped results were made from the bundled digits")
    test = spatial.distorted_mnist(
        x_test, y_test, settings["test_canvases"], seed=settings["test_seed"]
    )
    for kind in [*spatial.KINDS, spatial.BEHIND]:
        model = cl.data.load_spatial_model(kind)
        recorded = results["runs"][kind][0]
        assert recorded["seed"] == 0
        measured = spatial.accuracy(model, test.images, test.labels)
        assert measured == pytest.approx(recorded["accuracy"], abs=0.005), kind


def test_the_shipped_results_hold_six_seeds_of_each_network():
    results = cl.data.load_spatial_results()
    assert set(results["runs"]) == {*spatial.KINDS, spatial.BEHIND}
    for kind, runs in results["runs"].items():
        assert [run["seed"] for run in runs] == [0, 1, 2, 3, 4, 5]
        values = [run["accuracy"] for run in runs]
        assert all(0.1 < value <= 1 for value in values), kind
        assert ("theta" in runs[0]) == (kind != "fc" and kind != "cnn")
        summary = results["summary"][kind]
        assert summary["mean"] == pytest.approx(np.mean(values))
        assert summary["sd"] == pytest.approx(np.std(values, ddof=1))


def test_distorted_batches_are_fresh_and_seeded(digits):
    x, y = digits
    stream = spatial.distorted_batches(x, y, 8, seed=5)
    first, labels = next(stream)
    second, _ = next(stream)
    assert first.shape == (8, 60, 60, 1) and labels.shape == (8,)
    assert not np.allclose(first, second)
    again, again_labels = next(spatial.distorted_batches(x, y, 8, seed=5))
    assert np.array_equal(first, again) and np.array_equal(labels, again_labels)
    flat = next(spatial.distorted_batches(x, y, 8, seed=5, clutter=0, max_angle=0))
    assert flat[0].sum() < first.sum()  # no clutter: less ink
    with pytest.raises(ValueError, match="distortion options"):
        spatial.distorted_batches(x, y, 8, seed=5, angle=30)


def test_train_steps_gives_every_model_the_same_batches(digits):
    x, y = digits
    twins = {name: spatial.build("fc", seed=0) for name in ["a", "b"]}
    seen = []
    history = spatial.train_steps(
        twins,
        x,
        y,
        6,
        batch_size=16,
        seed=1,
        every=3,
        callback=lambda step, history: seen.append(step),
    )
    assert seen == [3, 6]
    assert history["a"] == history["b"] and len(history["a"]["loss"]) == 2
    for a, b in zip(twins["a"].get_weights(), twins["b"].get_weights(), strict=True):
        assert np.array_equal(a, b)
    with pytest.raises(ValueError, match="compiled"):
        spatial.train_steps({"a": spatial.build("fc", compile=False)}, x, y, 2)


def test_a_fixed_angle_changes_the_rotation_only(digits):
    x, y = digits
    upright = spatial.distorted_mnist(x, y, 20, seed=7, angle=0, clutter=0)
    turned = spatial.distorted_mnist(x, y, 20, seed=7, angle=90, clutter=0)
    assert (upright.angles == 0).all() and (turned.angles == 90).all()
    assert np.array_equal(upright.sources, turned.sources)
    assert np.array_equal(upright.scales, turned.scales)
    assert np.array_equal(upright.shifts, turned.shifts)
    # read back in the upright digit's frame, the turned canvas is the digit turned
    # by 90° counterclockwise (np.rot90)
    frame = np.linalg.inv(np.vstack([upright.thetas[0], [0, 0, 1]]))[:2]
    front = spatial.transform(upright.images[0], frame, 28)
    back = spatial.transform(turned.images[0], frame, 28)
    assert np.abs(front - x[upright.sources[0]] / 255.0).mean() < 0.05
    assert np.abs(np.rot90(front) - back).mean() < 0.05


def test_the_vectorised_placements_equal_placement_theta():
    rng = np.random.default_rng(8)
    angles, scales = rng.uniform(-180, 180, 5), rng.uniform(0.5, 1.5, 5)
    shifts = rng.uniform(-10, 10, (5, 2))
    many = spatial.distorted_mnist(np.zeros((2, 28, 28)), np.zeros(2), 5, seed=0).thetas
    assert many.shape == (5, 2, 3)
    for angle, scale, shift in zip(angles, scales, shifts, strict=True):
        one = spatial.placement_theta(angle, scale, tuple(shift))
        theta = spatial.distorted_mnist(
            np.zeros((2, 28, 28)),
            np.zeros(2),
            1,
            seed=0,
            angle=angle,
            scales=(scale, scale),
            max_angle=0,
        ).thetas[0]
        assert np.allclose(theta[:, :2], one[:, :2], atol=1e-6)


def test_read_theta_recovers_a_rotation_a_zoom_and_a_centre():
    theta = spatial.rotation_theta(-30) * 0.5
    theta[:, 2] = [0.25, -0.5]
    read = spatial.read_theta(theta)
    assert read["undone"][0] == pytest.approx(30.0)
    assert read["side"][0] == pytest.approx(0.5)
    assert np.allclose(read["centre"][0], [0.25, -0.5])
    # a placement's inverse shows the digit upright: it undoes the digit's angle
    placement = np.vstack([spatial.placement_theta(40, 0.9, (5, 3)), [0, 0, 1]])
    view = np.linalg.inv(placement)[:2]
    assert spatial.read_theta(view)["undone"][0] == pytest.approx(40.0, abs=1e-3)


def test_accuracy_by_angle_and_accuracy_agree(digits):
    x, y = digits
    model = spatial.build("fc", seed=0, compile=False)
    by_angle = spatial.accuracy_by_angle({"fc": model}, x, y, [0, 90], count=30)
    assert set(by_angle) == {"fc"} and len(by_angle["fc"]) == 2
    data = spatial.distorted_mnist(x, y, 30, seed=3, angle=90)
    assert by_angle["fc"][1] == spatial.accuracy(model, data.images, data.labels)


def test_predict_classes_equals_predict_and_feeds_accuracy(digits):
    x, y = digits
    data = spatial.distorted_mnist(x, y, 45, seed=4)
    for kind in ("cnn", "st_cnn"):
        model = spatial.build(kind, seed=1)
        expected = model.predict(spatial.as_inputs(data.images), verbose=0).argmax(1)
        for batch_size in (1, 16, 500):
            classes = spatial.predict_classes(model, data.images, batch_size)
            np.testing.assert_array_equal(classes, expected)
        assert spatial.accuracy(model, data.images, data.labels) == np.mean(
            expected == data.labels
        )


def test_a_huge_request_is_refused_with_a_way_out(digits):
    x, y = digits
    with pytest.raises(ValueError, match="distorted_batches"):
        spatial.distorted_mnist(x, y, 200_000)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: spatial.transform(np.zeros((5, 5)), np.zeros((3, 3))), "theta must"),
        (lambda: spatial.transform(np.zeros(5), spatial.IDENTITY), "images must"),
        (
            lambda: spatial.transform(np.zeros((5, 5)), [[np.nan, 0, 0], [0, 1, 0]]),
            "theta must be an array",
        ),
        (lambda: spatial.transform(np.zeros((5, 5)), spatial.IDENTITY, 1), "size"),
        (lambda: spatial.rotation_theta("left"), "angle"),
        (lambda: spatial.placement_theta(scale=0), "scale"),
        (lambda: spatial.placement_theta(shift=3), "shift must be a list of 2"),
        (
            lambda: spatial.distorted_mnist(np.zeros((5, 28, 28)), np.zeros(4), 3),
            "labels must",
        ),
        (
            lambda: spatial.distorted_mnist(np.zeros((5, 20, 20)), np.zeros(5), 3),
            "images must",
        ),
        (
            lambda: spatial.distorted_mnist(np.zeros((5, 28, 28)), np.zeros(5), 0),
            "count must",
        ),
        (
            lambda: spatial.distorted_mnist(
                np.zeros((5, 28, 28)), np.zeros(5), 3, scales=(1.2, 0.7)
            ),
            "scales must",
        ),
        (lambda: spatial.build("stn"), "kind must be one of"),
        (lambda: cl.data.load_spatial_model("resnet"), "kind must be one of"),
        (lambda: spatial.build_stn(output_size=3), "output_size"),
        (
            lambda: spatial.sample_numpy(
                np.zeros((1, 4, 4, 1)), np.zeros((2, 3, 3, 2))
            ),
            "grid",
        ),
        (lambda: spatial.bilinear_by_hand(np.zeros(4), 0, 0), "image must be a 2-D"),
        (lambda: spatial.bilinear_by_hand(np.zeros((4, 4)), "a", 0), "x"),
        (
            lambda: spatial.add_clutter(
                np.zeros((2, 60, 60)), np.zeros((3, 28, 28)), "seed"
            ),
            "rng must",
        ),
        (lambda: spatial.transformer_outputs(spatial.build_cnn()), "stn must"),
        (lambda: spatial.transformer_outputs(spatial.build("fc")), "stn must"),
        (lambda: spatial.build_stn(classifier="mlp"), "classifier must be one of"),
        (lambda: spatial.build_stn(transformer="yes"), "transformer must"),
        (lambda: spatial.read_theta(np.zeros((2, 2))), "thetas must"),
        (
            lambda: spatial.accuracy_by_angle(
                {"fc": spatial.build("fc")}, np.zeros((5, 28, 28)), np.zeros(5), []
            ),
            "angles must",
        ),
        (lambda: spatial.compile_model("cnn"), "model must"),
    ],
)
def test_bad_input_is_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize(
    "images, grid, message",
    [
        (np.float32("nan"), np.zeros((1, 3, 3, 2)), "images must be images"),
        ("", np.zeros((1, 3, 3, 2)), "images must be images"),
        (np.zeros((1, 4, 4, 1)), "grid", "grid must be a grid of"),
    ],
)
def test_the_keras_sampler_checks_numpy_scalars_and_text(images, grid, message):
    """Regression: a NumPy scalar or a string skipped the checks and crashed in Keras
    (IndexError, TensorFlow's UnimplementedError) instead of a ValueError."""
    with pytest.raises(ValueError, match=message):
        spatial.bilinear_sample(images, grid)
    with pytest.raises(ValueError, match="theta must"):
        spatial.affine_grid("theta", 4, 4)


@pytest.mark.parametrize(
    "build, smallest",
    [
        (spatial.build_cnn, 18),
        (spatial.build_localisation, 32),
        (lambda size: spatial.build_stn(size, 18), 32),
        (lambda size: spatial.build_stn(32, size), 18),
    ],
)
def test_the_smallest_allowed_size_builds_and_one_less_is_refused(build, smallest):
    """Regression: sizes the checks allowed (12 to 17, 24 to 31) pooled away to nothing
    and failed deep in Keras with "Computed output size would be zero or negative"."""
    build(smallest)
    with pytest.raises(ValueError, match=f"from {smallest} to 512"):
        build(smallest - 1)


def test_add_clutter_refuses_canvases_and_digits_that_are_not_arrays():
    rng = np.random.default_rng(0)
    digits = np.zeros((2, 28, 28), np.uint8)
    with pytest.raises(ValueError, match="canvases must be images"):
        cl.spatial.add_clutter({}, digits, rng)
    with pytest.raises(ValueError, match="digits must be images"):
        cl.spatial.add_clutter(np.zeros((1, 60, 60)), {"a": 1}, rng)


def test_the_network_behind_a_trained_transformer_compiles_through_the_check():
    """``fc_behind_st`` ends in the classifier network's softmax: the declared check
    sees probabilities (datasets/build_spatial_models.py compiles it this way)."""
    model = spatial.build(spatial.BEHIND, compile=False)
    assert spatial.compile_model(model) is model
    assert not model.get_layer("localisation").trainable
