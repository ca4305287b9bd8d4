"""Misbehaving TCP endpoints on 127.0.0.1, for the failure modes of `corptls doctor URL`.

closed_port()              a port where nothing listens (connect: refused)
FaultServer("silent")      accepts and never sends a byte (TLS handshake or CONNECT times out)
FaultServer("garbage")     answers anything with bytes that are not TLS, then closes
FaultServer("close")       closes every connection as soon as it is accepted
FaultServer("forbidden")   an HTTP proxy that answers every CONNECT with 403 Forbidden
FaultServer("chain-once")  presents a real TLS chain to the first connection only; later
                           connections are accepted and never answered (a stall after the
                           chain was captured, so only the verdict handshakes hang)
FaultServer("drip")        an HTTP proxy: the first CONNECT gets 200 and a real TLS chain; every
                           later one gets its answer one byte per DRIP_PAUSE seconds for half an
                           hour (so a per-read socket timeout never fires)
SilentDNS()                a UDP "name server" (port 53 on a loopback address) that never answers
"""

from __future__ import annotations

import random
import socket
import ssl
import threading
import time
from collections import Counter
from typing import Literal

from .listener import Listener

Behaviour = Literal["silent", "garbage", "close", "forbidden", "chain-once", "drip"]

GARBAGE = b"SSH-2.0-NotTLS this is not a TLS server\r\n" + bytes(range(256))
FORBIDDEN = (
    b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 25\r\n"
    b"Connection: close\r\n\r\nblocked by policy (test)\n"
)
_HOLD = 30.0  # how long silent connections stay open; far beyond any doctor --timeout in the tests
DRIP_PAUSE = 0.5
#: What "drip" sends a later CONNECT, a byte at a time: a status line, then one endless header.
DRIP = b"HTTP/1.1 200 Connection established\r\nX-Drip: " + b"a" * 4096


def closed_port() -> tuple[socket.socket, int]:
    """A socket bound to a port on 127.0.0.1 but not listening: connecting is refused, and the
    port stays reserved (nobody else can start listening on it) while the socket lives."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock, int(sock.getsockname()[1])


class FaultServer(Listener):
    """Threaded TCP server with one `Behaviour`; `accepted` counts connections."""

    def __init__(self, behaviour: Behaviour, ssl_context: ssl.SSLContext | None = None) -> None:
        super().__init__()
        if (behaviour in ("chain-once", "drip")) != (ssl_context is not None):
            raise ValueError("an ssl_context is needed for (and only for) 'chain-once' and 'drip'")
        self.behaviour = behaviour
        self.ssl_context = ssl_context
        self.accepted = 0
        self.requests: Counter[str] = Counter()  # "forbidden": request lines received
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """As an HTTPS URL (direct) ..."""
        return f"https://127.0.0.1:{self.port}"

    @property
    def proxy_url(self) -> str:
        """... or as an HTTP proxy URL."""
        return f"http://127.0.0.1:{self.port}"

    def serve(self, conn: socket.socket) -> None:
        with self._lock:
            self.accepted += 1
            first = self.accepted == 1
        conn.settimeout(_HOLD)
        if self.behaviour == "close":
            return
        if self.behaviour == "garbage":
            conn.recv(1024)  # the ClientHello (or CONNECT): answer it with nonsense
            conn.sendall(GARBAGE)
        elif self.behaviour == "forbidden":
            if self._read_head(conn):
                conn.sendall(FORBIDDEN)
        elif self.behaviour == "drip":
            if not self._read_head(conn):
                return
            if first:
                conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                self._present_chain(conn)
                return
            for byte in DRIP:
                if self._stopped.wait(DRIP_PAUSE):
                    return
                conn.sendall(bytes([byte]))
        elif self.behaviour == "chain-once" and first:
            self._present_chain(conn)
        else:  # "silent", and "chain-once" after the first connection
            self._stopped.wait(_HOLD)

    def _present_chain(self, conn: socket.socket) -> None:
        assert self.ssl_context is not None
        try:
            self.ssl_context.wrap_socket(conn, server_side=True).close()
        except ssl.SSLError:
            pass  # the capture aborts the handshake once it has the chain

    def _read_head(self, conn: socket.socket) -> bool:
        """Read a request head byte by byte (nothing after it is consumed) and count its first line;
        False when the client left first."""
        head = b""
        while not head.endswith(b"\r\n\r\n") and len(head) < 16384:
            byte = conn.recv(1)
            if not byte:
                return False
            head += byte
        with self._lock:
            self.requests[head.split(b"\r\n", 1)[0].decode("latin-1")] += 1
        return True


class SilentDNS:
    """A UDP socket on port 53 of a random loopback address (needs root) that swallows every query.

    Point a resolv.conf (bind-mounted inside a scenario's mount namespace) at `address` and
    every lookup of a name not in /etc/hosts hangs until the resolver's own timeout.
    """

    def __init__(self) -> None:
        self.queries = 0
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        # resolv.conf cannot name a port: take port 53 on a loopback address no other run uses.
        for _ in range(50):
            self.address = f"127.{random.randrange(64, 250)}.{random.randrange(256)}.{random.randrange(1, 255)}"
            try:
                self._sock.bind((self.address, 53))
                break
            except OSError:
                continue
        else:
            self._sock.bind((self.address, 53))  # raise the error: a broken test setup, never a skip
        self._sock.settimeout(0.2)
        self._stopped = threading.Event()

    def resolv_conf(self, timeout: int = 20) -> str:
        """resolv.conf text: only this server, one slow attempt (glibc caps timeout at 30 s)."""
        return f"nameserver {self.address}\noptions timeout:{timeout} attempts:1\n"

    def start(self) -> "SilentDNS":
        threading.Thread(target=self._loop, daemon=True).start()
        return self

    def _loop(self) -> None:
        while not self._stopped.is_set():
            try:
                self._sock.recvfrom(4096)
                self.queries += 1
            except socket.timeout:
                continue
            except OSError:
                return

    def stop(self) -> None:
        self._stopped.set()
        time.sleep(0.25)
        self._sock.close()
