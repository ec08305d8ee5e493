import jinja2.meta
import pytest

from promptship.template import environment, free_names

TEMPLATES = [
    "plain text, no variables",
    "{{ a }} and {{ b }}",
    "{{ a.b[c] | default(d) }} {{ e ~ f }}",
    '{% if tier == "enterprise" %}{{ x }}{% elif y %}{{ z }}{% else %}none{% endif %}',
    "{{ loop }}",
    "{{ self }}",
    "{{ range(n) | list }} {{ lipsum }} {{ cycler(a) }} {{ dict(k=v) }}",
    "{# a comment {{ hidden }} #}{{ shown }}",
    "{% raw %}{{ not_a_var }}{% endraw %}{{ var }}",
    "{% for t in tickets %}{{ t }} {{ loop.index }} {{ other }}{% endfor %}",
    "{% for t in tickets %}{% set y = t %}{% endfor %}{{ y }}",
    "{{ x }}{% set x = 1 %}{{ x }}",
    "{% set x = 1 %}{{ x }} {{ w }}",
    "{% set block %}{{ inner }}{% endset %}{{ block }}",
    "{% macro m(a) %}{{ a }} {{ b }} {{ varargs }}{% endmacro %}{{ m(c) }}",
    "{% call m() %}{{ caller }}{% endcall %}",
    "{% with q = r %}{{ q }} {{ s }}{% endwith %}",
    "{% filter upper %}{{ u }}{% endfilter %}",
    "{{ a if b else c }} {{ [d, e] }} {{ {'k': f} }}",
]


@pytest.mark.parametrize("source", TEMPLATES)
def test_free_names_match_jinjas_own_analysis(source: str) -> None:
    ast = environment().parse(source)
    assert free_names(ast) == jinja2.meta.find_undeclared_variables(ast)
