"""cl.augmentation: the NumPy views equal the Keras 3 layers, the factors mean what the
lecture says, the pipelines and the small-data experiment work."""

from __future__ import annotations

import itertools

import keras
import numpy as np
import pytest

import course_lib as cl
from course_lib import augmentation as aug


@pytest.fixture(scope="module")
def rgb():
    return np.random.default_rng(0).uniform(0, 1, (31, 40, 3)).astype(np.float32)


def _random_view(rng) -> aug.View:
    return aug.View(
        flip=str(rng.choice(aug.FLIPS)),
        rotation=float(rng.uniform(-1, 1)),
        zoom=float(rng.uniform(-0.5, 0.9)),
        shift_x=float(rng.uniform(-1, 1)),
        shift_y=float(rng.uniform(-1, 1)),
        contrast=float(rng.uniform(0, 2)),
    )


# -- the NumPy views equal the Keras layers -------------------------------------------


@pytest.mark.parametrize("fill_mode", aug.FILL_MODES)
def test_augment_equals_the_keras_layers(rgb, fill_mode):
    rng = np.random.default_rng(len(fill_mode))
    for _ in range(8):
        view = _random_view(rng)
        ours = aug.augment(rgb, view, fill_mode, fill_value=0.3)
        theirs = aug.keras_view(rgb, view, fill_mode, fill_value=0.3)
        assert ours.shape == rgb.shape and ours.dtype == np.float32
        np.testing.assert_allclose(ours, theirs, atol=1e-4, err_msg=repr(view))


def test_augment_equals_a_keras_sequential_of_pinned_layers_on_a_gray_digit():
    (x_train, y_train), _ = cl.data.load_mnist()
    six = x_train[y_train == 6][0]
    view = aug.View(rotation=0.1, zoom=-0.2, shift_x=0.15, shift_y=-0.1)
    pipeline = keras.Sequential(
        [
            keras.layers.RandomRotation((0.1, 0.1), fill_mode="constant"),
            keras.layers.RandomZoom((-0.2, -0.2), fill_mode="constant"),
            keras.layers.RandomTranslation(
                (-0.1, -0.1), (0.15, 0.15), fill_mode="constant"
            ),
        ]
    )
    theirs = np.asarray(
        pipeline(six[None, :, :, None].astype("float32"), training=True)
    )
    ours = aug.augment(six, view, fill_mode="constant")  # uint8 in, 0..1 out
    np.testing.assert_allclose(ours, theirs[0, :, :, 0] / 255, atol=1e-5)


def test_the_random_layers_draw_within_their_factor():
    """RandomRotation(0.25) turns by up to a quarter turn, 90°, either way."""
    layer = keras.layers.RandomRotation(0.25, seed=1)
    angles = np.asarray(
        layer.get_random_transformation(np.zeros((2000, 4, 4, 1)), training=True)[
            "angle"
        ]
    )
    assert np.abs(angles).max() <= aug.rotation_in_degrees(0.25) + 1e-3
    assert angles.min() < -85 and angles.max() > 85


# -- what the parameters mean ------------------------------------------------------------


def test_a_positive_rotation_turns_counter_clockwise():
    image = np.zeros((21, 21), np.float32)
    image[10, 18] = 1  # a dot right of the centre
    turned = aug.augment(image, aug.View(rotation=0.25), "constant")
    row, column = np.unravel_index(turned.argmax(), turned.shape)
    assert (row, column) == (2, 10)  # now above the centre


def test_half_a_turn_is_both_flips(rgb):
    turned = aug.augment(rgb, aug.View(rotation=0.5))
    np.testing.assert_allclose(
        turned, aug.flip(rgb, "horizontal_and_vertical"), atol=1e-4
    )
    np.testing.assert_array_equal(aug.flip(rgb, "horizontal"), rgb[:, ::-1])
    np.testing.assert_array_equal(aug.flip(rgb, "vertical"), rgb[::-1])


def test_a_positive_shift_moves_the_content_right_and_down():
    image = np.zeros((20, 40), np.float32)
    image[5, 8] = 1
    shifted = aug.augment(image, aug.View(shift_x=0.25, shift_y=0.1), "constant")
    assert np.unravel_index(shifted.argmax(), shifted.shape) == (5 + 2, 8 + 10)


def test_a_positive_zoom_zooms_out():
    image = np.zeros((41, 41), np.float32)
    image[10:31, 10:31] = 1  # a 21x21 square in the middle
    out = aug.augment(image, aug.View(zoom=0.5), "constant")
    inside = aug.augment(image, aug.View(zoom=-0.3), "constant")
    assert (out > 0.5).sum() < (image > 0.5).sum() < (inside > 0.5).sum()


