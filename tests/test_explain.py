"""cl.explain: filter patterns, Grad-CAM (against a model solved by hand), DeepDream."""

from __future__ import annotations

import numpy as np
import pytest

import course_lib as cl
from course_lib import explain


@pytest.fixture(scope="module")
def model():
    return cl.data.load_mnist_convnet()


@pytest.fixture(scope="module")
def digits():
    _, (x_test, y_test) = cl.data.REGISTRY["mnist"].bundle_loader(
        cl.data.bundle_path("mnist")
    )
    return x_test[:40], y_test[:40]


def _gap_model(class_weights):
    """Identity 1x1 convolution (2 channels) -> global average -> linear scores.

    score_c = sum_k w[k, c] * mean(A_k), so dscore_c/dA_k(i, j) = w[k, c] / (h * w) and
    Grad-CAM's alpha_k = w[k, c] / (h * w): the answer by hand.
    """
    import keras

    model = keras.Sequential(
        [
            keras.Input((4, 4, 2)),
            keras.layers.Conv2D(2, 1, use_bias=False, name="conv"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(2, name="scores"),
        ]
    )
    model.get_layer("conv").set_weights([np.eye(2).reshape(1, 1, 2, 2)])
    model.get_layer("scores").set_weights([np.asarray(class_weights), np.zeros(2)])
    return model


def test_grad_cam_equals_the_hand_computation():
    weights = np.array([[2.0, -1.0], [-3.0, 0.5]], np.float32)  # [channel, class]
    model = _gap_model(weights)
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 1, (3, 4, 4, 2)).astype(np.float32)
    for target in (0, 1):
        cam = explain.grad_cam(model, images, "conv", target)
        alpha = weights[:, target] / 16
        assert np.allclose(cam.weights, np.tile(alpha, (3, 1)), atol=1e-6)
        by_hand = np.maximum(np.einsum("nhwk,k->nhw", images, alpha), 0)
        assert np.allclose(cam.cam, by_hand, atol=1e-6)
        scores = images.mean(axis=(1, 2)) @ weights[:, target]
        assert np.allclose(cam.scores, scores, atol=1e-5)
        assert cam.heatmap.shape == (3, 4, 4)
        assert cam.heatmap.max() <= 1.0 + 1e-6 and cam.heatmap.min() >= 0


def test_grad_cam_uses_scores_before_the_softmax(model, digits):
    images, _ = digits
    scores = explain.class_scores(model, images[:5])
    probabilities = model.predict(images[:5, :, :, None] / 255, verbose=0)
    softmax = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    assert np.allclose(softmax, probabilities, atol=1e-5)
    cam = explain.grad_cam(model, images[:5])
    assert cam.layer == "pool"  # the last feature-map layer by default
    assert np.array_equal(cam.classes, scores.argmax(axis=1))
    assert np.allclose(cam.weights, cam.gradients.mean(axis=(1, 2)), atol=1e-6)


def test_occluding_the_hottest_region_costs_more_than_the_coldest(model, digits):
    images, _ = digits
    cam = explain.grad_cam(model, images, "conv2")
    result = explain.occlusion_check(model, images, cam.heatmap, cam.classes, 4)
    hot = result["score"] - result["hot"]
    cold = result["score"] - result["cold"]
    assert hot.mean() > 1.5 * cold.mean()
    assert (hot > cold).mean() > 0.5


def test_filter_pattern_raises_the_activation_and_leaves_the_weights(model):
    before = [w.copy() for w in model.get_weights()]
    pattern = explain.filter_pattern(model, "conv2", 2, steps=15)
    assert pattern.image.shape == (28, 28, 1)
    assert 0 <= pattern.image.min() and pattern.image.max() <= 1
    assert pattern.responses[-1] > pattern.responses[0] + 0.5
    assert pattern.activations[-1] > pattern.activations[0]
    assert all(
        np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True)
    )


def test_a_centre_unit_pattern_changes_only_its_receptive_field(model):
    pattern = explain.filter_pattern(model, "conv1", 0, steps=5, centre=True)
    noise = explain.filter_pattern(model, "conv1", 0, steps=1, centre=True)
    moved = np.abs(pattern.image - noise.image)[:, :, 0] > 1e-6
    rows, columns = np.nonzero(moved)
    assert rows.min() >= 10 and rows.max() <= 16  # conv1's centre unit sees 12..16
    assert columns.min() >= 10 and columns.max() <= 16
    assert pattern.responses[-1] > pattern.responses[0]


