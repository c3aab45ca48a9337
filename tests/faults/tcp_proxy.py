"""A TCP proxy that can fail on purpose: cut every open connection, or be down for a while.

Put it between a client and a server (Chromium and the S3 endpoint, the worker and the S3
endpoint) to simulate a network cut or an unavailable store, at the TCP level: the client sees
its connection reset or refused, as with a real outage.
"""

import socket
import threading

from tests.services import free_port


class FaultyTcpProxy:
    """Forward 127.0.0.1:``port`` to 127.0.0.1:``upstream_port``.

    ``bytes_up`` counts the bytes clients sent; ``on_bytes(total)`` (when set) is called as they
    flow, so a test can cut at a point of its choosing. ``cut()`` resets every open connection;
    ``down = True`` refuses new connections (they are accepted and reset at once) until set back.
    """

    def __init__(self, upstream_port, on_bytes=None):
        self.upstream_port = upstream_port
        self.on_bytes = on_bytes
        self.down = False
        self.bytes_up = 0
        self.connections = 0
        self.cuts = 0
        self._open = set()
        self._lock = threading.Lock()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._listener = socket.create_server(("127.0.0.1", self.port), backlog=64)
        self._running = True
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self):
        while self._running:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.down:
                _reset(client)
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=10)
            except OSError:
                _reset(client)
                continue
            upstream.settimeout(None)
            pair = (client, upstream)
            with self._lock:
                self._open.add(pair)
                self.connections += 1
            threading.Thread(target=self._pipe, args=(client, upstream, pair, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, pair, False), daemon=True).start()

    def _pipe(self, source, target, pair, upward):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if upward:
                    with self._lock:
                        self.bytes_up += len(data)
                        total = self.bytes_up
                    if self.on_bytes:
                        self.on_bytes(total)
                target.sendall(data)
        except OSError:
            pass
        finally:
            self._close(pair)

    def _close(self, pair):
        with self._lock:
            if pair not in self._open:
                return
            self._open.discard(pair)
        for sock in pair:
            _reset(sock)

    def cut(self):
        """Reset every connection open right now; returns how many there were."""
        with self._lock:
            pairs = list(self._open)
            self.cuts += 1
        for pair in pairs:
            self._close(pair)
        return len(pairs)

    def stop(self):
        self._running = False
        self._listener.close()
        self.cut()


def _reset(sock):
    """Close with RST rather than FIN, as a dropped line looks to the other end."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        # A pipe thread blocked in recv() keeps the socket alive past close(), so nothing would
        # be reset; SHUT_RD wakes it without sending anything, and the close then sends the RST.
        sock.shutdown(socket.SHUT_RD)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass
