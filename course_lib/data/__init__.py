"""Data for the course: the files that ship inside the package, the data sets that are
downloaded (and checked) when a network is there, and the photos of scikit-image.

One registry (:mod:`course_lib.data.registry`) lists every file: name, file, format,
sha256, size, the ``datasets/`` script that rebuilds it, and the URLs of a download.

- ``cl.data.path(name)``: the verified path of a shipped file (size and sha256, once per
  process); a clear error names the file and the script that rebuilds it.
- ``cl.data.load_*``: read a shipped file (``load_ilsvrc_history``, ``load_shakespeare``,
  ``load_mnist_5k``), or build a topic's network and load its shipped weights
  (``load_mnist_convnet``, ``load_face_detector``, ``load_gan_generator``, ...; see
  :mod:`course_lib.data.shipped`).
- ``cl.data.fetch_*``: download a data set, checked and cached in ``COURSE_DATA_DIR``
  (``fetch_mnist``, ``fetch_nietzsche``, ``fetch_cats_vs_dogs``); offline, or when the
  download fails its check, the shipped stand-in is used with a one-line message.
  ``load_mnist`` is ``fetch_mnist`` under the name the notebooks use.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from course_lib.core import Optional, PathIn, checked
from course_lib.data import checks, readers, registry
from course_lib.data.download import (
    TIMEOUT_SECONDS,
    DownloadError,
    bundle_path,
    data_dir,
    fetch,
    load,
    recorded_sha256,
    source,
)
from course_lib.data.photos import MAX_IMAGE_SIDE, sample_image, sample_image_names
from course_lib.data.readers import HUMAN_SOURCE, HUMAN_TOP5_ERROR, stratified_split
from course_lib.data.registry import (
    FILES_DIR,
    REGISTRY,
    BadDataFile,
    Entry,
    file_hash,
    known_names,
    location,
    path,
    sha256_of,
    shipped_names,
)
from course_lib.data.shipped import (
    PRECOMPUTED,
    SPATIAL_KINDS,
    array_sha256,
    load_astronaut_proposals,
    load_attention_reader,
    load_augmentation_results,
    load_bottleneck_curve,
    load_dashboard_outputs,
    load_face_benchmark,
    load_face_boxes,
    load_face_detector,
    load_faces_convnet,
    load_gan_generator,
    load_mnist_convnet,
    load_one_stage_detector,
    load_one_stage_results,
    load_remedy_curves,
    load_segmentation_seeds,
    load_segmentation_unet,
    load_sequence_results,
    load_spatial_model,
    load_spatial_results,
    load_text_model,
    load_transfer_results,
    load_vae_beta,
    load_vae_weights,
    precomputed,
    weights_in_file,
)

__all__ = [
    "PRECOMPUTED",
    "SPATIAL_KINDS",
    "array_sha256",
    "precomputed",
    "load_astronaut_proposals",
    "load_attention_reader",
    "load_bottleneck_curve",
    "load_dashboard_outputs",
    "load_augmentation_results",
    "load_face_benchmark",
    "load_face_boxes",
    "load_face_detector",
    "load_faces_convnet",
    "load_gan_generator",
    "load_mnist_convnet",
    "load_one_stage_detector",
    "load_one_stage_results",
    "load_remedy_curves",
    "load_segmentation_seeds",
    "load_segmentation_unet",
    "load_sequence_results",
    "load_spatial_model",
    "load_spatial_results",
    "load_text_model",
    "load_transfer_results",
    "load_vae_beta",
    "load_vae_weights",
    "weights_in_file",
    "FILES_DIR",
    "HUMAN_SOURCE",
    "HUMAN_TOP5_ERROR",
    "ILSVRC_FILE",
    "MAX_IMAGE_SIDE",
    "REGISTRY",
    "TIMEOUT_SECONDS",
    "BadDataFile",
    "DownloadError",
    "Entry",
    "bundle_path",
    "data_dir",
    "fetch",
    "fetch_cats_vs_dogs",
    "fetch_mnist",
    "fetch_nietzsche",
    "file_hash",
    "known_names",
    "load",
    "load_ilsvrc_history",
    "load_mnist",
    "load_mnist_5k",
    "load_shakespeare",
    "location",
    "path",
    "recorded_sha256",
    "sample_image",
    "sample_image_names",
    "sha256_of",
    "shipped_names",
    "source",
    "stratified_split",
]

ILSVRC_FILE = location("ilsvrc_history")
"""Where the shipped ILSVRC table lives (``load_ilsvrc_history`` reads it verified)."""


# --------------------------------------------------------------------------------------
# Downloads (fetch_*)


@checked()
def fetch_mnist():
    """MNIST as ``((x_train, y_train), (x_test, y_test))``, uint8, like ``keras.datasets.mnist``.

    The full 60,000 / 10,000 digits when online or cached; otherwise the shipped real
    5,000-digit subset split 4,000 / 1,000 (stratified, seed 0), with a one-line message.
    """
    return load("mnist")


@checked()
def load_mnist():
    """``fetch_mnist()`` under the name the notebooks use: the full MNIST when it can be
    had, else the shipped 4,000 / 1,000 digits."""
    return fetch_mnist()


@checked()
def fetch_nietzsche() -> str:
    """The slides' corpus (Beyond Good and Evil) when it can be downloaded and passes its
    content check; otherwise the shipped Shakespeare plays, with a one-line message."""
    return load("nietzsche")


@checked()
def fetch_cats_vs_dogs() -> Path:
    """Download (checked, cached) and unpack the TensorFlow tutorials' cats-vs-dogs
    photos; the folder with ``train/`` and ``validation/``. Raises ``DownloadError`` when
    they cannot be had (offline, or a download that fails its content check)."""
    archive = fetch("cats_vs_dogs")
    folder = archive.parent / checks.CATS_VS_DOGS_ROOT
    if not ((folder / "train").is_dir() and (folder / "validation").is_dir()):
        with tempfile.TemporaryDirectory(dir=archive.parent, prefix=".unpack-") as tmp:
            with zipfile.ZipFile(archive) as zipped:
                zipped.extractall(tmp)
            shutil.rmtree(folder, ignore_errors=True)
            os.replace(Path(tmp) / checks.CATS_VS_DOGS_ROOT, folder)
    return folder


# --------------------------------------------------------------------------------------
# Shipped files (load_*)


@checked()
def load_mnist_5k():
    """The shipped 5,000 real MNIST digits split 4,000 / 1,000 (stratified, seed 0), as
    ``((x_train, y_train), (x_test, y_test))``, whatever the network says."""
    return readers.mnist_bundle(registry.path("mnist_5k"))


@checked()
def load_shakespeare() -> str:
    """The shipped Shakespeare plays (Macbeth, The Tempest, Romeo and Juliet)."""
    return readers.read_text(registry.path("shakespeare"))


@checked(path=Optional(PathIn()))
def load_ilsvrc_history(path=None) -> list[dict]:
    """The ILSVRC entries as a list of dicts, numbers converted (``None`` where unknown).

    Each row has ``year``, ``team``, ``network``, ``place``, ``top5_error_percent``,
    ``depth``, ``parameters_millions``, ``external_data`` and a ``source``. ``path``:
    another table in the same layout (None: the shipped one, verified).
    """
    return readers.ilsvrc_rows(
        registry.path("ilsvrc_history") if path is None else path
    )
