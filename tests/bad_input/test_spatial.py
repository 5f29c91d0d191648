"""Bad input to cl.spatial and its widget that the declarations alone do not cover
(tests/test_declared.py generates the rest): issue 33's cases, each pinned, and the
properties a result must have (the same answer for uint8 and float 0-1 pixels)."""

from __future__ import annotations

import tracemalloc

import hypothesis_profiles  # noqa: F401 - loads the Hypothesis profile
import numpy as np
import pytest
from clear_errors import assert_clear, refused
from hypothesis import given, settings
from hypothesis import strategies as st

import course_lib as cl

spatial = cl.spatial


@pytest.fixture(scope="module")
def digits():
    (x, y), _ = cl.data.load_mnist()
    return x, y


# -- axes: a colour photo is not a batch of grey images ---------------------------------


def test_transform_refuses_an_rgb_photo_as_64_grey_images():
    """Issue 33: (64, 64, 3) was read as 64 grey images of 64x3."""
    photo = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    message = refused(lambda: spatial.transform(photo, spatial.IDENTITY), "images")
    assert "colour image" in message and "(64, 64, 3)" in message
    # as a batch of one colour image it is resampled channel by channel
    out = spatial.transform(photo[None], spatial.rotation_theta(90))
    assert out.shape == (1, 64, 64, 3)
    assert np.allclose(out[0], np.rot90(photo / 255.0), atol=1e-5)


# -- pixels: uint8 and float 0-1 give the same answer, float 0-255 is refused ----------


def test_as_inputs_refuses_0_255_and_converts_uint8():
    """Issue 33: as_inputs passed 0-255 through although its docstring says 0-1."""
    canvases = np.random.default_rng(1).integers(0, 256, (3, 60, 60), dtype=np.uint8)
    message = refused(lambda: spatial.as_inputs(canvases.astype(np.float32)), "images")
    assert "divide by 255" in message
    as_uint8 = spatial.as_inputs(canvases)
    assert as_uint8.shape == (3, 60, 60, 1) and as_uint8.max() <= 1.0
    assert np.allclose(as_uint8, spatial.as_inputs(canvases / 255.0))


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**31 - 1), st.floats(-180, 180), st.floats(0.5, 1.5))
def test_transform_same_for_uint8_and_float(seed, angle, scale):
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, (2, 12, 12), dtype=np.uint8)
    theta = spatial.rotation_theta(angle) * scale
    assert np.allclose(
        spatial.transform(image, theta), spatial.transform(image / 255.0, theta)
    )


def test_distorted_mnist_same_for_uint8_and_float_digits(digits):
    x, y = digits[0][:200], digits[1][:200]
    as_uint8 = spatial.distorted_mnist(x, y, 50, seed=4)
    as_float = spatial.distorted_mnist(x / 255.0, y, 50, seed=4)
    assert np.array_equal(as_uint8.images, as_float.images)
    refused(lambda: spatial.distorted_mnist(x * 1.0, y, 5), "images")


def test_the_shipped_cnn_reads_uint8_and_float_canvases_alike(digits):
    x, y = digits
    test = spatial.distorted_mnist(x[:300], y[:300], 100, seed=2)
    model = cl.data.load_spatial_model("cnn")
    as_uint8 = np.round(test.images * 255).astype(np.uint8)
    assert spatial.accuracy(model, as_uint8, test.labels) == pytest.approx(
        spatial.accuracy(model, np.round(test.images * 255) / 255, test.labels)
    )
    refused(lambda: spatial.accuracy(model, test.images * 255, test.labels), "images")


def test_nan_is_refused():
    image = np.zeros((8, 8))
    image[2, 2] = np.nan
    refused(lambda: spatial.transform(image, spatial.IDENTITY), "images")
    refused(lambda: spatial.as_inputs(image[None]), "images")
    digits = np.zeros((3, 28, 28))
    digits[0, 1, 1] = np.nan
    refused(lambda: spatial.distorted_mnist(digits, [1, 2, 3], 2), "images")


# -- sizes: what fits in memory -------------------------------------------------------


def test_a_huge_request_is_refused_with_a_way_out(digits):
    """Issue 33: 200,000 canvases (the documented maximum then) needed ~2.9 GB."""
    x, y = digits
    message = refused(lambda: spatial.distorted_mnist(x, y, 200_000), "count")
    assert "5,000" in message and "distorted_batches" in message
    message = refused(lambda: spatial.distorted_mnist(x, y, 5_000, canvas=512), "count")
    assert "68" in message  # 5,000 x 60 x 60 pixels hold 68 canvases of 512 x 512
    refused(lambda: spatial.distorted_batches(x, y, 4096, canvas=512), "batch_size")


