"""The one pixel convention, tried on every function that takes images.

For each public callable of course_lib that declares an ``Images`` parameter, the same
example image goes in three ways: uint8 0-255, float 0-1 and float 0-255. The first two
must give the same answer (equal results, or the same clear error), the third a clear
error that names the parameter and says to divide by 255. The other parameters take
their declared examples (so many calls end in a clear error that does not concern the
image: then both conventions must end in the same one).
"""

from __future__ import annotations

import inspect
import signal

import numpy as np
import pytest
from clear_errors import unclear_reason
from test_declared import MODULES, _constraints, _public_callables

from course_lib.core import Images

CPU_SECONDS = 40
"""The most processor time one call may take here (the process's, all threads: a busy
machine slows a call down but does not make it use more)."""


def _image_parameters(obj):
    target = obj.__init__ if inspect.isclass(obj) else obj
    return [
        name
        for name, constraint in (target.__constraints__ or {}).items()
        if isinstance(constraint, Images)
    ]


def _cases():
    for module in MODULES:
        for qualified, obj in _public_callables(module):
            if not _constraints(obj):
                continue
            for name in _image_parameters(obj):
                yield pytest.param(
                    obj, name, id=f"{qualified.removeprefix('course_lib.')}:{name}"
                )


@pytest.fixture(autouse=True)
def _in_a_scratch_folder(tmp_path, monkeypatch):
    """Functions that write files (a path example is relative) write them here."""
    monkeypatch.chdir(tmp_path)


class _Slow(Exception):
    pass


def _outcome(obj, param, image):
    """('result', value) or ('error', message) of one call with ``image`` as ``param``."""
    target = obj.__init__ if inspect.isclass(obj) else obj
    signature = inspect.signature(target)
    kwargs = {}
    for name, parameter in signature.parameters.items():
        if name in ("self", "cls") or parameter.kind in (
            parameter.VAR_KEYWORD,
            parameter.VAR_POSITIONAL,
        ):
            continue
        if name == param:
            kwargs[name] = image
        elif parameter.default is parameter.empty:
            kwargs[name] = target.__constraints__[name].example()

    def stop(*_):
        raise _Slow

    previous = signal.signal(signal.SIGPROF, stop)
    signal.setitimer(signal.ITIMER_PROF, CPU_SECONDS)
    try:
        return "result", obj(**kwargs)
    except ValueError as error:
        return "error", str(error)
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def _same(a, b) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    try:
        x, y = np.asarray(a), np.asarray(b)
    except Exception:  # noqa: BLE001 - objects that are not arrays
        return type(a) is type(b)
    if x.dtype == np.uint8 and y.dtype.kind == "f":  # pixels given back as they came
        x = x / 255
    if x.dtype.kind in "biuf" and y.dtype.kind in "biuf":
        return x.shape == y.shape and np.allclose(x, y, atol=2e-3, equal_nan=True)
    if hasattr(a, "__dataclass_fields__"):
        return all(_same(getattr(a, f), getattr(b, f)) for f in a.__dataclass_fields__)
    return type(a) is type(b)


@pytest.mark.parametrize(("obj", "param"), list(_cases()))
def test_uint8_and_float_agree_and_0_255_floats_are_refused(obj, param):
    target = obj.__init__ if inspect.isclass(obj) else obj
    constraint = target.__constraints__[param]
    as_uint8 = constraint.example()
    rng = np.random.default_rng(0)
    as_uint8 = rng.integers(0, 256, as_uint8.shape, dtype=np.uint8)
    as_float = as_uint8.astype(np.float32) / 255
    first, second = _outcome(obj, param, as_uint8), _outcome(obj, param, as_float)
    assert first[0] == second[0], f"uint8 gave {first}, float 0-1 gave {second}"
    if first[0] == "error":
        assert first[1] == second[1]
    else:
        assert _same(first[1], second[1]), "uint8 and float 0-1 gave different results"
    kind, message = _outcome(obj, param, as_uint8.astype(np.float32))
    assert kind == "error", "float 0-255 pixels were accepted"
    assert "divide by 255" in message and unclear_reason(message, (param,)) is None, (
        message
    )


def test_a_planted_silent_wrong_answer_is_found():
    """A function that reads uint8 pixels on their own scale (0-255 where float says
    0-1) gives another answer for the same picture: the test above fails on it."""
    from course_lib.core import checked

    @checked(image=Images("HW", to=None))
    def brightness(image):
        return float(np.asarray(image).mean())

    with pytest.raises(AssertionError, match="different results"):
        test_uint8_and_float_agree_and_0_255_floats_are_refused(brightness, "image")
