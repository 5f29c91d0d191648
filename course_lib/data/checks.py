"""Content checks for downloads whose publisher gives no checksum.

The TensorFlow tutorials' cats-vs-dogs zip and the Nietzsche corpus have no published
sha256. Instead of a checksum, the first download must *look like* the data set: the
right listing of photos that decode, or the right text of the right length. Its sha256 is
then recorded in the cache and every later load is checked against that.

Each check raises ValueError with a short reason when the file is not the data set.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from course_lib.core import PathIn, checked

CATS_VS_DOGS_ROOT = "cats_and_dogs_filtered"
CATS_VS_DOGS_COUNTS = {
    ("train", "cats"): 1000,
    ("train", "dogs"): 1000,
    ("validation", "cats"): 500,
    ("validation", "dogs"): 500,
}
"""JPEG photos per folder in the tutorials' zip: 2,000 train / 1,000 validation."""

NIETZSCHE_OPENING = (
    "SUPPOSING that Truth is a woman--what then? Is there not ground for suspecting "
    "that all philosophers, in so far as they have been dogmatists, have failed to "
    "understand women"
)
"""The first sentence of the preface of Beyond Good and Evil (Helen Zimmern's
translation, the Project Gutenberg text the slides and Keras' example use)."""

NIETZSCHE_CHARACTERS = (590_000, 610_000)
"""The corpus has 600,893 characters; a little slack for line endings."""


@checked(path=PathIn())
def cats_vs_dogs(path: Path) -> None:
    """The zip holds ``cats_and_dogs_filtered/{train,validation}/{cats,dogs}/*.jpg`` in
    the expected numbers, and every photo decodes."""
    from PIL import Image, UnidentifiedImageError

    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ValueError(f"it is not a zip archive ({exc})") from None
    with archive:
        photos = {key: [] for key in CATS_VS_DOGS_COUNTS}
        for name in archive.namelist():
            parts = name.split("/")
            key = tuple(parts[1:3])
            if (
                len(parts) == 4
                and parts[0] == CATS_VS_DOGS_ROOT
                and key in photos
                and parts[3].lower().endswith(".jpg")
            ):
                photos[key].append(name)
        for key, expected in CATS_VS_DOGS_COUNTS.items():
            if len(photos[key]) != expected:
                raise ValueError(
                    f"{CATS_VS_DOGS_ROOT}/{'/'.join(key)} holds {len(photos[key])} "
                    f"JPEG photos, not {expected}"
                )
        for names in photos.values():
            for name in names:
                try:
                    with Image.open(io.BytesIO(archive.read(name))) as image:
                        if image.format != "JPEG":
                            raise ValueError(f"{name} is a {image.format}, not a JPEG")
                        image.load()
                except (
                    zipfile.BadZipFile,
                    UnidentifiedImageError,
                    OSError,
                    EOFError,
                ) as exc:
                    raise ValueError(f"{name} does not decode ({exc})") from None


@checked(path=PathIn())
def nietzsche(path: Path) -> None:
    """UTF-8 text that opens with the preface of Beyond Good and Evil and has the
    corpus' length."""
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("it is not UTF-8 text") from None
    opening = " ".join(text[:600].split())
    start = opening.find(NIETZSCHE_OPENING)
    if not 0 <= start <= 20:  # room for the heading PREFACE
        raise ValueError("it does not open with the preface of Beyond Good and Evil")
    low, high = NIETZSCHE_CHARACTERS
    if not low <= len(text) <= high:
        raise ValueError(
            f"it has {len(text):,} characters, not {low:,} to {high:,} (the corpus "
            "has 600,893)"
        )