def test_the_largest_request_fits_in_half_a_gigabyte(digits):
    x, y = digits
    tracemalloc.start()
    try:
        data = spatial.distorted_mnist(x, y, spatial.MAX_COUNT, seed=0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(data) == spatial.MAX_COUNT
    assert peak < 500 * 2**20, f"peak {peak / 2**20:.0f} MB"


def test_transform_refuses_an_output_too_large():
    message = refused(
        lambda: spatial.transform(np.zeros((100, 8, 8)), spatial.IDENTITY, 4096),
        "size",
    )
    assert "fewer images" in message


# -- the wrong model, and arguments that must agree -----------------------------------


def test_the_wrong_model_names_what_is_wanted():
    unet = cl.segmentation.build_unet(filters=1, depth=1)
    canvases = np.zeros((2, 60, 60), np.uint8)
    message = refused(lambda: spatial.accuracy(unet, canvases, [1, 2]), "model")
    assert "a digit classifier (N, ?, ?, 1) -> (N, 10)" in message
    assert "'unet'" in message
    refused(lambda: spatial.compile_model(unet), "model")
    message = refused(lambda: spatial.transformer_outputs(spatial.build_cnn()), "stn")
    assert "build_stn" in message


def test_canvases_of_another_size_than_the_model_reads(digits):
    model = spatial.build("cnn", compile=False)
    message = refused(
        lambda: spatial.accuracy(model, digits[0][:5], digits[1][:5]), "images"
    )
    assert "28x28" in message and "60x60" in message


def test_train_steps_refuses_an_uncompiled_model(digits):
    x, y = digits
    message = refused(
        lambda: spatial.train_steps({"a": spatial.build("fc", compile=False)}, x, y, 2),
        "models",
    )
    assert "compile" in message


@pytest.mark.parametrize(
    ("call", "name", "words"),
    [
        (
            lambda: spatial.distorted_mnist(np.zeros((5, 28, 28)), np.zeros(4), 3),
            "labels",
            "5 images",
        ),
        (
            lambda: spatial.distorted_mnist(
                np.zeros((5, 28, 28)), np.zeros(5), 3, scales=(1.2, 0.7)
            ),
            "scales",
            "low <= high",
        ),
        (
            lambda: spatial.distorted_batches(
                np.zeros((5, 28, 28)), np.zeros(5), scales=(1.2, 0.7)
            ),
            "scales",
            "low <= high",
        ),
        (
            lambda: spatial.distorted_batches(
                np.zeros((5, 28, 28)), np.zeros(5), clutter=-1
            ),
            "clutter",
            "from 0 to 64",
        ),
        (
            lambda: spatial.sample_numpy(
                np.zeros((1, 4, 4, 1)), np.zeros((2, 3, 3, 2))
            ),
            "grid",
            "one grid per image",
        ),
        (
            lambda: spatial.transform(np.zeros((3, 5, 5)), np.zeros((2, 2, 3))),
            "theta",
            "one per image",
        ),
        (
            lambda: spatial.add_clutter(
                np.zeros((2, 60, 50)), np.zeros((3, 28, 28)), np.random.default_rng()
            ),
            "canvases",
            "square",
        ),
        (lambda: spatial.bilinear_by_hand(np.zeros((0, 3)), 0, 0), "image", "2-D"),
        (lambda: spatial.build_cnn(name="a/b"), "name", "/"),
        (lambda: spatial.accuracy_by_angle({"fc": 1}, [], [], [0]), "models", "fc"),
    ],
)
def test_hand_checked_cases_are_clear(call, name, words):
    message = refused(call, name)
    assert words in message


def test_a_distortion_option_given_as_text_or_float_is_converted_or_refused(digits):
    x, y = digits
    inputs, _ = next(spatial.distorted_batches(x, y, 4, clutter=2.0, canvas=60.0))
    assert inputs.shape == (4, 60, 60, 1)
    refused(lambda: spatial.distorted_batches(x, y, 4, canvas="60"), "canvas")


# -- the widget -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"rotation": np.nan}, "rotation"),
        ({"rotation": 400}, "rotation"),
        ({"scale": 0}, "scale"),
        ({"shift": 3}, "shift"),
        ({"shift": (50, 0)}, "shift"),
        ({"pair": "stn"}, "pair"),
        ({"digit": 5, "count": 5}, "digit"),
        ({"count": 10**6}, "count"),
    ],
)
def test_the_explorer_refuses_bad_arguments_in_words(kwargs, name):
    refused(lambda: cl.widgets.DistortionExplorer(**kwargs), name)


@pytest.fixture(scope="module")
def explorer():
    return cl.widgets.DistortionExplorer(count=5)


def test_the_explorer_answers_a_bad_control_value_in_its_banner(explorer):
    explorer.pair.value = "stn"
    assert explorer.pair.value == "cnn"  # the value stays
    message = explorer.error.message
    assert message.startswith("pair must be one of 'cnn', 'fc'")
    assert "Invalid selection" not in message
    explorer.pair.value = "FC"
    assert explorer.pair.value == "fc" and explorer.error.message == ""
    explorer.rotation.value = float("nan")
    assert_clear(ValueError(explorer.error.message), "angle", "rotation")
    assert explorer.stale
    explorer.rotation.value = 10.0
    assert not explorer.stale and explorer.error.message == ""
    explorer.pair.value = "cnn"
