"""cl.stacks: reading a stack of layers and tracing it (sizes, parameters, fields)."""

from __future__ import annotations

import hypothesis_profiles  # noqa: F401 - the "ci" or "deep" profile, before @settings
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import course_lib as cl
from course_lib import stacks
from course_lib.conv import conv2d, pool2d, receptive_field
from course_lib.stacks import Layer, parse_layers, trace_stack


def test_parse_layers():
    layers = parse_layers("conv3, pool2, conv7s2; POOL3s1")
    assert [(x.kind, x.size, x.stride) for x in layers] == [
        ("conv", 3, 1),
        ("pool", 2, 2),
        ("conv", 7, 2),
        ("pool", 3, 1),
    ]
    assert [x.name for x in layers] == ["conv3", "pool2", "conv7s2", "pool3s1"]
    for bad in ("", "conv", "dense3", "conv3s0", "conv0", "s0", "conv3s00", "pool0s2"):
        with pytest.raises(ValueError, match="layers:"):
            parse_layers(bad)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("conv3s00", "'conv3s00' has stride 0; the stride must be 1 or more"),
        ("conv3, pool2s0", "'pool2s0' has stride 0"),
        ("conv0", "'conv0' has a 0x0 window; the size must be 1 or more"),
        ("s0", "cannot read 's0'"),
        (" , ", "write at least one layer"),
    ],
)
def test_parse_layers_explains_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message):
        parse_layers(text)


def test_a_layer_refuses_a_zero_stride_or_an_unknown_kind():
    with pytest.raises(ValueError, match="stride must be an int from 1"):
        Layer("conv", 3, 0)
    with pytest.raises(ValueError, match='kind must be "conv" or "pool"'):
        Layer("dense", 3, 1)


def test_trace_stack_three_3x3_versus_one_7x7():
    three = trace_stack(parse_layers("conv3, conv3, conv3"))
    one = trace_stack("conv7")  # text works too
    assert [step.receptive_field for step in three] == [3, 5, 7]
    assert three[-1].window == one[-1].window == (12, 18)
    assert one[0].parameters == 9408
    assert [step.parameters for step in three] == [1728, 36864, 36864]
    assert [step.jump for step in three] == [1, 1, 1]
    same_width = trace_stack("conv3, conv3, conv3", in_channels=64)
    assert sum(s.parameters for s in same_width) == 3 * 9 * 64 * 64 < 49 * 64 * 64


def test_trace_stack_sizes_match_a_real_convolution():
    layers = parse_layers("conv5, pool2, conv5, pool2")
    trace = trace_stack(layers, 28, 1, 8, padding="valid", bias=True)
    assert [step.output for step in trace] == [
        (24, 24, 8),
        (12, 12, 8),
        (8, 8, 8),
        (4, 4, 8),
    ]
    assert [step.output_size for step in trace] == [24, 12, 8, 4]
    assert [step.channels for step in trace] == [8] * 4
    assert trace[0].parameters == (25 + 1) * 8
    assert trace[1].parameters == 0  # pooling learns nothing
    assert [step.jump for step in trace] == [1, 2, 2, 4]
    x = pool2d(conv2d(np.zeros((28, 28)), np.zeros((5, 5, 1, 8))), 2)
    assert x.shape == trace[1].output
    assert trace[-1].receptive_field == receptive_field(
        [(5, 1), (2, 2), (5, 1), (2, 2)]
    )


def test_trace_stack_window_is_where_an_impulse_reaches():
    """The drawn window is exactly the input pixels that change the centre output."""
    step = trace_stack("conv3s2, conv3", 16, 1, 1, padding="same")[-1]
    first, last = step.window
    reached = []
    for position in range(16):
        image = np.zeros((16, 16))
        image[8, position] = 1.0
        out = conv2d(image, np.ones((3, 3)), stride=2, padding="same")
        out = conv2d(out, np.ones((3, 3)), padding="same")
        centre = (out.shape[0] - 1) // 2
        if out[centre, centre] != 0:
            reached.append(position)
    assert (reached[0], reached[-1]) == (max(first, 0), min(last, 15))
    assert last - first + 1 == step.receptive_field == 7