def test_deep_dream_raises_its_loss_at_every_octave(model):
    photo = cl.data.sample_image("camera", gray=True, size=48)
    dream = explain.deep_dream(model, photo, {"conv2": 1.0}, steps=5, octaves=2)
    assert dream.image.shape == (*photo.shape, 1)
    assert dream.sizes[-1] == photo.shape
    assert all(last > first for first, last in dream.losses)


def test_window_means_and_occlude():
    heat = np.arange(16.0).reshape(4, 4)
    means = explain.window_means(heat, 2)
    assert means.shape == (3, 3) and means[0, 0] == np.mean([0, 1, 4, 5])
    covered = explain.occlude(np.ones((4, 4)), (1, 2), 2)
    assert covered.sum() == 12 and covered[1:3, 2:4].sum() == 0


def test_bad_input_is_a_clear_error(model):
    with pytest.raises(ValueError, match="unknown layer 'conv9'"):
        explain.grad_cam(model, np.zeros((1, 28, 28)), "conv9")
    with pytest.raises(ValueError, match="classes must be from 0 to 9"):
        explain.grad_cam(model, np.zeros((1, 28, 28)), "conv2", 10)
    with pytest.raises(
        ValueError, match="images must be 28x28 for this model, got 2x5"
    ):
        explain.grad_cam(model, np.zeros((2, 5)))
    with pytest.raises(ValueError, match="filter_index must be an int"):
        explain.filter_pattern(model, "conv1", 32)
    with pytest.raises(ValueError, match="layers must be a dict"):
        explain.deep_dream(model, np.zeros((40, 40)), ["conv1"])
    with pytest.raises(ValueError, match="too small"):
        explain.deep_dream(model, np.zeros((20, 20)), {"conv1": 1}, octaves=3)
    with pytest.raises(ValueError, match="model must be a Keras model"):
        explain.feature_layers("vgg")


def test_the_weight_files_are_the_ones_keras_uses():
    import inspect

    from keras.src.applications import inception_v3, vgg16

    from course_lib import data

    for entry, module, url in [
        ("vgg16_imagenet", vgg16, vgg16.WEIGHTS_PATH),
        ("vgg16_notop_imagenet", vgg16, vgg16.WEIGHTS_PATH_NO_TOP),
        ("inception_v3_notop_imagenet", inception_v3, inception_v3.WEIGHTS_PATH_NO_TOP),
    ]:
        item = data.REGISTRY[entry]
        assert item.urls == (url,)
        algorithm, digest = item.sha256.split(":")
        assert algorithm == "md5" and f'file_hash="{digest}"' in inspect.getsource(
            module
        )


def _point_weights_at(monkeypatch, entry, url, payload):
    import dataclasses
    import hashlib

    from course_lib import data

    replaced = dataclasses.replace(
        data.REGISTRY[entry],
        urls=(url,),
        sha256=f"md5:{hashlib.md5(payload).hexdigest()}",
        size=len(payload),
    )
    monkeypatch.setitem(data.REGISTRY, entry, replaced)


def test_imagenet_weights_are_downloaded_checked_and_cached(cache, monkeypatch, server):
    from course_lib import data

    payload = b"stand-in weights " * 64
    server.routes["/vgg16.h5"] = payload
    _point_weights_at(monkeypatch, "vgg16_imagenet", f"{server.base}/vgg16.h5", payload)
    path = data.fetch("vgg16_imagenet")
    assert path.read_bytes() == payload and path.parent == cache
    assert data.fetch("vgg16_imagenet") == path  # the second time: from the cache
    assert server.hits == ["/vgg16.h5"]
    # The stand-in is not an HDF5 weight file: the notebook gets one plain reason.
    with pytest.raises(explain.Offline, match="could not be loaded") as caught:
        explain.imagenet_model("vgg16")
    assert "\n" not in str(caught.value)


def test_a_corrupt_weight_download_leaves_nothing(cache, monkeypatch, server):
    payload = b"stand-in weights " * 64
    server.routes["/vgg16.h5"] = payload[:-1] + b"x"
    _point_weights_at(monkeypatch, "vgg16_imagenet", f"{server.base}/vgg16.h5", payload)
    with pytest.raises(explain.Offline, match="checksum mismatch"):
        explain.imagenet_model("vgg16")
    assert not cache.exists() or not any(cache.iterdir())


