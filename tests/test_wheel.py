"""The course as a wheel: built from the repository, installed into a fresh virtual
environment outside it, and used from another folder, every shipped file is found,
verified and read (as on Colab or a JupyterHub image without the repository).

Slow (about a minute): it builds the wheel with setuptools and starts Python twice.
The fresh environment reuses the packages of ``.venv`` (numpy, Keras, ...) through a
``.pth`` line, so nothing is downloaded except, when ``.venv``'s setuptools is older than
the one pyproject.toml asks for, the build backend itself (pip's isolated build).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import course_lib
from course_lib import data

ROOT = Path(__file__).resolve().parent.parent

# Run inside the installed wheel, from a folder that holds no course_lib.
PROBE = r"""
import inspect, json, sys
from pathlib import Path
import course_lib as cl

report = {"file": cl.__file__, "sys_path_has_repo": any(
    Path(p).resolve() == Path(sys.argv[1]) for p in sys.path if p)}
report["verified"] = {n: str(cl.data.path(n)) for n in cl.data.shipped_names()}
called = {}
for name, function in sorted(vars(cl.data).items()):
    if not name.startswith("load_") or not callable(function):
        continue
    required = [p for p in inspect.signature(function).parameters.values()
                if p.default is p.empty and p.kind is p.POSITIONAL_OR_KEYWORD]
    if required:  # one call per choice, e.g. load_spatial_model(kind)
        choices = getattr(function, "choices", None)
        assert choices, f"{name} needs {required} and lists no choices"
        for choice in choices:
            called[f"{name}({choice!r})"] = type(function(choice)).__name__
    else:
        called[name] = type(function()).__name__
report["called"] = called
print(json.dumps(report))
"""


def _build_wheel(out: Path) -> Path:
    """Build the wheel from a copy of what the package needs (the working tree stays
    untouched: no build/ or egg-info written there)."""
    source = out / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "course_lib",
        source / "course_lib",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out)]
    try:
        import setuptools

        if int(setuptools.__version__.split(".")[0]) >= 77:
            command.append("--no-build-isolation")
    except ImportError:
        pass
    done = subprocess.run(
        [*command, str(source)], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = out.glob("course_lib-*.whl")
    return wheel


def test_the_wheel_installed_elsewhere_loads_every_registry_entry(tmp_path):
    wheel = _build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in data.shipped_names():
        assert f"course_lib/data/files/{data.REGISTRY[name].filename}" in names, name
    # A fresh environment outside the repository; .venv's packages appended after its own.
    env = tmp_path / "env"
    venv.EnvBuilder(with_pip=False).create(env)
    python = env / "bin" / "python"
    site_packages = Path(
        subprocess.check_output(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            text=True,
        ).strip()
    )
    (site_packages / "_course_venv.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n"
    )
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps"]
        + ["--no-index", "-q", str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run = subprocess.run(
        [python, "-c", PROBE, str(ROOT)],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=600,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "COURSE_OFFLINE": "1"}
        | {"COURSE_DATA_DIR": str(tmp_path / "cache"), "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    installed = Path(report["file"]).resolve()
    assert installed.is_relative_to(site_packages), installed
    assert not installed.is_relative_to(ROOT) and not report["sys_path_has_repo"]
    assert set(report["verified"]) == set(data.shipped_names())
    assert all(
        Path(p).is_relative_to(site_packages) for p in report["verified"].values()
    )
    loaders = {n for n in vars(data) if n.startswith("load_")}
    assert {call.split("(")[0] for call in report["called"]} == loaders
    assert (
        Path(course_lib.__file__).resolve().is_relative_to(ROOT)
    )  # this process: repo
