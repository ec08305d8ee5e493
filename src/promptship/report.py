"""How a finished run is shown: a rich table for people, JUnit XML for CI, Markdown for a
pull-request comment. (`--json` prints the evidence record, `results.to_record`.)"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from promptship.sha import short

if TYPE_CHECKING:
    from rich.console import Console

    from promptship.results import RunResult
    from promptship.runner import CaseResult, Outcome

OUTPUT_WIDTH = 40
MARKDOWN_OUTPUT_WIDTH = 60
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_STYLE = {"pass": "green", "fail": "red", "error": "yellow"}


def title(result: RunResult) -> str:
    plan = result.plan
    text = f"{plan.candidate.version.ref} ({short(plan.candidate.version.sha)}) on {plan.candidate.model}"
    if plan.baseline is not None:
        where = f" = {plan.baseline.environment}" if plan.baseline.environment else ""
        text += f" vs baseline {plan.baseline.version.label}{where} ({short(plan.baseline.version.sha)})"
        if plan.baseline.model != plan.candidate.model:
            text += f" on {plan.baseline.model}"
    return text


def clip(text: str | None, width: int) -> str:
    """One line, at most `width` characters."""
    if text is None:
        return ""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def case_label(row: CaseResult, repeat: int) -> str:
    return f"{row.case_id} #{row.repeat_index + 1}" if repeat > 1 else row.case_id


def _why(outcome: Outcome) -> str:
    """The first failing assertion's reason, or the error."""
    if outcome.error:
        return outcome.error
    for item in outcome.assertions:
        if not item["passed"]:
            return f"{item['type']}: {item['reason']}"
    return ""


def _money(value: float | None) -> str:
    return "-" if value is None else f"${value:.4f}"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms"


def print_terminal(result: RunResult, out: Console) -> None:
    from rich.markup import escape
    from rich.table import Table

    plan = result.plan
    table = Table(title=escape(title(result)), title_justify="left", show_lines=False)
    table.add_column("case")
    table.add_column("candidate")
    if plan.baseline is not None:
        table.add_column("baseline")
    for column in ("latency", "tokens", "cost"):
        table.add_column(column, justify="right")

    def cell(outcome: Outcome) -> str:
        style = _STYLE[outcome.status]
        text = outcome.error if outcome.status == "error" else outcome.output
        return f"[{style}]{outcome.status}[/] {escape(clip(text, OUTPUT_WIDTH))}"

    for row in result.results:
        c = row.candidate
        cells = [escape(case_label(row, plan.repeat)), cell(c)]
        if plan.baseline is not None:
            cells.append(cell(row.baseline) if row.baseline else "")
        tokens = (
            f"{c.input_tokens or 0}+{c.output_tokens or 0}" if c.input_tokens is not None else "-"
        )
        cells += [_ms(c.latency_ms), tokens, _money(c.cost_usd)]
        table.add_row(*cells)
    out.print(table)
    failing = [r for r in result.results if r.candidate.status != "pass"]
    for row in failing[:20]:
        out.print(
            f"  [{_STYLE[row.candidate.status]}]{row.candidate.status}[/] "
            f"{escape(case_label(row, plan.repeat))}: {escape(clip(_why(row.candidate), 160))}"
        )
    if len(failing) > 20:
        out.print(f"  ... and {len(failing) - 20} more")
    for line in summary_lines(result):
        out.print(escape(line))
    verdict = "[green]PASSED[/]" if result.gate_passed else "[red]FAILED[/]"
    out.print(f"gate {verdict}")
    for check in result.gate:
        mark = "[green]ok[/]  " if check.passed else "[red]FAIL[/]"
        out.print(
            f"  {mark} {escape(check.rule)}: expected {check.expected!r}, got {check.actual!r}"
        )
    if not plan.complete:
        out.print("[dim]narrowed run (filter, shard or --failed): recorded as incomplete[/]")


def summary_lines(result: RunResult) -> list[str]:
    s = result.summary
    lines = [
        f"pass rate {s.pass_rate:.1%} ({s.passed}/{s.total} passed, {s.failed} failed, {s.errors} errors)"
    ]
    if s.baseline_pass_rate is not None:
        lines[0] += f"; baseline {s.baseline_pass_rate:.1%}"
    if result.plan.repeat > 1:
        rates = ", ".join(f"{k} {v:.0%}" for k, v in s.case_pass_rates.items() if v < 1)
        lines.append(
            f"per-case pass rate over {result.plan.repeat} repeats, below 100%: {rates or 'none'}"
        )
    if s.by_tag:
        lines.append("by tag: " + ", ".join(f"{t} {r:.0%}" for t, r in s.by_tag.items()))
    if result.plan.baseline is not None:
        lines.append(f"regressions: {', '.join(s.regressions) or 'none'}")
        lines.append(f"fixes: {', '.join(s.fixes) or 'none'}")
    lines.append(
        f"latency p50 {_ms(s.latency_p50_ms)}, p95 {_ms(s.latency_p95_ms)}; "
        f"tokens {s.input_tokens} in + {s.output_tokens} out; cost {_money(s.cost_usd)}"
    )
    lines.append(f"run {result.run_id}")
    return lines