def test_imagenet_model_fails_fast_offline(cache, monkeypatch):
    import time

    # A port where nothing listens: refused at once, as on a machine without network.
    _point_weights_at(
        monkeypatch, "vgg16_imagenet", "http://127.0.0.1:9/vgg16.h5", b"x" * 10
    )
    start = time.perf_counter()
    with pytest.raises(explain.Offline, match="no ImageNet weights for vgg16"):
        explain.imagenet_model("vgg16")
    assert time.perf_counter() - start < 5
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    with pytest.raises(explain.Offline, match="COURSE_OFFLINE"):
        explain.imagenet_model("inception_v3")
    with pytest.raises(
        ValueError, match="name must be one of 'vgg16', 'inception_v3', got 'alexnet'"
    ):
        explain.imagenet_model("alexnet")


# -- bad input (found by the old bad-input property table) --------------------------------------


def test_class_scores_refuses_what_is_not_a_model(digits):
    with pytest.raises(ValueError, match="model must be a Keras model"):
        explain.class_scores(None, digits[0][:2])


@pytest.mark.parametrize(
    "settings",
    [
        {"size": (10**5, 10**5)},
        {"size": "text"},
        {"value_range": None},
        {"value_range": (1.0, 0.0)},
        {"seed": "text"},
    ],
)
def test_filter_pattern_refuses_huge_sizes_and_bad_settings(model, settings):
    with pytest.raises(ValueError, match="|".join(settings)):
        explain.filter_pattern(model, "conv1", 0, steps=1, **settings)


@pytest.mark.parametrize(
    "settings", [{"layers": {"conv2": None}}, {"value_range": (1.0, 0.0)}]
)
def test_deep_dream_refuses_bad_weights_and_ranges(model, digits, settings):
    arguments = {"layers": {"conv2": 1.0}, "steps": 1, "octaves": 1, **settings}
    with pytest.raises(ValueError, match="weight|value_range"):
        explain.deep_dream(model, digits[0][0], **arguments)


@pytest.mark.parametrize(
    "corner, size", [(None, 2), ("text", 2), ((1, 1), "2"), ((1, 1), -1)]
)
def test_occlude_refuses_bad_corners_and_sizes(corner, size):
    with pytest.raises(ValueError, match="corner|size"):
        explain.occlude(np.ones((6, 6)), corner, size)


def test_occlusion_check_refuses_classes_and_heatmaps_that_do_not_fit(model, digits):
    images, labels = digits[0][:4], digits[1][:4]
    heatmaps = np.ones((4, 28, 28))
    with pytest.raises(ValueError, match="classes"):
        explain.occlusion_check(model, images, heatmaps, np.full(4, 10))
    with pytest.raises(ValueError, match="heatmaps"):
        explain.occlusion_check(model, images, heatmaps[:3], labels)


@pytest.mark.parametrize("images", [None, "text", np.ones((2, 3))])
def test_run_to_refuses_images_that_are_not_a_batch(model, images):
    with pytest.raises(ValueError, match="images"):
        explain.run_to(model, images, ["conv1"])


def test_occlusion_check_still_takes_one_class_for_every_image(model, digits):
    check = explain.occlusion_check(model, digits[0][:2], np.ones((2, 28, 28)), 3)
    assert check["score"].shape == (2,)


def test_deep_dream_refuses_an_image_too_large_to_dream_on(model):
    with pytest.raises(ValueError, match="at most 512 pixels"):
        explain.deep_dream(model, np.zeros((4000, 4000), np.float32), {"conv2": 1})


def test_deep_dream_takes_images_in_the_networks_own_value_range():
    import keras

    cl.set_seed(0)
    model = keras.Sequential(
        [
            keras.Input((None, None, 3)),
            keras.layers.Conv2D(4, 3, activation="relu", name="conv"),
        ]
    )
    photo = np.random.default_rng(0).uniform(-1, 1, (32, 32, 3)).astype("float32")
    dream = explain.deep_dream(
        model, photo, {"conv": 1.0}, steps=2, octaves=1, value_range=(-1.0, 1.0)
    )
    assert dream.image.min() >= -1 and dream.image.max() <= 1
    assert dream.losses[0][1] > dream.losses[0][0]
    with pytest.raises(ValueError, match="within value_range -1..1"):
        explain.deep_dream(
            model, photo * 3, {"conv": 1.0}, steps=2, octaves=1, value_range=(-1, 1)
        )


# -- band means, saliency, the randomisation check -----------------------------------------


