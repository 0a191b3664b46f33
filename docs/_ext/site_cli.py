"""The CLI reference, generated from the command's own argparse parser.

``.. argparse-reference:: bptt_cli.main:build_parser`` writes one section per
subcommand with what ``bptt <command> --help`` prints: the description, the usage, each
option with its help, and the examples, as text (argparse's text is not markup: ``--heat``
stays two hyphens and each example stays on its own line).
"""

import argparse
import importlib

from docutils import nodes
from sphinx.util.docutils import SphinxDirective


def load_parser(spec):
    """``"package.module:function"`` -> the parser that function builds."""
    module, _, function = spec.partition(":")
    return getattr(importlib.import_module(module), function)()


def paragraphs(text):
    """argparse's description (kept raw) as paragraphs: blank lines separate them."""
    blocks = [" ".join(block.split()) for block in (text or "").split("\n\n")]
    return [nodes.paragraph(block, block) for block in blocks if block]


def options(parser):
    """Each option but --help, as argparse's help lists it: a definition list."""
    formatter = parser._get_formatter()
    items = nodes.definition_list()
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        invocation = formatter._format_action_invocation(action)
        term = nodes.term("", "", nodes.literal(invocation, invocation))
        help_text = " ".join((action.help or "").split())
        items += nodes.definition_list_item("", term,
                                            nodes.definition("", nodes.paragraph(help_text,
                                                                                 help_text)))
    return [nodes.rubric("", "options"), items] if len(items) else []


def literal(text):
    block = nodes.literal_block(text, text)
    block["language"] = "text"
    return block


class ArgparseReference(SphinxDirective):
    required_arguments = 1

    def run(self):
        parser = load_parser(self.arguments[0])
        found = [*paragraphs(parser.description), literal(parser.format_usage().strip())]
        commands = next((action for action in parser._actions
                         if isinstance(action, argparse._SubParsersAction)), None)
        for name, sub in (commands.choices.items() if commands else []):
            section = nodes.section(ids=[nodes.make_id(f"{parser.prog} {name}")])
            section += nodes.title("", "", nodes.literal(sub.prog, sub.prog))
            section += paragraphs(sub.description)
            section += literal(sub.format_usage().strip())
            section += options(sub)
            if sub.epilog:
                section += literal(sub.epilog.strip("\n"))
            found.append(section)
        return found


def setup(app):
    app.add_directive("argparse-reference", ArgparseReference)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
