"""cl.scratch: the forward pass from scratch agrees with Keras."""

from __future__ import annotations

import numpy as np
import pytest
from fresh_python import imported

import course_lib as cl


@pytest.fixture(scope="module")
def model():
    return cl.data.load_mnist_convnet()


@pytest.fixture(scope="module")
def batch():
    _, (x_test, _) = cl.data.REGISTRY["mnist"].bundle_loader(
        cl.data.bundle_path("mnist")
    )
    return cl.images.prepare_images(x_test[:16])


def test_forward_agrees_with_keras_on_a_batch(model, batch):
    ours = cl.scratch.forward(model, batch)
    theirs = model.predict(batch, verbose=0)
    assert ours.shape == (16, 10)
    np.testing.assert_allclose(ours, theirs, atol=1e-4, rtol=0)
    np.testing.assert_allclose(ours.sum(axis=1), 1.0, atol=1e-9)


def test_steps_follow_the_slides_components(model, batch):
    steps = cl.scratch.steps(model, batch[:2])
    shapes = {name: out.shape for name, _, out in steps}
    assert shapes == {
        "conv1": (2, 24, 24, 32),
        "conv2": (2, 20, 20, 32),
        "pool": (2, 10, 10, 32),
        "dropout1": (2, 10, 10, 32),
        "flatten": (2, 3200),
        "dense": (2, 128),
        "dropout2": (2, 128),
        "output": (2, 10),
    }
    descriptions = [description for _, description, _ in steps]
    assert descriptions[0] == "convolve 5x5x1 -> 32 maps, relu"
    assert descriptions[2] == "maxpool 2x2"
    assert descriptions[-1] == "dense 128 -> 10, softmax"
    assert (steps[0][2] >= 0).all()  # after the ReLU
    # Each step's numbers are what Keras computes for that layer's output.
    import keras

    for name, _, out in steps:
        layer_output = model.get_layer(name).output
        reference = keras.Model(model.inputs, layer_output).predict(
            batch[:2], verbose=0
        )
        np.testing.assert_allclose(out, reference, atol=1e-4, err_msg=name)


def test_one_image_or_a_batch_without_channel_axis_is_accepted(model, batch):
    one = cl.scratch.forward(model, batch[0])
    no_channel = cl.scratch.forward(model, batch[:3, :, :, 0])
    assert one.shape == (1, 10)
    np.testing.assert_allclose(no_channel[0], one[0])


def test_the_components():
    import keras
    import tensorflow as tf

    np.testing.assert_array_equal(cl.scratch.relu(np.array([-2.0, 0, 3])), [0, 0, 3])
    np.testing.assert_allclose(
        cl.scratch.softmax(np.array([1.2, 0.9, 0.4])), [0.46, 0.34, 0.20], atol=0.01
    )
    logits = np.random.default_rng(0).normal(0, 5, size=(6, 10))
    np.testing.assert_allclose(
        cl.scratch.softmax(logits), keras.ops.softmax(logits, axis=-1), rtol=1e-6
    )
    maps = np.random.default_rng(1).normal(size=(2, 7, 9, 3))
    np.testing.assert_allclose(
        cl.scratch.maxpool(maps), keras.layers.MaxPooling2D(2)(maps), rtol=1e-6
    )
    bank = np.random.default_rng(2).normal(size=(3, 2, 3, 4))
    np.testing.assert_allclose(
        cl.scratch.convolve(maps, bank, np.arange(4.0), stride=2, padding="same"),
        tf.nn.conv2d(maps, bank, 2, "SAME") + np.arange(4.0),
        rtol=1e-5,
        atol=1e-6,
    )
    big = cl.scratch.softmax(np.array([[1000.0, 1000.0]]))
    np.testing.assert_allclose(big, [[0.5, 0.5]])  # no overflow
    x = np.array([[1.0, 2.0]])
    np.testing.assert_allclose(
        cl.scratch.dense(x, np.eye(2), np.array([1, -1])), [[2, 1]]
    )
    images = np.arange(16.0).reshape(1, 4, 4, 1)
    np.testing.assert_array_equal(
        cl.scratch.maxpool(images)[0, :, :, 0], [[5, 7], [13, 15]]
    )
    kernel = np.ones((2, 2, 1, 1))
    assert cl.scratch.convolve(images, kernel, np.array([1.0]))[0, 0, 0, 0] == 11


