"""The bundled llama.cpp server: start, health, registration for reuse, stop."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from promptship.providers.llama_server import (
    STATE_FILE,
    LocalServer,
    healthy,
    registered_server,
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
    assert json.loads(path.read_text())["url"] == llama_server.base_url
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