def junit_xml(result: RunResult) -> bytes:
    """One testcase per case and repeat; a `fail` is a <failure>, an `error` an <error>."""
    plan = result.plan
    s = result.summary
    suite = ET.Element(
        "testsuite",
        name=f"promptship eval {plan.candidate.version.ref}",
        tests=str(s.total),
        failures=str(s.failed),
        errors=str(s.errors),
        skipped="0",
        time=f"{sum((r.candidate.latency_ms or 0) for r in result.results) / 1000:.3f}",
        timestamp=result.started_at,
    )
    props = ET.SubElement(suite, "properties")
    for name, value in (
        ("prompt_sha256", plan.candidate.version.sha),
        ("golden_set_sha256", plan.golden.sha),
        ("model", plan.candidate.model),
        ("run_id", result.run_id),
        ("gate_passed", str(result.gate_passed).lower()),
    ):
        ET.SubElement(props, "property", name=name, value=value)
    for row in result.results:
        c = row.candidate
        case = ET.SubElement(
            suite,
            "testcase",
            classname=plan.candidate.version.ref,
            name=case_label(row, plan.repeat),
            time=f"{(c.latency_ms or 0) / 1000:.3f}",
        )
        if c.status == "fail":
            failure = ET.SubElement(case, "failure", message=_xml(_why(c)), type="assertion")
            failure.text = _xml(_details(row))
        elif c.status == "error":
            error = ET.SubElement(case, "error", message=_xml(c.error or ""), type="provider")
            error.text = _xml(_details(row))
        ET.SubElement(case, "system-out").text = _xml(c.output or "")
    testsuites = ET.Element(
        "testsuites",
        name="promptship",
        tests=str(s.total),
        failures=str(s.failed),
        errors=str(s.errors),
    )
    testsuites.append(suite)
    ET.indent(testsuites)
    return bytes(ET.tostring(testsuites, encoding="utf-8", xml_declaration=True)) + b"\n"


def _xml(text: str) -> str:
    """Drop the characters XML 1.0 cannot hold (model output may contain any)."""
    return _XML_INVALID.sub("\ufffd", text)


def _details(row: CaseResult) -> str:
    lines = [f"output: {row.candidate.output!r}"]
    lines += [
        f"{'pass' if a['passed'] else 'FAIL'} {a['type']}: {a['reason']}"
        for a in row.candidate.assertions
    ]
    if row.baseline is not None:
        lines.append(f"baseline: {row.baseline.status} {row.baseline.output!r}")
    return "\n".join(lines)


def markdown(result: RunResult) -> str:
    """A report fit for a pull-request comment or $GITHUB_STEP_SUMMARY."""
    plan = result.plan
    verdict = "✅ gate passed" if result.gate_passed else "❌ gate failed"
    out = [f"### promptship eval: `{plan.candidate.version.ref}` - {verdict}", ""]
    out.append(_md(title(result)))
    out.append("")
    header = ["case", "candidate"]
    if plan.baseline is not None:
        header.append(f"baseline ({plan.baseline.version.label})")
    header += ["latency", "tokens", "cost"]
    out.append("| " + " | ".join(header) + " |")
    out.append("|" + "---|" * len(header))
    marks = {"pass": "✅ pass", "fail": "❌ fail", "error": "⚠️ error"}
    for row in result.results:
        c = row.candidate
        text = c.error if c.status == "error" else c.output
        cells = [
            f"`{_md(case_label(row, plan.repeat))}`",
            f"{marks[c.status]} {_md(clip(text, MARKDOWN_OUTPUT_WIDTH))}",
        ]
        if plan.baseline is not None:
            b = row.baseline
            btext = (b.error if b.status == "error" else b.output) if b else None
            cells.append(
                f"{marks[b.status]} {_md(clip(btext, MARKDOWN_OUTPUT_WIDTH))}" if b else ""
            )
        tokens = f"{c.input_tokens}+{c.output_tokens}" if c.input_tokens is not None else "-"
        cells += [_ms(c.latency_ms), tokens, _money(c.cost_usd)]
        out.append("| " + " | ".join(cells) + " |")
    out.append("")
    out += [f"- {_md(line)}" for line in summary_lines(result)]
    out += ["", "| gate rule | expected | actual | |", "|---|---|---|---|"]
    for check in result.gate:
        out.append(
            f"| {_md(check.rule)} | {_md(str(check.expected))} | {_md(str(check.actual))} | "
            f"{'✅' if check.passed else '❌'} |"
        )
    if not plan.complete:
        out += ["", "_Narrowed run (filter, shard or --failed): not evidence for a promotion._"]
    return "\n".join(out) + "\n"


def _md(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")
