"""A real HTTPS-intercepting (MITM) proxy on 127.0.0.1, like a corporate TLS inspection box.

Clients send `CONNECT host:port`; the proxy answers 200, performs the TLS server handshake
itself with a leaf for `host` minted on the fly, opens its own TLS connection to the one
upstream origin (verified against the origin root) and relays bytes. The hostname picks
what the proxy presents, so a single proxy covers every case:

  api.corp.test (and any other name)  corp leaf for the name + corp intermediate
  rogue.corp.test                     leaf signed by the untrusted rogue root
  expired.corp.test                   expired corp leaf (+ intermediate)
  wrongname.corp.test                 valid corp leaf, but for `other.corp.test`
  zscaler.corp.test                   leaf + intermediate issued by the "Zscaler Root CA" test root
  lax.corp.test                       leaf of the lax root (basicConstraints not critical)
  legacy.corp.test                    leaf + intermediate of the legacy root (Zscaler 2014's defects)
  legacy-expired.corp.test            expired leaf of the legacy root's intermediate
  legacy-wrongname.corp.test          legacy leaf, but for `other.corp.test`
  legacy.outside.test                 legacy leaf outside the root's name constraints
  laxint.corp.test                    leaf + lax intermediate (basicConstraints not critical) of the corp root
"""

from __future__ import annotations

import select
import socket
import ssl
import threading
from collections import Counter
from typing import Any

from .listener import Listener
from .pki import ORIGIN_HOSTNAME, PKI

#: hostname -> keyword arguments for PKI.leaf (the leaf's own name first).
SPECIAL_HOSTS: dict[str, tuple[str, dict[str, Any]]] = {
    "rogue.corp.test": ("rogue.corp.test", {"issuer": "rogue"}),
    "expired.corp.test": ("expired.corp.test", {"expired": True}),
    "wrongname.corp.test": ("other.corp.test", {}),
    "zscaler.corp.test": ("zscaler.corp.test", {"issuer": "zscaler"}),
    "lax.corp.test": ("lax.corp.test", {"issuer": "lax"}),
    "legacy.corp.test": ("legacy.corp.test", {"issuer": "legacy"}),
    "legacy-expired.corp.test": ("legacy-expired.corp.test", {"issuer": "legacy", "expired": True}),
    "legacy-wrongname.corp.test": ("other.corp.test", {"issuer": "legacy"}),
    "legacy.outside.test": ("legacy.outside.test", {"issuer": "legacy"}),
    "laxint.corp.test": ("laxint.corp.test", {"issuer": "laxint"}),
}

_IO_TIMEOUT = 15.0


class InterceptingProxy(Listener):
    """Threaded CONNECT proxy; `connects` counts CONNECT requests per host for assertions."""

    def __init__(self, pki: PKI, origin_port: int, origin_host: str = "127.0.0.1") -> None:
        super().__init__()
        self.pki = pki
        self.origin = (origin_host, origin_port)
        self.connects: Counter[str] = Counter()
        self.client_handshake_failures: Counter[str] = Counter()  # clients that rejected our cert
        self._lock = threading.Lock()
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._upstream_ctx = ssl.create_default_context(cafile=str(pki.origin_root_pem))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def total_connects(self) -> int:
        with self._lock:
            return sum(self.connects.values())

    def _context_for(self, host: str) -> ssl.SSLContext:
        with self._lock:
            if host not in self._contexts:
                name, kwargs = SPECIAL_HOSTS.get(host, (host, {}))
                self._contexts[host] = self.pki.server_context(name, **kwargs)
            return self._contexts[host]

    def serve(self, conn: socket.socket) -> None:
        self._handle(conn)

    def _read_head(self, conn: socket.socket) -> bytes:
        # Byte-wise so that nothing after the header (the TLS ClientHello) is consumed.
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            byte = conn.recv(1)
            if not byte or len(head) > 16384:
                raise ValueError("bad proxy request")
            head += byte
        return head

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(_IO_TIMEOUT)
        request_line = self._read_head(conn).split(b"\r\n", 1)[0].decode("latin-1")
        method, target, _ = request_line.split(" ", 2)
        if method.upper() != "CONNECT":
            conn.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        host = target.rsplit(":", 1)[0].strip("[]").lower()
        with self._lock:
            self.connects[host] += 1
        conn.sendall(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        try:
            client = self._context_for(host).wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError):
            with self._lock:
                self.client_handshake_failures[host] += 1
            return
        with client, socket.create_connection(self.origin, timeout=_IO_TIMEOUT) as raw_up:
            with self._upstream_ctx.wrap_socket(raw_up, server_hostname=ORIGIN_HOSTNAME) as upstream:
                _relay(client, upstream)


def _relay(a: ssl.SSLSocket, b: ssl.SSLSocket) -> None:
    """Copy bytes both ways until either side closes.

    Safe with blocking recv because no server context sends TLS 1.3 session tickets
    (num_tickets=0), so "readable" always means application data or close.
    """
    peers = {a: b, b: a}
    while True:
        # Data already decrypted inside the SSL object is invisible to select().
        ready = [s for s in peers if s.pending()]
        if not ready:
            ready, _, _ = select.select(list(peers), [], [], _IO_TIMEOUT)
            if not ready:
                return
        for src in ready:
            data = src.recv(65536)
            if not data:
                return
            peers[src].sendall(data)
