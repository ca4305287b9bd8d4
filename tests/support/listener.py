"""A TCP listener on 127.0.0.1 that serves each connection on its own daemon thread."""

from __future__ import annotations

import socket
import threading


class Listener:
    """Subclasses implement `serve(conn)`; the connection is closed after it returns."""

    def __init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._stopped = threading.Event()

    @property
    def port(self) -> int:
        return int(self._sock.getsockname()[1])

    def start(self) -> "Listener":
        threading.Thread(target=self._accept_loop, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        try:
            self._sock.close()
        except OSError:
            pass

    def serve(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def _accept_loop(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return  # listening socket closed by stop()
            threading.Thread(target=self._serve_quietly, args=(conn,), daemon=True).start()

    def _serve_quietly(self, conn: socket.socket) -> None:
        try:
            self.serve(conn)
        except (OSError, ValueError):
            pass  # disconnects, resets and timeouts are ordinary events in tests
        finally:
            conn.close()
