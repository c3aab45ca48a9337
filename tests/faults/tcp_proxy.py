"""A TCP proxy that can fail on purpose: cut every open connection, or be down for a while.

Put it between a client and a server (Chromium and the S3 endpoint, the worker and the S3
endpoint) to simulate a network cut or an unavailable store, at the TCP level: the client sees
its connection reset or refused, as with a real outage.
"""

import socket
import threading
import time

from tests.services import free_port


class FaultyTcpProxy:
    """Forward 127.0.0.1:``port`` to 127.0.0.1:``upstream_port``.

    ``bytes_up`` counts the bytes clients sent; ``on_bytes(total)`` (when set) is called as they
    flow, so a test can cut at a point of its choosing. ``cut()`` resets every open connection;
    ``down = True`` refuses new connections (they are accepted and reset at once) until set back.
    ``rate`` (bytes per second, shared by all connections) throttles what clients send, as a slow
    uplink does; ``stalled = True`` holds it altogether (a part stays in flight) until set back
    or cut.
    """

    def __init__(self, upstream_port, on_bytes=None):
        self.upstream_port = upstream_port
        self.on_bytes = on_bytes
        self.down = False
        self.rate = None
        self.stalled = False
        self._free_at = 0.0
        self.bytes_up = 0
        self.connections = 0
        self.cuts = 0
        self._open = set()
        self._ended = {}  # pair -> directions that ended cleanly
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
        ended = False
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    ended = True
                    break
                if upward:
                    with self._lock:
                        self.bytes_up += len(data)
                        total = self.bytes_up
                    if self.on_bytes:
                        self.on_bytes(total)
                    if not self._hold(len(data), pair):
                        break
                target.sendall(data)
        except OSError:
            pass
        if not (ended and self._pass_end(pair, target)):
            self._close(pair)

    def _pass_end(self, pair, target):
        """One side closed cleanly: pass its FIN on (a RST could drop a response still in the
        buffers) and close the pair once both sides have. False when it is cut already."""
        with self._lock:
            if pair not in self._open:
                return False
            ends = self._ended[pair] = self._ended.get(pair, 0) + 1
            if ends == 2:
                self._open.discard(pair)
                del self._ended[pair]
        try:
            if ends == 2:
                for sock in pair:
                    sock.close()
            else:
                target.shutdown(socket.SHUT_WR)
        except OSError:
            return False
        return True

    def _hold(self, size, pair):
        """Wait until the link lets ``size`` more bytes up; False when ``pair`` is cut meanwhile."""
        if self.rate:
            with self._lock:
                now = time.monotonic()
                self._free_at = max(self._free_at, now) + size / self.rate
                wait = self._free_at - now
            time.sleep(wait)
        while self.stalled and pair in self._open:
            time.sleep(0.01)
        return pair in self._open

    def _close(self, pair):
        with self._lock:
            if pair not in self._open:
                return
            self._open.discard(pair)
            self._ended.pop(pair, None)
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
