"""Every widget of the course, one module per topic, imported on first use.

::

    import course_lib as cl
    cl.widgets.ConvolutionExplorer("camera")      # imports course_lib.widgets.conv

Each widget is a :class:`~course_lib.widgets.base.CourseWidget` (see ``base.py`` for the
contract); ``LivePlot`` is a Keras callback that shows a live training chart. The compute
behind each widget lives in the matching compute module (``cl.conv``, ``cl.images``, ...),
which never imports ipywidgets.
"""

from __future__ import annotations

import importlib

# widget name -> module of course_lib.widgets, in lecture order
WIDGETS: dict[str, str] = {
    "DigitBrowser": "images",  # 00
    "ImageInspector": "images",  # 01
    "NeuronExplorer": "neurons",  # 02
    "GradientDescentPlayground": "neurons",  # 02
    "ConvolutionExplorer": "conv",  # 04
    "PoolingExplorer": "conv",  # 05
    "ReceptiveFieldExplorer": "conv",  # 05
    "LivePlot": "training",  # 03, 06, 08
    "DigitSketchpad": "sketchpad",  # 06
    "FilterViewer": "inside",  # 07
    "ActivationViewer": "inside",  # 07
    "MnistDashboard": "sketchpad",  # 06-07
    "RemedyExplorer": "layers",  # 09
    "AugmentationExplorer": "augmentation",  # 10
    "FineTuneExplorer": "transfer",  # 11
    "GradCamViewer": "explain",  # 12
    "HistoryChart": "architectures",  # 13
    "ArchitectureExplorer": "architectures",  # 13
    "DetectionExplorer": "detection",  # 14
    "SegmentationViewer": "segmentation",  # 15
    "DistortionExplorer": "spatial",  # 16
    "TextGenerator": "rnn",  # 17
    "LatentExplorer": "autoencoders",  # 18
    "GanExplorer": "gans",  # 19
    "SampleGrid": "gan_samples",  # 19 (a Keras callback)
    "AttentionViewer": "attention",  # 20
}

__all__ = list(WIDGETS)


def __getattr__(name: str):
    if name in WIDGETS:
        module = importlib.import_module(f"course_lib.widgets.{WIDGETS[name]}")
        value = getattr(module, name)
        globals()[name] = value
        return value
    if name in {"base", "dashboard", *WIDGETS.values()}:
        return importlib.import_module(f"course_lib.widgets.{name}")
    raise AttributeError(f"module 'course_lib.widgets' has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *WIDGETS, "base", "dashboard"})
