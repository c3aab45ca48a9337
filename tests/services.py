"""Real services for tests: a redis-server and an SMTP server on free ports."""

import shutil
import socket
import subprocess
import threading
import time
from email import message_from_bytes
from email.policy import default as default_policy

import redis


def free_port():
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A private redis-server process on a free port, in its own folder."""

    def __init__(self, workdir):
        if shutil.which("redis-server") is None:
            raise RuntimeError("redis-server is not installed; run `make test` to install it")
        self.workdir = workdir
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.client = redis.Redis.from_url(self.url)
        self._start()

    def _start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                self.client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("redis-server did not start")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)

    def restart(self):
        """Stop the server and start an empty one on the same port, as after a crash without
        persistence: every queued job and lock is gone."""
        self.stop()
        self._start()


class MailCatcher:
    """An aiosmtpd SMTP server that keeps every message it receives."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages = []
        self._arrived = threading.Condition()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        message = message_from_bytes(envelope.content, policy=default_policy)
        with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()
        return "250 OK"

    def wait_for(self, to, timeout=10):
        """The newest message to ``to``, waiting up to ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                found = [m for m in self.messages if m["To"] == to]
                if found:
                    return found[-1]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no mail to {to} within {timeout}s")
                self._arrived.wait(remaining)

    def clear(self):
        with self._arrived:
            self.messages.clear()

    def stop(self):
        self.controller.stop()


def body_text(message):
    """The plain-text part of a received message."""
    part = message.get_body(preferencelist=("plain",))
    return part.get_content()
