"""How fast is `promptship check` on a large repository?

Generates (in a temp dir) 2,000 prompts x 5 versions with CHANGELOGs and golden sets, then
times, as subprocesses like pre-commit runs them:
  - `promptship check <one changed file>`   target: median <= 150 ms
  - `promptship check` (the whole repo)      target: median <= 3 s
next to the floor `python -c "import yaml, jinja2"`. The whole-repo runs after the first reuse
`.promptship/check-cache.json`; the first run (a fresh clone, as in CI) is reported apart.

    .venv/bin/python benchmarks/check_speed.py [--prompts 2000] [--versions 5] [--runs 7]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
TARGETS = {"one changed file": 0.150, "whole repo": 3.0}

VERSION = """\
---
model: openai/gpt-4o-mini
params: {{temperature: 0, max_tokens: {tokens}}}
variables:
  ticket_text: {{required: true, description: The customer's message}}
  ticket_type: {{default: email}}
  customer_tier: {{default: free}}
output: {{format: text}}
description: Prompt {index}, version {version}
tags: [bench]
---
system:
You are support assistant number {index}. Classify the ticket into one category.

Categories:
- billing: charges, refunds, invoices, receipts, plan prices, disputed payments.
- technical: defects and errors in our product or APIs ({version} revisions so far).
- account: login, SSO, passwords, two-factor authentication, users and roles.
- other: anything else.

{{% if customer_tier == "enterprise" %}}Escalate anything urgent.{{% endif %}}
Answer with the category name only, in lowercase.
Ticket type: {{{{ ticket_type }}}}
Customer tier: {{{{ customer_tier }}}}
user:
{{{{ ticket_text }}}}
"""


GOLDEN_SET = """\
prompt: {name}
defaults: {{vars: {{ticket_type: email, customer_tier: pro}}}}
cases:
  - id: billing-refund
    vars: {{ticket_text: "I need a refund for my last payment"}}
    expect: billing
  - id: api-500
    vars: {{ticket_text: "The payments endpoint returns 500"}}
    expect: technical
"""


def generate(root: Path, prompts: int, versions: int) -> Path:
    """A project with `prompts` prompts of `versions` versions each, a CHANGELOG and a golden
    set per prompt; returns the newest version file of the middle prompt."""
    (root / "evals").mkdir()
    for index in range(prompts):
        folder = root / "prompts" / f"prompt_{index:05d}"
        folder.mkdir(parents=True)
        log = [f"# prompt_{index:05d}", ""]
        for version in range(versions, 0, -1):
            text = VERSION.format(index=index, version=version, tokens=8 + version)
            (folder / f"v{version}.md").write_text(text, "utf-8")
            log += [f"## v{version} - 2026-01-{version:02d}", f"Change {version}.", ""]
        (folder / "CHANGELOG.md").write_text("\n".join(log), "utf-8")
        golden = GOLDEN_SET.format(name=f"prompt_{index:05d}")
        (root / "evals" / f"prompt_{index:05d}.yaml").write_text(golden, "utf-8")
    return root / "prompts" / f"prompt_{prompts // 2:05d}" / f"v{versions}.md"


def measure(command: list[str], cwd: Path, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if result.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr}")
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=2000)
    parser.add_argument("--versions", type=int, default=5)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        changed = generate(root, args.prompts, args.versions)
        print(f"repo: {args.prompts} prompts x {args.versions} versions, {args.runs} runs each")
        promptship = str(BIN / "promptship")
        cases = {
            "floor (import yaml, jinja2)": [sys.executable, "-c", "import yaml, jinja2"],
            "one changed file": [promptship, "check", str(changed.relative_to(root))],
            "whole repo": [promptship, "check"],
        }
        ok = True
        cold = []
        for _ in range(min(args.runs, 3)):  # what CI pays on a fresh checkout
            shutil.rmtree(root / ".promptship", ignore_errors=True)
            cold += measure(cases["whole repo"], root, 1)
        print(
            f"{'whole repo, no check cache':30} median {statistics.median(cold) * 1000:8.1f} ms"
            f"   min {min(cold) * 1000:8.1f} ms   (first run after a fresh clone)"
        )
        for label, command in cases.items():
            subprocess.run(command, cwd=root, capture_output=True)  # warm the file cache
            times = measure(command, root, args.runs)
            median, best = statistics.median(times), min(times)
            line = f"{label:30} median {median * 1000:8.1f} ms   min {best * 1000:8.1f} ms"
            if label in TARGETS:
                met = median <= TARGETS[label]
                ok = ok and met
                line += f"   target <= {TARGETS[label] * 1000:.0f} ms: {'ok' if met else 'MISSED'}"
            print(line)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
