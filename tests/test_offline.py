"""SPEC 10: offline commands never touch the network, and start without provider SDKs.

Each command runs in a fresh interpreter whose sockets refuse to connect or resolve names,
so any network use fails the command; the interpreter also reports which SDKs got imported.
"""

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CLI
from lock_helpers import TRIAGE, commit_lock, init_repo

WRAPPER = """
import socket, sys

def deny(*args, **kwargs):
    raise RuntimeError("network access attempted")

socket.socket.connect = deny
socket.socket.connect_ex = deny
socket.create_connection = deny
socket.getaddrinfo = deny

from promptship.cli import main

code = main(sys.argv[1:])
loaded = sorted(m for m in ("openai", "anthropic", "httpx") if m in sys.modules)
print("SDKS:" + ",".join(loaded), file=sys.stderr)
sys.exit(code)
"""

OFFLINE = [
    ["check"],
    ["check", "prompts/support_ticket_triage/v2.md"],
    ["list"],
    ["show", f"{TRIAGE}@production"],
    ["sha", f"{TRIAGE}@v2"],
    ["render", f"{TRIAGE}@production", "--var", "ticket_text=hello"],
    ["diff", TRIAGE, "v1", "v2"],
    ["stats", TRIAGE],
    ["status"],
    ["history", TRIAGE],
    ["live", "--env", "production", "--at", "2026-11-20T12:00Z"],
    ["which", "sha256:"],  # completed with a real prefix below
    ["lock", "--check"],
]


@pytest.fixture
def repo(examples: Path, cli: CLI) -> Path:
    init_repo(examples, when="2026-11-20T08:00:00Z")
    result = cli("promote", TRIAGE, "v1", "--env", "production", "--force", "--reason", "import")
    assert result.code == 0, result.err
    commit_lock(examples, "pin v1", when="2026-11-20T09:00:00Z")
    return examples


@pytest.mark.parametrize("args", OFFLINE, ids=[" ".join(a) for a in OFFLINE])
def test_offline_commands_need_no_network_and_no_sdk(repo: Path, cli: CLI, args: list[str]) -> None:
    if args[0] == "which":
        args = ["which", cli("sha", f"{TRIAGE}@v1").out.strip()[:19]]
    result = subprocess.run(
        [sys.executable, "-c", WRAPPER, *args], cwd=repo, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "network access attempted" not in result.stderr
    assert "SDKS:\n" in result.stderr or result.stderr.rstrip().endswith("SDKS:")
