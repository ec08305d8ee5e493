"""The `llama_server` session fixture: one real llama.cpp server for the whole test run.

It serves the bundled Gemma 3 270M on a free loopback port. Use `.base_url`
(`http://127.0.0.1:PORT`, add `/v1` for the openai SDK) and `.port`; call
`llama_server.register(project_root)` to make the `local` provider of that project reuse it
instead of starting its own.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from promptship.providers.llama_server import LocalServer, start_server


@pytest.fixture(scope="session")
def llama_server() -> Iterator[LocalServer]:
    # Small context, one thread, short default answers: the test machine is small and shared.
    server = start_server(ctx_size=2048, threads=1, parallel=4, n_predict=64)
    try:
        yield server
    finally:
        server.stop()