def test_band_means_average_rows():
    maps = np.zeros((2, 4, 3))
    maps[:, 0] = 1.0
    maps[1, 3] = 3.0
    means = explain.band_means(maps, {"top": (0, 1), "rest": (1, 4)})
    assert means == pytest.approx({"top": 1.0, "rest": 0.5})
    with pytest.raises(ValueError, match="band 'bad'"):
        explain.band_means(maps, {"bad": (3, 3)})


def test_saliency_is_the_input_gradient_of_the_score():
    import keras

    model = keras.Sequential(
        [
            keras.Input((3, 3, 1)),
            keras.layers.Conv2D(1, 3, use_bias=False, name="conv"),
            keras.layers.Flatten(name="flatten"),
            keras.layers.Dense(2, activation="softmax", name="output"),
        ]
    )
    kernel = np.arange(9, dtype=np.float32).reshape(3, 3, 1, 1) - 4
    model.get_layer("conv").set_weights([kernel])
    model.get_layer("output").set_weights(
        [np.array([[2.0, -1.0]], np.float32), np.zeros(2, np.float32)]
    )
    image = np.random.default_rng(0).uniform(size=(1, 3, 3, 1)).astype(np.float32)
    # score_0 = 2 * sum(kernel * image): its gradient is 2 * kernel
    signed = explain.saliency_map(model, image, classes=0, absolute=False)
    assert np.allclose(signed[0], 2 * kernel[:, :, 0, 0], atol=1e-5)
    absolute = explain.saliency_map(model, image, classes=1)
    assert np.allclose(absolute[0], np.abs(kernel[:, :, 0, 0]), atol=1e-5)


def test_randomized_copy_keeps_the_layers_and_draws_new_weights(model):
    before = [w.copy() for w in model.get_weights()]
    copy = explain.randomized_copy(model, seed=1)
    assert [layer.name for layer in copy.layers] == [
        layer.name for layer in model.layers
    ]
    assert not np.allclose(copy.get_weights()[0], before[0])
    assert all(
        np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True)
    )
    again = explain.randomized_copy(model, seed=1)
    assert np.array_equal(again.get_weights()[0], copy.get_weights()[0])


def test_randomization_check_is_the_three_mean_correlations(model, digits):
    images = digits[0][:8]
    check = explain.randomization_check(model, images, "pool")
    classes = explain.class_scores(model, images).argmax(axis=1)
    first, second = (explain.randomized_copy(model, seed=s) for s in (1, 2))
    cam = explain.rank_correlation(
        explain.grad_cam(model, images, "pool", classes).heatmap,
        explain.grad_cam(first, images, "pool", classes).heatmap,
    )
    random = explain.saliency_map(first, images, classes)
    saliency = explain.rank_correlation(
        explain.saliency_map(model, images, classes), random
    )
    randoms = explain.rank_correlation(
        random, explain.saliency_map(second, images, classes)
    )
    assert check == pytest.approx(
        {
            "grad_cam": np.mean(cam),
            "saliency": np.mean(saliency),
            "two_random": np.mean(randoms),
        },
        abs=1e-9,
    )
    assert -1 <= check["grad_cam"] < check["saliency"] <= 1  # what lecture 12 shows


def test_grad_cam_by_numpy_is_grad_cam(model, digits):
    from course_lib.explain.gradcam import _grad_cam_numpy

    images = digits[0][:8].astype(np.float32) / 255  # as the declared images become
    net = cl.models.pretrained_numpy("mnist_convnet")
    scores, heatmaps = _grad_cam_numpy(net, images, "pool")
    assert np.allclose(scores, explain.class_scores(model, images), atol=1e-4)
    for digit in range(10):
        cam = explain.grad_cam(model, images, "pool", digit)
        assert np.allclose(heatmaps[:, digit], cam.heatmap, atol=1e-5)
    with pytest.raises(ValueError, match="followed by a flatten and dense"):
        _grad_cam_numpy(net, images, "conv1")


def test_rank_correlation_is_spearman():
    from scipy.stats import spearmanr

    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(3, 4, 4)), rng.normal(size=(3, 4, 4))
    b[0] = a[0] ** 3  # same order
    a[2, :2] = 0.0  # ties
    expected = [
        spearmanr(p.ravel(), q.ravel()).statistic for p, q in zip(a, b, strict=True)
    ]
    assert np.allclose(explain.rank_correlation(a, b), expected)
    assert explain.rank_correlation(a, b)[0] == pytest.approx(1.0)
    assert explain.rank_correlation(np.ones((1, 2, 2)), a[:1, :2, :2])[0] == 0
    with pytest.raises(ValueError, match="same shape"):
        explain.rank_correlation(a, b[:2])
