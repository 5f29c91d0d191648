"""The small generator that ships with the course (lecture 19).

``cl.data.load_gan_generator()`` gives the generator made by
``datasets/build_gan_generator.py``, verified; this module keeps its width.
"""

from __future__ import annotations

GENERATOR_WIDTH = 32
"""The ``width`` of the shipped generator (see ``build_generator``)."""
