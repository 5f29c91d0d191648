"""Bad input to any public function of the compute modules: a ValueError, never worse.

For every public function of every compute module (found by introspection: functions,
cached ones included, defined in the module, whose names do not start with "_"; a test
fails when one is missing from the table below), Hypothesis draws arguments
from a small table below: for each parameter either a valid value or a bad one (wrong
types, text, None, containers, arrays of any dtype and shape, NaN and infinity,
negative and huge sizes, plus a few bad values special to that parameter). Each call
must give a result or a ``ValueError`` (a missing file may give ``FileNotFoundError``,
``cl.data.fetch`` its documented ``DownloadError``), and each call runs under

- a time limit: ``CALL_SECONDS``; a timer signal interrupts a call that runs longer,
  which fails the test as a hang (``pytest-timeout`` stops the whole test as a backstop);
- a memory cap: the resident memory may grow by at most ``MEMORY_CAP_MB`` during one
  call (the peak is read from ``VmHWM`` after resetting it through
  ``/proc/self/clear_refs``; Linux only); and a guard on the address space
  (``RLIMIT_DATA``, ``GUARD_MB`` above what the process holds) turns a runaway
  allocation into a ``MemoryError``, which fails the test instead of the machine.

The valid arguments of every function are also called once on their own: the table is
checked to reach the real work, not only the first argument check.

Profiles (``tests/hypothesis_profiles.py``): ``ci`` replays the same examples every run;
``deep`` (``HYPOTHESIS_PROFILE=deep``) draws new ones, 15 times as many.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import math
import os
import resource
import signal
import sys
import time
from functools import cache
from pathlib import Path

import hypothesis_profiles
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import course_lib as cl

COMPUTE_MODULES = (
    "images",
    "neurons",
    "dense",
    "conv",
    "stacks",
    "models",
    "kernels",
    "data",
    "core",
)

CALL_SECONDS = 20.0
"""The longest one call may take; the valid calls in the table take well under 2 s."""

MEMORY_CAP_MB = 512
"""The most one call may add to the resident memory (Binder restarts a kernel at 2 GB)."""

GUARD_MB = 3072
"""Address space allowed above what the process holds when the tests start."""

LEFT_OUT = {
    "core.environment": "no arguments; reports versions (test_core checks it)",
    "data.data_dir": "no arguments; reads COURSE_DATA_DIR (test_data checks it)",
    **{
        f"data.{name}": "no arguments (tests/test_data*.py check it)"
        for name in (
            "fetch_cats_vs_dogs",
            "fetch_mnist",
            "fetch_nietzsche",
            "load_mnist_5k",
            "load_shakespeare",
        )
    },
    "kernels.kernels": "no arguments; a dict of the five kernels, each tested here",
}
"""Public functions deliberately not called here, and why. Classes are not drawn
either (``cl.train.TrainStep`` and ``EvaluateStep``, ``cl.recipes.RaceClock``,
``cl.scratch.NumpyConvnet``, ``cl.stacks.Layer``, the registries' dataclasses): the
functions in the table build them, and their own checks (mode, model, optimizer,
strategy, kind, size) raise the same ValueErrors, tested in test_train,
test_scratch and test_stacks."""

REFUSES_VALID = {
    "data.fetch": "offline (as here) it has no file to give: its DownloadError is right"
}
"""Functions whose valid arguments still get their allowed error here, and why."""

ALLOWED = {
    "data.sha256_of": (FileNotFoundError,),
    "data.load_ilsvrc_history": (FileNotFoundError,),
    "models.verified_checkpoint": (FileNotFoundError,),
    "models.pretrained": (FileNotFoundError,),
    "models.pretrained_numpy": (FileNotFoundError,),
}
"""Errors besides ValueError that a function documents (a missing file)."""


# --------------------------------------------------------------------------------------
# Bad values for any parameter

_ODD = [
    None,
    "",
    "text",
    "3",
    "0.1",
    b"\x00",
    True,
    False,
    0,
    -1,
    1.5,
    -0.5,
    10**5,
    10**9,
    10**12,
    -(10**12),
    2**64,
    math.nan,
    math.inf,
    -math.inf,
    1e308,
    1j,
    object(),
    [],
    (),
    {},
    set(),
    [1, "a"],
    [[1, 2], [3]],
    [None],
    {"a": 1},
    Ellipsis,
    np.float32("nan"),
    np.int64(-3),
    np.array(3.0),
    np.array([]),
    np.array(["a", "b"]),
    np.array([None, 1], dtype=object),
]

_DTYPES = [np.uint8, np.int64, np.float32, np.float64, np.bool_, np.complex128]

ARRAYS = st.sampled_from(_DTYPES).flatmap(
    lambda dtype: hnp.arrays(
        dtype, hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=6)
    )
)
"""Arrays of any dtype and shape (0 to 4 axes), with NaN and infinity among floats."""

BAD = st.one_of(
    st.sampled_from(_ODD),
    ARRAYS,
    st.lists(st.one_of(st.floats(), st.integers(), st.text(max_size=3)), max_size=5),
)
"""A bad value for any parameter (it may happen to be valid: then a result is fine)."""

HUGE = st.sampled_from([-1, 0, 10**4, 10**5, 10**6, 10**9, 10**12, 2**63, 1e9, 1e300])
"""Sizes, counts and durations a student could type by mistake."""


class Lazy:
    """A valid value built on first use (a model, a file) and then shared, or built
    afresh for every call when ``fresh``."""

    def __init__(self, factory, fresh: bool = False):
        self.factory, self.fresh = factory, fresh

    def strategy(self):
        if self.fresh:
            return st.builds(self.factory)
        return st.deferred(lambda: st.just(self.factory()))


class Param:
    """One parameter: its valid value and the strategy that draws valid or bad ones."""

    def __init__(self, valid, strategy):
        self._valid, self.strategy = valid, strategy

    def valid(self):
        return self._valid.factory() if isinstance(self._valid, Lazy) else self._valid


def ok(valid, *special, bad: bool = True) -> Param:
    """The valid value (or a ``Lazy`` one), the special bad values, and ``BAD`` when
    ``bad``."""
    first = valid.strategy() if isinstance(valid, Lazy) else st.just(valid)
    special = [s.strategy() if isinstance(s, Lazy) else s for s in special]
    return Param(valid, st.one_of(first, *special, *([BAD] if bad else [])))


def lazy(factory) -> Lazy:
    return Lazy(factory)


def sizes(*values):
    return st.sampled_from(values)


# --------------------------------------------------------------------------------------
# Valid values that take some building: made once, on first use

_ROOT = Path(__file__).resolve().parent.parent


@cache
def tiny_model():
    """A compiled Keras Sequential for 8x8x1 images and 3 classes."""
    import keras

    cl.set_seed(0)
    model = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Conv2D(2, 3, activation="relu", name="conv"),
            keras.layers.MaxPooling2D(2, name="pool"),
            keras.layers.Flatten(name="flatten"),
            keras.layers.Dense(3, activation="softmax", name="dense"),
        ]
    )
    cl.train.compile_for_classification(model)
    return model


@cache
def mnist_model():
    return cl.models.pretrained("mnist_convnet")


@cache
def mnist_numpy_model():
    return cl.models.pretrained_numpy("mnist_convnet")


@cache
def tiny_data():
    rng = np.random.default_rng(0)
    return rng.random((8, 8, 8, 1), dtype=np.float32), rng.integers(0, 3, 8)


@cache
def digits():
    rng = np.random.default_rng(1)
    return rng.integers(0, 256, (4, 28, 28), dtype=np.uint8), rng.integers(0, 10, 4)


@cache
def files():
    """A folder of files a student might pass as a path."""
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="bad_input_"))
    (folder / "text.weights.h5").write_text("not weights")
    (folder / "empty.csv").write_text("")
    (folder / "a folder").mkdir()
    return {
        "missing": folder / "missing.weights.h5",
        "text": folder / "text.weights.h5",
        "folder": folder / "a folder",
        "empty_csv": folder / "empty.csv",
    }


def paths():
    return st.deferred(lambda: st.sampled_from(list(files().values())))


IMAGE = np.arange(36, dtype=np.uint8).reshape(6, 6)
RGB = np.zeros((6, 6, 3), np.uint8)
KERNEL3 = np.ones((3, 3))
BATCH = np.ones((2, 6, 6, 1), np.float32)
BANK = np.ones((3, 3, 1, 2), np.float32)
STROKE = [(5.0, 5.0), (10.0, 12.0)]

NAMES = st.sampled_from(["", "unknown", "SOBEL", " bowl ", "relu", "mnist"])
"""Names that are wrong, or right in another registry, or right with odd case."""


# --------------------------------------------------------------------------------------
# The table: function -> {parameter: strategy}, and a relative cost per call

S = {}
COST = {}

# images
S["images.channel_names"] = {"image": ok(IMAGE)}
S["images.channel_of"] = {"image": ok(RGB), "channel": ok("red", NAMES)}
S["images.default_images"] = {
    "size": ok(16, HUGE),
    "digit": ok(None, st.just(IMAGE / 255), st.just(IMAGE * 2.0)),
}
S["images.digit_examples"] = {
    "images": ok(np.zeros((5, 4, 4))),
    "labels": ok(np.arange(5)),
    "digit": ok(3, sizes(10, -1)),
}
S["images.hog_features"] = {
    "images": ok(np.zeros((2, 8, 8)), st.just(np.zeros((2, 4000, 4000), np.uint8))),
    "orientations": ok(9, HUGE),
    "pixels_per_cell": ok(2, HUGE),
    "cells_per_block": ok(1, HUGE),
}
S["images.to_unit_float"] = {"images": ok(IMAGE), "name": ok("images")}
S["images.prepare_images"] = {"images": ok(digits()[0], st.just(digits()[0] * 1.0))}
S["images.preprocess_drawing"] = {"array": ok(np.eye(40), st.just(np.zeros((1, 9))))}
S["images.shrink_drawing"] = S["images.preprocess_drawing"]
S["images.zoom_window"] = {
    "image": ok(IMAGE),
    "row": ok(1, HUGE),
    "col": ok(2, HUGE),
    "size": ok(2, HUGE),
}

# neurons
LOSS_NAMES = st.sampled_from(["bowl", "two valleys", "bumpy"])
S["neurons.activate"] = {"name": ok("relu", NAMES), "z": ok(np.linspace(-2, 2, 5))}
S["neurons.activation_slope"] = S["neurons.activate"]
S["neurons.backpropagate"] = {
    "params": ok(
        cl.neurons.tiny_network_parameters(0),
        st.just({"W1": np.ones((3, 3))}),
        st.just({"W1": "a", "b1": 1, "W2": None, "b2": []}),
    ),
    "x": ok(np.ones((4, 2))),
    "y": ok(np.ones(4)),
}
S["neurons.tape_gradients"] = S["neurons.backpropagate"]
S["neurons.gradient_descent"] = {
    "loss_name": ok("bowl", LOSS_NAMES, NAMES),
    "lr": ok(0.1, st.just("0.1"), HUGE),
    "start": ok(2.0, HUGE),
    "steps": ok(3, HUGE),
}
S["neurons.gradient_norms_by_layer"] = {
    "activation": ok("relu", NAMES),
    "depth": ok(2, HUGE),
    "width": ok(3, HUGE),
    "batch_size": ok(4, HUGE),
    "kernel_initializer": ok("he_normal", NAMES),
    "seed": ok(0, HUGE),
    "of": ok("kernel", st.just("OUTPUT"), NAMES),
}
COST["neurons.gradient_norms_by_layer"] = 4
S["neurons.has_diverged"] = {
    "loss_name": ok("bowl", NAMES),
    "path": ok(np.array([2.0, 1.0]), st.just([])),
}
S["neurons.minima_found"] = {
    "loss_name": ok("bowl", NAMES),
    "paths": ok([np.array([2.0, 0.0])], st.just([[]]), st.just([None])),
    "decimals": ok(2, HUGE),
}
S["neurons.neuron"] = {
    "x": ok([1.0, 2.0]),
    "weights": ok([0.5, -1.0]),
    "bias": ok(0.0, st.just("0.5")),
    "activation": ok("sigmoid", NAMES),
}
S["neurons.random_restarts"] = {
    "loss_name": ok("bumpy", NAMES),
    "lr": ok(0.1, HUGE),
    "steps": ok(5, HUGE),
    "count": ok(3, HUGE),
    "seed": ok(0, HUGE),
}
S["neurons.tiny_network_parameters"] = {"seed": ok(0, HUGE)}

# dense
S["dense.build_dense_network"] = {
    "input_shape": ok((4, 4), st.just((10**6, 10**6)), st.just((0, 3))),
    "hidden": ok((3,), st.just((10**9,)), st.just(())),
    "num_classes": ok(2, HUGE),
    "activation": ok("relu", NAMES),
}
COST["dense.build_dense_network"] = 3
S["dense.count_dense_parameters"] = {
    "input_shape": ok((4, 4), st.just((10**4, 10**4, 3))),
    "hidden": ok((3,), st.just((10**9,))),
    "num_classes": ok(2, HUGE),
}
COST["dense.count_dense_parameters"] = 3
S["dense.dense_parameters_by_layer"] = S["dense.count_dense_parameters"]
COST["dense.dense_parameters_by_layer"] = 3
S["dense.dense_parameter_formula"] = {
    "n_inputs": ok(16, HUGE),
    "hidden": ok((3,)),
    "num_classes": ok(2, HUGE),
}
S["dense.fixed_permutation"] = {"n_pixels": ok(9, HUGE), "seed": ok(0, HUGE)}
S["dense.permute_pixels"] = {
    "images": ok(np.zeros((2, 3, 3))),
    "permutation": ok(np.arange(9), st.just(list(range(9))), st.just(np.arange(8))),
}
S["dense.train_dense_classifier"] = {
    "x_train": ok(np.zeros((8, 4, 4), np.float32)),
    "y_train": ok(np.arange(8) % 2, st.just(np.arange(8) - 3)),
    "x_test": ok(np.zeros((4, 4, 4), np.float32)),
    "y_test": ok(np.arange(4) % 2),
    "num_epochs": ok(1, HUGE),
    "hidden": ok((3,)),
    "batch_size": ok(4, HUGE),
    "seed": ok(0, HUGE),
    "callbacks": ok((), st.just([object()])),
}
COST["dense.train_dense_classifier"] = 8
S["dense.accuracy_over_seeds"] = {
    **{key: S["dense.train_dense_classifier"][key] for key in ("x_train", "y_train")},
    **{key: S["dense.train_dense_classifier"][key] for key in ("x_test", "y_test")},
    "seeds": ok((0, 1), st.just(range(10**9)), st.just((0, 0))),
    "num_epochs": ok(1, HUGE),
    "hidden": ok((3,)),
    "batch_size": ok(4, HUGE),
    "report": ok(None, st.just(print)),
}
COST["dense.accuracy_over_seeds"] = 8

# conv
PADDINGS = st.sampled_from(["valid", "same", "SAME", "full", 1, -1, 10**6, 2.0])
S["conv.conv2d"] = {
    "image": ok(IMAGE, st.just(np.ones((4000, 4000)))),
    "kernel": ok(KERNEL3, st.just(np.ones((3, 3, 1, 10**4)))),
    "stride": ok(1, HUGE),
    "padding": ok("valid", PADDINGS),
}
S["conv.conv_params"] = {
    "kh": ok(3, HUGE),
    "kw": ok(3, HUGE),
    "c_in": ok(1, HUGE),
    "c_out": ok(2, HUGE),
    "bias": ok(True),
}
S["conv.display_gray"] = {"array": ok(IMAGE), "max_side": ok(256, HUGE)}
S["conv.edge_feature_map"] = {
    "name": ok("camera", NAMES),
    "size": ok(32, HUGE),
}
S["conv.explain_pixel"] = {
    "image": ok(IMAGE),
    "kernel": ok(KERNEL3),
    "stride": ok(1, HUGE),
    "padding": ok("valid", PADDINGS),
    "row": ok(1, HUGE),
    "column": ok(2, HUGE),
}
S["conv.explore_convolution"] = {
    "image": ok(IMAGE),
    "kernel": ok(KERNEL3),
    "stride": ok(1, HUGE),
    "padding": ok("same", PADDINGS),
}
S["conv.format_number"] = {"value": ok(3.14159)}
S["conv.gray_image_names"] = {}
S["conv.gray_image"] = {"name": ok("camera", NAMES), "size": ok(32, HUGE)}
S["conv.grow_receptive_field"] = {
    "field": ok(3, HUGE),
    "jump": ok(1, HUGE),
    "kernel": ok(2, HUGE),
    "stride": ok(2, HUGE),
}
S["conv.kernel_preset"] = {"name": ok("sobel", NAMES)}
S["conv.output_size"] = {
    "w": ok(7, HUGE),
    "f": ok(3, HUGE),
    "p": ok(0, PADDINGS),
    "s": ok(1, HUGE),
}
S["conv.padding_amounts"] = {
    "size": ok(7, HUGE),
    "kernel_size": ok(3, HUGE),
    "stride": ok(2, HUGE),
    "padding": ok("same", PADDINGS),
}
S["conv.parse_kernel"] = {"values": ok(["1", 0, -1] * 3, st.just([math.nan] * 9))}
S["conv.pool2d"] = {
    "x": ok(IMAGE),
    "size": ok(2, HUGE),
    "stride": ok(None, HUGE),
    "mode": ok("max", st.just("AVG"), NAMES),
    "padding": ok("valid", PADDINGS),
}
S["conv.pool_feature_map"] = {
    "feature_map": ok(IMAGE),
    "size": ok(2, HUGE),
    "stride": ok(2, HUGE),
    "mode": ok("max", NAMES),
}
S["conv.preset_name"] = {"kernel": ok(KERNEL3)}
S["conv.receptive_field"] = {
    "layers": ok([(3, 1), (2, 2)], st.just([(3, 1, 1)]), st.just([(10**12, 10**12)]))
}

# stacks
S["stacks.parse_layers"] = {
    "text": ok("conv3, pool2", st.just("conv3s00"), st.just("conv99999999999"))
}
S["stacks.trace_stack"] = {
    "layers": ok("conv3, pool2", st.just([None]), st.just("conv3s0")),
    "input_size": ok(32, HUGE),
    "in_channels": ok(3, HUGE),
    "filters": ok(8, HUGE),
    "padding": ok("same", PADDINGS),
    "bias": ok(False),
}

# models
S["models.checkpoint_path"] = {"name": ok("mnist_convnet", NAMES)}
S["models.pretrained"] = {"name": ok("mnist_convnet", NAMES), "path": ok(None, paths())}
COST["models.pretrained"] = 2
S["models.pretrained_numpy"] = S["models.pretrained"]
S["models.verified_checkpoint"] = S["models.pretrained"]
S["models.build_for"] = {"name": ok("faces_convnet", NAMES)}

# kernels
KERNEL_INPUTS = {
    "images": ok(BATCH, st.just(np.ones((2, 6, 6, 3), np.float32))),
    "kernels": ok(BANK, st.just(np.ones((7, 7, 1, 1), np.float32))),
}
for _name in ("conv2d_naive", "conv2d_numpy", "conv2d_tf_eager"):
    S[f"kernels.{_name}"] = KERNEL_INPUTS
S["kernels.conv2d_tf_function"] = KERNEL_INPUTS
S["kernels.conv2d_xla"] = KERNEL_INPUTS
COST["kernels.conv2d_xla"] = 3
S["kernels.im2col"] = {
    "images": ok(BATCH),
    "k_height": ok(3, HUGE),
    "k_width": ok(3, HUGE),
}
S["kernels.example_inputs"] = {
    "batch": ok(2, HUGE),
    "size": ok(6, HUGE),
    "channels": ok(1, HUGE),
    "filters": ok(2, HUGE),
    "kernel_size": ok(3, HUGE),
    "seed": ok(0, HUGE),
}
S["kernels.time_call"] = {
    "function": ok(len, st.just(None), st.just("len"), bad=False),
    "*args": ok(([1, 2],), bad=False),
    "repeat": ok(2, HUGE),
    "min_seconds": ok(0.001, HUGE),
    "warmup": ok(0, HUGE),
}
S["kernels.check_timing"] = {
    "repeat": ok(2, HUGE),
    "min_seconds": ok(0.5, HUGE),
    "warmup": ok(0, HUGE),
}
S["kernels.benchmark_kernels"] = {
    "batch": ok(2, HUGE),
    "filters": ok(2, HUGE),
    "kernel_size": ok(3, HUGE),
    "naive_batch": ok(1, HUGE),
    "repeat": ok(1, HUGE),
    "device": ok(None, st.just("/CPU:0"), st.just("/XPU:7"), NAMES),
    "names": ok(("numpy", "naive"), st.just(("sobel",)), st.just("numpy")),
}
COST["kernels.benchmark_kernels"] = 3

# data (offline, in an empty cache folder: see the fixture)
S["data.bundle_path"] = {"name": ok("mnist", NAMES)}
S["data.fetch"] = {"name": ok("mnist", NAMES)}
ALLOWED["data.fetch"] = (cl.data.DownloadError,)
S["data.known_names"] = {}
S["data.load"] = {"name": ok("mnist", NAMES)}
S["data.load_mnist"] = {}
S["data.load_ilsvrc_history"] = {
    "path": ok(cl.data.ILSVRC_FILE, paths()),
}
S["data.sample_image"] = {
    "name": ok("camera", NAMES),
    "gray": ok(True),
    "size": ok(16, HUGE),
}
S["data.sample_image_names"] = {}
S["data.sha256_of"] = {"path": ok(cl.data.ILSVRC_FILE, paths())}
S["data.source"] = {"name": ok("mnist", NAMES)}
S["data.stratified_split"] = {
    "labels": ok(np.arange(20) % 2),
    "test_size": ok(4, HUGE),
    "seed": ok(0, HUGE),
}

# core
S["core.choose"] = {
    "name": ok("b", NAMES),
    "options": ok(["a", "b"]),
    "what": ok("letter"),
}
S["core.lookup"] = {
    "registry": ok({"a": 1, "b": 2}),
    "name": ok("b", NAMES),
    "what": ok("letter"),
}
S["core.pick"] = {"full": ok(12), "fast": ok(2)}
# The checking helpers: what they check is anything; their name and range are the
# library's own constants, so only those few valid settings are drawn.
S["core.check_int"] = {
    "value": ok(3, HUGE),
    "name": ok("steps", bad=False),
    "low": ok(0, st.none(), bad=False),
    "high": ok(10, st.none(), st.just(10**12), bad=False),
}
S["core.check_number"] = {
    "value": ok("0.1", HUGE),
    "name": ok("lr", bad=False),
    "low": ok(None, st.just(-1.0), bad=False),
    "high": ok(None, st.just(1e9), bad=False),
    "positive": ok(True, st.just(False), bad=False),
}
S["core.check_floats"] = {"values": ok([1.0, 2.5], HUGE), "name": ok("x", bad=False)}
S["core.show"] = {"value": ok(np.arange(1000)), "width": ok(60, bad=False)}
S["core.set_seed"] = {"seed": ok(0, HUGE)}
S["core.unknown_name"] = {"what": ok("kernel"), "name": ok("x"), "known": ok(["a"])}

# digits several sections use (the augmentation and transfer rows moved to
# tests/bad_input/test_augmentation.py and test_transfer.py)
TEN_DIGITS = (
    np.random.default_rng(2).integers(0, 256, (20, 28, 28), dtype=np.uint8),
    np.arange(20) % 10,
)

# a model several sections use
MNIST = lazy(mnist_model)


# --------------------------------------------------------------------------------------
# Calling under a time limit and a memory cap


def public_functions() -> list[str]:
    """``module.function`` for every public function of every compute module."""
    names = []
    for module_name in COMPUTE_MODULES:
        module = importlib.import_module(f"course_lib.{module_name}")
        for name, function in inspect.getmembers(module, callable):
            if inspect.isclass(function) or not (
                inspect.isfunction(function) or hasattr(function, "__wrapped__")
            ):
                continue  # classes, and functions of other libraries
            if function.__module__ == module.__name__ and not name.startswith("_"):
                names.append(f"{module_name}.{name}")
    return sorted(names)


class TookTooLong(Exception):
    """Raised by the timer signal inside a call that ran past CALL_SECONDS."""


def _on_timer(signum, frame):
    raise TookTooLong("the call ran past its time limit: it hangs")


def _status_mb(key: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(key):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {key} in /proc/self/status")


@contextlib.contextmanager
def time_and_memory_limits(seconds: float = CALL_SECONDS):
    """Fail the call if it takes longer than ``seconds`` or grows memory by more than
    MEMORY_CAP_MB."""
    linux = sys.platform.startswith("linux")
    if linux:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")  # reset VmHWM to the current resident set
        before = _status_mb("VmRSS")
    previous = signal.signal(signal.SIGALRM, _on_timer)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    if linux:
        grown = _status_mb("VmHWM") - before
        assert grown <= MEMORY_CAP_MB, (
            f"the call grew the resident memory by {grown:.0f} MB, above the "
            f"{MEMORY_CAP_MB} MB cap"
        )


class Refused:
    """What ``call`` returns when the function raised an allowed error."""

    def __init__(self, error: Exception):
        self.error = error


def call(qualified: str, kwargs: dict):
    """Call the function with ``kwargs``; return the result, or ``Refused`` with the
    ValueError (or other allowed error) it raised."""
    import keras

    module_name, name = qualified.split(".")
    function = getattr(importlib.import_module(f"course_lib.{module_name}"), name)
    kwargs = dict(kwargs)
    args = ()
    if "*args" in kwargs:  # the parameters before it are positional
        keys = list(S[qualified])
        positional = keys[: keys.index("*args")]
        args = (*(kwargs.pop(key) for key in positional), *kwargs.pop("*args"))
    allowed = (ValueError, *ALLOWED.get(qualified, ()))
    shapes_only = cl.zoo.shapes_only if module_name == "zoo" else contextlib.nullcontext
    with time_and_memory_limits():
        try:
            with shapes_only():
                return function(*args, **kwargs)
        except allowed as error:
            return Refused(error)
        finally:
            if module_name == "zoo":  # forget what was built, without the garbage
                keras.backend.clear_session(free_memory=False)  # collection (slow)


@pytest.fixture(scope="module", autouse=True)
def guarded_process(tmp_path_factory):
    """Offline, an empty data cache, TensorFlow warmed up, and the address-space guard."""
    import keras
    import matplotlib

    matplotlib.use("Agg")
    patch = pytest.MonkeyPatch()
    patch.setenv("COURSE_OFFLINE", "1")
    patch.setenv("COURSE_DATA_DIR", str(tmp_path_factory.mktemp("cache")))
    # Build the shared valid values here, not while Hypothesis draws (Keras seeds its
    # layers from Python's random module), and pay once for what any first TensorFlow
    # call costs, outside the memory cap.
    mnist_model(), mnist_numpy_model()
    x, y = tiny_data()
    cl.train.fit(tiny_model(), (x, y), epochs=1, batch_size=4, mode="eager")
    cl.kernels.conv2d_xla(BATCH, BANK)
    keras.backend.clear_session()
    limit = resource.getrlimit(resource.RLIMIT_DATA)
    if sys.platform.startswith("linux"):
        allowed = int((_status_mb("VmData") + GUARD_MB) * 2**20)
        resource.setrlimit(resource.RLIMIT_DATA, (allowed, limit[1]))
    yield
    resource.setrlimit(resource.RLIMIT_DATA, limit)
    patch.undo()


# --------------------------------------------------------------------------------------
# The tests


def test_the_table_covers_every_public_function():
    found = set(public_functions())
    missing = found - set(S) - set(LEFT_OUT)
    stale = (set(S) | set(LEFT_OUT)) - found
    assert not missing, f"add these to the table (or to LEFT_OUT): {sorted(missing)}"
    assert not stale, f"these are no longer public functions: {sorted(stale)}"


@pytest.mark.timeout(600, method="thread")
@pytest.mark.parametrize("qualified", sorted(S))
def test_bad_input_gives_a_value_error_or_a_result(qualified):
    spec = S[qualified]
    valid = {key: param.valid() for key, param in spec.items()}
    start = time.perf_counter()
    result = call(qualified, valid)
    assert isinstance(result, Refused) == (qualified in REFUSES_VALID), (
        f"{qualified} refused its valid arguments {valid}: {result.error}"
    )
    assert time.perf_counter() - start < CALL_SECONDS / 4
    if not spec:
        return  # nothing to vary

    @settings(
        max_examples=hypothesis_profiles.examples(
            max(
                3,
                hypothesis_profiles.PROFILES["ci"].max_examples
                // COST.get(qualified, 1),
            )
        ),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.fixed_dictionaries({k: p.strategy for k, p in spec.items()}))
    def bad_input(kwargs):
        call(qualified, kwargs)

    bad_input()


def test_the_memory_cap_and_the_timer_catch_what_they_should():
    """The guards bite: a slow call and a big allocation fail the harness."""
    with pytest.raises(TookTooLong):
        with time_and_memory_limits(seconds=0.2):
            deadline = time.perf_counter() + 5
            while time.perf_counter() < deadline:
                pass
    if sys.platform.startswith("linux"):
        with pytest.raises(AssertionError, match="above the"):
            with time_and_memory_limits():
                block = np.ones((MEMORY_CAP_MB + 64) * 2**20, dtype=np.uint8)
                del block
        with pytest.raises(MemoryError):
            np.ones((GUARD_MB + 1024) * 2**20, dtype=np.uint8)


def test_the_data_functions_run_offline():
    assert os.environ["COURSE_OFFLINE"] == "1"


def test_hypothesis_profile_chooses_ci_or_deep():
    import subprocess

    code = (
        "import hypothesis_profiles as p; from hypothesis import settings; "
        "s = settings(); print(p.PROFILE, s.max_examples, s.derandomize)"
    )
    for chosen, name in [("", "ci"), ("deep", "deep"), (" ci ", "ci")]:
        out = subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "HYPOTHESIS_PROFILE": chosen},
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
        )
        profile = hypothesis_profiles.PROFILES[name]
        assert out.stdout.split() == [
            name,
            str(profile.max_examples),
            str(profile.derandomize),
        ], out.stderr[-300:]
    assert hypothesis_profiles.PROFILES["ci"].derandomize
    assert not hypothesis_profiles.PROFILES["deep"].derandomize
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "HYPOTHESIS_PROFILE": "thorough"},
        cwd=Path(__file__).parent,
        capture_output=True,
        text=True,
    )
    assert out.returncode != 0 and "known: ci, deep" in out.stderr
