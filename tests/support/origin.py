"""OpenAI-compatible HTTPS test server on 127.0.0.1 (threaded http.server + ssl).

Used both as the upstream "origin" behind the intercepting proxy and, with other
certificates, as the direct (no proxy) servers presenting good/bad chains.
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

REPLY_TEXT = "Hello from the corptls test origin."


def chat_completion(model: str) -> dict[str, Any]:
    """A minimal but schema-valid non-streaming chat completion."""
    return {
        "id": "chatcmpl-corptls-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": "fp_corptls",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": REPLY_TEXT, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12},
    }


def chat_stream(model: str) -> bytes:
    """SSE body: role chunk, content chunks, stop chunk, then `data: [DONE]`."""
    base = {
        "id": "chatcmpl-corptls-test",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": "fp_corptls",
    }
    deltas: list[tuple[dict[str, Any], str | None]] = [({"role": "assistant", "content": ""}, None)]
    deltas += [({"content": word}, None) for word in REPLY_TEXT.split(" ")[:1]]
    deltas += [({"content": " " + word}, None) for word in REPLY_TEXT.split(" ")[1:]]
    deltas += [({}, "stop")]
    events = [{**base, "choices": [{"index": 0, "delta": d, "logprobs": None, "finish_reason": f}]} for d, f in deltas]
    return b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events) + b"data: [DONE]\n\n"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like a real API
    server: "OriginServer"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep pytest output clean
        pass

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, obj: Any) -> None:
        self._send(status, json.dumps(obj).encode())

    def do_GET(self) -> None:  # noqa: N802
        self.server.record(self.path)
        path = self.path.split("?")[0].rstrip("/")
        if path == "":
            self._json(200, {"ok": True})
        elif path == "/v1/models":
            self._json(
                200,
                {
                    "object": "list",
                    "data": [{"id": "gpt-test", "object": "model", "created": 0, "owned_by": "corptls"}],
                },
            )
        else:
            self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

    def do_POST(self) -> None:  # noqa: N802
        self.server.record(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        try:
            payload = json.loads(self.rfile.read(length) or b"{}")
        except json.JSONDecodeError:
            payload = {}
        if self.path.split("?")[0].rstrip("/") != "/v1/chat/completions":
            self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
            return
        model = str(payload.get("model") or "gpt-test")
        if payload.get("stream"):
            self._send(200, chat_stream(model), "text/event-stream")
        else:
            self._json(200, chat_completion(model))


class OriginServer(ThreadingHTTPServer):
    """HTTPS server; the TLS handshake runs in the per-connection thread so bad clients never block accept()."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, ssl_context: ssl.SSLContext, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__((host, port), _Handler)
        self.ssl_context = ssl_context
        self.requests: Counter[str] = Counter()  # path -> count, so tests can prove the origin was reached
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def address(self, host: str = "127.0.0.1") -> str:
        """`host:port`: what the probe takes."""
        return f"{host}:{self.port}"

    def url(self, host: str = "127.0.0.1") -> str:
        return f"https://{self.address(host)}"

    def record(self, path: str) -> None:
        with self._lock:
            self.requests[path.split("?")[0]] += 1

    def finish_request(self, request: Any, client_address: Any) -> None:
        request.settimeout(15)
        try:
            tls = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return  # failed client handshakes are expected in tests (clients rejecting our cert)
        try:
            super().finish_request(tls, client_address)
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # client disconnects/resets are normal test events

    def start(self) -> "OriginServer":
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
