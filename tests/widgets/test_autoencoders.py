"""cl.widgets.LatentExplorer (the generic contract test is in test_base.py)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import course_lib as cl


@pytest.fixture(scope="module")
def explorer():
    return cl.widgets.LatentExplorer()


def test_it_builds_without_training(monkeypatch):
    def train(*args, **kwargs):
        raise AssertionError("the widget trains a network")

    monkeypatch.setattr(keras.Model, "fit", train)
    monkeypatch.setattr(keras.Model, "train_on_batch", train)
    widget = cl.widgets.LatentExplorer()
    assert widget.error.message == "" and widget.figure_image.value


def test_the_decoded_digit_is_the_decoders(explorer):
    explorer.z1.value, explorer.z2.value = 0.5, -1.0
    weights = cl.data.load_vae_weights()
    expected = cl.autoencoders.decode_numpy(weights, [[0.5, -1.0]])[0]
    np.testing.assert_allclose(explorer.image, expected, atol=1e-6)
    assert explorer.image.shape == (28, 28) and explorer.image.max() > 0.5
    assert "z = (0.50, -1.00)" in explorer.caption.value


def test_the_codes_are_the_test_digits_z_mean(explorer):
    (_, _), (x_test, y_test) = cl.data.load_mnist()
    assert explorer.codes.shape == (len(x_test), 2)
    np.testing.assert_array_equal(explorer.labels, y_test)
    weights = cl.data.load_vae_weights()
    np.testing.assert_allclose(
        explorer.codes[:5], cl.autoencoders.encode_numpy(weights, x_test[:5])[0]
    )


def test_the_vote_names_the_class_around_the_point(explorer):
    # At the code of each class's median digit, most neighbours share its class
    # (VAE classes overlap, so we ask it for the clearest classes: 0 and 1).
    for label in (0, 1):
        centre = np.median(explorer.codes[explorer.labels == label], axis=0)
        explorer.z1.value, explorer.z2.value = (round(float(v), 2) for v in centre)
        assert explorer.vote == label
        assert f"are <b>{label}</b>s" in explorer.caption.value


def test_going_to_a_digit_moves_the_point(explorer):
    index = int(np.flatnonzero(np.abs(explorer.codes).max(axis=1) < 3)[0])
    explorer.digit.value = index
    np.testing.assert_allclose(explorer.point, explorer.codes[index], atol=0.006)
    assert f"Test digit {index} is a {explorer.labels[index]}" in explorer.caption.value
    explorer.digit.value = 10_000
    assert "the digit must be an int from -1 to 999" in explorer.error.message
    explorer.digit.value = -1
    assert explorer.error.message == ""


def test_a_4_turns_into_a_9_somewhere(explorer):
    # the task of the notebook: on the line from the 4s' centre through the 9s' centre
    # the vote changes from 4 to 9 (the two classes overlap, so we go on past it)
    four = np.median(explorer.codes[explorer.labels == 4], axis=0)
    nine = np.median(explorer.codes[explorer.labels == 9], axis=0)
    votes = []
    for t in np.linspace(0, 2, 21):
        explorer.z1.value, explorer.z2.value = (
            round(float(v), 2) for v in (1 - t) * four + t * nine
        )
        votes.append(explorer.vote)
    assert votes[0] == 4 and 9 in votes


def test_each_control_redraws_the_picture(explorer):
    # the latency target (100 ms p95) lives in benchmarks/widget_latency.py
    for control, value in [
        (explorer.z1, 1.5),
        (explorer.z2, 2.0),
        (explorer.digit, 3),
    ]:
        before = explorer.figure_image.value
        control.value = value
        assert explorer.error.message == "", control.description
        assert explorer.figure_image.value != before, control.description
    explorer.digit.value = -1


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="z1 must be a finite number from -3"):
        cl.widgets.LatentExplorer(z1=5)
    with pytest.raises(ValueError, match="k must be an int"):
        cl.widgets.LatentExplorer(k=0)
    weights = cl.data.load_vae_weights()
    (_, _), (x_test, _) = cl.data.load_mnist()
    with pytest.raises(ValueError, match="labels must be one per image"):
        cl.widgets.LatentExplorer(weights, x_test[:5], np.zeros(3))
