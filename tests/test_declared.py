"""Every public function and class of course_lib declares what its parameters must be
(``@checked`` from ``course_lib.core``), and every declaration refuses bad values.

The cases are generated, as scikit-learn's common tests do: for each public callable,
for each declared parameter, for each bad value its constraint names (``bad_values()``),
the callable is called with that value and valid examples for the other required
parameters. The call must stop before the body runs with a clear ValueError that names
the parameter (``tests/clear_errors.py``). A public callable without a declaration fails
``test_every_public_callable_declares``.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import inspect
import pkgutil

import numpy as np
import pytest
from clear_errors import unclear_reason

import course_lib

NOT_COMPUTE = {
    "course_lib.core.checks": "the constraints themselves",
    "course_lib.core.arrays": "the constraints themselves",
}
"""Modules whose public names are not functions a student calls with data."""

EXEMPT = {
    "course_lib.core.basics.pick": "returns one of two values of any kind, unchecked",
    "course_lib.core.basics.environment": "no parameters",
    "course_lib.core.basics.set_seed": "checks its seed with check_int, as Int does",
    **{
        f"course_lib.core.basics.{name}": "a building block of the declared checks"
        for name in (
            "show",
            "check_int",
            "check_number",
            "check_floats",
            "unknown_name",
            "lookup",
            "choose",
        )
    },
}
"""Public callables that declare nothing, and why."""


def _modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(course_lib.__path__, "course_lib."):
        parts = info.name.split(".")
        if any(p.startswith("_") for p in parts) or parts[1] == "exercises":
            continue
        if info.name in NOT_COMPUTE:
            continue
        names.append(info.name)
    return sorted(names)


MODULES = _modules()


def _public_callables(module_name: str) -> list[tuple[str, object]]:
    module = importlib.import_module(module_name)
    found = []
    for name, obj in vars(module).items():
        if name.startswith("_") or getattr(obj, "__module__", None) != module_name:
            continue
        if inspect.isclass(obj):
            if issubclass(obj, (BaseException, enum.Enum)) or dataclasses.is_dataclass(
                obj
            ):
                continue  # errors, enums and result records are not called with data
            if "__init__" not in vars(obj):
                continue  # nothing of its own to declare (a subclass that adds methods)
            found.append((f"{module_name}.{name}", obj))
        elif inspect.isfunction(obj) or hasattr(obj, "__wrapped__"):
            found.append((f"{module_name}.{name}", obj))
    return found


def _constraints(obj):
    target = obj.__init__ if inspect.isclass(obj) else obj
    return getattr(target, "__constraints__", None)


@pytest.mark.parametrize("module_name", MODULES)
def test_every_public_callable_declares(module_name):
    undeclared = [
        qualified
        for qualified, obj in _public_callables(module_name)
        if _constraints(obj) is None and qualified not in EXEMPT
    ]
    assert not undeclared, (
        f"public callables without @checked: {undeclared} (declare every parameter's "
        "constraint, or add the callable to EXEMPT in this file with the reason)"
    )


def _cases():
    for module_name in MODULES:
        for qualified, obj in _public_callables(module_name):
            if _constraints(obj):
                yield pytest.param(obj, id=qualified.removeprefix("course_lib."))


def _call(obj, param: str, bad):
    target = obj.__init__ if inspect.isclass(obj) else obj
    signature = inspect.signature(target)
    constraints = target.__constraints__
    kwargs, args = {}, []
    for name, parameter in signature.parameters.items():
        if name in ("self", "cls") or parameter.kind is parameter.VAR_KEYWORD:
            continue
        if parameter.kind is parameter.VAR_POSITIONAL:
            if name == param:
                args.append(bad)
            continue
        if name == param:
            value = bad
        elif parameter.default is parameter.empty:
            value = constraints[name].example()
        else:
            continue
        if parameter.kind is parameter.POSITIONAL_ONLY:
            args.append(value)
        else:
            kwargs[name] = value
    return obj(*args, **kwargs)


@pytest.mark.parametrize("obj", list(_cases()))
def test_declared_constraints_refuse_bad_values(obj):
    target = obj.__init__ if inspect.isclass(obj) else obj
    signature = inspect.signature(target)
    problems = []
    for param, constraint in target.__constraints__.items():
        if signature.parameters[param].kind is inspect.Parameter.VAR_KEYWORD:
            continue
        for bad in constraint.bad_values():
            shown = f"{param}={bad!r:.40}"
            try:
                _call(obj, param, bad)
            except ValueError as error:
                reason = unclear_reason(str(error), (param,))
                if reason:
                    problems.append(f"{shown}: {reason}: {error}")
            except Exception as error:  # noqa: BLE001 - any other error is the finding
                problems.append(f"{shown}: {type(error).__name__}: {error}"[:300])
            else:
                problems.append(f"{shown}: accepted")
    assert not problems, "\n".join(problems)


def test_a_function_that_declares_nothing_is_found(monkeypatch):
    """The coverage test finds a public function without a declaration."""
    module = importlib.import_module("course_lib.core.basics")

    def planted(x):
        return x

    planted.__module__ = "course_lib.core.basics"
    monkeypatch.setattr(module, "planted", planted, raising=False)
    with pytest.raises(AssertionError, match="planted"):
        test_every_public_callable_declares("course_lib.core.basics")


def test_a_declaration_that_accepts_a_bad_value_is_found():
    """The generated case fails for a constraint that lets a bad value through."""
    from course_lib.core import Anything, Int, checked

    class Loose(Int):
        def check(self, value, name):
            return value  # a planted hole: accepts anything

    @checked(n=Loose(1, 3), note=Anything("free text"))
    def f(n, note=None):
        return np.zeros(1)

    f.__module__ = "course_lib.core.basics"
    with pytest.raises(AssertionError, match="accepted"):
        test_declared_constraints_refuse_bad_values(f)


def test_a_foreign_message_is_found():
    """A refusal worded by numpy (or Keras, or traitlets) fails the generated case."""
    from course_lib.core import Int, checked

    class Numpyish(Int):
        def check(self, value, name):
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError("operands could not be broadcast together")
            return value

    @checked(n=Numpyish(1, 3))
    def f(n):
        return n

    f.__module__ = "course_lib.core.basics"
    with pytest.raises(AssertionError, match="foreign phrase"):
        test_declared_constraints_refuse_bad_values(f)
