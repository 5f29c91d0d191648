"""course_lib.zoo: the famous networks count what their papers (and keras.applications) say.

The big networks are built shapes-only (no weights allocated), so this file stays small
in memory and fast; only the small ones are built for real and run.
"""

from __future__ import annotations

import doctest
import functools

import keras
import numpy as np
import pytest

import course_lib as cl
from course_lib import zoo
from course_lib.zoo import building, encoder_decoder


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


@functools.cache
def count(name: str) -> int:
    """Parameters of a network from zoo.NETWORKS, each counted once per test run."""
    return zoo.count_parameters(name)


@pytest.mark.parametrize(
    "config, millions",
    [("A", 133), ("A-LRN", 133), ("B", 133), ("C", 134), ("D", 138), ("E", 144)],
)
def test_vgg_configurations_count_the_papers_table_2(config, millions):
    assert round(count(f"VGG-{config}") / 1e6) == millions


def test_vgg16_and_vgg19_count_exactly():
    assert count("VGG-D") == 138_357_544
    assert count("VGG-E") == 143_667_240


def test_vgg_c_has_its_1x1_convolutions_and_a_lrn_its_normalization():
    with zoo.shapes_only():
        c = zoo.vgg("C")
        lrn = zoo.vgg("A-LRN")
    kernels = [layer.kernel_size for layer in c.layers if hasattr(layer, "kernel_size")]
    assert kernels.count((1, 1)) == 3
    assert any(
        isinstance(layer, zoo.LocalResponseNormalization) for layer in lrn.layers
    )
    del c, lrn
    zoo.release()


@pytest.mark.parametrize(
    "ours, application",
    [
        ("VGG-D", "VGG16"),
        ("VGG-E", "VGG19"),
        ("ResNet-50", "ResNet50"),
        ("ResNet-152", "ResNet152"),
        ("DenseNet-121", "DenseNet121"),
        ("MobileNetV2", "MobileNetV2"),
    ],
)
def test_ours_count_what_keras_applications_count(ours, application):
    theirs = zoo.count_parameters(
        lambda: getattr(keras.applications, application)(weights=None)
    )
    assert count(ours) == theirs


def test_published_counts():
    assert round(count("ResNet-152") / 1e6) == 60  # He et al. 2016
    assert round(count("DenseNet-121") / 1e6) == 8  # Huang et al. 2017
    # Szegedy et al. 2015, Table 1 sums to about 6.8 M (weights only, rounded per layer).
    assert 6.8e6 <= count("GoogLeNet") <= 7.0e6
    assert count("LeNet-5") == 61_706  # about 60 k (LeCun et al. 1998)
    assert round(count("MobileNetV2") / 1e6, 1) == 3.5
    assert count("U-Net") == 31_030_658


def test_alexnet_one_and_two_towers():
    one_tower = zoo.count_parameters(zoo.alexnet)
    two_towers = zoo.count_parameters(lambda: zoo.alexnet(groups=2))
    assert one_tower == 62_378_344  # slide 004: "62M"
    assert two_towers == 60_965_224  # Krizhevsky et al. 2012: "60 million"
    assert 60e6 <= two_towers < one_tower <= 62.5e6


def test_resnet_depths_and_blocks():
    assert round(count("ResNet-18") / 1e6, 1) == 11.7
    assert round(count("ResNet-34") / 1e6, 1) == 21.8


@pytest.mark.parametrize(
    "call, known",
    [
        (lambda: zoo.vgg("F"), "'A', 'A-LRN', 'B', 'C', 'D', 'E'"),
        (lambda: zoo.resnet(20), "18, 34, 50, 101, 152"),
        (lambda: zoo.densenet(100), "121, 169, 201, 264"),
        (lambda: zoo.build("VGG16"), "'VGG-D'"),
        (lambda: zoo.count_parameters("Xception"), "a name from cl.zoo.NETWORKS"),
        (lambda: zoo.alexnet(groups=3), "from 1 to 2"),
        (lambda: zoo.unet(padding="full"), "'valid', 'same'"),
        (lambda: zoo.count_parameters(42), "a name from cl.zoo.NETWORKS"),
    ],
)
def test_unknown_configurations_list_the_known_ones(call, known):
    with pytest.raises(ValueError, match=known):
        call()


def test_the_registries_use_the_declared_choice():
    with pytest.raises(ValueError) as caught:
        zoo.build("VGG16")
    assert str(caught.value).startswith("name must be one of 'LeNet-5', 'AlexNet'")
    assert str(caught.value).endswith("got 'VGG16'")
    with pytest.raises(ValueError, match=r"^depth must be one of 18, 34, 50, 101, 152"):
        zoo.resnet(20)


def test_names_match_whatever_their_case():
    assert zoo.count_parameters("vgg-E") == count("VGG-E")
    with zoo.shapes_only():
        model = zoo.vgg("a-lrn")
    assert model.name == "vgg_A_LRN"
    del model
    zoo.release()


