"""Sphinx configuration of the course website (`make site`).

Sphinx with MyST-NB and the book theme: MyST-NB reads the notebooks as `make test-full`
executed them (no second execution), the theme gives a book layout with launch links, and
Sphinx's own search index works offline. ``site/build.py`` writes the pages into
``build/site-src`` and runs ``sphinx-build -W`` (warnings fail the build) with this folder
as the configuration directory.
"""

import os

import jupyter_server_mathjax

import course_lib

project = "Convolutional networks, interactively"
author = "The convnets-course authors"
copyright = "2026, The convnets-course authors (MIT)"
release = version = course_lib.__version__

extensions = ["myst_nb", "sphinx.ext.autodoc", "sphinx.ext.napoleon"]

# The notebooks were executed in full mode by `make test-full`; never run them again here.
nb_execution_mode = "off"
# A widget is shown by the still picture saved with it (the widget view needs a kernel).
nb_mime_priority_overrides = [
    ("html", "application/vnd.jupyter.widget-view+json", None),
    ("html", "application/vnd.jupyter.widget-state+json", None),
]
myst_enable_extensions = ["dollarmath", "amsmath"]
# Formulas without a network: MathJax 2 as the Jupyter project packages it
# (jupyter-server-mathjax), copied into _static, instead of Sphinx's default CDN.
html_static_path = [
    os.path.join(os.path.dirname(jupyter_server_mathjax.__file__), "static")
]
mathjax_path = "MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"
# What MyST-NB writes (\( \) and \[ \] inside elements of class "math"), typeset;
# the package ships the STIX web fonts only: use them, and no image fonts. MathJax 2's
# blank test font points at 'about:blank', which Chromium refuses with a console error:
# a local() source does the same job without a request.
mathjax2_config = {
    "tex2jax": {
        "inlineMath": [["\\(", "\\)"]],
        "displayMath": [["\\[", "\\]"]],
        "processRefs": False,
        "processEnvironments": False,
        "ignoreClass": "tex2jax_ignore|mathjax_ignore|document",
        "processClass": "tex2jax_process|mathjax_process|math|output_area",
    },
    "HTML-CSS": {
        "availableFonts": [],
        "preferredFont": None,
        "webFont": "STIX-Web",
        "imageFont": None,
        "styles": {
            "@font-face": {
                "font-family": "MathJax_Blank",
                "src": "local('MathJax_Blank')",
            }
        },
    },
}
myst_heading_anchors = 3
suppress_warnings = [
    # Lecture notebooks start at "#", their sections at "##" and some take a "####" note
    # directly under a "##": the book reads fine, and the notebooks are not reshaped for it.
    "myst.header",
    # A field name such as ``digits`` is documented on two result types (the strips of
    # lecture 20 and the scenes of lecture 15); the reference page links to either.
    "ref.python",
]

# The API reference: numpy-style docstrings, members in source order, no private names.
napoleon_numpy_docstring = True
napoleon_google_docstring = False
napoleon_use_ivar = True  # a result type's fields once, in its own docstring
autodoc_inherit_docstrings = False  # Keras' callback docstrings are not ours
autodoc_member_order = "bysource"
autodoc_typehints = "none"
autodoc_default_options = {"members": True, "undoc-members": False}

html_theme = "sphinx_book_theme"
html_title = project
html_favicon = "favicon.png"
html_theme_options = {
    "repository_url": "https://github.com/convnets-course/convnets-course",
    "use_repository_button": True,
    "show_toc_level": 2,
}
html_last_updated_fmt = ""
html_context = {"default_mode": "light"}  # pages open light (no console warning)
exclude_patterns = ["_build"]
