"""How fast are `promote`, `history` and `live --at` on a large lockfile and a long history?

1. `promptship promote` on a lockfile with 5,000 pins (1,667 prompts x dev/staging/production),
   as a subprocess, alternating two versions so every run writes.  target: median <= 300 ms
   Reported warm (the lockfile's parse cache and `check`'s SHA cache are current, as after any
   previous promotion and pre-commit run) and cold (no caches, as on a fresh clone).
2. `promptship history --json` and `promptship live --env production --at T` over a lockfile
   with 1,000 commits of history (60 pins, one promotion per commit), built with
   `git fast-import`.                                                 target: median <= 2 s
Next to the floors: `promptship --help`, and `promptship sha NAME` (a command that reads one
prompt file: what starting Python, typer and the CLI costs any command).

    .venv/bin/python benchmarks/lock_speed.py [--pins 5000] [--commits 1000] [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from promptship import lockformat
from promptship.lockformat import Pin
from promptship.prompt import parse_prompt

PROMPTSHIP = str(Path(sys.executable).parent / "promptship")
ENVS = ("dev", "staging", "production")
TARGETS = {"promote": 0.300, "history": 2.0, "live": 2.0}

VERSION = """\
---
model: openai/gpt-4o-mini
params: {{temperature: 0, max_tokens: 8}}
variables:
  ticket_text: {{required: true}}
  ticket_type: {{default: email}}
