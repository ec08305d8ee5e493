from __future__ import annotations

from typing import TYPE_CHECKING

from promptship.output import console, emit_json
from promptship.pricing import PRICES_AS_OF
from promptship.project import Project
from promptship.prompt_stats import Row, prompt_rows
from promptship.sha import short
from promptship.tokens import REPLY_PRIMING, TOKENS_PER_MESSAGE

if TYPE_CHECKING:
    from rich.table import Table

NOTES = {
    "input": (
        "input tokens: the request as sent with variable defaults and required variables empty, "
        f"chat framing included ({TOKENS_PER_MESSAGE} per message + role, {REPLY_PRIMING} to prime the reply)"
    ),
    "estimate": "~ estimate: the provider's tokenizer is not public; counted with o200k_base",
    "cost": (
        f"cost/call: input plus max output tokens at public list prices as of {PRICES_AS_OF}; "
        "'-' where the price or max_tokens is unknown"
    ),
}


def run(name: str | None, as_json: bool) -> int:
    project = Project.find()
    names = [name] if name is not None else project.names()
    rows = [row for prompt in names for row in prompt_rows(project, prompt)]
    if as_json:
        emit_json(
            {
                "prices_as_of": PRICES_AS_OF,
                "notes": NOTES,
                "versions": [row.to_json() for row in rows],
            }
        )
        return 0
    if not rows:
        console().print(
            f"no prompts in {project.rel(project.prompts_path)}/ (create one with `promptship new NAME`)"
        )
        return 0
    _print(rows)
    return 0


def _print(rows: list[Row]) -> None:
    from rich.markup import escape

    out = console()
    estimated = False
    by_prompt: dict[str, list[Row]] = {}
    for row in rows:
        by_prompt.setdefault(row.name, []).append(row)
    for i, (name, versions) in enumerate(by_prompt.items()):
        sizes = [row.size for row in versions if row.size is not None]
        models = sorted({size.model for size in sizes})
        empty = sorted({v for size in sizes for v in size.empty_variables})
        estimated = estimated or any(not size.exact for size in sizes)
        if i:
            out.print()
        heading = f"[bold]{escape(name)}[/]"
        if len(models) == 1:
            heading += f"  {escape(models[0])}"
        if empty:
            heading += f"  [dim](required, counted as empty: {escape(', '.join(empty))})[/]"
        out.print(heading)
        out.print(_table(versions, with_model=len(models) > 1))
        for row in versions:
            if row.error is not None:
                out.print(f"[red]{escape(row.error)}[/]")
    out.print()
    out.print(f"[dim]{escape(NOTES['input'])}[/]")
    if estimated:
        out.print(f"[dim]{escape(NOTES['estimate'])}[/]")
    out.print(f"[dim]{escape(NOTES['cost'])}[/]")


def _table(rows: list[Row], *, with_model: bool) -> Table:
    from rich.table import Table

    columns = ["version", "sha", *(["model"] if with_model else [])]
    columns += ["input tokens", "growth", "max output", "cost/call"]
    table = Table(box=None, pad_edge=False, padding=(0, 2, 0, 0))
    for column in columns:
        right = column in ("input tokens", "growth", "max output", "cost/call")
        table.add_column(column, justify="right" if right else "left", no_wrap=True)
    for row in rows:
        size = row.size
        if size is None:
            table.add_row(row.version, "[red]invalid[/]")
            continue
        growth = ""
        if row.growth is not None:
            growth = f"{row.growth.tokens:+d}"
            if row.growth.percent is not None:
                growth += f" ({row.growth.percent:+.1f}%)"
        cells = [row.version, short(size.sha), *([size.model] if with_model else [])]
        cells += [
            ("" if size.exact else "~") + str(size.input_tokens),
            growth,
            "-" if size.max_output_tokens is None else str(size.max_output_tokens),
            "-" if size.max_cost_usd is None else f"${size.max_cost_usd:.6f}",
        ]
        table.add_row(*cells)
    return table
