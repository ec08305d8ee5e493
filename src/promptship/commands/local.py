"""`promptship local serve`: keep the bundled llama.cpp server running in the foreground.

Its URL goes to `.promptship/local-server.json`, so every run with the `local` provider in
this project reuses it instead of starting (and loading the model into) its own. Ctrl-C or
SIGTERM stops it and removes the file.
"""

from __future__ import annotations

import signal
import sys
import time
from types import FrameType

from promptship.errors import PromptshipError
from promptship.project import Project
from promptship.providers.llama_server import (
    MODEL_ALIAS,
    registered_server,
    start_server,
    unregister,
)


def serve(port: int, threads: int | None) -> int:
    project = Project.find()
    running = registered_server(project.root)
    if running is not None:
        raise PromptshipError(
            f"a local server is already running for this project at {running.base_url}",
            fix="runs reuse it; stop it with Ctrl-C in its terminal to start another",
        )
    previous = signal.signal(signal.SIGTERM, _interrupt)
    server = None
    try:
        server = start_server(port=port, threads=threads)
        state = server.register(project.root)
        print(
            f"llama.cpp server for local/{MODEL_ALIAS} at {server.base_url} "
            f"(OpenAI-compatible: {server.base_url}/v1)\n"
            f"recorded in {project.rel(state)}; Ctrl-C stops it",
            flush=True,
        )
        assert server.process is not None
        while (code := server.process.poll()) is None:
            time.sleep(0.5)
        raise PromptshipError(
            f"llama-server exited with code {code}:\n{server.log_tail()}",
            fix=f"see the full log in {server.log_path}",
        )
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        if server is not None:
            unregister(project.root, server)
            server.stop()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