---
system:
You are support assistant {index}, revision {version}. Classify the ticket.
Ticket type: {{{{ ticket_type }}}}
user:
{{{{ ticket_text }}}}
"""


def version_text(index: int, version: int) -> str:
    return VERSION.format(index=index, version=version)


def sha_of(index: int, version: int) -> str:
    text = version_text(index, version).encode()
    return parse_prompt(text, path="x.md", name=f"p{index:05d}", version=version).sha


def write_prompts(root: Path, prompts: int, versions: int) -> dict[tuple[int, int], str]:
    shas = {}
    for index in range(prompts):
        folder = root / "prompts" / f"p{index:05d}"
        folder.mkdir(parents=True)
        changelog = [f"# p{index:05d}\n"]
        for version in range(versions, 0, -1):
            (folder / f"v{version}.md").write_text(version_text(index, version))
            changelog.append(f"\n## v{version} - 2026-11-20\nRevision {version}.\n")
            shas[index, version] = sha_of(index, version)
        (folder / "CHANGELOG.md").write_text("".join(changelog))
    # Older than a second, as any checked-out file is, so `check` may cache their SHAs.
    old = time.time() - 3600
    for path in (root / "prompts").rglob("*"):
        os.utime(path, (old, old))
    return shas


def pin(index: int, version: int, shas: dict[tuple[int, int], str], minute: int = 0) -> Pin:
    return Pin(
        version,
        shas[index, version],
        f"2026-11-20T{8 + minute // 60 % 12:02d}:{minute % 60:02d}:00Z",
        "Bench <bench@example.com>",
        replaced=None if version == 1 else version - 1,
        note=f"promotion {minute}",
    )


def timed(args: list[str], cwd: Path, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(args)} failed: {done.stderr.strip()}")
    return times


def bench_promote(base: Path, pins: int, runs: int) -> dict[str, list[float]]:
    root = base / "promote"
    prompts = -(-pins // len(ENVS))
    shas = write_prompts(root, prompts, 2)
    state = {env: {f"p{i:05d}": pin(i, 1, shas) for i in range(prompts)} for env in ENVS}
    (root / "prompts.lock").write_text(lockformat.render(state))
    args = [PROMPTSHIP, "promote", "p00000", "v2", "--env", "dev"]
    back = [PROMPTSHIP, "promote", "p00000", "v1", "--env", "dev"]
    result = {}
    cold = []
    for i in range(max(3, runs // 2)):
        shutil.rmtree(root / ".promptship", ignore_errors=True)
        cold += timed(args if i % 2 == 0 else back, root, 1)
    result["promote cold (no caches)"] = cold
    subprocess.run([PROMPTSHIP, "check"], cwd=root, capture_output=True)  # as pre-commit would
    warm = []
    for i in range(runs):
        warm += timed(args if i % 2 == 0 else back, root, 1)
    result["promote"] = warm
    # Any command pays for starting Python and typer: `sha` reads one prompt and nothing else.
    result["floor (promptship sha NAME)"] = timed([PROMPTSHIP, "sha", "p00000"], root, runs)
    count = sum(
        len(named) for named in lockformat.parse((root / "prompts.lock").read_text(), "x").values()
    )
    print(
        f"promote: lockfile with {count} pins, {len((root / 'prompts.lock').read_bytes()) / 1e6:.1f} MB"
    )
    return result


def bench_history(base: Path, commits: int, runs: int) -> dict[str, list[float]]:
    root = base / "history"
    prompts, versions = 20, 3
    shas = write_prompts(root, prompts, versions)
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    state: dict[str, dict[str, Pin]] = {env: {} for env in ENVS}
    start = 1_795_000_000  # 2026-11-18
    stream: list[bytes] = []
    files = sorted(p for p in (root / "prompts").rglob("*") if p.is_file())
    tree = []
    for path in files:
        data = path.read_bytes()
        tree.append(
            f"M 100644 inline {path.relative_to(root).as_posix()}\ndata {len(data)}\n".encode()
            + data
            + b"\n"
        )
    stream.append(_commit(1, start, "prompts", b"".join(tree), None))
    for n in range(commits):
        index, env = n % prompts, ENVS[(n // prompts) % len(ENVS)]
        version = (n // (prompts * len(ENVS))) % versions + 1
        state[env][f"p{index:05d}"] = pin(index, version, shas, minute=n)
        text = lockformat.render(state).encode()
        body = f"M 100644 inline prompts.lock\ndata {len(text)}\n".encode() + text + b"\n"
        stream.append(_commit(n + 2, start + 600 * (n + 1), f"promotion {n}", body, n + 1))
    subprocess.run(["git", "fast-import", "--quiet"], cwd=root, input=b"".join(stream), check=True)
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=root, check=True)
    middle = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start + 600 * commits // 2))
    lines = len((root / "prompts.lock").read_text().splitlines())
    print(
        f"history: {commits} commits of prompts.lock ({lines} lines, {sum(map(len, state.values()))} pins at HEAD)"
    )
    return {
        "history": timed([PROMPTSHIP, "history", "--json"], root, runs),
        "live": timed(
            [PROMPTSHIP, "live", "--env", "production", "--at", middle, "--json"], root, runs
        ),
    }


def _commit(mark: int, when: int, message: str, body: bytes, parent: int | None) -> bytes:
    head = (
        f"commit refs/heads/main\nmark :{mark}\n"
        f"committer Bench <bench@example.com> {when} +0000\n"
        f"data {len(message)}\n{message}\n"
    )
    if parent is not None:
        head += f"from :{parent}\n"
    return head.encode() + body + b"\n"


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{platform.system()} {platform.machine()}, {model}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, load average {load}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pins", type=int, default=5000)
    parser.add_argument("--commits", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=7)
    options = parser.parse_args()
    print(machine())
    failed = False
    with tempfile.TemporaryDirectory(prefix="promptship-lock-bench-") as temp:
        base = Path(temp)
        floor = timed([PROMPTSHIP, "--help"], base, options.runs)
        results = {"floor (promptship --help)": floor}
        results.update(bench_promote(base, options.pins, options.runs))
        results.update(bench_history(base, options.commits, options.runs))
    for label, times in results.items():
        median = statistics.median(times)
        target = TARGETS.get(label)
        verdict = ""
        if target is not None:
            verdict = (
                f"  target <= {target * 1000:.0f} ms: {'ok' if median <= target else 'MISSED'}"
            )
            failed |= median > target
        print(
            f"{label:28s} median {median * 1000:7.1f} ms  min {min(times) * 1000:7.1f} ms"
            f"  ({len(times)} runs){verdict}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
