"""Sandboxed Jinja2 templates: one environment, undefined variables are errors.

Variable values are passed as data to an already compiled template, so a value is never
itself rendered as a template, and messages are split by role before rendering, so a value
can never introduce a role.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2
import jinja2.meta
from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from promptship.errors import PromptshipError, where


@cache
def environment() -> ImmutableSandboxedEnvironment:
    return ImmutableSandboxedEnvironment(
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
    )


def variables_used(source: str, *, path: str, first_line: int) -> set[str]:
    """Names a template reads from its context; raises on a syntax error."""
    try:
        ast = environment().parse(source)
    except jinja2.TemplateSyntaxError as exc:
        raise _syntax_error(exc, path, first_line) from None
    return free_names(ast)


# Nodes that bind names or open scopes; where none occurs, every loaded name is read from
# the context and a plain walk of the tree gives exactly what Jinja's own analysis does.
_SCOPING = (
    nodes.For, nodes.Macro, nodes.CallBlock, nodes.Block, nodes.Extends, nodes.Include,
    nodes.Import, nodes.FromImport, nodes.With, nodes.Scope, nodes.OverlayScope,
    nodes.FilterBlock, nodes.AssignBlock, nodes.Assign,
)  # fmt: skip


def free_names(ast: nodes.Template) -> set[str]:
    """The names a parsed template reads from its context (`meta.find_undeclared_variables`).

    Jinja's analysis runs its code generator, about 15x the cost of parsing small templates;
    most prompts only read variables and use `if`, so those take a plain walk instead.
    """
    loaded: set[str] = set()
    for node in ast.find_all((nodes.Name, *_SCOPING)):
        if not isinstance(node, nodes.Name) or node.ctx != "load" or node.name == "self":
            return set(jinja2.meta.find_undeclared_variables(ast))
        loaded.add(node.name)
    return loaded - environment().globals.keys()


def compile_template(source: str, *, path: str, first_line: int) -> jinja2.Template:
    try:
        return environment().from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise _syntax_error(exc, path, first_line) from None


def render(template: jinja2.Template, values: dict[str, Any], *, path: str, line: int) -> str:
    try:
        return template.render(values)
    except jinja2.UndefinedError as exc:
        raise PromptshipError(
            f"template error: {exc.message}",
            where=where(path, line),
            fix="declare the variable and pass a value for it",
        ) from None
    except jinja2.exceptions.SecurityError as exc:
        raise PromptshipError(
            f"template blocked by the sandbox: {exc}",
            where=where(path, line),
            fix="templates may only read variables, not call into Python",
        ) from None
    except jinja2.TemplateError as exc:
        raise PromptshipError(
            f"template error: {exc}", where=where(path, line), fix="fix the template"
        ) from None


def _syntax_error(exc: jinja2.TemplateSyntaxError, path: str, first_line: int) -> PromptshipError:
    return PromptshipError(
        f"template syntax error: {exc.message}",
        where=where(path, first_line + (exc.lineno or 1) - 1),
        fix="fix the Jinja2 syntax ({{ var }}, {% if %}...{% endif %})",
    )
