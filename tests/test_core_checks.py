"""The declared checks (course_lib.core.checks / arrays): each constraint converts good
values, refuses bad ones with a short message, and @checked wires them to a function."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.core import (
    Array,
    Bool,
    Callbacks,
    Choice,
    Images,
    Int,
    Items,
    Labels,
    Model,
    Number,
    OneOf,
    Optional,
    PathIn,
    Text,
    checked,
)

CONSTRAINTS = [
    Int(1, 10),
    Number(0, 1),
    Number(positive=True),
    Bool(),
    Choice("sobel", "blur"),
    Text(),
    Items(Int(0, 5)),
    Array(shape=(None, 4)),
    Array(ndim=1, dtype="int", low=0),
    Images("NHW"),
    Images("HWC", channels=3),
    Images(("NHW", "NHWC"), channels=1, size=(28, 28)),
    Labels(10),
    Optional(Int(0, 3)),
    OneOf(Int(0, 3), Choice("all")),
    Callbacks(),
    PathIn(exists=False, suffixes=(".png",)),
]


@pytest.mark.parametrize("constraint", CONSTRAINTS, ids=repr)
def test_example_passes_and_bad_values_fail(constraint):
    constraint.check(constraint.example(), "x")
    assert constraint.bad_values(), "a constraint must know some bad values"
    for bad in constraint.bad_values():
        with pytest.raises(ValueError, match=r"^x must be |^x\[\d+\] must be "):
            constraint.check(bad, "x")


def test_int_and_number_convert():
    assert Int(0, 10).check(3.0, "n") == 3
    assert isinstance(Number().check(np.float32(0.5), "lr"), float)
    with pytest.raises(ValueError, match="lr must be a positive number, got 0"):
        Number(positive=True).check(0, "lr")


def test_pixels_uint8_and_float_agree_and_0_255_floats_are_refused():
    rng = np.random.default_rng(0)
    photo = rng.integers(0, 256, (2, 8, 8), dtype=np.uint8)
    images = Images("NHW")
    as_uint8 = images.check(photo, "images")
    as_float = images.check(photo / 255.0, "images")
    assert as_uint8.dtype == np.float32 and np.allclose(as_uint8, as_float)
    with pytest.raises(ValueError, match="looks like 0-255 pixels: divide by 255"):
        images.check(photo.astype(np.float32), "images")
    assert (
        Images("NHW", to="uint8").check(photo / 255.0, "x").tolist() == photo.tolist()
    )


def test_axes_are_never_reread():
    with pytest.raises(
        ValueError, match=r"one image: add a batch axis, e\.g\. x\[None\]"
    ):
        Images("NHW").check(np.zeros((28, 28)), "images")
    with pytest.raises(ValueError, match="channels go last"):
        Images("NHWC", channels=3).check(np.zeros((2, 3, 16, 16)), "images")
    with pytest.raises(ValueError, match="shape \\(64, 64, 3\\)"):
        Images("NHW").check(np.zeros((64, 64, 3)), "images")
    with pytest.raises(ValueError, match=r"a grey image: make it RGB"):
        Images("HWC", channels=3).check(np.zeros((16, 16)), "photo")
    with pytest.raises(ValueError, match="add a channel axis"):
        Images("NHWC", channels=1).check(np.zeros((2, 16, 16)), "digits")
    with pytest.raises(ValueError, match=r"an RGBA image: keep its colours"):
        Images("HWC", channels=3).check(np.zeros((16, 16, 4)), "photo")


def test_defaults_are_converted_too():
    @checked(callbacks=Callbacks(), n=Int(0, 5))
    def f(callbacks=None, n=2.0):
        return callbacks, n

    assert f() == ([], 2)


def test_labels_refuse_one_hot_and_out_of_range():
    assert Labels(10).check([0, 9.0], "y").dtype == np.int64
    with pytest.raises(ValueError, match=r"looks one-hot: pass y\.argmax\(axis=1\)"):
        Labels(10).check(np.eye(10)[[1, 2]], "y")
    with pytest.raises(ValueError, match="labels from -1 to 0"):
        Labels(10).check([-1, 0], "y")


def test_items_refuse_a_scalar_with_the_fix():
    with pytest.raises(ValueError, match=r"one value goes in a list, e\.g\. \[100\]"):
        Items(Int(1, 1000)).check(100, "scales")
    with pytest.raises(ValueError, match="one value goes in a list"):
        Items(Choice("rgb", "hsv")).check("rgb", "colour_spaces")
    assert Items(Choice("rgb", "hsv")).check(["RGB"], "colour_spaces") == ("rgb",)


def test_model_checks_shapes_and_logits():
    import keras

    inputs = keras.Input((28, 28, 1))
    logits = keras.layers.Dense(10)(keras.layers.Flatten()(inputs))
    net = keras.Model(inputs, logits, name="net")
    probs = keras.Model(inputs, keras.layers.Softmax()(logits), name="probs")
    assert Model((28, 28, 1), (10,), outputs="logits").check(net, "model") is net
    with pytest.raises(ValueError, match="drop it"):
        Model((28, 28, 1), (10,), outputs="logits").check(probs, "model")
    with pytest.raises(
        ValueError, match=r"a generator \(N, 2\) -> \(N, 28, 28, 1\), got 'net'"
    ):
        Model((2,), (28, 28, 1), what="a generator").check(net, "generator")
    with pytest.raises(ValueError, match="give it a keras.Input first"):
        Model().check(keras.Sequential([keras.layers.Dense(3)]), "model")
    # a network whose last layer is a network ending in a softmax gives probabilities
    head = keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(10, "softmax")])
    nested = keras.Model(inputs, head(inputs), name="nested")
    assert (
        Model((28, 28, 1), (10,), outputs="probabilities").check(nested, "m") is nested
    )
    with pytest.raises(ValueError, match="drop it"):
        Model((28, 28, 1), (10,), outputs="logits").check(nested, "model")


def test_checked_converts_and_refuses_before_the_body_runs():
    calls = []

    @checked(n=Int(1, 10), images=Images("NHW"), mode=Choice("a", "b"))
    def f(n, images, mode="a"):
        calls.append((n, images.dtype, mode))
        return n

    assert f(3.0, np.zeros((1, 4, 4), np.uint8), mode="B") == 3
    assert calls == [(3, np.float32, "b")]
    with pytest.raises(ValueError, match="n must be an int from 1 to 10, got 0"):
        f(0, np.zeros((1, 4, 4)))
    assert len(calls) == 1
    assert set(f.__constraints__) == {"n", "images", "mode"}


def test_checked_refuses_an_undeclared_parameter():
    with pytest.raises(TypeError, match=r"undeclared parameters \['b'\]"):

        @checked(a=Int())
        def g(a, b):
            return a


def test_numpy_floats_meet_their_bounds_in_their_own_precision():
    assert Number(0, 0.99).check(np.float32(0.99), "dropout") == pytest.approx(0.99)


def test_one_image_with_a_channel_axis_is_not_read_as_a_batch():
    with pytest.raises(ValueError, match=r"one image with a channel axis"):
        Images(("NHW", "NHWC"), channels=1).check(np.zeros((28, 28, 1)), "digits")
    with pytest.raises(ValueError, match=r"a batch of one: x\[0\]"):
        Images("HW").check(np.zeros((1, 28, 28)), "digit")
    with pytest.raises(ValueError, match="looks one-hot"):
        Labels(10).check(np.eye(3), "y")


def test_a_path_for_a_file_refuses_a_folder_and_one_for_a_folder_refuses_a_file(
    tmp_path,
):
    note = tmp_path / "note.txt"
    note.write_text("hi")
    assert PathIn().check(str(note), "path") == note.resolve()
    assert PathIn().check(tmp_path / "new.txt", "path").name == "new.txt"  # may be new
    with pytest.raises(
        ValueError, match=r"path must be a file name .*, got the folder"
    ):
        PathIn().check(tmp_path, "path")
    assert PathIn(folder=True).check(tmp_path, "root") == tmp_path.resolve()
    with pytest.raises(
        ValueError, match=r"root must be a folder name .*, got the file"
    ):
        PathIn(folder=True).check(note, "root")
    with pytest.raises(ValueError, match="that exists, got .*which does not exist"):
        PathIn(exists=True).check(tmp_path / "missing.txt", "path")
