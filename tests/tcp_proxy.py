"""A TCP proxy in a thread, to put between a server and its PostgreSQL or Redis and cut the line:
cut() drops every connection through it and hangs up on new ones until restore(); silence()
is a silent partition: every line stays open and nothing crosses it, either way, until
restore()."""

from __future__ import annotations

import contextlib
import socket
import threading


class TcpProxy:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._cut = False
        self._silent = threading.Event()
        threading.Thread(target=self._accept, name="tcp-proxy", daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            self._cut = True
            dropped, self._open = self._open, set()
        for sock in dropped:
            _close(sock)

    def silence(self) -> None:
        self._silent.set()

    def restore(self) -> None:
        with self._lock:
            self._cut = False
        self._silent.clear()

    def close(self) -> None:
        self.cut()
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:  # closed
                return
            with self._lock:
                cut = self._cut
            if cut:
                _close(client)
                continue
            if self._silent.is_set():  # accepted, and never answered
                with self._lock:
                    self._open.add(client)
                threading.Thread(target=_pump, args=(client, None, self._silent), daemon=True).start()
                continue
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                _close(client)
                continue
            with self._lock:
                self._open |= {client, server}
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=_pump, args=(source, target, self._silent), daemon=True).start()


def _pump(source: socket.socket, target: socket.socket | None, silent: threading.Event) -> None:
    try:
        while data := source.recv(65536):
            if target is not None and not silent.is_set():
                target.sendall(data)
    except OSError:  # the other side, or cut(), closed the line
        pass
    finally:
        _close(source)
        if target is not None:
            _close(target)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # closed already
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
