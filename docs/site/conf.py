"""Sphinx configuration of the gantoy site (``make site``; sources staged by build.py).

The pages are the committed, executed notebooks rendered by MyST-NB with
execution off, plus an index (claims ledger, run times, gallery), the claims
page and an API reference generated from the docstrings. Everything the pages
load is inside ``build/site``: MathJax 3 (SVG output, one self-contained file)
is copied from the ``django-static-mathjax`` package, so the site opens from
the file system with no server and no network.
"""

import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

project = "gantoy"
author = "gantoy contributors"
copyright = "gantoy contributors, MIT licence"

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "gantoy_site_ext",
]

# The notebooks are rendered as committed: never executed here.
nb_execution_mode = "off"
nb_merge_streams = True
nb_ipywidgets_js = {}  # no widget JavaScript from a CDN: the site opens offline (build.py notes each slider)
# The ledger's own mime type is for `make demo`; the page shows its HTML table.
nb_mime_priority_overrides = [("html", "application/vnd.gantoy.notebook.ledger+json", None)]
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3
suppress_warnings = ["myst.header", "mystnb.unknown_mime_type", "misc.highlighting_failure"]

exclude_patterns = ["_build", "**.ipynb_checkpoints"]
# .rst first: autosummary writes its generated pages with the first suffix.
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}

# MathJax 3, bundled (build.py copies tex-svg-full.js into _static/mathjax/):
# SVG output needs no web fonts, and the "full" component loads no extension
# files at run time.
mathjax_path = "mathjax/tex-svg-full.js"
# $...$ too: the navigation and the previous/next links show a notebook's title
# as text, and some titles hold math.
mathjax3_config = {
    "tex": {"inlineMath": [["\\(", "\\)"], ["$", "$"]], "displayMath": [["\\[", "\\]"]]},
}

autosummary_generate = True
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": False}
autodoc_typehints = "description"
napoleon_google_docstring = True
napoleon_numpy_docstring = True
napoleon_use_ivar = True  # an Attributes section as fields, not a second description of each NamedTuple field

html_theme = "alabaster"
html_title = "gantoy: why the original GAN is hard to train"
html_theme_options = {"page_width": "1200px", "sidebar_width": "260px", "show_relbars": True}
html_sidebars = {"**": ["about.html", "navigation.html", "relations.html", "searchbox.html"]}
html_static_path = ["_static"]
html_css_files = ["gantoy.css"]
html_copy_source = False
# Search results without page summaries: the summary is fetched with fetch(),
# which a page opened from the file system may not do.
html_show_search_summary = False
html_show_sourcelink = False


def _mathjax_file() -> Path:
    import mathjax  # the django-static-mathjax package: MathJax 3 as static files

    return Path(mathjax.__file__).parent / "static" / "mathjax" / "es5" / "tex-svg-full.js"


def _copy_mathjax(app, exception):
    if exception is None and app.builder.format == "html":
        target = Path(app.outdir) / "_static" / "mathjax"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_mathjax_file(), target / "tex-svg-full.js")


def setup(app):
    if not _mathjax_file().exists():
        raise FileNotFoundError(f"MathJax 3 not found at {_mathjax_file()}: pip install -e '.[docs]'")
    app.connect("build-finished", _copy_mathjax)
    # MathJax on every page: the navigation shows titles that hold math.
    app.set_html_assets_policy("always")
