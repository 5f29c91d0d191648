"""cl.widgets.AttentionViewer (the generic contract test is in test_base.py)."""

from __future__ import annotations

import html

import numpy as np
import pytest

import course_lib as cl
from course_lib import attention as seq


@pytest.fixture(scope="module")
def viewer():
    return cl.widgets.AttentionViewer()


def test_the_heatmap_is_the_chosen_steps_attention(viewer):
    viewer.index.value = 3
    viewer.step.value = 1
    row = viewer.pixel_weights[3, 1]
    assert np.allclose(viewer.heatmap[0], row / row.max())
    assert viewer.heatmap.shape == (28, 140)
    assert np.allclose(viewer.weights.sum(axis=-1), 1, atol=1e-5)
    assert "Strip 3, step 1" in viewer.caption.value
    token = seq.VOCABULARY[int(viewer.tokens[3, 1])]
    assert f"writes <b>{html.escape(token)}</b>" in viewer.caption.value


def test_the_shipped_reading_is_the_shipped_readers(viewer):
    """The default strips' reading ships (the dashboard starts without TensorFlow): it
    is the shipped reader's, and any other strips are not answered from the file."""
    from course_lib.widgets.attention import read_strips

    shipped = cl.data.precomputed("attention", viewer.strips.images)
    if cl.data.source("mnist") != "bundled":  # other digits: computed, not shipped
        assert shipped is None
        return
    read, tokens, weights = read_strips(
        cl.data.load_attention_reader(), viewer.strips.images
    )
    assert [str(t) for t in shipped["read"]] == read == viewer.read
    assert np.array_equal(shipped["tokens"], tokens)
    assert np.allclose(shipped["weights"], weights, atol=1e-4)
    assert cl.data.precomputed("attention", viewer.strips.images[:5]) is None


def test_the_reading_is_the_readers_greedy_decoding(viewer):
    reader = cl.data.load_attention_reader()
    texts = seq.greedy_decode(reader, viewer.strips.images[:8])
    assert texts == viewer.read[:8]
    assert viewer.misread == [
        i for i, text in enumerate(viewer.read) if text != viewer.strips.digits[i]
    ]
    assert len(viewer.misread) < len(viewer.read) / 2  # it reads most strips


def test_the_first_step_finds_the_first_digit_untold(viewer):
    """The dashboard's surprise: trained on the digits only, never on their places,
    step 0 still peaks on the first digit of (nearly) every strip."""
    first = viewer.first_step_on_first_digit
    assert len(first) >= 0.9 * len(viewer.read)
    for i in first[:5]:
        peak = int(viewer.pixel_weights[i, 0].argmax())
        start = int(viewer.strips.starts[i, 0])
        assert start <= peak < start + 28
    assert f"in {len(first)} of {len(viewer.read)} strips" in viewer.caption.value


def test_the_weights_are_those_of_keras_attention(viewer):
    reader = cl.data.load_attention_reader()
    fed = np.full_like(viewer.tokens[:4], seq.PAD)
    fed[:, 0] = seq.START
    fed[:, 1:] = viewer.tokens[:4, :-1]
    weights = seq.attention_model(reader).predict_on_batch(
        [viewer.strips.images[:4], fed]
    )
    assert np.allclose(weights, viewer.weights[:4], atol=1e-5)


def test_each_control_redraws_the_picture(viewer):
    # the latency target (100 ms p95) lives in benchmarks/widget_latency.py
    for control, value in [
        (viewer.step, 2),
        (viewer.index, 7),
        (viewer.opacity, 0.3),
    ]:
        before = viewer.figure_image.value
        control.value = value
        assert viewer.error.message == "", control.description
        assert viewer.figure_image.value != before, control.description


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="count must be an int from 1 to 500"):
        cl.widgets.AttentionViewer(count=0)
    with pytest.raises(ValueError, match="seed must be an int"):
        cl.widgets.AttentionViewer(seed=-1)