def test_contrast_keeps_each_channel_mean_and_zero_flattens(rgb):
    mean = rgb.mean(axis=(0, 1))
    softer = aug.adjust_contrast(rgb, 0.5)
    np.testing.assert_allclose(softer.mean(axis=(0, 1)), mean, atol=1e-5)
    flat = aug.adjust_contrast(rgb, 0.0)
    np.testing.assert_allclose(flat, np.broadcast_to(mean, rgb.shape), atol=1e-6)
    assert aug.adjust_contrast(rgb, 2.0).max() <= 1.0  # clipped to 0..1


def test_a_view_that_changes_nothing_returns_the_image(rgb):
    np.testing.assert_array_equal(aug.augment(rgb, aug.View()), rgb)
    uint8 = np.round(rgb * 255).astype(np.uint8)
    assert aug.augment(uint8, aug.View()).dtype == np.float32


def test_views_describe_themselves_and_refuse_bad_values():
    view = aug.View(rotation=0.5, flip="Horizontal")
    assert view.flip == "horizontal" and view.degrees == 180.0
    assert "+180.0°" in view.describe()
    with pytest.raises(ValueError, match="flip must be one of 'none'"):
        aug.View(flip="diagonal")
    with pytest.raises(ValueError, match="rotation must be a finite number from -1"):
        aug.View(rotation=2)
    with pytest.raises(ValueError, match="contrast must be a finite number"):
        aug.View(contrast="high")
    with pytest.raises(ValueError, match=r"image must be an image \(H, W\)"):
        aug.augment(np.zeros(5), aug.View())
    with pytest.raises(ValueError, match="fill_mode must be one of"):
        aug.warp(np.zeros((3, 3)), np.eye(3).ravel()[:8], "mirror")
    with pytest.raises(ValueError, match="view must be"):
        aug.augment(np.zeros((3, 3)), {"rotation": 0.1})


# -- random views --------------------------------------------------------------------------


def test_random_views_are_reproducible_and_within_their_factors():
    factors = dict(rotation=0.1, zoom=0.2, shift_x=0.3, shift_y=0.05, contrast=0.4)
    views = aug.random_views(200, seed=3, flip="horizontal", **factors)
    assert views == aug.random_views(200, seed=3, flip="horizontal", **factors)
    assert views != aug.random_views(200, seed=4, flip="horizontal", **factors)
    assert max(abs(v.rotation) for v in views) <= 0.1
    assert max(abs(v.zoom) for v in views) <= 0.2
    assert max(abs(v.shift_x) for v in views) <= 0.3
    assert max(abs(v.shift_y) for v in views) <= 0.05
    assert all(0.6 <= v.contrast <= 1.4 for v in views)
    flipped = sum(v.flip == "horizontal" for v in views)
    assert 70 < flipped < 130  # a coin per view
    assert {v.flip for v in aug.random_views(50, seed=0)} == {"none"}


# -- facts -----------------------------------------------------------------------------------


def test_rotation_factor_is_a_fraction_of_a_full_turn():
    assert aug.rotation_in_degrees(0.25) == 90.0
    assert aug.rotation_in_degrees(60 / 360) == pytest.approx(60)
    with pytest.raises(ValueError):
        aug.rotation_in_degrees(1.5)


def test_alexnet_crops_counted_by_enumeration():
    image, crop = 256, 224
    starts = range(image - crop + 1)
    crops = set(itertools.product(starts, starts, (False, True)))
    assert aug.distinct_crops(image, crop) == len(crops)
    assert aug.alexnet_crop_factor(image, crop) == (image - crop) ** 2 * 2
    assert aug.alexnet_crop_factor(image, crop, flips=False) * 2 == (
        aug.alexnet_crop_factor(image, crop)
    )
    with pytest.raises(ValueError, match="must not exceed"):
        aug.distinct_crops(10, 20)


# -- Keras 3 pipelines ------------------------------------------------------------------


def test_augmentation_layers_act_in_training_only(rgb):
    pipeline = aug.augmentation_layers(
        rotation=0.1, zoom=0.1, shift_x=0.1, flip="horizontal", contrast=0.2, seed=0
    )
    names = [type(layer).__name__ for layer in pipeline.layers]
    assert names == [n for n in aug.PIPELINE_ORDER if n in names] and len(names) == 5
    batch = np.stack([rgb] * 4) * 255
    np.testing.assert_allclose(np.asarray(pipeline(batch, training=False)), batch)
    assert not np.allclose(np.asarray(pipeline(batch, training=True)), batch)
    assert aug.augmentation_layers().layers == []


