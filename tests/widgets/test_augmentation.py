"""cl.widgets.AugmentationExplorer (course_lib/widgets/augmentation.py): it shows what
the Keras layers would draw, its random views are reproducible, and it starts without
TensorFlow."""

from __future__ import annotations

import numpy as np
import pytest
from fresh_python import imported

import course_lib as cl
from course_lib import augmentation as aug


@pytest.fixture
def small_images():
    rng = np.random.default_rng(0)
    return {
        "noise": rng.uniform(0, 1, (24, 32, 3)).astype(np.float32),
        "gray": rng.integers(0, 256, (20, 20), dtype=np.uint8),
    }


def test_half_a_turn_turns_the_six_into_both_flips():
    explorer = cl.widgets.AugmentationExplorer("digit 6")
    start = explorer.figure_image.value
    explorer.rotation.value = 0.5
    assert explorer.figure_image.value != start
    np.testing.assert_allclose(
        explorer.augmented,
        aug.flip(explorer.picture, "horizontal_and_vertical"),
        atol=1e-4,
    )
    assert "+180.0°" in explorer.caption.value
    assert "RandomRotation((0.50, 0.50)" in explorer.caption.value


def test_the_view_shown_is_the_keras_view(small_images):
    explorer = cl.widgets.AugmentationExplorer(
        "noise", small_images, rotation=0.1, zoom=0.2, shift_x=-0.1, contrast=1.5
    )
    explorer.flip.value = "vertical"
    explorer.fill_mode.value = "wrap"
    view = explorer.view
    assert view == aug.View("vertical", 0.1, 0.2, -0.1, 0.0, 1.5)
    theirs = aug.keras_view(explorer.picture, view, "wrap")
    np.testing.assert_allclose(explorer.augmented, theirs, atol=1e-4)


def test_random_views_follow_the_seed_and_the_factors(small_images):
    explorer = cl.widgets.AugmentationExplorer("gray", small_images, rotation=0.2)
    explorer.shift_x.value = 0.3
    first, picture = explorer.random, explorer.figure_image.value
    assert len(first) == explorer.RANDOM_VIEWS
    assert first == aug.random_views(4, seed=0, rotation=0.2, shift_x=0.3)
    assert all(abs(v.rotation) <= 0.2 and abs(v.shift_x) <= 0.3 for v in first)
    explorer.seed.value = 7
    assert explorer.random != first and explorer.figure_image.value != picture
    explorer.seed.value = 0
    assert explorer.random == first
    assert explorer.figure_image.value == picture  # the same seed, the same picture


def test_controls_and_pictures_are_named(small_images):
    explorer = cl.widgets.AugmentationExplorer(images=small_images, image="gray")
    assert set(explorer.controls) == {
        "image",
        "rotation",
        "zoom",
        "shift_x",
        "shift_y",
        "flip",
        "contrast",
        "fill_mode",
        "seed",
    }
    assert explorer.picture.dtype == np.float32 and explorer.picture.max() <= 1
    explorer.image.value = "noise"
    assert explorer.picture.shape == (24, 32, 3)
    assert explorer.artists["view"].get_array().shape == (24, 32, 3)


def test_bad_arguments_are_clear_errors(small_images):
    with pytest.raises(ValueError, match="unknown image 'dog'"):
        cl.widgets.AugmentationExplorer("dog", small_images)
    with pytest.raises(
        ValueError, match="rotation must be a finite number from -0.5 to 0.5"
    ):
        cl.widgets.AugmentationExplorer("gray", small_images, rotation=0.75)
    with pytest.raises(ValueError, match="fill_mode must be one of"):
        cl.widgets.AugmentationExplorer("gray", small_images, fill_mode="mirror")
    with pytest.raises(ValueError, match=r"image 'x' must be an image \(H, W\)"):
        cl.widgets.AugmentationExplorer("x", {"x": np.zeros((4, 4, 2))})
    with pytest.raises(ValueError, match="images must hold at least one picture"):
        cl.widgets.AugmentationExplorer("x", {})


def test_the_explorer_starts_without_tensorflow():
    code = (
        "import numpy as np, course_lib as cl\n"
        "e = cl.widgets.AugmentationExplorer('a', {'a': np.eye(8)}, rotation=0.1)\n"
        "e.seed.value = 3\n"
    )
    assert imported(code) == [False, False]
