"""A fault-injecting HTTP proxy for retry tests, loopback only.

Each incoming request takes the next fault from a scripted plan; when the plan is used up,
requests are forwarded to the real upstream server. The proxy counts every request, so a
test can prove how many attempts a retry policy made.

    with FaultProxy(llama_server.base_url, [status(429, {"Retry-After": "1"}), ok()]) as proxy:
        ...  # point a provider at proxy.url
        assert proxy.count == 2

Faults: `ok()` forwards; `status(code, headers, body)` answers without forwarding (`{key}` in
the body is replaced by the bearer token or x-api-key the client sent, to test redaction);
`stall(seconds)` holds the request that long, then closes without answering; `drop()` closes
the connection after reading the request; `cut()` forwards, then sends the upstream's status
and headers and half its body before closing.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

MAX_STALL_S = 30.0  # bound: a stalled handler thread never outlives a test for long
HOP_HEADERS = frozenset(("connection", "keep-alive", "transfer-encoding", "host", "content-length"))


@dataclass(frozen=True)
class Fault:
    kind: str  # ok | status | stall | drop | cut
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    seconds: float = 0.0


def ok() -> Fault:
    return Fault("ok")


def status(code: int, headers: dict[str, str] | None = None, body: str | None = None) -> Fault:
    text = body if body is not None else f'{{"error": {{"message": "injected HTTP {code}"}}}}'
    return Fault("status", status=code, headers=headers or {}, body=text)


def stall(seconds: float) -> Fault:
    return Fault("stall", seconds=min(seconds, MAX_STALL_S))


def drop() -> Fault:
    return Fault("drop")


def cut() -> Fault:
    return Fault("cut")


class FaultProxy:
    def __init__(self, upstream: str, plan: Iterable[Fault] = ()) -> None:
        parts = urlsplit(upstream)
        assert parts.hostname in ("127.0.0.1", "localhost"), "loopback upstreams only"
        self.upstream = (parts.hostname, parts.port or 80)
        self.plan = list(plan)
        self.count = 0
        self.seen: list[tuple[str, str]] = []  # (fault kind, path) per request
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def next_fault(self, path: str) -> Fault:
        with self._lock:
            self.count += 1
            fault = self.plan.pop(0) if self.plan else ok()
            self.seen.append((fault.kind, path))
            return fault

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep test output clean

        def do_GET(self) -> None:
            self._handle()

        def do_POST(self) -> None:
            self._handle()

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            fault = proxy.next_fault(self.path)
            if fault.kind == "status":
                self._answer(
                    fault.status, fault.headers, fault.body.replace("{key}", self._key()).encode()
                )
            elif fault.kind == "stall":
                time.sleep(fault.seconds)
                self._hang_up()
            elif fault.kind == "drop":
                self._hang_up()
            else:
                code, headers, payload = self._forward(body)
                if fault.kind == "cut":
                    self._answer(code, headers, payload, send=len(payload) // 2)
                    self._hang_up()
                else:
                    self._answer(code, headers, payload)

        def _key(self) -> str:
            auth = self.headers.get("Authorization", "")
            return auth.removeprefix("Bearer ") or self.headers.get("x-api-key", "")

        def _forward(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
            connection = http.client.HTTPConnection(*proxy.upstream, timeout=120)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
                connection.request(self.command, self.path, body=body, headers=headers)
                answer = connection.getresponse()
                payload = answer.read()
                kept = {k: v for k, v in answer.getheaders() if k.lower() not in HOP_HEADERS}
                return answer.status, kept, payload
            finally:
                connection.close()

        def _answer(
            self, code: int, headers: dict[str, str], payload: bytes, send: int | None = None
        ) -> None:
            self.send_response(code)
            headers = {"Content-Type": "application/json", **headers}
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload if send is None else payload[:send])
            self.wfile.flush()

        def _hang_up(self) -> None:
            self.close_connection = True
            with contextlib.suppress(OSError):  # the client may have gone first
                self.connection.shutdown(socket.SHUT_RDWR)

    return Handler