def test_other_layer_settings_agree_too():
    import keras

    cl.set_seed(1)
    model = keras.Sequential(
        [
            keras.Input((12, 12, 3)),
            keras.layers.Conv2D(4, 3, strides=2, padding="same"),
            keras.layers.Activation("relu"),
            keras.layers.Conv2D(5, 3, use_bias=False),
            keras.layers.ReLU(),
            keras.layers.MaxPooling2D(2, strides=1),
            keras.layers.Flatten(),
            keras.layers.Dense(3),
            keras.layers.Softmax(),
        ]
    )
    x = np.random.default_rng(0).random((4, 12, 12, 3), dtype="float32")
    np.testing.assert_allclose(
        cl.scratch.forward(model, x), model.predict(x, verbose=0), atol=1e-5
    )


def test_unknown_layers_and_bad_input_say_what_is_wrong(model):
    import keras

    with_batchnorm = keras.Sequential(
        [keras.Input((8, 8, 1)), keras.layers.BatchNormalization()]
    )
    with pytest.raises(ValueError, match="does not know the layer"):
        cl.scratch.forward(with_batchnorm, np.zeros((1, 8, 8, 1)))
    tanh = keras.Sequential(
        [keras.Input((3, 3, 1)), keras.layers.Flatten(), keras.layers.Dense(2, "tanh")]
    )
    with pytest.raises(ValueError, match="activation 'tanh'"):
        cl.scratch.forward(tanh, np.zeros((1, 3, 3, 1)))
    with pytest.raises(ValueError, match=r"x must be a batch shaped \(N, 28, 28, 1\)"):
        cl.scratch.forward(model, np.zeros((2, 20, 20, 1)))
    inputs = keras.Input((3, 3, 1))
    functional = keras.Model(inputs, keras.layers.Conv2D(2, 3)(inputs))
    with pytest.raises(ValueError, match="keras.Sequential"):
        cl.scratch.forward(functional, np.zeros((1, 3, 3, 1)))


def test_numpy_convnet_matches_keras_without_importing_tensorflow():

    keras_model = cl.data.load_mnist_convnet()
    numpy_model = cl.models.pretrained_numpy("mnist_convnet")
    (_, _), (x_test, _) = cl.data.load_mnist()
    x = cl.images.prepare_images(x_test[:16])
    np.testing.assert_allclose(
        numpy_model(x), keras_model.predict(x, verbose=0), atol=1e-4
    )
    for name in ("conv1", "conv2", "pool"):
        expected = cl.inside.feature_maps(keras_model, x_test[3], name)
        np.testing.assert_allclose(
            cl.inside.feature_maps(numpy_model, x_test[3], name),
            expected,
            atol=1e-4,
        )
        assert (
            numpy_model.get_layer(name).output.shape
            == keras_model.get_layer(name).output.shape
        )
    assert cl.inside.feature_map_layers(numpy_model) == [
        "conv1",
        "conv2",
        "pool",
    ]
    with pytest.raises(ValueError, match="no layer named 'conv9'"):
        numpy_model.get_layer("conv9")
    code = "import course_lib as cl; cl.models.pretrained_numpy()"
    assert imported(code, ("tensorflow",)) == [False]


def test_numpy_convnet_checks_its_checkpoint(tmp_path):
    with pytest.raises(FileNotFoundError, match="is missing"):
        cl.models.pretrained_numpy("mnist_convnet", path=tmp_path / "none.weights.h5")
    (tmp_path / "bad.weights.h5").write_bytes(b"junk")
    with pytest.raises(ValueError, match="is not a Keras weights file"):
        cl.models.pretrained_numpy("mnist_convnet", path=tmp_path / "bad.weights.h5")


