"""Two additions to Sphinx for the site.

A ``solution`` directive: its content folded in an HTML <details> element.
build.py wraps each markdown cell tagged ``solution`` in this directive (code
cells tagged ``solution`` get MyST-NB's ``hide-cell`` tag), so the solutions to
the exercises are folded on the site and open with a click, without JavaScript.

A read order for the API pages (:func:`_home_pages_first`).
"""

import importlib
import inspect

from docutils import nodes
from docutils.parsers.rst import Directive, directives


class details(nodes.General, nodes.Element):
    pass


def _visit(self, node):
    summary = self.encode(node["summary"])
    self.body.append(f'<details class="gantoy-solution"><summary>{summary}</summary>\n')


def _depart(self, node):
    self.body.append("</details>\n")


def _skip(self, node):
    pass


class Solution(Directive):
    has_content = True
    optional_arguments = 1
    final_argument_whitespace = True
    option_spec = {"summary": directives.unchanged}

    def run(self):
        node = details(summary=" ".join(self.arguments) or "Solution (click to show)")
        self.state.nested_parse(self.content, self.content_offset, node)
        return [node]


def _reexports_a_class(docname: str) -> bool:
    """Whether the API page ``docname`` documents a module whose ``__all__`` lists a class defined elsewhere."""
    if not docname.startswith("generated/"):
        return False
    name = docname.split("/", 1)[1]
    try:
        module = importlib.import_module(name)
    except ImportError:
        return False
    return any(
        inspect.isclass(obj) and obj.__module__ != name
        for obj in (getattr(module, n, None) for n in getattr(module, "__all__", ()))
    )


def _home_pages_first(app, env, docnames):
    """Read the API pages of modules that re-export a class after all the others.

    Autodoc records a class shown on a page other than its module's own
    (``gantoy.GANConfig``, ``gantoy.gan.engine.GANConfig``) under its home name
    (``gantoy.gan.model.GANConfig``) as well, as an alias. Sphinx drops an alias
    read after the class's own entry, and the own entry replaces one alias read
    before it, but a second alias read before it is reported as a duplicate
    description. The order assumes that a class's home module has an API page
    and re-exports no class itself (true of every module today; the site test's
    strict build would show a break). The sort is stable: the order within each
    group is kept.
    """
    docnames.sort(key=_reexports_a_class)


def setup(app):
    app.connect("env-before-read-docs", _home_pages_first)
    app.add_node(details, html=(_visit, _depart), latex=(_skip, _skip), text=(_skip, _skip))
    app.add_directive("solution", Solution)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
