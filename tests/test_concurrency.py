"""16 processes promote at once: no update is lost and the lockfile stays valid.

Each process is the real CLI (`promptship.cli.main`), started together behind a barrier
file so their read-modify-write cycles overlap. Writers of the same pin must form one chain:
each one's `replaced` is the version the previous writer pinned, which is only true if every
writer read the file after the previous write.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from lock_helpers import TRIAGE
from promptship import lockfile, lockformat
from promptship.project import Project

WORKER = """
import os, sys, time
from pathlib import Path
from promptship.cli import main
go = Path(sys.argv[1])
while not go.exists():
    time.sleep(0.001)
sys.exit(main(sys.argv[2:]))
"""


def test_sixteen_concurrent_promotions_lose_nothing(examples: Path) -> None:
    (examples / "promptship.toml").write_text(
        "[environments.dev]\n[environments.qa]\n[environments.staging]\nrequires_evidence = true\n"
    )
    template = (examples / "prompts" / TRIAGE / "v1.md").read_text()
    shared = examples / "prompts" / "shared"
    shared.mkdir()
    for n in range(1, 9):
        (shared / f"v{n}.md").write_text(template.replace("classifier", f"classifier {n}"))
    for k in range(1, 5):
        folder = examples / "prompts" / f"p{k}"
        folder.mkdir()
        (folder / "v1.md").write_text(template.replace("classifier", f"router {k}"))

    jobs = [("shared", f"v{n}", "dev") for n in range(1, 9)]
    jobs += [(f"p{k}", "v1", "dev") for k in range(1, 5)]
    jobs += [("shared", "v1", "qa"), ("shared", "v2", "qa")]
    jobs += [("p1", "v1", "staging"), ("p2", "v1", "staging")]
    assert len(jobs) == 16

    go = examples.parent / "go"
    env = {**os.environ, "PROMPTSHIP_ROOT": str(examples), "NO_COLOR": "1"}
    workers = []
    for name, version, where in jobs:
        args = ["promote", name, version, "--env", where, "--json"]
        if where == "staging":
            args += ["--force", "--reason", "concurrency test"]
        workers.append(
            subprocess.Popen(
                [sys.executable, "-c", WORKER, str(go), *args],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    time.sleep(1.0)  # let every worker import and reach the barrier
    go.write_text("go")
    outputs = []
    for worker, job in zip(workers, jobs, strict=True):
        out, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, (job, err)
        outputs.append(json.loads(out))

    project = Project(examples)
    text = project.lock_path.read_text()
    pins = lockformat.parse(text, "prompts.lock")  # whole and valid
    assert text == lockformat.render(pins)
    assert sorted(pins["dev"]) == ["p1", "p2", "p3", "p4", "shared"]
    assert sorted(pins["qa"]) == ["shared"] and sorted(pins["staging"]) == ["p1", "p2"]
    assert pins["staging"]["p1"].forced_reason == "concurrency test"
    for (env_name, name), count in ((("dev", "shared"), 8), (("qa", "shared"), 2)):
        writes = [o for o in outputs if o["env"] == env_name and o["name"] == name]
        assert len(writes) == count
        after = {(o["previous"] or {}).get("version"): o["pin"]["version"] for o in writes}
        assert len(after) == count, f"two writers of {env_name}/{name} read the same state"
        chain, current = [], None
        while current in after:
            current = after[current]
            chain.append(current)
        assert len(chain) == count
        assert pins[env_name][name].label == chain[-1]
    assert lockfile.check_problems(project, None) == []
    assert list(examples.glob(".prompts.lock.*.tmp")) == []