def test_the_slides_generator_as_layers():
    layers = {
        type(layer).__name__: layer for layer in aug.slides_pipeline(seed=0).layers
    }
    assert layers["RandomRotation"].factor == pytest.approx((-60 / 360, 60 / 360))
    assert layers["RandomFlip"].mode == "horizontal"
    assert layers["RandomTranslation"].width_factor == 0.4
    assert layers["RandomTranslation"].height_factor == 0.2
    assert all(
        layer.fill_mode == "nearest"
        for name, layer in layers.items()
        if name != "RandomFlip"
    )


def test_digit_augmentation_never_flips():
    layers = aug.digit_augmentation(seed=0).layers
    assert not any(isinstance(layer, keras.layers.RandomFlip) for layer in layers)
    rotation = next(x for x in layers if isinstance(x, keras.layers.RandomRotation))
    assert aug.rotation_in_degrees(max(rotation.factor)) < 15


# -- data ------------------------------------------------------------------------------


def test_small_digit_set_is_balanced():
    (x, y), (x_test, y_test) = aug.small_digit_set(100, seed=1)
    assert x.shape == (100, 28, 28, 1) and x.dtype == np.float32
    assert 0 <= x.min() and x.max() <= 1
    assert np.bincount(y, minlength=10).tolist() == [10] * 10
    assert len(x_test) == len(y_test) >= 1000
    again = aug.small_digit_set(100, seed=1)[0][0]
    np.testing.assert_array_equal(x, again)
    with pytest.raises(ValueError, match="multiple of 10"):
        aug.small_digit_set(55)


def test_face_data_splits_faces_and_non_faces():
    (x, y), (x_test, y_test) = aug.face_data(20, seed=2)
    assert x.shape == (20, 25, 25, 1) and x_test.shape == (180, 25, 25, 1)
    assert y.sum() == 10 and y_test.sum() == 90
    train = {image.tobytes() for image in x}
    assert not train & {image.tobytes() for image in x_test}
    with pytest.raises(ValueError, match="even"):
        aug.face_data(21)


def test_image_folders_read_back_with_image_dataset_from_directory(tmp_path):
    (x, y), _ = aug.face_data(10, seed=0)
    counts = aug.export_image_folders(tmp_path, x, y, ["non-face", "face"])
    assert counts == {"non-face": 5, "face": 5}
    dataset = keras.utils.image_dataset_from_directory(
        tmp_path, image_size=(25, 25), color_mode="grayscale", batch_size=4
    )
    assert dataset.class_names == ["face", "non-face"]  # alphabetical
    images = np.concatenate([batch for batch, _ in dataset])
    assert images.shape == (10, 25, 25, 1)
    assert sorted(images.reshape(10, -1).sum(1).round()) == sorted(
        (np.round(x[..., 0] * 255)).reshape(10, -1).sum(1).round()
    )


def test_augmented_dataset_repeats_and_flips():
    x = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4, 1)  # 0-255 pixels
    y = np.array([0, 1])
    plain = aug.augmented_dataset(x, y, batch_size=2, repeats=3)
    assert sum(len(labels) for _, labels in plain) == 6
    flips = aug.augmented_dataset(
        x, y, aug.face_augmentation(seed=0), batch_size=2, repeats=20
    )
    seen = {images.numpy().tobytes() for batch, _ in flips for images in batch}
    unit = x.astype(np.float32) / np.float32(255)  # what the pipeline holds
    expected = {a.tobytes() for a in unit}
    expected |= {a[:, ::-1].copy().tobytes() for a in unit}
    assert seen == expected  # every image, as it is and mirrored


# -- the experiment ------------------------------------------------------------------------


def test_small_training_learns_faces_with_and_without_flips():
    results = aug.compare("faces", seeds=[0], epochs=4, size=20)
    for name in ("without", "with"):
        (result,) = results[name]
        assert result.test_accuracy > 0.7, (name, result)
        assert result.augmented == (name == "with")
        assert len(result.history["loss"]) == 4


def test_spread_is_the_sample_standard_deviation():
    assert aug.mean_and_sd([0.9, 0.92, 0.94]) == pytest.approx((0.92, 0.02))
    assert aug.mean_and_sd([0.5]) == (0.5, 0.0)
    assert aug.format_spread([0.9, 0.92, 0.94]) == "92.0 % ± 2.0 (3 seeds)"
    with pytest.raises(ValueError):
        aug.mean_and_sd([])
    with pytest.raises(ValueError, match="task must be one of 'digits', 'faces'"):
        aug.train_small("cats")


