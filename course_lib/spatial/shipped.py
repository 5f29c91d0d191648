"""The shipped networks of lecture 16 (seed 0 of the comparison) and the three-seed
comparison, made by ``datasets/build_spatial_models.py``."""

from __future__ import annotations

from pathlib import Path

from course_lib.core import Choice, checked
from course_lib.data.registry import FILES_DIR

DATA_DIR = FILES_DIR
SHIPPED = {
    "fc": (
        "spatial_fc.weights.h5",
        "bee0e4864288b65ced255c5d893dfa490620cdf2895d223a27250798b7ff84dc",
    ),
    "st_fc": (
        "spatial_st_fc.weights.h5",
        "540cea186096e66f2f05aab48947ce2325bb6eacd302da4252afdd15ff8a953d",
    ),
    "cnn": (
        "spatial_cnn.weights.h5",
        "ec8bc879768b32724350943bb6e8d059b845c64e5a81885c8cd26e5ab585bb1c",
    ),
    "st_cnn": (
        "spatial_st_cnn.weights.h5",
        "f8636857809e68ac5fac627e3ffe07fcd7d501b229a5410c1a2996053aa91a6c",
    ),
    "fc_behind_st": (
        "spatial_fc_behind_st.weights.h5",
        "3c920a66c4d3767151cab014ef7fe817376978134502f57a6e89a42ed009b475",
    ),
}
"""Shipped models (seed 0 of the comparison): kind -> (file in ``datasets/``, sha256)."""
RESULTS = (
    "spatial_results.json",
    "b982147feffe76cd70d30509f287b6e82b259329b8492ba520f5855fedba660f",
)
"""The shipped comparison (3 seeds of every kind): (file in ``datasets/``, sha256)."""


@checked(kind=Choice(*SHIPPED))
def shipped_path(kind: str) -> Path:
    """Where the shipped weights of one of :data:`KINDS` live."""
    return DATA_DIR / SHIPPED[kind][0]


@checked(kind=Choice(*SHIPPED))
def pretrained(kind: str):
    """The shipped, trained network of one of :data:`KINDS` (seed 0 of the shipped
    comparison; sha256-checked), for prediction (not compiled:
    ``cl.spatial.compile_model(model)`` to train it further).

    Made by ``datasets/build_spatial_models.py``; see its docstring for the training.
    """
    from course_lib.data import sha256_of

    path = shipped_path(kind)
    rebuild = "rebuild it with: .venv/bin/python datasets/build_spatial_models.py"
    if not path.exists():
        raise FileNotFoundError(
            f"the shipped {kind} weights are missing: {path}; {rebuild}"
        )
    digest = sha256_of(path)
    if digest != SHIPPED[kind][1]:
        raise ValueError(
            f"{path.name} fails its sha256 check (got {digest[:12]}…, expected "
            f"{SHIPPED[kind][1][:12]}…): the file is corrupt or was changed; {rebuild}"
        )
    from course_lib.spatial.models import build

    model = build(kind, compile=False)
    model.load_weights(path)
    return model


@checked()
def load_results() -> dict:
    """The shipped comparison of the four :data:`KINDS` over three seeds (made by
    ``datasets/build_spatial_models.py``): ``settings``, ``machine``, ``summary``
    (``{kind: {"mean", "sd"}}`` of the test accuracy) and ``runs`` (``{kind: [one
    dict per seed: accuracy, accuracy_by_angle, history, theta (transformers)]}``)."""
    import json

    from course_lib.data import sha256_of

    path = DATA_DIR / RESULTS[0]
    rebuild = "rebuild it with: .venv/bin/python datasets/build_spatial_models.py"
    if not path.exists():
        raise FileNotFoundError(f"the shipped results are missing: {path}; {rebuild}")
    digest = sha256_of(path)
    if digest != RESULTS[1]:
        raise ValueError(
            f"{path.name} fails its sha256 check (got {digest[:12]}…, expected "
            f"{RESULTS[1][:12]}…): the file is corrupt or was changed; {rebuild}"
        )
    return json.loads(path.read_text())