def test_the_docstring_examples_run():
    """The module's and count_parameters' examples, run as doctests."""
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    tests = [test for test in finder.find(zoo, extraglobs={"cl": cl}) if test.examples]
    names = {test.name.rsplit(".", 1)[-1] for test in tests}
    assert {"zoo", "count_parameters"} <= names
    for test in tests:
        runner.run(test)
    assert runner.failures == 0
    assert runner.tries >= 8


def test_shapes_only_allocates_nothing():
    before = _rss_mb()
    with zoo.shapes_only():
        model = zoo.vgg("E")
    assert model.count_params() == 143_667_240
    assert _rss_mb() - before < 100  # the real thing would take 575 MB
    del model
    zoo.release()
    # Released: a later stateless scope must not fill the forgotten variables.
    with keras.StatelessScope():
        pass
    assert _rss_mb() - before < 100


def test_local_response_normalization_follows_the_formula():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1, 2, 2, 7)).astype("float32")
    layer = zoo.LocalResponseNormalization(
        depth_radius=2, bias=2.0, alpha=1e-1, beta=0.75
    )
    squares = np.pad(x**2, [(0, 0), (0, 0), (0, 0), (2, 2)])
    sums = sum(squares[..., i : i + 7] for i in range(5))
    expected = x / (2.0 + 1e-1 * sums) ** 0.75
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-5)
    again = zoo.LocalResponseNormalization.from_config(layer.get_config())
    assert again.alpha == pytest.approx(0.1)