# Keras' own save_weights trips NumPy 2's copy keyword; nothing of ours.
@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
def test_numpy_convnet_reads_its_shapes_from_the_checkpoint(tmp_path):
    """Another network of the same family: every shape comes from the file."""
    import keras

    cl.set_seed(2)
    model = keras.Sequential(
        [
            keras.Input((20, 20, 1)),
            keras.layers.Conv2D(6, 3, activation="relu", name="first"),
            keras.layers.MaxPooling2D(3, name="squeeze"),
            keras.layers.Dropout(0.1),
            keras.layers.Flatten(name="flat"),
            keras.layers.Dense(7, activation="relu", name="hidden"),
            keras.layers.Dense(3, activation="softmax", name="answer"),
        ]
    )
    path = tmp_path / "small.weights.h5"
    model.save_weights(path)
    numpy_model = cl.scratch.NumpyConvnet.from_weights_file(path, (20, 20, 1))
    assert [layer.name for layer in numpy_model.layers] == [
        "first",
        "squeeze",
        "flat",
        "hidden",
        "answer",
    ]
    assert numpy_model.get_layer("squeeze").pool_size == 3
    assert numpy_model.get_layer("squeeze").output.shape == (None, 6, 6, 6)
    x = np.random.default_rng(0).random((4, 20, 20, 1)).astype("float32")
    np.testing.assert_allclose(numpy_model(x), model.predict(x, verbose=0), atol=1e-5)
    with pytest.raises(ValueError, match="no pooling size"):
        cl.scratch.NumpyConvnet.from_weights_file(path, (16, 16, 1))
    with pytest.raises(ValueError, match=r"x must be a batch shaped \(N, 20, 20, 1\)"):
        numpy_model(np.zeros((1, 28, 28, 1)))


def test_numpy_layers_check_their_kind_and_activation():
    with pytest.raises(ValueError, match="kind must be one of 'conv', 'maxpool'"):
        cl.scratch.NumpyLayer("x", "lstm")
    with pytest.raises(ValueError, match="activation must be one of"):
        cl.scratch.NumpyLayer("x", "dense", activation="tanh")
    layer = cl.scratch.NumpyLayer("d", "dense", [np.ones((4, 2)), np.zeros(2)])
    with pytest.raises(ValueError, match="layer 'd' does not fit its input"):
        cl.scratch.NumpyConvnet([layer], (3,))


# --- issue 12: wrong types give a ValueError naming the argument ------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: cl.scratch.relu(None), "x must be an array of finite numbers"),
        (lambda: cl.scratch.relu(["1", "a"]), "x must be an array of finite numbers"),
        (
            lambda: cl.scratch.softmax([]),
            "x must be an array of finite numbers, got 0 numbers",
        ),
        (lambda: cl.scratch.dense([[1.0, 2.0]], [[1.0]], [0.0]), "do not fit"),
        (lambda: cl.scratch.dense([], [], 0.0), "x must be an array with 2 axes"),
        (
            lambda: cl.scratch.convolve(np.array(0), np.ones((3, 3, 1, 1))),
            "images must be a batch of feature maps",
        ),
        (
            lambda: cl.scratch.convolve(
                np.ones((1, 4, 4, 1)), np.ones((3, 3, 1, 2)), bias=[1]
            ),
            "bias must have one value per filter",
        ),
        (lambda: cl.scratch.maxpool(object()), "images must be a batch of feature"),
        (lambda: cl.scratch.forward(object(), np.zeros((1, 2))), "keras.Sequential"),
    ],
)
def test_wrong_types_give_a_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_lists_work_where_arrays_do():
    np.testing.assert_array_equal(cl.scratch.relu([-1, 2]), [0, 2])
    np.testing.assert_allclose(
        cl.scratch.dense([[1.0, 2.0]], [[1.0], [1.0]], [0.5]), [[3.5]]
    )
