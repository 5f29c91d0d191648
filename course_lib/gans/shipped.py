"""The small generator that ships with the course (lecture 19).

``load_generator`` gives the generator made by ``datasets/build_gan_generator.py``,
checked by sha256.
"""

from __future__ import annotations

from pathlib import Path

from course_lib.core import Optional, PathIn, checked, show
from course_lib.data.registry import FILES_DIR
from course_lib.gans.networks import LATENT_DIM, build_generator

GENERATOR_FILE = FILES_DIR / "gan_generator.weights.h5"
GENERATOR_SHA256 = "7109ae02f2771d0fab1e684098767a1f28b7a7793bd20d0a69a56dd9aa5da153"
GENERATOR_WIDTH = 32
"""The ``width`` of the shipped generator (see ``build_generator``)."""


@checked(path=Optional(PathIn()))
def load_generator(path: str | Path | None = None):
    """The shipped generator (``build_generator(LATENT_DIM, GENERATOR_WIDTH)`` trained by
    ``datasets/build_gan_generator.py`` on the 4,000 bundled digits), sha256-checked.

    ``path`` loads other weights of the same shape instead (no checksum).
    """
    from course_lib.data import sha256_of

    rebuild = "rebuild it with: .venv/bin/python datasets/build_gan_generator.py"
    shipped = path is None
    if not shipped and not isinstance(path, str | Path):
        raise ValueError(f"path must be a file name (text or a Path), got {show(path)}")
    path = GENERATOR_FILE if shipped else Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"the generator weights are missing: {path}; {rebuild}")
    if shipped:
        digest = sha256_of(path)
        if digest != GENERATOR_SHA256:
            raise ValueError(
                f"the generator weights at {path} fail their sha256 check (got "
                f"{digest[:12]}…, expected {GENERATOR_SHA256[:12]}…); {rebuild}"
            )
    generator = build_generator(LATENT_DIM, GENERATOR_WIDTH)
    try:
        generator.load_weights(path)
    except (ValueError, KeyError, OSError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise ValueError(
            f"the weights in {path} do not fit the generator: {first[:200]}"
        ) from None
    return generator
