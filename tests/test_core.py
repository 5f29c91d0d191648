"""course_lib core: fast mode, pick, seeding, lazy submodules, the environment report."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from fresh_python import imported

import course_lib as cl


def _fast_in_subprocess(value: str | None) -> str:
    env = {"PATH": "/usr/bin:/bin"}
    if value is not None:
        env["COURSE_FAST"] = value
    code = "import course_lib as cl; print(cl.FAST, cl.pick(full=12, fast=2))"
    return subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_fast_mode_follows_the_environment():
    assert _fast_in_subprocess("1") == "True 2"
    assert _fast_in_subprocess("0") == "False 12"
    assert _fast_in_subprocess(None) == "False 12"


def test_the_test_suite_runs_in_fast_mode():
    assert cl.FAST, "make test sets COURSE_FAST=1"


def test_set_seed_makes_numpy_and_tensorflow_repeat():
    import keras
    import tensorflow as tf

    def draw():
        return (
            np.random.rand(3),
            tf.random.uniform((3,)).numpy(),
            keras.random.normal((3,)).numpy(),
        )

    cl.set_seed(7)
    a = draw()
    cl.set_seed(7)
    b = draw()
    for first, second in zip(a, b, strict=True):
        np.testing.assert_array_equal(first, second)
    cl.set_seed(8)
    assert not np.array_equal(np.random.rand(3), a[0])


def test_set_seed_makes_keras_initialisation_repeat():
    import keras

    def weights():
        cl.set_seed(3)
        layer = keras.layers.Dense(4)
        layer.build((None, 5))
        return layer.kernel.numpy()

    np.testing.assert_array_equal(weights(), weights())


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True])
def test_set_seed_rejects_bad_seeds(bad):
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        cl.set_seed(bad)


def test_submodules_load_on_first_use_and_unknown_names_fail():
    import course_lib.data

    assert cl.data is course_lib.data and callable(cl.data.load_mnist)
    assert "data" in dir(cl) and "widgets" in dir(cl)
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        cl.nonsense  # noqa: B018


def test_import_does_not_start_tensorflow():
    assert imported("import course_lib", ("tensorflow",)) == [False]


def test_environment_report():
    report = cl.environment()
    assert report["python"].startswith("3.")
    assert report["keras"].startswith("3.")
    assert report["device"].startswith(("CPU", "GPU"))
    assert report["fast_mode"] is True


def test_table_of_contents_links_written_lectures_only():
    toc = cl.course.table_of_contents()
    assert "[Welcome: how to use the course](00_welcome.ipynb)" in toc
    for number, slug, title in cl.course.LECTURES:
        expected = (
            f"[{title}]({slug}.ipynb)" if cl.course.available(slug) else f"| {title} |"
        )
        assert expected in toc, number


def test_lookup_matches_names_loosely_and_lists_the_known_ones():
    registry = {"Sobel": 1, "blur": 2}
    assert cl.core.lookup(registry, " sobel ", "kernel") == 1
    assert cl.core.choose("BLUR", list(registry), "kernel") == "blur"
    assert cl.core.choose(2, [1, 2], "padding") == 2
    with pytest.raises(
        ValueError, match=r"^unknown kernel 'edge'; known: Sobel, blur$"
    ):
        cl.core.lookup(registry, "edge", "kernel")
    with pytest.raises(ValueError, match="unknown padding 3; known: 1, 2"):
        cl.core.choose(3, [1, 2], "padding")


# --- issue 12: the checks every module uses ------------------------------------------


def test_check_int_and_check_number_convert_what_they_can():
    assert cl.core.check_int(np.int64(3), "steps", 0, 10) == 3
    assert cl.core.check_int(4.0, "steps") == 4
    assert cl.core.check_number("0.1", "lr", positive=True) == 0.1
    for value in (True, "3", 2.5, None, [3]):
        with pytest.raises(ValueError, match="steps must be an int from 0 to 10"):
            cl.core.check_int(value, "steps", 0, 10)
    for value in (np.nan, "fast", 0, -1e-9, float("inf")):
        with pytest.raises(ValueError, match="lr must be a positive number"):
            cl.core.check_number(value, "lr", positive=True)
    with pytest.raises(ValueError, match=r"got array\(\[ 0, 1, 2,"):
        cl.core.check_int(np.arange(1000), "steps")  # cut short, not pages long
    assert len(cl.core.show(np.arange(10**5))) <= 60
    assert "\n" not in cl.core.show(np.zeros((40, 40)), width=2000)


def test_choose_and_lookup_never_fail_with_another_error():
    assert cl.core.choose(" Same", ("valid", "same"), "padding") == "same"
    for name in (np.arange(3), 2**64, [1], None):
        with pytest.raises(ValueError, match="unknown padding"):
            cl.core.choose(name, (True, "same"), "padding")
    with pytest.raises(ValueError, match="the padding options must be a list"):
        cl.core.choose("same", 3, "padding")
    with pytest.raises(ValueError, match="the kernel registry must be a dict"):
        cl.core.lookup(["sobel"], "sobel", "kernel")


def test_check_floats_converts_numbers_and_names_what_is_not():
    import numpy as np

    from course_lib.core import check_floats

    assert check_floats([1, 2.5], "x").dtype == np.float64
    for bad in ("abc", {"a": 1}, [10**400]):
        with pytest.raises(ValueError, match="x must be an array of numbers"):
            check_floats(bad, "x")
