"""cl.data.load_*: every shipped network and result, built by its topic module and read
from the verified file."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib import data
from course_lib.data import registry

LOADERS = sorted(n for n in vars(data) if n.startswith("load_"))


def test_every_shipped_file_has_a_loader_that_reads_it(monkeypatch):
    read = []
    real = registry.path
    monkeypatch.setattr(registry, "path", lambda name: read.append(name) or real(name))
    for name in LOADERS:
        loader = getattr(data, name)
        for args in [(kind,) for kind in getattr(loader, "choices", [])] or [()]:
            assert loader(*args) is not None, name
    missing = set(data.shipped_names()) - set(read)
    assert not missing, f"no cl.data.load_* reads {sorted(missing)}"


def test_the_shipped_convnet_recognises_held_out_digits():
    model = data.load_mnist_convnet()
    _, (x_test, y_test) = data.load_mnist_5k()
    predicted = model.predict(x_test[..., None] / 255.0, verbose=0).argmax(axis=1)
    assert (predicted == y_test).mean() > 0.95


def test_a_file_of_your_own_that_does_not_fit_is_refused_plainly(tmp_path):
    other = registry.path("faces_convnet")  # weights of another network
    with pytest.raises(ValueError, match="do not fit"):
        data.load_mnist_convnet(other)
    with pytest.raises(FileNotFoundError, match="there is no file"):
        data.load_gan_generator(tmp_path / "missing.weights.h5")
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not an npz")
    with pytest.raises(ValueError, match="is not a weights file"):
        data.load_segmentation_unet(junk)


def test_a_damaged_shipped_weights_file_names_its_script(tmp_path, monkeypatch):
    import shutil

    folder = tmp_path / "files"
    shutil.copytree(data.FILES_DIR, folder)
    monkeypatch.setattr(registry, "FILES_DIR", folder)
    target = folder / "gan_generator.weights.h5"
    target.write_bytes(target.read_bytes()[:-10])
    with pytest.raises(data.BadDataFile, match="build_gan_generator.py"):
        data.load_gan_generator()


def test_the_small_loaders_give_what_the_lectures_use():
    boxes = data.load_face_boxes("astronaut")
    assert boxes.shape == (1, 4) and data.load_face_boxes("coffee").shape == (0, 4)
    found = data.load_astronaut_proposals()
    assert len(found["boxes"]) == len(found["scores"]) == 427
    assert np.all((found["scores"] >= 0) & (found["scores"] <= 1))
    with pytest.raises(ValueError, match="kind must be one of"):
        data.load_spatial_model("mlp")
