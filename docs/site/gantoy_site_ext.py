"""A ``solution`` directive: its content folded in an HTML <details> element.

build.py wraps each markdown cell tagged ``solution`` in this directive (code
cells tagged ``solution`` get MyST-NB's ``hide-cell`` tag), so the solutions to
the exercises are folded on the site and open with a click, without JavaScript.
"""

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


def setup(app):
    app.add_node(details, html=(_visit, _depart), latex=(_skip, _skip), text=(_skip, _skip))
    app.add_directive("solution", Solution)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
