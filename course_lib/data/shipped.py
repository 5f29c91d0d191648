"""The shipped networks and results, one ``load_*`` each, all read through the registry.

A network is built with its topic module's builder, then its weights are loaded from the
verified file (``cl.data.path``: size and sha256, with an error naming the file and the
``datasets/`` script that rebuilds it). Where a loader takes ``path``, a file of your own
in the same format is read instead (it has no known checksum, so it is not checked).
The topic modules are imported only when a loader is called.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from course_lib.core import Array, Choice, Optional, PathIn, checked
from course_lib.data import registry

SPATIAL_KINDS = ("fc", "st_fc", "cnn", "st_cnn", "fc_behind_st")
"""The shipped networks of lecture 16 (seed 0 of its comparison)."""


def _file(name: str, path=None) -> Path:
    """The verified shipped file ``name``, or a file of your own at ``path`` (its caller
    declares ``PathIn``: a path, not a folder)."""
    if path is None:
        return registry.path(name)
    if not path.is_file():
        raise FileNotFoundError(f"there is no file {path}")
    return path


@checked(path=PathIn())
def weights_in_file(path: Path) -> dict[str, list[tuple]]:
    """Layer name -> the shapes of its weights, read from a Keras 3 ``.weights.h5``
    (the layers of the outer network; a network nested in it is listed, not opened)."""
    import h5py

    try:
        with h5py.File(path, "r") as file:
            found = {}
            for group_name, group in file["layers"].items():
                variables = group.get("vars")
                if variables is None:
                    continue
                name = str(variables.attrs.get("name", group_name))
                found[name] = [
                    tuple(variables[key].shape) for key in sorted(variables, key=int)
                ]
            return found
    except (OSError, KeyError, ValueError, TypeError) as error:
        raise ValueError(
            f"{path} is not a Keras weights file (one written by "
            f"model.save_weights('....weights.h5')): {type(error).__name__}"
        ) from None


def _check_weights_fit(file: Path, model) -> None:
    """Compare the shapes in the file with the model's, layer by layer, where the file
    names every layer of the model that has weights (Keras itself matches the layers by
    their order, so where names differ its own error is the one given)."""
    found = weights_in_file(file)
    layers = [
        layer
        for layer in model.layers
        if layer.weights and not hasattr(layer, "layers")  # nested networks: Keras
    ]
    if not all(layer.name in found for layer in layers):
        return
    for layer in layers:
        expected = [tuple(weight.shape) for weight in layer.weights]
        if found[layer.name] != expected:
            raise ValueError(
                f"the weights in {file} do not fit layer {layer.name!r}: the file has "
                f"shapes {found[layer.name]}, the model needs {expected}"
            )


def _keras_weights(model, file: Path):
    """``model`` with the Keras weights in ``file`` (a plain error if they do not fit:
    the layer and both shapes where the file names the model's layers)."""
    _check_weights_fit(file, model)
    try:
        model.load_weights(file)
    except (ValueError, KeyError, OSError) as error:
        first = (str(error).strip().splitlines() or [""])[0]
        raise ValueError(
            f"the weights in {file} do not fit {model.name}: {first[:200]}"
        ) from None
    return model


def _json(name: str) -> dict:
    return json.loads(registry.path(name).read_text(encoding="utf-8"))


# --------------------------------------------------------------------------------------
# Networks


@checked(path=Optional(PathIn()))
def load_mnist_convnet(path=None):
    """The slides' convnet trained on the 4,000 shipped digits (``cl.models.build_for``;
    97.6 % on the 1,000 held-out digits), compiled for classification."""
    from course_lib import models
    from course_lib.train import compile_for_classification

    model = _keras_weights(
        models.build_for("mnist_convnet"), _file("mnist_convnet", path)
    )
    compile_for_classification(model)
    return model


@checked(path=Optional(PathIn()))
def load_faces_convnet(path=None):
    """Lecture 12's small faces / non-faces convnet (25x25 gray, 2 outputs), compiled."""
    from course_lib import models
    from course_lib.train import compile_for_classification

    model = _keras_weights(
        models.build_for("faces_convnet"), _file("faces_convnet", path)
    )
    compile_for_classification(model)
    return model


@checked(path=Optional(PathIn()))
def load_face_detector(path=None):
    """Lecture 14's face / non-face convnet (``cl.detection.build_face_model``)."""
    from course_lib.detection import build_face_model

    return _keras_weights(build_face_model(), _file("face_detector", path))


@checked(path=Optional(PathIn()))
def load_one_stage_detector(path=None):
    """Lecture 14's one-stage digit detector (``cl.one_stage.build_one_stage_detector``)."""
    from course_lib.one_stage import build_one_stage_detector

    return _keras_weights(build_one_stage_detector(), _file("one_stage_digits", path))


@checked(kind=Choice(*SPATIAL_KINDS))
def load_spatial_model(kind: str):
    """One of lecture 16's shipped networks (``cl.spatial.build(kind)``, seed 0 of the
    comparison), for prediction (not compiled). ``kind``: one of ``SPATIAL_KINDS``."""
    from course_lib.core import choose
    from course_lib.spatial import build

    kind = choose(kind, list(SPATIAL_KINDS), "model kind")
    return _keras_weights(build(kind, compile=False), registry.path(f"spatial_{kind}"))


load_spatial_model.choices = SPATIAL_KINDS


@checked(path=Optional(PathIn()))
def load_gan_generator(path=None):
    """Lecture 19's generator (``cl.gans.build_generator(LATENT_DIM, GENERATOR_WIDTH)``,
    trained on the 4,000 shipped digits)."""
    from course_lib.gans import GENERATOR_WIDTH, LATENT_DIM, build_generator

    generator = build_generator(LATENT_DIM, GENERATOR_WIDTH)
    return _keras_weights(generator, _file("gan_generator", path))


def _npz_weights(model, file: Path, keys) -> object:
    """``model`` with the float32 arrays of an .npz, in the order of ``keys(files)``."""
    try:
        with np.load(file) as stored:
            weights = [stored[key] for key in keys(stored.files)]
    except (OSError, ValueError, AttributeError, EOFError, KeyError):
        raise ValueError(f"{file} is not a weights file of {model.name}") from None
    if [w.shape for w in weights] != [tuple(w.shape) for w in model.get_weights()]:
        raise ValueError(f"the weights in {file} do not fit {model.name}")
    model.set_weights(weights)
    return model


@checked(path=Optional(PathIn()))
def load_segmentation_unet(path=None):
    """Lecture 15's U-Net (``cl.segmentation.build_unet(**UNET_SETTINGS)``)."""
    from course_lib.segmentation import UNET_SETTINGS, build_unet

    return _npz_weights(
        build_unet(**UNET_SETTINGS), _file("segmentation_unet", path), sorted
    )


@checked(path=Optional(PathIn()))
def load_attention_reader(path=None):
    """Lecture 20's attention reader (``cl.attention.build_reader``, with attention)."""
    from course_lib.attention import READER_SETTINGS, build_reader

    reader = build_reader(
        READER_SETTINGS["max_digits"], READER_SETTINGS["units"], attention=True
    )
    return _npz_weights(
        reader,
        _file("attention_reader", path),
        lambda files: [f"w{i:02d}" for i in range(len(files))],
    )


@checked(path=Optional(PathIn()))
def load_text_model(path=None):
    """Lecture 17's character LSTM as NumPy arrays (``cl.rnn.read_text_model``)."""
    from course_lib.rnn import read_text_model

    return read_text_model(_file("text_model", path))


@checked(path=Optional(PathIn()))
def load_vae_weights(path=None) -> list[np.ndarray]:
    """Lecture 18's 2-D VAE as float32 arrays (encoder's six, decoder's four), for
    ``cl.autoencoders.encode_numpy`` / ``decode_numpy``."""
    from course_lib.autoencoders import read_vae_weights as read

    return read(_file("vae_2d", path))


# --------------------------------------------------------------------------------------
# Results and hand-made files


@checked(photo=Choice("astronaut", "coffee", "chelsea"))
def load_face_boxes(photo: str = "astronaut") -> np.ndarray:
    """The hand-drawn face boxes of ``photo`` (astronaut, coffee, chelsea): (N, 4) as
    (y0, x0, y1, x1)."""
    from course_lib.core import choose

    photos = _json("astronaut_faces")["photos"]
    name = choose(photo, sorted(photos), "photo")
    return np.array(photos[name]["faces"], dtype=np.float64).reshape(-1, 4)


@checked()
def load_astronaut_proposals() -> dict:
    """The astronaut's selective-search proposals scored by the shipped face detector:
    ``boxes`` (N, 4), ``scores`` (N,), and the settings that made them."""
    found = _json("astronaut_proposals")
    found["boxes"] = np.array(found["boxes"], dtype=np.float64).reshape(-1, 4)
    found["scores"] = np.array(found["scores"], dtype=np.float64)
    return found


@checked()
def load_one_stage_results() -> dict:
    """The settings and held-out scores of the shipped one-stage detector's training."""
    return _json("one_stage_results")


@checked(split=Choice("validation", "test"))
def load_face_benchmark(split: str = "test") -> list[dict]:
    """Lecture 14's face benchmark: a list of dicts with ``name``, ``image`` (H, W, 3)
    uint8 and ``faces`` (n, 4) boxes, (y0, x0, y1, x1).

    ``split="test"``: the astronaut and the cameraman (hand-drawn boxes) and coffee and
    chelsea with held-out ``lfw_subset`` faces pasted in; ``"validation"``: the two
    scikit-learn sample photos (china, flower) with other held-out faces pasted in, for
    choosing a score threshold.
    """
    import skimage.data
    from skimage.transform import resize

    from course_lib.data.photos import sample_image

    written = _json("face_benchmark")
    faces = skimage.data.lfw_subset()
    images = []
    for entry in written["real"] + written["composites"]:
        if entry["split"] != split:
            continue
        image = np.array(sample_image(entry.get("photo", entry.get("background"))))
        if image.ndim == 2:  # the cameraman is gray: as RGB, like the others
            image = np.repeat(image[..., None], 3, axis=2)
        for paste in entry.get("pasted", []):
            size, top, left = paste["size"], paste["top"], paste["left"]
            face = resize(faces[paste["lfw_face"]], (size, size), order=1)
            image[top : top + size, left : left + size] = np.round(face * 255)[
                ..., None
            ]
        boxes = np.array(entry["faces"], dtype=np.float64).reshape(-1, 4)
        images.append({"name": entry["name"], "image": image, "faces": boxes})
    return images


load_face_benchmark.choices = ("validation", "test")


@checked()
def load_spatial_results() -> dict:
    """Lecture 16's comparison over six seeds: ``settings``, ``machine``, ``summary``
    and ``runs`` (per network, one entry per seed)."""
    return _json("spatial_results")


@checked()
def load_segmentation_seeds() -> dict:
    """Lecture 15's full-mode U-Net recipe over three seeds."""
    return _json("segmentation_seeds")


@checked()
def load_vae_beta() -> dict:
    """Lecture 18's KL-weight sweep and the prior-sample entropies."""
    return _json("vae_beta")


@checked()
def load_bottleneck_curve() -> dict:
    """Lecture 18's code-size sweep at the full budget: ``sizes``, ``errors`` (squared
    error per pixel on the bundled test digits), ``baseline``, ``settings``."""
    curve = registry.read_results("bottleneck_curve")
    sizes, errors = curve.get("sizes"), curve.get("errors")
    if not isinstance(sizes, list) or not isinstance(errors, list) or not sizes:
        raise ValueError("bottleneck_curve.json has no lists 'sizes' and 'errors'")
    if len(sizes) != len(errors) or "baseline" not in curve:
        raise ValueError(
            "bottleneck_curve.json needs as many errors as sizes, and a baseline"
        )
    return curve


RESULTS_FILE = Optional(PathIn(suffixes=(".json",), exists=True))
"""A results file of your own, in the layout of the shipped one (made by its script)."""


@checked(path=RESULTS_FILE)
def load_remedy_curves(path=None) -> dict:
    """Lecture 09's learning curves of the overfitting remedies (checked); ``path``:
    curves of your own from ``datasets/build_remedy_curves.py``."""
    from course_lib.layers import check_remedy_curves

    return check_remedy_curves(registry.read_results("remedy_curves", path))


@checked(path=RESULTS_FILE)
def load_transfer_results(path=None) -> dict:
    """Lecture 11's crossover of scratch, frozen and fine-tuned (checked); ``path``:
    results of your own from ``datasets/build_transfer_results.py``."""
    from course_lib.transfer import check_transfer_results

    return check_transfer_results(registry.read_results("transfer_results", path))


@checked(path=RESULTS_FILE)
def load_augmentation_results(path=None) -> dict:
    """Lecture 10's augmentation experiment at the full budget (checked); ``path``:
    results of your own from ``datasets/build_augmentation_results.py``."""
    from course_lib.augmentation import check_augmentation_results

    return check_augmentation_results(
        registry.read_results("augmentation_results", path)
    )


@checked(path=RESULTS_FILE)
def load_sequence_results(path=None) -> dict:
    """Lecture 20's full-budget runs, readers with and without attention and CTC
    (checked; strip lengths as ints); ``path``: results of your own from
    ``datasets/build_sequence_results.py``."""
    from course_lib.ctc import check_sequence_results

    return check_sequence_results(registry.read_results("sequence_results", path))


# --------------------------------------------------------------------------------------
# What a dashboard's first picture needs (datasets/build_dashboard_outputs.py)

PRECOMPUTED = {
    "segmentation": "segmentation_unet",
    "attention": "attention_reader",
    "spatial": ("spatial_cnn", "spatial_st_cnn"),
    "gradcam": "mnist_convnet",
}
"""The sections of ``dashboard_outputs.npz`` and the shipped network(s) each came from."""


def _networks_sha256(section: str) -> str:
    """The sha256 of the shipped network file(s) of ``section`` (space-separated)."""
    names = PRECOMPUTED[section]
    names = (names,) if isinstance(names, str) else names
    return " ".join(registry.entry(name).sha256 for name in names)


@checked(images=Array())
def array_sha256(images) -> str:
    """The sha256 of an array's dtype, shape and bytes (which inputs a result is for)."""
    import hashlib

    array = np.ascontiguousarray(images)
    digest = hashlib.sha256(f"{array.dtype.str}{array.shape}".encode())
    digest.update(array.tobytes())
    return digest.hexdigest()


@checked(section=Choice(*PRECOMPUTED), inputs=Array())
def precomputed(section: str, inputs) -> dict[str, np.ndarray] | None:
    """The shipped network's results for ``section`` on exactly ``inputs``, or None.

    ``datasets/build_dashboard_outputs.py`` ran the network of ``PRECOMPUTED[section]``
    once over a widget's default inputs; the results are handed out only when ``inputs``
    are those (same sha256) and the network's shipped file is the one they came from, so
    a caller computes them itself otherwise. Keys: the section's arrays without the
    ``"<section>."`` prefix (e.g. ``"predictions"``). A section of two networks (lecture
    16's pair) holds both files' sha256, space-separated.
    """
    prefix = f"{section}."
    stored = load_dashboard_outputs()
    if prefix + "model" not in stored:
        return None
    if stored[prefix + "model"].item() != _networks_sha256(section):
        return None
    if stored[prefix + "inputs"].item() != array_sha256(inputs):
        return None
    return {
        key[len(prefix) :]: value
        for key, value in stored.items()
        if key.startswith(prefix) and key[len(prefix) :] not in {"model", "inputs"}
    }


@checked()
def load_dashboard_outputs() -> dict[str, np.ndarray]:
    """Every array of ``dashboard_outputs.npz`` by its key (``"segmentation.predictions"``
    …); ``precomputed`` hands out a section's only where it still holds."""
    with np.load(registry.path("dashboard_outputs")) as stored:
        return {key: stored[key] for key in stored.files}
