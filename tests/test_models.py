"""The shipped checkpoints of the slides' convnet: loaded by Keras (``cl.data.load_mnist_convnet``,
``load_faces_convnet``) and by NumPy (``cl.models.pretrained_numpy``)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

import course_lib as cl


@pytest.fixture(scope="module")
def held_out():
    """The bundled 1,000 held-out digits, whether or not the full MNIST is online."""
    entry = cl.data.REGISTRY["mnist"]
    _, (x_test, y_test) = entry.bundle_loader(cl.data.bundle_path("mnist"))
    return x_test, y_test


def test_pretrained_checkpoint_scores_at_least_95_percent(held_out):
    x_test, y_test = held_out
    model = cl.data.load_mnist_convnet()
    _, accuracy = model.evaluate(cl.images.prepare_images(x_test), y_test, verbose=0)
    assert accuracy >= 0.95


def test_missing_checkpoint_says_how_to_rebuild(tmp_path, monkeypatch):
    with pytest.raises(
        FileNotFoundError, match="there is no file .*nothing.weights.h5"
    ):
        cl.data.load_mnist_convnet(path=tmp_path / "nothing.weights.h5")
    monkeypatch.setattr(cl.data.registry, "FILES_DIR", tmp_path)  # an empty folder
    with pytest.raises(FileNotFoundError, match="train_checkpoint.py"):
        cl.data.load_mnist_convnet()
    with pytest.raises(FileNotFoundError, match="train_checkpoint.py"):
        cl.models.pretrained_numpy("mnist_convnet")


def test_corrupt_checkpoint_fails_its_checksum(tmp_path, monkeypatch):
    # The checksum guards the shipped file (a student's own file has none: see the
    # tests of issue 12 below), so the shipped folder is pointed at a corrupt copy.
    copy = tmp_path / "mnist_convnet.weights.h5"
    shutil.copy(cl.models.checkpoint_path("mnist_convnet"), copy)
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0xFF
    copy.write_bytes(bytes(data))
    monkeypatch.setattr(cl.data.registry, "FILES_DIR", tmp_path)
    with pytest.raises(ValueError, match="fails its sha256 check"):
        cl.data.load_mnist_convnet()
    with pytest.raises(ValueError, match="fails its sha256 check"):
        cl.models.pretrained_numpy("mnist_convnet")


def test_unknown_checkpoint_lists_the_known_ones():
    with pytest.raises(
        ValueError,
        match="name must be one of 'mnist_convnet', 'faces_convnet', got 'imagenet'",
    ):
        cl.models.pretrained_numpy("imagenet")
    assert cl.models.checkpoint_path(" MNIST_convnet") == cl.models.checkpoint_path(
        "mnist_convnet"
    )


# --- issue 12: a student's own weights, sizes with a maximum, clear errors -------------


def _trained_for_one_step(path, **sizes):
    """A slides_convnet trained for one step on four digits, its weights saved."""
    cl.set_seed(0)
    model = cl.zoo.slides_convnet(**sizes)
    cl.train.compile_for_classification(model)
    x = np.random.default_rng(0).random((4, 28, 28, 1)).astype("float32")
    model.train_on_batch(x, np.array([0, 1, 2, 3]))
    model.save_weights(path)
    return model, x


# Keras' own save_weights trips NumPy 2's copy keyword; nothing of ours.
@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
def test_a_students_own_weights_load(tmp_path):
    path = tmp_path / "mine.weights.h5"
    trained, x = _trained_for_one_step(path)
    assert cl.data.sha256_of(path) != cl.data.REGISTRY["mnist_convnet"].sha256
    loaded = cl.data.load_mnist_convnet(path=path)
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), trained.predict(x, verbose=0), rtol=1e-6
    )
    numpy_model = cl.models.pretrained_numpy("mnist_convnet", path=str(path))
    np.testing.assert_allclose(numpy_model(x), trained.predict(x, verbose=0), atol=1e-5)


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
def test_the_loader_names_the_layer_whose_weights_do_not_fit(tmp_path):
    path = tmp_path / "sixteen.weights.h5"
    _trained_for_one_step(path, filters=16)
    with pytest.raises(ValueError, match="do not fit layer 'conv1'") as error:
        cl.data.load_mnist_convnet(path=path)
    assert "(5, 5, 1, 16)" in str(error.value) and "(5, 5, 1, 32)" in str(error.value)
    # The NumPy copy takes its shapes from the file: it is that smaller network.
    numpy_model = cl.models.pretrained_numpy("mnist_convnet", path=path)
    assert cl.inside.conv_kernels(numpy_model)["conv1"].shape == (5, 5, 1, 16)


def test_the_loaders_refuse_what_is_not_a_weights_file(tmp_path):
    text = tmp_path / "notes.weights.h5"
    text.write_text("not weights")
    for function in (
        cl.data.load_mnist_convnet,
        lambda path: cl.models.pretrained_numpy("mnist_convnet", path=path),
    ):
        with pytest.raises(ValueError, match="is not a Keras weights file"):
            function(path=text)
        with pytest.raises(
            ValueError, match="path must be a file name .*, got the folder"
        ):
            function(path=tmp_path)
        with pytest.raises(ValueError, match="path must be a file name"):
            function(path=3.5)


def test_the_shipped_faces_convnet_tells_faces_from_non_faces():
    model = cl.data.load_faces_convnet()
    assert model.input_shape == (None, 25, 25, 1) and model.output_shape == (None, 2)
    _, (faces, is_face) = cl.augmentation.face_data(160, seed=0)  # held out in training
    accuracy = np.mean(model.predict(faces, verbose=0).argmax(-1) == is_face)
    assert accuracy >= 0.9, accuracy


def test_a_corrupt_faces_checkpoint_names_its_own_build_script(tmp_path, monkeypatch):
    bad = tmp_path / "faces_convnet.weights.h5"
    bad.write_bytes(b"not weights")
    monkeypatch.setattr(cl.data.registry, "FILES_DIR", tmp_path)
    with pytest.raises(ValueError, match="build_faces_convnet.py"):
        cl.data.load_faces_convnet()
