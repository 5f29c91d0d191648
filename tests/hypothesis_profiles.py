"""The Hypothesis profiles of the property tests, in one place.

Every test module that uses Hypothesis imports this file first (``import
hypothesis_profiles``), so that its ``@settings`` start from the chosen profile:

- ``ci`` (the default, what ``make test`` runs): derandomized, so every run replays the
  same examples and a failure on CI is a failure on a laptop; a modest number of
  examples, so the suite stays quick.
- ``deep``: random, many more examples, a new draw every run; for a longer search now
  and then (``make test-deep``, or ``HYPOTHESIS_PROFILE=deep make test ARGS=...``). A
  failure prints the seed to reproduce it (``@reproduce_failure`` / ``--hypothesis-seed``).

The environment variable ``HYPOTHESIS_PROFILE`` chooses; an unknown name is an error.
No example database is written: ``ci`` needs none, and ``deep`` prints what it found.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROFILES = {
    "ci": settings(
        max_examples=40,
        derandomize=True,
        deadline=None,
        database=None,
        print_blob=True,
    ),
    "deep": settings(
        max_examples=600,
        derandomize=False,
        deadline=None,
        database=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow],
    ),
}

for _name, _profile in PROFILES.items():
    settings.register_profile(_name, _profile)

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "").strip() or "ci"
if PROFILE not in PROFILES:
    raise ValueError(
        f"HYPOTHESIS_PROFILE={PROFILE!r} is not a profile; known: {', '.join(PROFILES)}"
    )
settings.load_profile(PROFILE)


def examples(ci: int) -> int:
    """``ci`` examples under the ``ci`` profile, proportionally more under ``deep``.

    For a test that is costlier per example than most: it states what ``ci`` runs, and
    the deep profile multiplies it by the same factor as the default (600 / 40 = 15).
    """
    factor = PROFILES[PROFILE].max_examples / PROFILES["ci"].max_examples
    return max(1, round(ci * factor))
