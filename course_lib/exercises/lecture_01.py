"""Exercises of lecture 01 (what computers see): pixels, channels, kinds of learning,
and a hand-made feature of your own."""

from __future__ import annotations

import functools

import numpy as np

from course_lib.exercises import Wrong, exercise

ROW, COLUMN = 150, 300  # the pixel of exercise 01.1
MAX_FEATURES = 16  # exercise 01.4: at most this many numbers per image
FLOOR = 0.85  # exercise 01.4: the held-out accuracy to reach


@functools.cache
def _cat_pixel() -> tuple[int, int, int]:
    from course_lib.data import sample_image

    return tuple(int(v) for v in sample_image("chelsea")[ROW, COLUMN])


def _channel_hints():
    red, green, blue = _cat_pixel()
    hints = []
    if red != green:
        hints.append(
            (red, "that is the red value: the channels go red, green, blue (0, 1, 2).")
        )
    if blue not in (green, red):
        hints.append(
            (blue, "that is the blue value: green is the middle channel, index 1.")
        )
    return tuple(hints)


@functools.cache
def _digits_split():
    """The scikit-learn digits and the notebook's split (30 % held out, seed 0)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    train, test = train_test_split(
        np.arange(len(digits.target)),
        test_size=0.3,
        random_state=0,
        stratify=digits.target,
    )
    return digits.images, digits.target, train, test


def held_out_accuracy(features: np.ndarray) -> float:
    """Logistic regression on standardised ``features`` of the digits: test accuracy."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    _, labels, train, test = _digits_split()
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    model.fit(features[train], labels[train])
    return float(model.score(features[test], labels[test]))


def _as_features(got, name: str, count: int) -> np.ndarray:
    if got is None:
        raise Wrong(f"for {name} it returned None: return the features")
    try:
        features = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise Wrong(f"for {name} it returned {got!r}, not numbers") from None
    if features.ndim == 1 and len(features) == count:
        features = features[:, None]  # one feature per image
    if features.ndim != 2 or len(features) != count:
        raise Wrong(
            f"for {name} it returned shape {features.shape}; expected one row of "
            f"features per image: ({count}, k)"
        )
    if not np.isfinite(features).all():
        raise Wrong(
            f"for {name} some features are NaN or infinite (a division by zero?)"
        )
    return features


def _check_features(function):
    if not callable(function):
        raise Wrong("give a function, e.g. def my_features(images): ...")
    images, _, _, _ = _digits_split()
    blank = np.zeros((2, 8, 8))
    _as_features(function(blank.copy()), "two blank images (all zeros)", 2)
    features = _as_features(
        function(images.copy()), f"the {len(images):,} digits", len(images)
    )
    k = features.shape[1]
    if k > MAX_FEATURES:
        raise Wrong(
            f"on the {len(images):,} digits it gave {k} features per image; the "
            f"exercise allows at most {MAX_FEATURES} (the 64 pixels would be no "
            "feature design at all)"
        )
    accuracy = held_out_accuracy(features)
    if accuracy < FLOOR:
        raise Wrong(
            f"on the {len(images):,} digits your {k} features give {accuracy:.1%} on "
            f"the held-out digits; reach {FLOOR:.0%} (to tell a 3 from a 5, say where "
            "the ink is, not only how much there is)"
        )


def _ink_per_row_and_column(images):
    images = np.asarray(images, dtype=float)
    return np.c_[images.sum(axis=2), images.sum(axis=1)] / 16.0


def _seven_features(images):  # the notebook's seven hand-made features
    ink = np.asarray(images, dtype=float) / 16.0
    return np.c_[
        ink.sum(axis=(1, 2)),
        ink[:, :4].sum(axis=(1, 2)),
        ink[:, 4:].sum(axis=(1, 2)),
        ink[:, :, :4].sum(axis=(1, 2)),
        ink[:, :, 4:].sum(axis=(1, 2)),
        ink[:, 2:6, 2:6].sum(axis=(1, 2)),
        (ink.max(axis=1) > 0.3).sum(axis=1),
    ]


def _shares_of_ink(images):  # divides by the total ink: NaN on a blank image
    images = np.asarray(images, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return images.sum(axis=2) / images.sum(axis=(1, 2))[:, None]


exercise(
    "01.1",
    f"The green value of the cat photo at row {ROW}, column {COLUMN}.",
    expected=lambda: _cat_pixel()[1],
    hints=_channel_hints(),
    hint="index the photo as cat[row, column, channel].",
)

exercise(
    "01.2",
    "How many numbers does the computer get for a 32x32x3 image?",
    expected=lambda: 32 * 32 * 3,
    hints=(
        (32 * 32, "that is one channel; a colour image has three."),
        (32 * 3, "a grid has rows × columns pixels, each with 3 numbers."),
        (32 + 32 + 3, "multiply the three sizes, do not add them."),
    ),
)

exercise(
    "01.3",
    "A robot vacuum learns its route from one point per square metre it cleans: "
    "supervised, unsupervised or reinforcement learning?",
    expected=lambda: "reinforcement",
    hints=(
        (
            "supervised",
            "nobody shows it the right route (no labels); it only scores points after "
            "it has acted.",
        ),
        (
            "unsupervised",
            "it is not looking for structure in data: it acts, and a reward tells it "
            "how well.",
        ),
    ),
    hint='answer with one word: "supervised", "unsupervised" or "reinforcement".',
)

exercise(
    "01.4",
    f"Write my_features(images): at most {MAX_FEATURES} hand-made numbers per 8x8 "
    f"digit that reach {FLOOR:.0%} with logistic regression.",
    checker=_check_features,
    solution=lambda: _ink_per_row_and_column,
    mistakes=(
        _seven_features,
        lambda images: np.asarray(images, dtype=float).reshape(len(images), -1),
        _shares_of_ink,
        "not a function",
    ),
)