# -- bad input (found by the old bad-input property table) --------------------------------------


@pytest.mark.parametrize(
    "make, arguments",
    [
        (aug.rotation_matrix, ("text", 6, 6)),
        (aug.rotation_matrix, (0.1, None, 6)),
        (aug.zoom_matrix, (None, 6, 6)),
        (aug.zoom_matrix, (0.1, 6, -1)),
        (aug.translation_matrix, ("a", 0.1, 6, 6)),
        (aug.translation_matrix, (0.1, 0.1, 6, 10**12)),
    ],
)
def test_the_matrices_refuse_bad_factors_and_sizes(make, arguments):
    with pytest.raises(ValueError, match="turns|zoom|shift|height|width"):
        make(*arguments)


def test_export_refuses_a_file_as_root_and_class_names_that_are_paths(tmp_path):
    images, labels = np.zeros((2, 4, 4), np.uint8), np.array([0, 1])
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match="root must be a folder"):
        aug.export_image_folders(tmp_path / "file", images, labels, ["a", "b"])
    for names in (["/", "b"], ["a", ".."], ["a/b", "c"]):
        with pytest.raises(ValueError, match="class_names"):
            aug.export_image_folders(tmp_path / "out", images, labels, names)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("seed", ["text", -1, 1.5])
def test_slides_pipeline_refuses_a_bad_seed(seed):
    with pytest.raises(ValueError, match="seed"):
        aug.slides_pipeline(seed)


def test_small_convnet_refuses_an_output_layer_too_big_to_allocate():
    with pytest.raises(ValueError, match="output layer would have"):
        aug.small_convnet((4096, 4096, 3), 100_000)
    with pytest.raises(ValueError, match="too small"):
        aug.small_convnet((5, 5, 1), 3, filters=(4, 4))


# -- training accuracy in inference mode, test-time augmentation, shipped results --------


def test_training_accuracy_is_measured_in_inference_mode_on_clean_images():
    result = aug.train_small("faces", True, seed=0, epochs=2, size=20)
    (x, y), _ = aug.face_data(20, 0)
    expected = float(np.mean((result.model.predict(x, verbose=0)[:, 0] > 0.5) == y))
    assert result.train_accuracy == pytest.approx(expected, abs=1e-6)
    assert result.fit_accuracy == pytest.approx(result.history["accuracy"][-1])


def test_predict_over_views_averages_the_image_and_its_views():
    import keras

    model = aug.small_convnet((6, 6, 1), 3, filters=(2,))
    images = np.random.default_rng(0).uniform(size=(4, 6, 6, 1)).astype(np.float32)
    plain = model.predict(images, verbose=0)
    # views that change nothing: the average is the plain prediction
    same = aug.predict_over_views(model, images, keras.layers.Identity(), views=3)
    assert np.allclose(same, plain, atol=1e-6)

    class Darken(keras.layers.Layer):
        def call(self, x, training=False):
            return x * 0.0 if training else x

    dark = model.predict(np.zeros_like(images), verbose=0)
    mixed = aug.predict_over_views(model, images, Darken(), views=3)
    assert np.allclose(mixed, (plain + 3 * dark) / 4, atol=1e-5)
    assert np.allclose(mixed.sum(1), 1, atol=1e-5)
    binary = aug.small_convnet((6, 6, 1), 2, filters=(2,))
    assert aug.predict_over_views(binary, images, Darken(), views=1).shape == (4, 2)
    with pytest.raises(ValueError, match="augmentation"):
        aug.predict_over_views(model, images, None)


def test_shipped_results_have_three_seeds_and_show_the_gain():
    results = cl.data.load_augmentation_results()
    assert results["settings"]["seeds"] == [0, 1, 2]
    for task in aug.TASKS:
        for arm in ("without", "with"):
            assert len(results[task][arm]["test_accuracy"]) == 3
            assert len(results[task][arm]["train_accuracy"]) == 3
    digits = results["digits"]
    gains = np.subtract(
        digits["with"]["test_accuracy"], digits["without"]["test_accuracy"]
    )
    assert (gains > 0).all()


def test_load_results_refuses_a_file_without_both_arms(tmp_path):
    path = tmp_path / "results.json"
    path.write_text('{"digits": {"with": {}}, "faces": {}}')
    with pytest.raises(ValueError, match="both arms"):
        cl.data.load_augmentation_results(path)
    path.write_text("not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        cl.data.load_augmentation_results(path)