def test_small_networks_run():
    cl.set_seed(0)
    lenet = zoo.lenet5()
    probabilities = lenet(np.zeros((2, 32, 32, 1), "float32")).numpy()
    assert probabilities.shape == (2, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    noise = np.random.default_rng(0).random((2, 32, 32, 1)).astype("float32")
    np.testing.assert_allclose(
        lenet(noise).numpy(), lenet.predict(noise, verbose=0), rtol=1e-5
    )
    assert not np.allclose(lenet(noise).numpy()[0], probabilities[0])  # it reads x
    small = zoo.unet(
        (32, 32, 3), num_classes=3, base_filters=4, depth=2, padding="same"
    )
    pixels = small(np.zeros((1, 32, 32, 3), "float32")).numpy()
    assert pixels.shape == (1, 32, 32, 3)
    np.testing.assert_allclose(pixels.sum(axis=-1), 1.0, rtol=1e-5)  # per pixel
    del lenet, small
    zoo.release()


def test_unet_paper_tile_shrinks_from_572_to_388():
    with zoo.shapes_only():
        model = zoo.unet()
    assert model.output.shape[1:] == (388, 388, 2)
    assert sum("Cropping2D" == type(layer).__name__ for layer in model.layers) == 4
    del model
    zoo.release()


def test_blocks_keep_or_change_the_shape_as_they_should():
    inputs = keras.Input((16, 16, 32))
    with zoo.shapes_only():
        same = zoo.residual_block(inputs, 8, bottleneck=True, name="a")
        basic = zoo.residual_block(inputs, 32, bottleneck=False, name="b")
        down = zoo.residual_block(inputs, 16, strides=2, bottleneck=False, name="c")
        inception = zoo.inception_module(inputs, 8, 4, 16, 2, 4, 4, name="d")
        dense = zoo.dense_block(inputs, 3, growth_rate=12, name="e")
        thin = zoo.inverted_residual_block(inputs, 6, 32, 1, name="f")
        strided = zoo.inverted_residual_block(inputs, 6, 24, 2, name="g")
        model = keras.Model(
            inputs, [same, basic, down, inception, dense, thin, strided]
        )
    shapes = [tuple(t.shape[1:]) for t in model.outputs]
    assert shapes == [
        (16, 16, 32),
        (16, 16, 32),
        (8, 8, 16),
        (16, 16, 8 + 16 + 4 + 4),
        (16, 16, 32 + 3 * 12),
        (16, 16, 32),
        (8, 8, 24),
    ]
    names = {layer.name for layer in model.layers}
    assert "a_0_conv" not in names and "c_0_conv" in names  # projection only if needed
    assert "f_add" in names and "g_add" not in names  # shortcut only if shapes match
    del model
    zoo.release()


def test_every_network_builds_by_name_with_the_papers_output():
    for name in ("LeNet-5", "AlexNet", "GoogLeNet", "ResNet-18"):
        model = zoo.build(name, allocate=False)
        assert model.output.shape[-1] == (10 if name == "LeNet-5" else 1000)
        del model
    zoo.release()


# --- issue 12: inputs checked before Keras sees them, in one line ---------------------


def test_lenet5_says_what_input_it_needs_in_one_line():
    with pytest.raises(ValueError) as error:
        zoo.lenet5((28, 28, 1))
    assert str(error.value) == (
        "LeNet-5 needs inputs of at least 32x32 pixels (its layers would shrink a "
        "28x28 input to nothing); got input_shape=(28, 28, 1)"
    )


@pytest.mark.parametrize(
    ("network", "build"),
    [
        ("LeNet-5", lambda side: zoo.lenet5((side, side, 1))),
        ("AlexNet", lambda side: zoo.alexnet((side, side, 3))),
        ("VGG", lambda side: zoo.vgg("A", (side, side, 3))),
        ("DenseNet", lambda side: zoo.densenet(121, (side, side, 3))),
    ],
)
def test_the_smallest_input_is_where_keras_stops(network, build, monkeypatch):
    """The computed smallest side builds; one pixel less fails in Keras itself."""
    smallest = building._smallest_side(network)
    with zoo.shapes_only():
        build(smallest)
    with pytest.raises(ValueError, match=f"at least {smallest}x{smallest}"):
        build(smallest - 1)
    monkeypatch.setattr(building, "_smallest_side", lambda network, steps=None: 1)
    with pytest.raises(ValueError), zoo.shapes_only():  # Keras' own, many-line error
        build(smallest - 1)
    zoo.release()


@pytest.mark.parametrize(
    ("depth", "padding", "smallest"), [(2, "valid", 44), (3, "same", 8)]
)
def test_unet_knows_its_smallest_input(depth, padding, smallest, monkeypatch):
    assert encoder_decoder._unet_smallest_side(depth, padding) == smallest
    with zoo.shapes_only():
        zoo.unet((smallest, smallest, 1), depth=depth, padding=padding, base_filters=2)
    with pytest.raises(ValueError, match=f"U-Net needs inputs of at least {smallest}x"):
        zoo.unet((smallest - 1, 64, 1), depth=depth, padding=padding, base_filters=2)
    monkeypatch.setattr(
        encoder_decoder, "_unet_smallest_side", lambda depth, padding: 1
    )
    with pytest.raises(ValueError), zoo.shapes_only():  # Keras agrees: it fails too
        zoo.unet((smallest - 1, 64, 1), depth=depth, padding=padding, base_filters=2)
    zoo.release()


def test_builders_and_blocks_refuse_wrong_types_and_huge_sizes():
    import time

    for call, match in [
        (lambda: zoo.vgg("A", (32, 32)), r"input_shape must be \(height, width, ch"),
        (lambda: zoo.resnet(18, (10**5, 10**5, 3)), "sides up to 1024"),
        (lambda: zoo.vgg("A", (512, 512, 3)), "sides up to 256"),
        (lambda: zoo.lenet5(num_classes=0), "num_classes must be an int from 1"),
        (lambda: zoo.alexnet(groups=3), "groups must be an int from 1 to 2"),
        (lambda: zoo.build("LeNet-5", allocate="no"), "allocate must be True or"),
        (lambda: zoo.count_parameters(len), "function of no arguments"),
        (lambda: zoo.count_parameters(lambda: None), "returned NoneType, not a"),
        (lambda: zoo.dense_block([], 2), "x must be a Keras tensor"),
    ]:
        with pytest.raises(ValueError, match=match) as error:
            call()
        assert "\n" not in str(error.value)
    inputs = keras.Input((8, 8, 4))
    start = time.perf_counter()
    with pytest.raises(ValueError, match="num_layers must be an int from 1 to 128"):
        zoo.dense_block(inputs, 10**5)
    assert time.perf_counter() - start < 1
    with pytest.raises(ValueError, match="strides must be an int from 1 to 4"):
        zoo.residual_block(inputs, 4, strides=1.5)
    zoo.release()


# --- the slides' MNIST convnet (lecture 06) -------------------------------------------


def test_slides_convnet_has_the_slides_shapes():
    model = cl.zoo.slides_convnet()
    shapes = {layer.name: tuple(layer.output.shape[1:]) for layer in model.layers}
    assert shapes["conv1"] == (24, 24, 32)
    assert shapes["conv2"] == (20, 20, 32)
    assert shapes["flatten"] == (3200,)
    assert tuple(model.get_layer("conv1").kernel.shape) == (5, 5, 1, 32)
    assert tuple(model.layers[5].kernel.shape) == (3200, 128)  # "the 5th layer"
    assert model.count_params() == 437_482
    assert model.layers[-1].activation.__name__ == "softmax"


def test_slides_convnet_follows_its_input_shape_and_classes():
    model = cl.zoo.slides_convnet(input_shape=(32, 32, 3), num_classes=4)
    assert tuple(model.get_layer("flatten").output.shape[1:]) == (12 * 12 * 32,)
    assert tuple(model.get_layer("conv1").kernel.shape) == (5, 5, 3, 32)
    assert tuple(model.get_layer("output").output.shape) == (None, 4)
    names = [layer.name for layer in model.layers]
    assert names == [
        "conv1",
        "conv2",
        "pool",
        "dropout1",
        "flatten",
        "dense",
        "dropout2",
        "output",
    ]


def test_slides_convnet_checks_its_sizes_before_keras_does():
    for kwargs, match in [
        ({"filters": 10**6}, "filters must be an int from 1 to 1,024"),
        ({"kernel_size": 15}, "kernel_size 15 is too large for 28x28 inputs"),
        ({"input_shape": (28, 28)}, r"input_shape must be \(height, width, channels\)"),
        ({"dense_units": 65536}, "more than the 50,000,000 allowed"),
        ({"num_classes": "10"}, "num_classes must be an int"),
    ]:
        with pytest.raises(ValueError, match=match) as error:
            cl.zoo.slides_convnet(**kwargs)
        assert "\n" not in str(error.value)