def _real_sizes(stack, input_size):
    """Output sizes of the layers run for real on zeros (conv "same", pool "valid"),
    and the index of the first layer that cannot run (None when all run)."""
    image, sizes = np.zeros((input_size, input_size)), []
    for index, layer in enumerate(stack):
        try:
            if layer.kind == "conv":
                kernel = np.zeros((layer.size, layer.size))
                image = conv2d(image, kernel, stride=layer.stride, padding="same")
            else:
                image = pool2d(image, layer.size, layer.stride)
        except ValueError:
            return sizes, index
        sizes.append(image.shape[0])
    return sizes, None


@settings()  # from the profile: "ci" replays fixed examples, "deep" draws many
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["conv", "pool"]), st.integers(1, 7), st.integers(1, 4)
        ),
        min_size=1,
        max_size=6,
    )
)
@example([("pool", 3, 3)] * 5)  # 128, 42, 14, 4, 1: layer 5 has no room
@example([("conv", 5, 2), ("pool", 2, 2), ("conv", 3, 1)])  # fits
def test_trace_stack_agrees_with_receptive_field_and_output_size(layers):
    stack = [Layer(kind, size, stride) for kind, size, stride in layers]
    sizes, failed_at = _real_sizes(stack, 128)
    try:
        trace = trace_stack(stack, input_size=128, padding="same")
    except ValueError as error:
        # Refused exactly where the real layers fail, naming that layer.
        assert failed_at is not None, f"trace_stack refused a stack that runs: {error}"
        assert f"layer {failed_at + 1} (" in str(error) and "smaller than its" in str(
            error
        )
        return
    assert failed_at is None, f"layer {failed_at + 1} cannot run, yet it was traced"
    assert [step.output_size for step in trace] == sizes
    for index, step in enumerate(trace):
        below = [(layer.size, layer.stride) for layer in stack[: index + 1]]
        assert step.receptive_field == receptive_field(below)
        assert step.jump == int(np.prod([stride for _, stride in below]))
        first, last = step.window
        assert last - first + 1 == step.receptive_field


def test_trace_stack_and_receptive_field_share_the_one_step(monkeypatch):
    calls = []
    original = cl.conv.grow_receptive_field

    def counting(*args):
        calls.append(args)
        return original(*args)

    monkeypatch.setattr(cl.conv.arithmetic, "grow_receptive_field", counting)
    monkeypatch.setattr(stacks, "grow_receptive_field", counting)
    receptive_field([(3, 1), (2, 2)])
    trace_stack("conv3, pool2")
    assert calls == [(1, 1, 3, 1), (3, 1, 2, 2)] * 2


def test_trace_stack_says_when_a_layer_does_not_fit():
    with pytest.raises(ValueError, match=r"layer 4 \(conv9\) gets a 8x8 input"):
        trace_stack("conv9, conv9, conv9, conv9", input_size=32, padding="valid")
    with pytest.raises(
        ValueError, match="padding must be one of 'same', 'valid', got 'full'"
    ):
        trace_stack("conv3", padding="full")
    with pytest.raises(ValueError, match="input_size must be an int from 1"):
        trace_stack("conv3", input_size=0)
    with pytest.raises(
        ValueError, match="layers must be non-empty text or a list .* each a Layer"
    ):
        trace_stack([Layer("conv", 3, 1), (3, 1)])
    assert trace_stack("conv3", padding="VALID")[0].output_size == 30


# --- issue 12: wrong types give a ValueError ---------------------------------------------


def test_trace_stack_refuses_what_is_not_layers():
    for layers in (np.array(0), 3, b"conv3"):
        with pytest.raises(ValueError, match="layers must be non-empty text or a list"):
            trace_stack(layers)
    with pytest.raises(ValueError, match="stride 0; the stride must be 1 or more"):
        trace_stack("conv3s00")
